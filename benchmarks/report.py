"""Renders the result tables of README.md, docs/*.md and projects/*/README.md from results/.

Each table sits between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``; NAME picks
its renderer: the library's own tables below, or a project's (``projects/<name>/report.py``,
``RENDERERS``). A table is never edited by hand.

  python -m benchmarks.report           # rewrite the tables
  python -m benchmarks.report --check   # exit 1 if a table differs from its data (make test)
"""
import argparse
import re
import sys

from projects.anomaly import report as anomaly_report
from projects.augment import report as augment_report
from projects.common import tables
from projects.common.tables import ROOT
from projects.ghostgan import report as ghostgan_report
from projects.recipe import report as recipe_report
from projects.scenes import report as scenes_report
from train.tables import compress_table

DOCS = ('README.md', 'docs/performance.md', 'projects/ghostgan/README.md',
        'projects/scenes/README.md', 'projects/augment/README.md', 'projects/anomaly/README.md',
        'projects/recipe/README.md', 'docs/compression.md')
# The paper's MACs (Han et al. 2020, Table 7; GhostNetV2: Tang et al. 2022) beside ours.
PAPER_MACS = {'GhostNet 0.5x': '42M', 'GhostNet 1.0x': '141M', 'GhostNet 1.3x': '226M',
              'GhostNetV2 1.0x': '167M'}


def model_sizes() -> str:
    data = tables.load('model_sizes')
    lines = ['| model | params | MACs (conv + dense) | paper |', '|---|---|---|---|']
    for r in data['result']['rows']:
        if r['model'] in PAPER_MACS:
            lines.append(f"| {r['model']} | {r['params']:,} | {r['macs'] / 1e6:.2f}M "
                         f"| {PAPER_MACS[r['model']]} |")
    return '\n'.join(lines) + '\n' + tables.source(data)


def gan_sizes() -> str:
    data = tables.load('model_sizes')
    size = {r['model']: r for r in data['result']['rows']}
    lines = ['| resolution | DCGAN G params / MACs | Ghost G params / MACs | Ghost / DCGAN G '
             '| DCGAN D | Ghost D |', '|---|---|---|---|---|---|']
    for res, what in ((28, '28x28x1 (DCGAN-28)'), (32, '32x32x3 (DCGAN-32)'),
                      (64, '64x64x3 (DCGAN-64)')):
        dg, gg = size[f'DCGAN-{res} G'], size[f'Ghost G {res}']
        dd, gd = size[f'DCGAN-{res} D'], size[f'Ghost D {res}']
        pm = lambda r: f"{r['params']:,} / {r['macs'] / 1e6:.1f}M"
        lines.append(f"| {what} | {pm(dg)} | {pm(gg)} | {100 * gg['params'] / dg['params']:.1f}% "
                     f"/ {100 * gg['macs'] / dg['macs']:.1f}% | {pm(dd)} | {pm(gd)} |")
    return '\n'.join(lines) + '\n' + tables.source(data)


def make_run() -> str:
    gan, ext = tables.load('make_run_gan'), tables.load('extractor_fashion_mnist')
    g, e = gan['result'], ext['result']
    lines = ['| | |', '|---|---|',
             f"| feature extractor | GhostNet 0.5x (`configs/ghostnet_extractor.py`, seed 0, "
             f"`assets/extractor_fashion_mnist`), test accuracy {100 * e['accuracy']:.1f}% |",
             f"| GAN | {'class-conditional ' if g.get('conditional') else ''}{g['generator']} G "
             f"+ {g['discriminator']} D, {g['loss']} loss, {g['step']} steps "
             f"({g['train_wall_s']:.0f} s) |",
             f"| FID / KID | {g['fid']:.2f} / {g['kid_mean']:.4f} |",
             f"| Inception Score | {g['is_mean']:.2f} |",
             f"| precision / recall | {g['precision']:.2f} / {g['recall']:.2f} |"]
    if 'class_kl' in g:
        lines.append(f"| class histogram, KL to the data's | {g['class_kl']:.3f} |")
    lines += [f"| samples | {g['num_samples']:,} against the {g['split']} split, "
              f"{g['extractor']} features |"]
    return '\n'.join(lines) + '\n' + tables.source(ext, gan)


GHOST_PEERS_COMMAND = ('python -m benchmarks.vs_torch --allocator jemalloc --workloads '
                       'matmul,dcgan28,ghost_g_dcgan28_d,ghost_g_ghost_d '
                       '--out runs/vs_torch/vs_torch_ghost_jemalloc.json')
