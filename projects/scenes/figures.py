"""The scenes study's figure (needs matplotlib: the ``docs`` extra).

  python -m projects.scenes.figures runs/scenes_multitask

- projects/scenes/predictions.png: the first test scenes of a ``train.dense_prediction`` run
  (its ``predictions.npz``) with the predicted boxes (score >= 0.45) and the predicted mask.
"""
import pathlib
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ghostjax.data.fashion_mnist import CLASS_NAMES  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


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


def main(argv: list[str]):
    if len(argv) != 1:
        sys.exit('usage: python -m projects.scenes.figures RUN_WORKDIR (e.g. runs/scenes_multitask)')
    scenes_predictions(f'{argv[0]}/predictions.npz', str(HERE / 'predictions.png'))


if __name__ == '__main__':
    main(sys.argv[1:])
