"""DiffAugment (Zhao et al., NeurIPS 2020): differentiable augmentations of D's inputs.

The same policy is applied to real and fake images before every discriminator call (the D
update and the G update alike), so D never sees un-augmented images and G's gradient flows
through the augmentation. Operations, as in the authors' reference implementation, on images
``[B, H, W, C]`` in [-1, 1]:

* ``color``: brightness + U(-0.5, 0.5); saturation x U(0, 2) around the pixel's channel mean;
  contrast x U(0.5, 1.5) around the image mean.
* ``translation``: a shift by up to 1/8 of the size in each direction, zero-filled.
* ``cutout``: a zeroed square of half the size at a random centre (clipped at the border).
  Square images are assumed (as in every GAN here).

Parameters are drawn per image by ``sample`` and applied by ``apply``; a step draws them for
the global batch and slices its devices' rows, so a run does not depend on the device count.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

POLICIES = ('color', 'translation', 'cutout')


def parse_policy(policy: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """``'translation,cutout'`` -> ``('translation', 'cutout')``; ``''`` / None -> ``()``."""
    names = tuple(p.strip() for p in policy.split(',') if p.strip()) if isinstance(
        policy, str) else tuple(policy or ())
    for name in names:
        if name not in POLICIES:
            raise ValueError(f'unknown DiffAugment operation {name!r}; expected a comma-separated '
                             f'subset of {POLICIES}')
    return names


def sample(rng: jax.Array, n: int, size: int, policy: tuple[str, ...]) -> dict[str, jax.Array]:
    """Per-image parameters ``{name: [n, ...]}`` of ``policy`` for ``size`` x ``size`` images."""
    r_color, r_shift, r_cut = jax.random.split(rng, 3)
    params = {}
    if 'color' in policy:
        params['color'] = jax.random.uniform(r_color, (n, 3))
    if 'translation' in policy:
        shift = int(size * 0.125 + 0.5)
        params['translation'] = jax.random.randint(r_shift, (n, 2), -shift, shift + 1)
    if 'cutout' in policy:
        side = int(size * 0.5 + 0.5)
        params['cutout'] = jax.random.randint(r_cut, (n, 2), 0, size + (1 - side % 2))
    return params


def apply(x: jax.Array, params: dict[str, jax.Array]) -> jax.Array:
    """``x`` ``[B, H, W, C]`` with the operations of ``params`` (from ``sample``) applied."""
    if 'color' in params:
        u = params['color'].astype(x.dtype)[:, None, None, :]
        x = x + (u[..., 0:1] - 0.5)
        mean = jnp.mean(x, axis=3, keepdims=True)
        x = (x - mean) * (u[..., 1:2] * 2) + mean
        mean = jnp.mean(x, axis=(1, 2, 3), keepdims=True)
        x = (x - mean) * (u[..., 2:3] + 0.5) + mean
    if 'translation' in params:
        x = jax.vmap(_shift)(x, params['translation'])
    if 'cutout' in params:
        h, w = x.shape[1:3]
        side = int(h * 0.5 + 0.5)
        top = params['cutout'][:, 0:1] - side // 2  # [B, 1]: the square's first row / column
        left = params['cutout'][:, 1:2] - side // 2
        rows = (jnp.arange(h) >= top) & (jnp.arange(h) < top + side)
        cols = (jnp.arange(w) >= left) & (jnp.arange(w) < left + side)
        inside = rows[:, :, None] & cols[:, None, :]
        x = x * (~inside)[..., None].astype(x.dtype)
    return x


def _shift(image: jax.Array, offset: jax.Array) -> jax.Array:
    """``image`` ``[H, W, C]`` moved by ``offset`` (dy, dx) pixels, zero-filled."""
    h, w, _ = image.shape
    pad_h, pad_w = h // 2, w // 2
    padded = jnp.pad(image, ((pad_h, pad_h), (pad_w, pad_w), (0, 0)))
    return jax.lax.dynamic_slice(padded, (pad_h - offset[0], pad_w - offset[1], 0),
                                 image.shape)