GHOST_PEER_TARGET = 0.8  # issue target: a Ghost row at most 0.8x its like-for-like peer's time


def vs_torch(name: str, command: str = '') -> str:
    data = tables.load_optional(name)
    if data is None:
        return f'Not recorded yet: `{command}`.\n'
    rows = data['result']['rows']
    allocator = rows[0]['allocator']
    lines = ['| workload | ours (ms) | PyTorch (ms) | ratio | GMAC per step | GMAC/s ours / peer '
             '| first step ours / peer (s) | peak RSS ours / peer (MB) |',
             '|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {r['what']} | {r['ours_ms']} | {r['peer_ms']} | {r['ratio']:.2f} "
                     f"| {r['gmac_per_step']} | {r['ours_gmac_per_s']} / "
                     f"{r['peer_gmac_per_s'] or '-'} "
                     f"| {r['ours_first_step_s']} / {r['peer_first_step_s']} "
                     f"| {r['ours_peak_rss_mb']} / {r['peer_peak_rss_mb']} |")
    r = rows[0]
    note = (f'\n{r["ours"]} vs {r["peer"]} ({data["result"]["threads"]} threads), {allocator} '
            f'malloc on both sides; medians of {r["iters"]} interleaved steps after '
            f'{r["warmup"]} warm-up steps each.\n')
    ghost = [x for x in rows if x['workload'].startswith('ghost_g_')]
    if ghost:
        note += ('Target for a Ghost row against its like-for-like peer: ratio at most '
                 f'{GHOST_PEER_TARGET}; ' + '; '.join(
                     f"{x['workload']} {x['ratio']:.2f} "
                     f"({tables.verdict(x['ratio'] <= GHOST_PEER_TARGET)})" for x in ghost)
                 + '.\n')
    by = {x['workload']: x for x in ghost}
    if {'ghost_g_dcgan28_d', 'ghost_g_ghost_d'} <= set(by):
        d, g = by['ghost_g_dcgan28_d'], by['ghost_g_ghost_d']
        note += (f"Replacing the DCGAN-28 D by the Ghost D (with SN and DiffAugment) multiplies "
                 f"the step's MACs by {g['gmac_per_step'] / d['gmac_per_step']:.2f} and its "
                 f"time by {g['peer_ms'] / d['peer_ms']:.2f} in PyTorch and "
                 f"{g['ours_ms'] / d['ours_ms']:.2f} in ours.\n")
    return '\n'.join(lines) + '\n' + note + tables.source(data)


# Targets fixed before the compression runs (CHANGELOG 0.1), judged on the test split.
CLASSIFIER_TARGETS = {'sparse': -0.010, 'ptq': -0.005, 'channels_drop': -0.015,
                      'channels_macs': 0.30}


def compression_classifier() -> str:
    data = tables.load_optional('compression/ghostnet_fashion_mnist')
    if data is None:
        return ('Not recorded yet: `python -m train.compress --config '
                'configs/compress_ghostnet_fashion_mnist.py --workdir runs/compress_ghostnet`.\n')
    r = data['result']
    rows = {x['variant']: x for x in r['rows']}
    choice = r['choices']['sparse_method']
    sparse = next(x for x in r['rows'] if x.get('chosen_on_validation'))
    ptq = rows['dense + int8 PTQ']
    channels = next(x for x in r['rows'] if 'macs_removed' in x)
    t = CLASSIFIER_TARGETS
    channels_ok = (channels['delta'] >= t['channels_drop']
                   and channels['macs_removed'] >= t['channels_macs'])
    candidates = ', '.join(f'{k} {100 * v:.2f}%' for k, v in choice['candidates'].items())
    notes = (
        f"\nCheckpoint `{r['checkpoint']}` (step {r['checkpoint_step']:,}), trained on "
        f"{r['train_examples']:,} train images; every variant fine-tuned on those, scored on the "
        f"{r['validation_examples']:,} held out of train (validation) and on the "
        f"{r['test_examples']:,} of `{r['test_split']}`. Pruning method chosen on validation: "
        f"{choice['chosen']} ({candidates}). MACs per image; KB of the weights as exported "
        f"(BN folded).\n\nTargets, fixed in advance and read on test: 80% sparsity costs at "
        f"most {-100 * t['sparse']:.1f} point ({100 * sparse['delta']:+.2f}, "
        f"{tables.verdict(sparse['delta'] >= t['sparse'])}); int8 PTQ at most "
        f"{-100 * t['ptq']:.1f} point ({100 * ptq['delta']:+.2f}, "
        f"{tables.verdict(ptq['delta'] >= t['ptq'])}); channel pruning removes at least "
        f"{100 * t['channels_macs']:.0f}% of the MACs ({100 * channels['macs_removed']:.1f}%) "
        f"for at most {-100 * t['channels_drop']:.1f} points ({100 * channels['delta']:+.2f}, "
        f"{tables.verdict(channels_ok)}).\n")
    return compress_table(r['rows'], r['metric']) + notes + tables.source(data)


