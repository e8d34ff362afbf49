"""The Ghost-GAN study's tables: the study, its targets, the compute-quality sweep and a study
process's memory."""
import json
import statistics

from projects.common import tables
from projects.common.tables import mean_std, missed_by, runs_count, verdict
from projects.ghostgan import recipes

# The Ghost-GAN study (configs/ghostgan_study_fashion_mnist.py): pairs in table order.
STUDY_PAIRS = {'dcgan28': 'DCGAN-28 G + DCGAN-28 D', 'ghost_g': 'Ghost G + DCGAN-28 D',
               'ghost_gd': 'Ghost G + Ghost D', 'ghost_g_ghostnet_d': 'Ghost G + GhostNet D'}


BASELINE = 'dcgan28'


NO_BASELINE = '\nThe study has no finished baseline run yet.\n'


FINAL_KEYS = ('fid', 'kid_mean', 'is_mean', 'precision', 'recall', 'class_kl')


def study_runs(directory: str = 'ghostgan_study') -> dict[str, list[dict]]:
    """pair -> the result records of its finished seeds (results/{directory}/*.json)."""
    runs: dict[str, list[dict]] = {}
    for path in sorted((tables.ROOT / 'results' / directory).glob('*.json')):
        with open(path) as f:
            record = json.load(f)
        runs.setdefault(record['result']['pair'], []).append(record)
    return runs


def _finals(runs: dict[str, list[dict]]) -> dict[str, dict[str, list[float]]]:
    """pair -> final score -> its values over the pair's seeds."""
    return {pair: {k: [r['result']['final'][k] for r in records] for k in FINAL_KEYS}
            for pair, records in runs.items()}


def _baseline_macs(runs: dict[str, list[dict]]) -> float:
    base = runs[BASELINE][0]['result']
    return base['g_macs'] + base['d_macs']


