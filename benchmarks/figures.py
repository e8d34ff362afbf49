"""Draws the Ghost-GAN study's figures from its result files (needs matplotlib: the ``docs``
extra).

  python -m benchmarks.figures

- docs/ghostgan_fid_vs_step.png: FID against training step, every pair of
  results/ghostgan_study/ (mean over seeds, band: min to max).
- docs/ghostgan_compute_quality.png: FID at step 3,000 against generator MACs per image, for
  DCGAN-28 and the Ghost generator at three widths (results/ghostgan_widths/ plus the main
  study's step-3,000 points of the width-32 Ghost G and of DCGAN-28).

  python -m benchmarks.figures scenes runs/scenes_multitask

- docs/scenes_predictions.png: the first test scenes of a ``train.dense_prediction`` run (its
  ``predictions.npz``) with the predicted boxes (score >= 0.45) and the predicted mask.

  python -m benchmarks.figures anomaly runs/anomaly/c0_s0

- docs/anomaly_scores.png: a ``train.anomaly`` run's izi_f scores (its ``scores.npz``) of the
  normal and anomalous test images, and the worst-scored normal and best-scored anomalous
  test images.
"""
import statistics
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.report import (ROOT, STUDY_PAIRS, SWEEP_STEP, scores_at,  # noqa: E402
                               study_runs, sweep_points)
from ghostjax import data  # noqa: E402
from ghostjax.data.fashion_mnist import CLASS_NAMES  # noqa: E402


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


def scenes_predictions(npz: str, path: str, count: int = 4, min_score: float = 0.45) -> None:
    """Top row: scenes with predicted boxes and classes; bottom row: predicted masks (class
    colours, background black), the true boxes dashed."""
    p = np.load(npz)
    count = min(count, len(p['true_image']))
    colours = plt.get_cmap('tab10')
    fig, axes = plt.subplots(2, count, figsize=(2.6 * count, 5.4), dpi=110, squeeze=False)
    for i in range(count):
        top, bottom = axes[0, i], axes[1, i]
        top.imshow(p['true_image'][i, ..., 0], cmap='gray', vmin=0, vmax=255)
        if 'boxes' in p:
            keep = p['valid'][i] & (p['scores'][i] >= min_score)
            for (x0, y0, x1, y1), c, sc in zip(p['boxes'][i][keep], p['classes'][i][keep],
                                               p['scores'][i][keep]):
                top.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=1.5,
                                            ec=colours(int(c))))
                top.text(x0, y0 - 1, f'{CLASS_NAMES[int(c)]} {sc:.2f}', fontsize=6,
                         color='white', bbox={'fc': colours(int(c)), 'pad': 0.5, 'lw': 0})
        if 'mask' in p:
            m = p['mask'][i]
            rgb = np.where(m[..., None] > 0, np.asarray(colours(np.maximum(m - 1, 0)))[..., :3],
                           0.0)
            bottom.imshow(rgb)
        for (x0, y0, x1, y1), v in zip(p['true_boxes'][i], p['true_box_valid'][i]):
            if v:
                bottom.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False,
                                               lw=0.8, ls='--', ec='white'))
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel('predicted boxes')
    axes[1, 0].set_ylabel('predicted mask (true boxes dashed)')
    fig.tight_layout()
    fig.savefig(path)
    print(f'wrote {path}')


def anomaly_scores(npz: str, path: str, scorer: str = 'izi_f', count: int = 6) -> None:
    """Left: histograms of the scores of normal and anomalous test images. Right: the normal
    images scored most anomalous (top row) and the anomalies scored most normal (bottom)."""
    p = np.load(npz)
    scores, anomalous, labels = p[scorer], p['is_anomaly'], p['labels']
    normal_class = int(labels[~anomalous][0])
    test = data.load('fashion_mnist', 'test')
    fig = plt.figure(figsize=(9.6, 3.4), dpi=110)
    ax = fig.add_axes((0.06, 0.16, 0.34, 0.74))
    bins = np.linspace(*np.percentile(scores, (0.5, 99.5)), 60)
    ax.hist(scores[~anomalous], bins, alpha=0.6, density=True,
            label=f'normal ({CLASS_NAMES[normal_class]})')
    ax.hist(scores[anomalous], bins, alpha=0.6, density=True, label='anomalous (other classes)')
    ax.set_xlabel(f'{scorer} anomaly score')
    ax.set_ylabel('density')
    ax.legend(fontsize=8)
    worst_normal = np.flatnonzero(~anomalous)[np.argsort(-scores[~anomalous])[:count]]
    best_anomalous = np.flatnonzero(anomalous)[np.argsort(scores[anomalous])[:count]]
    for row, (indices, title) in enumerate(((worst_normal, 'normal, highest scores'),
                                            (best_anomalous, 'anomalous, lowest scores'))):
        images, _ = test.read(indices)
        for i, (image, index) in enumerate(zip(images, indices)):
            a = fig.add_axes((0.45 + i * 0.09, 0.52 - row * 0.44, 0.085, 0.34))
            a.imshow(image[..., 0], cmap='gray_r')
            a.set_xticks([])
            a.set_yticks([])
            a.set_xlabel(CLASS_NAMES[labels[index]], fontsize=7)
            if i == 0:
                a.set_title(title, fontsize=8, loc='left')
    fig.savefig(path)
    print(f'wrote {path}')


def main(argv: list[str]):
    if argv[:1] == ['anomaly']:
        if len(argv) != 2:
            sys.exit('usage: python -m benchmarks.figures anomaly RUN_DIR (e.g. runs/anomaly/c0_s0)')
        anomaly_scores(f'{argv[1]}/scores.npz', str(ROOT / 'docs' / 'anomaly_scores.png'))
        return
    if argv[:1] == ['scenes']:
        if len(argv) != 2:
            sys.exit('usage: python -m benchmarks.figures scenes RUN_WORKDIR')
        scenes_predictions(f'{argv[1]}/predictions.npz', str(ROOT / 'docs' / 'scenes_predictions.png'))
        return
    fid_vs_step(str(ROOT / 'docs' / 'ghostgan_fid_vs_step.png'))
    compute_quality(str(ROOT / 'docs' / 'ghostgan_compute_quality.png'))


if __name__ == '__main__':
    main(sys.argv[1:])