def compression_generator() -> str:
    data = tables.load_optional('compression/ghostgan_fashion_mnist')
    if data is None:
        return ('Not recorded yet: `python -m train.compress --config '
                'configs/compress_ghostgan_fashion_mnist.py --workdir runs/compress_ghostgan`.\n')
    r = data['result']
    notes = (f"\nGenerator of `{r['checkpoint']}` (step {r['checkpoint_step']:,}), scored with "
             f"the features of `{r['extractor']}`.")
    rows = {x['variant']: x for x in r['rows']}
    control = rows.get('dense, fine-tuned (control)')
    if control:
        notes += ' Fine-tuned variants are judged against the control, which had the same steps: ' + \
            '; '.join(f"{name} FID {x['fid']:.2f} against {control['fid']:.2f} "
                      f"({100 * (x['fid'] / control['fid'] - 1):+.1f}%)"
                      for name, x in rows.items() if 'sparse, fine-tuned' in name) + '.'
    return compress_table(r['rows'], r['metric']) + notes + '\n' + tables.source(data)


PROFILE_COMMAND = 'python -m benchmarks.profile_step'


def profile_step() -> str:
    """Per-kind share of each profiled step, then the Ghost pair's costliest ops."""
    data = tables.load_optional('profile_step')
    if data is None:
        return f'Not recorded yet: `{PROFILE_COMMAND}` (then publish runs/profile/profile_step.json).\n'
    rows = data['result']['rows']
    kinds = sorted({k for r in rows for k in r['by_kind']},
                   key=lambda k: -max(r['by_kind'].get(k, {}).get('ms', 0) for r in rows))

    def cell(r: dict, group: str, key: str) -> str:
        v = r[group].get(key)
        return f"{v['ms']:.1f} ({100 * v['share']:.0f}%)" if v else '-'
    lines = ['| ms per step (share) | ' + ' | '.join(r['workload'] for r in rows) + ' |',
             '|---|' + '---|' * len(rows),
             '| step, untraced | ' + ' | '.join(f"{r['untraced_ms']}" for r in rows) + ' |',
             '| sum of op self times, traced | ' + ' | '.join(
                 f"{r['op_ms']} in {r['num_ops']:,} ops" for r in rows) + ' |']
    lines += [f'| {k} | ' + ' | '.join(cell(r, 'by_kind', k) for r in rows) + ' |'
              for k in kinds]
    lines += [f'| model: {m} | ' + ' | '.join(cell(r, 'by_model', m) for r in rows) + ' |'
              for m in ('G', 'D', 'other')]
    lines += ['| backward | ' + ' | '.join(cell(r, 'by_direction', 'backward') for r in rows)
              + ' |']
    ghost = next((r for r in rows if r['workload'] == 'ghost_g_ghost_d'), rows[0])
    top = ['', f"Costliest ops of `{ghost['workload']}` (self time per step):", '',
           '| op | kind | model | direction | ms | share | from (JAX op name, tail) |',
           '|---|---|---|---|---|---|---|']
    top += [f"| `{o['op']}` | {o['kind']} | {o['model']} | {o['direction']} | {o['ms']:.2f} "
            f"| {100 * o['share']:.1f}% | `{o['op_name'][-60:]}` |" for o in ghost['top'][:10]]
    r = rows[0]
    note = (f"\n{r['steps']} traced steps after {r['warmup']} warm-up steps, the same "
            f"workloads as `benchmarks.vs_torch`; XLA's per-thunk trace events, self time "
            f"(nested thunks subtracted).\n")
    return '\n'.join(lines + top) + '\n' + note + tables.source(data)


FIRST_STEP_COMMAND = 'python -m benchmarks.first_step'
# Targets fixed before the first measurement (issue "Cheap in MACs must be cheap in time").
WARM_FIRST_STEP_TARGET_S = 3.0
COLD_FIRST_STEP_TARGETS_S = {'ghostnet_train': 12.0, 'ghost_g_ghostnet_d': 20.0}