def ghostgan_study() -> str:
    runs, step_time = study_runs(), tables.load_optional('ghostgan_study_step_time')
    times = {r['name']: r for r in step_time['result']['rows']} if step_time else {}
    if BASELINE not in runs:
        return NO_BASELINE
    base_macs, finals = _baseline_macs(runs), _finals(runs)
    lines = ['| pair | seeds | FID | KID x 1e3 | IS | precision | recall | class KL '
             '| G + D MACs (% of DCGAN) | ms / iteration |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for pair, label in STUDY_PAIRS.items():
        if pair not in runs:
            continue
        res = runs[pair][0]['result']
        final = lambda k, scale=1.0: [v * scale for v in finals[pair][k]]
        macs = res['g_macs'] + res['d_macs']
        ms = f"{times[pair]['median_ms']:.0f}" if pair in times else '-'
        lines.append(
            f"| {label} | {len(runs[pair])} | {mean_std(final('fid'), '.1f')} "
            f"| {mean_std(final('kid_mean', 1e3), '.1f')} | {mean_std(final('is_mean'), '.2f')} "
            f"| {mean_std(final('precision'), '.2f')} | {mean_std(final('recall'), '.2f')} "
            f"| {mean_std(final('class_kl'), '.3f')} "
            f"| {macs / 1e6:.1f}M ({100 * macs / base_macs:.0f}%) | {ms} |")
    first = runs[BASELINE][0]
    r = first['result']
    note = (f"\n{r['steps']:,} steps at batch {r['batch_size']}; final scores from "
            f"{r['final']['num_samples']:,} EMA samples against the test split in the features of "
            f"`{r['extractor']}` (test accuracy {100 * r['extractor_accuracy']:.2f}%); mean ± "
            f"sample std over seeds. MACs per image, conv and dense layers; iteration time (one D and one G "
            f"step) from `benchmarks.step_time`, run alone on the machine. The runs' own wall times "
            f"(in the result files) include evaluations and were not measured alone.\n")
    records = [rec for pair in STUDY_PAIRS for rec in runs.get(pair, [])]
    sources = records + ([step_time] if step_time else [])
    return '\n'.join(lines) + '\n' + note + tables.source(*sources) + _targets(runs, finals, base_macs) + \
        f'\nResult files: `results/ghostgan_study/` ({runs_count(records)}).\n'


# The compute-quality sweep (configs/ghostgan_widths_fashion_mnist.py) compares generators at
# this step: its own runs' budget, and an evaluation step of the main study's runs.
SWEEP_STEP = 3000


def scores_at(result: dict, step: int) -> dict | None:
    """A run's evaluation at ``step`` (its ``history``), or None where it has none there."""
    return next((p for p in result['history'] if p['step'] == step), None)


def sweep_points() -> list[tuple[str, dict, dict]]:
    """(generator, result, scores at SWEEP_STEP) of the compute-quality sweep, by G MACs: seed 0
    of the main study's DCGAN-28 and width-32 Ghost G, and every width of
    results/ghostgan_widths/; all against the DCGAN-28 D."""
    main = study_runs()
    labelled = [(label, main[pair][0]) for pair, label in
                (('dcgan28', 'DCGAN-28 G'), ('ghost_g', 'Ghost G, width 32')) if pair in main]
    labelled += [(f"Ghost G, width {records[0]['result']['generator']['kwargs']['base_features']}",
                  records[0]) for records in study_runs('ghostgan_widths').values()]
    points = [(label, record, scores_at(record['result'], SWEEP_STEP))
              for label, record in labelled]
    return sorted((p for p in points if p[2]), key=lambda p: p[1]['result']['g_macs'])


def ghostgan_widths() -> str:
    points = sweep_points()
    base = next((r['result'] for label, r, _ in points if label.startswith('DCGAN')), None)
    if base is None or all(r['result']['pair'] in STUDY_PAIRS for _, r, _ in points):
        return '\nThe sweep has no finished run yet.\n'
    lines = ['| generator (D: DCGAN-28) | G params | G MACs (% of DCGAN-28 G) | FID | KID x 1e3 '
             '| IS | precision | recall |', '|---|---|---|---|---|---|---|---|']
    for label, record, s in points:
        r = record['result']
        lines.append(f"| {label} | {r['g_params']:,} | {r['g_macs'] / 1e6:.1f}M "
                     f"({100 * r['g_macs'] / base['g_macs']:.0f}%) | {s['fid']:.1f} "
                     f"| {1e3 * s['kid_mean']:.1f} | {s['is_mean']:.2f} | {s['precision']:.2f} "
                     f"| {s['recall']:.2f} |")
    note = (f"\nStep {SWEEP_STEP:,} at batch 64, seed 0; {points[0][2]['num_samples']:,} EMA "
            f"samples against the test split, the extractor of the table above. DCGAN-28 and "
            f"width 32 are the main study's step-{SWEEP_STEP:,} evaluations.\n")
    return '\n'.join(lines) + '\n' + note + tables.source(*[r for _, r, _ in points])


def ghostgan_targets() -> str:
    """The study's targets alone (README), as the study table states them."""
    runs = study_runs()
    if BASELINE not in runs:
        return NO_BASELINE
    return (_targets(runs, _finals(runs), _baseline_macs(runs))
            or '\nNo all-Ghost pair has finished a run yet.\n')


def _targets(runs: dict[str, list[dict]], finals: dict[str, dict[str, list[float]]],
             base_macs: float) -> str:
    """The issue's targets, met or missed (and by how much), from the per-pair final scores over
    seeds: FID, MACs, IS and recall of the better all-Ghost pair, and IS and recall over all."""
    mean = lambda pair, k: statistics.mean(finals[pair][k])
    ghost = [p for p in ('ghost_gd', 'ghost_g_ghostnet_d') if p in runs]
    if not ghost:
        return ''
    best = min(ghost, key=lambda p: mean(p, 'fid'))
    which = (f'the better of the two all-Ghost pairs ({STUDY_PAIRS[best]})'
             if len(ghost) > 1 else f'the only all-Ghost pair run so far ({STUDY_PAIRS[best]})')
    base = finals[BASELINE]['fid']
    if len(base) > 1:
        bound = statistics.mean(base) + statistics.stdev(base)
        against = f"{bound:.1f}, the baseline's mean + one seed-std ({len(base)} seeds)"
    else:
        bound = base[0]
        against = (f"the baseline's {bound:.1f} (one baseline seed: a seed-std needs at least 2, "
                   f"so this verdict is provisional)")
    res = runs[best][0]['result']
    share = 100 * (res['g_macs'] + res['d_macs']) / base_macs
    fid, is_, recall = (mean(best, k) for k in ('fid', 'is_mean', 'recall'))
    top_is = max(finals, key=lambda p: mean(p, 'is_mean'))
    recall_ok = [STUDY_PAIRS[p] for p in STUDY_PAIRS if p in finals and mean(p, 'recall') >= 0.6]
    return (f"\nTargets for {which}: FID {fid:.1f} against {against}: "
            f"{missed_by(fid <= bound, fid - bound, '.1f')}; G + D MACs "
            f"{share:.0f}% of the baseline's (at most 30%): {verdict(share <= 30)}; IS {is_:.2f} "
            f"(at least 6.0): {missed_by(is_ >= 6.0, 6.0 - is_, '.2f')}; recall {recall:.2f} "
            f"(at least 0.6): {missed_by(recall >= 0.6, 0.6 - recall, '.2f')}. Over every pair, "
            f"the highest IS is {mean(top_is, 'is_mean'):.2f} ({STUDY_PAIRS[top_is]}), and recall "
            f"reaches 0.6 for {' and '.join(recall_ok) or 'no pair'}.\n")


def study_memory() -> str:
    """A study process's RSS at the end of each run, keeping or releasing what the allocator
    retained between runs (``benchmarks.study_memory``)."""
    data = tables.load_optional('study_memory')
    if data is None:
        return '\nNot measured yet: `python -m benchmarks.study_memory`.\n'
    r = data['result']
    keep, release = r['modes']['keep'], r['modes']['release']
    lines = ['| run | RSS at its end, nothing released (MB) | RSS at its end, released between '
             'runs (MB) | after the release (MB) |', '|---|---|---|---|']
    for k, rel in zip(keep, release):
        lines.append(f"| {k['run']} | {k['rss_mb_at_end']:,} | {rel['rss_mb_at_end']:,} "
                     f"| {rel['rss_mb_after_release']:,} |")
    note = (f"\n{STUDY_PAIRS[r['pair']]}, one seed per run, {r['steps']} steps with two "
            f"evaluations of {r['eval_samples']:,} samples each, under {r['malloc']}.\n")
    return '\n'.join(lines) + '\n' + note + tables.source(data)


_MODEL_LABELS = {'dcgan28_g': 'DCGAN-28 G', 'ghost_g': 'Ghost G', 'dcgan28_d': 'DCGAN-28 D',
                 'ghost_d': 'Ghost D', 'ghostnet_d': 'GhostNet D'}
SCREENING_PAIRS = {f'{g}_{d}': f'{_MODEL_LABELS[g]} + {_MODEL_LABELS[d]}'
                   for g, d in recipes.PAIRS}  # in table order


def screening_fids(runs: dict[str, list[dict]] | None = None) -> dict[str, dict[str, dict]]:
    """pair -> recipe -> the final scores of its screening run, from ``runs`` (default: the
    records in results/ghostgan_screening/)."""
    out: dict[str, dict[str, dict]] = {}
    for name, records in (study_runs('ghostgan_screening') if runs is None else runs).items():
        pair, recipe = recipes.split_name(name)
        out.setdefault(pair, {})[recipe] = records[0]['result']['final']
    return out


def chosen_recipes(fids: dict[str, dict[str, dict]] | None = None) -> dict[str, str]:
    """pair -> its recipe with the lowest screening FID (``screening_fids``), for the pairs
    screened under every recipe (a pair still missing a recipe has no choice yet)."""
    fids = screening_fids() if fids is None else fids
    return {pair: min(done, key=lambda r: done[r]['fid'])
            for pair, done in fids.items() if set(done) == set(recipes.RECIPES)}


def ghostgan_screening() -> str:
    runs = study_runs('ghostgan_screening')
    if not runs:
        return ('\nNo screening run has finished yet: `python -m projects.ghostgan.main --config '
                'projects/ghostgan/configs/screening.py --workdir runs/ghostgan_screening`.\n')
    fids = screening_fids(runs)
    chosen = chosen_recipes(fids)
    order = sorted(recipes.RECIPES)
    lines = ['| pair | ' + ' | '.join(f'recipe {r}' for r in order) + ' | chosen |',
             '|---|' + '---|' * (len(order) + 1)]
    for pair, label in SCREENING_PAIRS.items():
        done = fids.get(pair, {})
        cell = lambda r: ('-' if r not in done else
                          f"{'**' if chosen.get(pair) == r else ''}{done[r]['fid']:.1f}"
                          f"{'**' if chosen.get(pair) == r else ''} ({done[r]['recall']:.2f})")
        pick = chosen.get(pair) or f'pending ({len(done)} of {len(order)} recipes run)'
        lines.append(f'| {label} | ' + ' | '.join(cell(r) for r in order) + f' | {pick} |')
    records = [rec for recs in runs.values() for rec in recs]
    r = records[0]['result']
    split = {rec['result'].get('eval_split', 'test') for rec in records}
    note = (f"\nFID (recall) after {r['steps']:,} steps at batch {r['batch_size']}, seed "
            f"{r['seed']}, from {r['final']['num_samples']:,} EMA samples against the "
            f"{' and '.join(sorted(split))} split's statistics in the features of "
            f"`{r['extractor']}`; '-': not run yet. Recipes (fixed before any run, "
            "projects/ghostgan/recipes.py): a: NS loss, Adam 2e-4 (0.5, 0.999); b: a + SN on D; "
            "c: hinge + SN + D 4e-4 / G 1e-4, Adam (0, 0.9); d: c + DiffAugment translation. "
            "A pair's chosen recipe (bold) is its lowest FID once every recipe has run; the "
            "finals train it and report the test split.\n")
    return ('\n'.join(lines) + '\n' + note + tables.source(*records)
            + f'\nResult files: `results/ghostgan_screening/` ({runs_count(records)}).\n')


RENDERERS = {'ghostgan_screening': ghostgan_screening, 'ghostgan_study': ghostgan_study,
             'ghostgan_targets': ghostgan_targets, 'ghostgan_widths': ghostgan_widths,
             'study_memory': study_memory}
