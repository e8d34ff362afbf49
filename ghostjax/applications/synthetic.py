"""Labelled images drawn from a trained class-conditional generator, on device: the synthetic
half of GAN data augmentation and the training set of the Classification Accuracy Score.

A draw is a pure function of (key, n), so ``batch(step, n)`` is the same for a given
(seed, step) on any machine and any device count, and ``draw`` runs inside a jitted step.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ghostjax.data.sources import Split, from_arrays
from ghostjax.training.parallel import global_draw


def latents(key: jax.Array, n: int, z_dim: int, truncation: float | None = None) -> jax.Array:
    """``[n, z_dim]`` standard normal latents; with ``truncation``, each coordinate is
    resampled into ``[-truncation, truncation]`` (BigGAN's truncation trick)."""
    if truncation is None:
        return jax.random.normal(key, (n, z_dim))
    return jax.random.truncated_normal(key, -truncation, truncation, (n, z_dim))


@dataclasses.dataclass(frozen=True, eq=False)
class SyntheticSource:
    """A conditional generator as a labelled-data source.

    Attributes:
      generate: ``generate(variables, z [B, Z], labels [B]) -> images [B, H, W, C]`` in
        [-1, 1], eval mode (e.g. ``g_model.apply(..., train=False)``).
      variables: the generator's variables (EMA params for a run that keeps an EMA).
      z_dim, num_classes, image_shape: the generator's latent size, classes and output shape.
      truncation: None, or the bound of truncated-normal latents (> 0).
      seed: the draws' seed; ``batch(step, n)`` depends only on (seed, step, n).
      mean, std: per-channel statistics the images are standardised with, as the classifier's
        ``Preprocess(scale='standardize')`` does to real images; None keeps [-1, 1].
    """
    generate: Callable[..., jax.Array]
    variables: Any
    z_dim: int
    num_classes: int
    image_shape: tuple[int, int, int]
    truncation: float | None = None
    seed: int = 0
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self):
        if self.truncation is not None and not self.truncation > 0:
            raise ValueError(f'truncation must be None or > 0, got {self.truncation}')
        if (self.mean is None) != (self.std is None):
            raise ValueError('give both mean and std, or neither')

    def check(self, image_shape: tuple[int, ...], num_classes: int) -> None:
        """ValueError unless this generator's images and classes match a dataset's."""
        if tuple(image_shape) != tuple(self.image_shape):
            raise ValueError(f'the generator makes {tuple(self.image_shape)} images, the data '
                             f'has {tuple(image_shape)}')
        if num_classes != self.num_classes:
            raise ValueError(f'the generator has {self.num_classes} classes, the data has '
                             f'{num_classes}')

    def inputs(self, key: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
        """(latents ``[n, z_dim]``, labels uniform over the classes ``[n]``) of a draw."""
        k_label, k_z = jax.random.split(key)
        return (latents(k_z, n, self.z_dim, self.truncation),
                jax.random.randint(k_label, (n,), 0, self.num_classes))

    def render(self, variables: Any, z: jax.Array, labels: jax.Array) -> dict[str, jax.Array]:
        """``{'image': float32 [n, H, W, C], 'label': int32 [n]}`` of given inputs."""
        images = self.generate(variables, z, labels).astype(jnp.float32)
        if self.mean is not None:
            images = ((images + 1) / 2 - jnp.asarray(self.mean)) / jnp.asarray(self.std)
        return {'image': images, 'label': labels.astype(jnp.int32)}

    def draw(self, key: jax.Array, n: int, labels: jax.Array | None = None,
             variables: Any = None, axis_name: str | None = None) -> dict[str, jax.Array]:
        """``n`` labelled images (labels uniform unless given). Traceable: call it inside a
        jitted step, passing ``variables`` there so the weights stay arguments rather than
        compiled-in constants. Inside a step wrapped over ``axis_name``, ``n`` is this
        device's share: the inputs are drawn for the global batch and sliced (``global_draw``),
        so the images do not depend on the device count, and each device renders only its
        own."""
        variables = self.variables if variables is None else variables
        z, drawn = global_draw(self.inputs, key, n, axis_name)
        return self.render(variables, z, drawn if labels is None else labels)

    @functools.cached_property
    def _jitted(self):
        return jax.jit(lambda v, key, labels, n: self.draw(key, n, labels, v),
                       static_argnums=3)

    def batch(self, step: int, n: int) -> dict[str, jax.Array]:
        """The draw of ``step``: the same for the same (seed, step, n)."""
        key = jax.random.fold_in(jax.random.key(self.seed), step)
        return self._jitted(self.variables, key, None, n)

    def to_split(self, num_examples: int, batch_size: int = 1000, name: str = 'synthetic'
                 ) -> Split:
        """``num_examples`` class-balanced samples (labels ``i % num_classes``) as an in-memory
        uint8 split, drawn on device in batches, e.g. the training set of the Classification
        Accuracy Score. Needs ``mean``/``std`` unset (images in [-1, 1])."""
        if self.mean is not None:
            raise ValueError('to_split stores uint8 pixels: build the source without mean/std')
        key = jax.random.key(self.seed)
        images, labels = [], []
        for start in range(0, num_examples, batch_size):
            n = min(batch_size, num_examples - start)
            lab = jnp.arange(start, start + n) % self.num_classes
            out = self._jitted(self.variables, jax.random.fold_in(key, start), lab, n)
            pixels = jnp.round((jnp.clip(out['image'], -1, 1) + 1) * 127.5).astype(jnp.uint8)
            images.append(np.asarray(pixels))
            labels.append(np.asarray(out['label']))
        return from_arrays(np.concatenate(images), np.concatenate(labels), self.num_classes,
                           name, f'{num_examples} samples')
