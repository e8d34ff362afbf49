"""The Ghost-GAN study's figures, drawn from its result files (needs matplotlib: the ``docs``
extra).

  python -m projects.ghostgan.figures

- projects/ghostgan/fid_vs_step.png: FID against training step, every pair of
  results/ghostgan_study/ (mean over seeds, band: min to max).
- projects/ghostgan/compute_quality.png: FID at step 3,000 against generator MACs per image,
  for DCGAN-28 and the Ghost generator at three widths (results/ghostgan_widths/ plus the main
  study's step-3,000 points of the width-32 Ghost G and of DCGAN-28).
"""
import pathlib
import statistics

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

from projects.ghostgan.report import (STUDY_PAIRS, SWEEP_STEP, scores_at,  # noqa: E402
                                      study_runs, sweep_points)

HERE = pathlib.Path(__file__).resolve().parent


def _plain_log_ticks(axis, values: list[float]) -> None:
    """Labels a log axis at ``values`` as plain numbers (matplotlib's default is ``a x 10^b``
    on every minor tick)."""
    axis.set_major_locator(ticker.FixedLocator(values))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f'{v:g}'))
    axis.set_minor_formatter(ticker.NullFormatter())


def fid_vs_step(path: str) -> None:
    runs = study_runs()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for pair, label in STUDY_PAIRS.items():
        if pair not in runs:
            continue
        results = [r['result'] for r in runs[pair]]
        steps = sorted(set.intersection(*(set(p['step'] for p in r['history']) for r in results)))
        fids = [[scores_at(r, s)['fid'] for r in results] for s in steps]
        line, = ax.plot(steps, [statistics.mean(f) for f in fids], marker='o', ms=3,
                        label=f'{label} ({len(results)} seed{"s" * (len(results) > 1)})')
        if len(results) > 1:  # the band spans the seeds, in the colour of their mean's line
            ax.fill_between(steps, [min(f) for f in fids], [max(f) for f in fids], alpha=0.2,
                            color=line.get_color(), linewidth=0)
    ax.set(xlabel='training step (batch 64)', ylabel='FID (GhostNet-FMNIST features)',
           yscale='log', title='Fashion-MNIST: FID against step')
    _plain_log_ticks(ax.yaxis, [10, 15, 20, 30, 40, 60, 80])
    ax.grid(alpha=0.3, which='both')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f'wrote {path}')


def compute_quality(path: str) -> None:
    points = [(label, r['result']['g_macs'], scores['fid']) for label, r, scores in sweep_points()]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    ghost = [(m, f) for label, m, f in points if label.startswith('Ghost')]
    if ghost:
        ax.plot([m / 1e6 for m, _ in ghost], [f for _, f in ghost], '-o', label='Ghost G')
    for label, macs, fid in points:
        marker = 's' if label.startswith('DCGAN') else None
        if marker:
            ax.plot([macs / 1e6], [fid], marker, ms=8, label=label)
        ax.annotate(label, (macs / 1e6, fid), textcoords='offset points', xytext=(5, 5),
                    fontsize=8)
    ax.set(xscale='log', xlabel='generator MACs per image (millions)',
           ylabel=f'FID at step {SWEEP_STEP:,} (5,000 samples)',
           title='Fashion-MNIST: quality against generator compute (DCGAN-28 D)')
    _plain_log_ticks(ax.xaxis, [1, 2, 5, 10, 20, 50, 100])
    ax.margins(x=0.15)
    ax.grid(alpha=0.3, which='both')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f'wrote {path}')


def main():
    fid_vs_step(str(HERE / 'fid_vs_step.png'))
    compute_quality(str(HERE / 'compute_quality.png'))


if __name__ == '__main__':
    main()
