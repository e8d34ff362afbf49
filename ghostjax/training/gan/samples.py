"""Sample grids and a mode-collapse scalar for generated images ``[N, H, W, C]`` in [-1, 1]."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from ghostjax.training.state import TrainState


def image_grid(images: np.ndarray, cols: int | None = None) -> np.ndarray:
    """``[N, H, W, C]`` in [-1, 1] -> one uint8 ``[rows*H, cols*W, C]`` grid (1px gaps)."""
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, np.uint8)
    pixels = np.clip((np.asarray(images, np.float32) + 1) * 127.5, 0, 255).round().astype(np.uint8)
    for i, im in enumerate(pixels):
        r, k = divmod(i, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + k * (w + 1):1 + k * (w + 1) + w] = im
    return grid


def save_png(path: str, grid: np.ndarray) -> None:
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)


def diversity(images: jax.Array) -> jax.Array:
    """Mean pairwise L2 distance between samples ``[N, H, W, C]``: drops under mode collapse."""
    x = images.reshape(images.shape[0], -1)
    sq = jnp.sum(x ** 2, -1)
    d2 = jnp.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    n = x.shape[0]
    return jnp.sum(jnp.sqrt(d2 + 1e-12) * (1 - jnp.eye(n))) / (n * (n - 1))


def sample(g_model, g_state: TrainState, params, z, labels=None) -> jax.Array:
    """Eval-mode samples of the generator with ``params`` (e.g. the EMA params)."""
    return g_model.apply({'params': params, 'batch_stats': g_state.batch_stats}, z, labels,
                         train=False)