def first_step() -> str:
    """Cold and warm first step per workload, with the targets that apply to each."""
    data = tables.load_optional('first_step')
    if data is None:
        return (f'Not recorded yet: `{FIRST_STEP_COMMAND}` (then publish '
                'runs/first_step/first_step.json).\n')
    res = data['result']
    lines = ['| workload | first step, cold (s) | first step, warm (s) | compile, cold (s) '
             '| cache load, warm (s) | trace + lower, warm (s) | cached programs (MB) | target |',
             '|---|---|---|---|---|---|---|---|']
    for r in res['rows']:
        warm_ok = r['warm_first_step_s'] <= WARM_FIRST_STEP_TARGET_S
        target = f"warm <= {WARM_FIRST_STEP_TARGET_S:g} s: {tables.verdict(warm_ok)}"
        if (cold := COLD_FIRST_STEP_TARGETS_S.get(r['workload'])) is not None:
            target += f"; cold <= {cold:g} s: {tables.verdict(r['cold_first_step_s'] <= cold)}"
        warm = r['warm_stages_s']
        lines.append(f"| {r['workload']} | {r['cold_first_step_s']} | {r['warm_first_step_s']} "
                     f"| {r['cold_stages_s']['compile']} | {warm['compile']} "
                     f"| {warm['trace'] + warm['lower']:.2f} | {r['cache_entries']} "
                     f"({r['cache_mb']}) | {target} |")
    note = (f"\nOne cold and one warm worker process per workload ({res['allocator']} malloc), "
            f"sharing a fresh cache; programs compiling in under {res['cache_min_compile_s']:g} s "
            'are not cached (the entry points\' threshold) and compile again when warm. The '
            'stage columns time the step alone, ahead of time, in two more processes.\n')
    for r in res['rows']:
        if r['warm_first_step_s'] > WARM_FIRST_STEP_TARGET_S:
            warm = r['warm_stages_s']
            rest = r['warm_first_step_s'] - warm['compile'] - warm['trace'] - warm['lower']
            note += (f"{r['workload']}, warm: {warm['compile']} s to load its cached program, "
                     f"{warm['trace'] + warm['lower']:.2f} s to trace and lower the step, and "
                     f"{rest:.2f} s for the rest, the step's first run.\n")
    return '\n'.join(lines) + '\n' + note + tables.source(data)


RENDERERS = {'model_sizes': model_sizes, 'gan_sizes': gan_sizes, 'make_run': make_run,
             'vs_torch_jemalloc': lambda: vs_torch('vs_torch_jemalloc'),
             'vs_torch_system': lambda: vs_torch('vs_torch_system'),
             'vs_torch_ghost': lambda: vs_torch('vs_torch_ghost_jemalloc', GHOST_PEERS_COMMAND),
             'compression_classifier': compression_classifier,
             'compression_generator': compression_generator,
             'profile_step': profile_step, 'first_step': first_step,
             **ghostgan_report.RENDERERS, **scenes_report.RENDERERS, **augment_report.RENDERERS,
             **anomaly_report.RENDERERS, **recipe_report.RENDERERS}
BLOCK = re.compile(r'(<!-- results:(\w+) -->\n)(.*?)(<!-- /results:\2 -->)', re.S)


RECORDED = re.compile(r'^Recorded: .*? — ', re.M)


def render(text: str, brief: bool = False) -> str:
    """``text`` with every table re-rendered; ``brief`` (the README) keeps each provenance
    line's machines, dates and commits and leaves its commands to the project READMEs."""
    def table(m):
        if m[2] not in RENDERERS:
            raise SystemExit(f'unknown results table {m[2]!r}; known: {sorted(RENDERERS)}')
        body = RENDERERS[m[2]]()
        if brief:
            body = RECORDED.sub('Recorded (commands in the result files and project READMEs) '
                                '— ', body)
        return m[1] + body + m[4]
    return BLOCK.sub(table, text)


def render_doc(name: str) -> str:
    """The document ``name`` (one of ``DOCS``) with its tables rendered: brief in README.md."""
    return render((ROOT / name).read_text(), brief=name == 'README.md')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--check', action='store_true', help='fail if a table is out of date')
    args = ap.parse_args()
    stale = []
    for name in DOCS:
        path = ROOT / name
        if not path.exists():
            continue
        text = path.read_text()
        new = render_doc(name)
        if new != text:
            stale.append(name)
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        sys.exit(f'tables out of date in {stale}: run python -m benchmarks.report')
    print(('up to date' if args.check else 'rewrote') + f': {stale or list(DOCS)}')


if __name__ == '__main__':
    main()
