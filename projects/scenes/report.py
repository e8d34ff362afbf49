"""The scenes study's table: the multi-task and single-task GhostNet dense-prediction models."""
import json
import statistics

from projects.common import tables
from projects.common.tables import mean_std, runs_count, verdict

# The dense-prediction models (configs/scenes_*.py): result file -> row label, in table order.
SCENES = {'scenes_multitask': 'multi-task (classify + detect + segment)',
          'scenes_detect': 'detection only', 'scenes_segment': 'segmentation only'}


def scenes_runs() -> dict[str, list[dict]]:
    """Scenes model -> the records of its seeds: ``results/{name}.json`` (the commands' default
    path) and ``results/{name}_s{seed}.json`` (further seeds)."""
    runs = {}
    for name in SCENES:
        paths = [tables.ROOT / 'results' / f'{name}.json',
                 *sorted((tables.ROOT / 'results').glob(f'{name}_s[0-9]*.json'))]
        records = [json.loads(p.read_text()) for p in paths if p.exists()]
        if records:
            runs[name] = records
    return runs


def scenes() -> str:
    """GhostNet 1.0x dense models on Fashion-MNIST scenes: test-split scores (mean ± std over
    seeds), size, step time and the issue's targets."""
    runs = scenes_runs()
    if not runs:
        return '\nNo scenes run has finished yet.\n'
    step_time = tables.load_optional('scenes_step_time')
    times = {r['name']: r for r in step_time['result']['rows']} if step_time else {}
    lines = ['| model | seeds | params | MACs / image | mAP@[.5:.95] | mAP@.5 | AP small / medium '
             '| mIoU | pixel acc. | labels acc. | ms / step |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    means = {}
    for name, records in runs.items():
        tests = [rec['result'][rec['result']['reported_split']] for rec in records]
        cell = lambda k, f='.3f': mean_std([t[k] for t in tests], f) if k in tests[0] else '-'
        means[name] = {k: statistics.mean(t[k] for t in tests) for k in ('map50', 'miou')
                       if k in tests[0]}
        # COCO's large objects (over 96^2 px) do not occur in 128x128 scenes: AP large is NaN
        aps = ' / '.join(cell(k, '.2f') for k in ('map_small', 'map_medium'))
        ms = f"{times[name]['median_ms']:.0f}" if name in times else '-'
        model = records[0]['result']['model']
        lines.append(f"| {SCENES[name]} | {len(records)} | {model['params'] / 1e6:.2f}M "
                     f"| {model['macs'] / 1e6:.0f}M | {cell('map')} | {cell('map50')} "
                     f"| {aps if 'map' in tests[0] else '-'} | {cell('miou')} "
                     f"| {cell('pixel_accuracy')} | {cell('classify_label_accuracy')} | {ms} |")
    reference = tables.load_optional('scenes_baselines')
    if reference:
        b = reference['result']
        lines.append(f"| reference, no model: every class absent, background at every pixel "
                     f"| - | - | - | - | - | - | {b['miou']:.3f} | {b['pixel_accuracy']:.3f} "
                     f"| {b['classify_label_accuracy']:.3f} | - |")
    records = [rec for rs in runs.values() for rec in rs]
    r = records[0]['result']
    targets = []
    for key, label, bound in (('map50', 'mAP@.5', 0.75), ('miou', 'mIoU', 0.65)):
        best = max((m[key] for m in means.values() if key in m), default=None)
        if best is not None:
            targets.append(f'{label} at least {bound}: best {best:.3f}, {verdict(best >= bound)}')
    # seed 0 ran alone on the machine; later seeds shared it with other jobs at times
    wall = max(rec['result']['train_wall_s'] for rec in records
               if rec['result'].get('seed', 0) == 0) / 60
    note = (f"\n{r['step']:,} steps at batch 32; the {r['reported_split']} split "
            f"({r[r['reported_split']]['examples']:,} scenes), scored once; mean ± std over "
            f"seeds; COCO box AP (pycocotools); mIoU averages the 10 item classes and "
            f"background; MACs per 128x128 image; step time from "
            f"`benchmarks.step_time`, run alone (longest seed-0 training {wall:.1f} min). "
            f"Targets: "
            f"{'; '.join(targets)}.\n")
    sources = records + [x for x in (step_time, reference) if x]
    return '\n'.join(lines) + '\n' + note + tables.source(*sources) + \
        f'\nResult files: `results/scenes_*.json` ({runs_count(records)}).\n'


RENDERERS = {'scenes': scenes}
