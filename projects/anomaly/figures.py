"""The anomaly study's figure (needs matplotlib: the ``docs`` extra).

  python -m projects.anomaly.figures runs/anomaly/c0_s0

- projects/anomaly/scores.png: a run's izi_f scores (its ``scores.npz``) of the normal and
  anomalous test images, and the worst-scored normal and best-scored anomalous test images.
"""
import pathlib
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ghostjax import data  # noqa: E402
from ghostjax.data.fashion_mnist import CLASS_NAMES  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


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
    if len(argv) != 1:
        sys.exit('usage: python -m projects.anomaly.figures RUN_DIR (e.g. runs/anomaly/c0_s0)')
    anomaly_scores(f'{argv[0]}/scores.npz', str(HERE / 'scores.png'))


if __name__ == '__main__':
    main(sys.argv[1:])
