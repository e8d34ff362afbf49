"""Draws the Ghost-GAN study's figures from its result files (needs matplotlib: the ``docs``
extra).

  python -m benchmarks.figures

- docs/ghostgan_fid_vs_step.png: FID against training step, every pair of
  results/ghostgan_study/ (mean over seeds, band: min to max).
- docs/ghostgan_compute_quality.png: FID at step 3,000 against generator MACs per image, for
  DCGAN-28 and the Ghost generator at three widths (results/ghostgan_widths/ plus the main
  study's step-3,000 points of the width-32 Ghost G and of DCGAN-28).
"""
import statistics

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks.report import ROOT, STUDY_PAIRS, study_runs  # noqa: E402

SWEEP_STEP = 3000


def _fid_at(result: dict, step: int) -> float | None:
    return next((p['fid'] for p in result['history'] if p['step'] == step), None)


def fid_vs_step(path: str) -> None:
    runs = study_runs()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for pair, label in STUDY_PAIRS.items():
        if pair not in runs:
            continue
        histories = [r['result']['history'] for r in runs[pair]]
        steps = sorted(set.intersection(*(set(p['step'] for p in h) for h in histories)))
        fids = [[_fid_at({'history': h}, s) for h in histories] for s in steps]
        ax.plot(steps, [statistics.mean(f) for f in fids], marker='o', ms=3,
                label=f'{label} ({len(histories)} seed{"s" * (len(histories) > 1)})')
        if len(histories) > 1:
            ax.fill_between(steps, [min(f) for f in fids], [max(f) for f in fids], alpha=0.2)
    ax.set(xlabel='training step (batch 64)', ylabel='FID (GhostNet-FMNIST features)',
           yscale='log', title='Fashion-MNIST: FID against step')
    ax.grid(alpha=0.3, which='both')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f'wrote {path}')


def compute_quality(path: str) -> None:
    main, sweep = study_runs(), study_runs('ghostgan_widths')
    points = []  # (label, G MACs, FID at SWEEP_STEP)
    for pair, label in (('dcgan28', 'DCGAN-28 G'), ('ghost_g', 'Ghost G, width 32')):
        for record in main.get(pair, [])[:1]:
            fid = _fid_at(record['result'], SWEEP_STEP)
            if fid is not None:
                points.append((label, record['result']['g_macs'], fid))
    for pair, records in sweep.items():
        r = records[0]['result']
        points.append((f'Ghost G, width {r["generator"]["kwargs"]["base_features"]}',
                       r['g_macs'], _fid_at(r, SWEEP_STEP)))
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    ghost = sorted((m, f) for label, m, f in points if label.startswith('Ghost'))
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
    ax.grid(alpha=0.3, which='both')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f'wrote {path}')


def main():
    fid_vs_step(str(ROOT / 'docs' / 'ghostgan_fid_vs_step.png'))
    compute_quality(str(ROOT / 'docs' / 'ghostgan_compute_quality.png'))


if __name__ == '__main__':
    main()
