"""The augmentation study's table: accuracy with and without generated images, and CAS."""
import json
import pathlib
import statistics

from projects.common import tables
from projects.common.tables import mean_std, runs_count, verdict

def augment_runs() -> tuple[dict[int, list[dict]], dict[str, list[dict]]]:
    """(N -> augmentation records by seed, CAS entry -> records) of ``results/augment/``."""
    study, cas = {}, {}
    for path in sorted((tables.ROOT / 'results' / 'augment').glob('*.json')):
        record = json.loads(path.read_text())
        r = record['result']
        if path.name.startswith('cas_'):
            cas.setdefault(r['name'], []).append(record)
        else:
            study.setdefault(r['per_class'], []).append(record)
    return study, cas


# CAS entries of the study config (study.cas.gans) -> what their generators are
CAS_GANS = {'ghost': 'conditional Ghost G + DCGAN-28 D', 'dcgan28': 'conditional DCGAN-28'}


def augment() -> str:
    """GAN augmentation at N labelled images per class (test accuracy, mean ± std over seeds)
    and the Classification Accuracy Score beside the real-data ceiling."""
    study, cas = augment_runs()
    if not study and not cas:
        return '\nNo augmentation run has finished yet.\n'
    out, targets = [], []
    if study:
        lines = ['| labelled images per class | seeds | real only | real + synthetic | gain '
                 '(points) | arms chosen on validation |', '|---|---|---|---|---|---|']
        for n, records in sorted(study.items()):
            rs = [rec['result'] for rec in records]
            pct = lambda k: [100 * r[k] for r in rs]
            gains = pct('gain')
            chosen = ', '.join(sorted({r['chosen'] for r in rs}))
            lines.append(f"| {n} | {len(rs)} | {mean_std(pct('real_test_accuracy'), '.2f')} "
                         f"| {mean_std(pct('augmented_test_accuracy'), '.2f')} "
                         f"| {mean_std(gains, '+.2f')} | {chosen} |")
            if n == 100 and len(gains) >= 3:
                m, sd = statistics.mean(gains), statistics.stdev(gains)
                targets.append(f'at N = 100, a gain of at least 1.5 points outside one std: '
                               f'{m:+.2f} ± {sd:.2f}, {verdict(m >= 1.5 and m > sd)}')
        r = study[min(study)][0]['result']
        real = r['arms']['real']
        out.append('\n'.join(lines) + '\n' + (
            f"\n{tables.config_path(r['classifier'])} ({real['train_wall_s'] / 60:.1f} min) with "
            f"the same steps "
            f"and batch in every arm; real images are flipped at random, generated ones join "
            f"the batch after that and are not; the GAN ({tables.config_path(r['gan'])}) trains on the "
            f"subset alone; {round(100 * r['val_fraction'])}% of the subset held out to choose "
            f"ratio and truncation; test split of 10,000 images.\n"))
    if cas:
        lines = ['| classifier trained on | seeds | test accuracy (CAS) |', '|---|---|---|']
        for name, records in cas.items():
            gan = records[0]['result'].get('gan')
            label = ('real train split (ceiling)' if name == 'real' else
                     f'samples of the {CAS_GANS[name]}' if name in CAS_GANS else
                     f'samples of `{pathlib.PurePath(gan).name}`')
            accs = [100 * rec['result']['cas'] for rec in records]
            lines.append(f'| {label} | {len(accs)} | {mean_std(accs, ".2f")} |')
            if name == 'ghost':
                m = statistics.mean(accs)
                targets.append(f'conditional Ghost-GAN CAS at least 80%: {m:.2f}%, '
                               f'{verdict(m >= 80)}')
        r = next(iter(cas.values()))[0]['result']
        out.append('\n'.join(lines) + '\n' + (
            f"\nCAS (Ravuri & Vinyals 2019): classifier {tables.config_path(r['classifier'])} "
            f"trained on "
            f"{r['train_examples']:,} images ({r['steps']:,} steps), generated class-balanced "
            f"by each conditional GAN (or the real train split), tested on the real test "
            f"split.\n"))
    note = f"\nTargets: {'; '.join(targets)}.\n" if targets else ''
    records = [rec for rs in (*study.values(), *cas.values()) for rec in rs]
    return '\n'.join(out) + note + tables.source(*records) + \
        f'\nResult files: `results/augment/*.json` ({runs_count(records)}).\n'


RENDERERS = {'augment': augment}
