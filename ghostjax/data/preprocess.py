"""Batch preprocessing of uint8 images to float32: scaling, resizing, random crops and flips."""
from __future__ import annotations

import dataclasses
from typing import Sequence

import jax
import numpy as np

# Channel mean / std of [0, 1] pixels, per dataset (classifier normalisation).
MEAN_STD = {
    'mnist': ((0.1307,), (0.3081,)),
    'fashion_mnist': ((0.2860,), (0.3530,)),
    'cifar10': ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    'imagenet2012': ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


@dataclasses.dataclass(frozen=True)
class Preprocess:
    """Batch preprocessing of uint8 ``[B, H, W, C]`` images to float32.

    Attributes:
      scale: 'gan' maps pixels to [-1, 1]; 'standardize' to ``(x / 255 - mean) / std``.
      mean, std: per-channel statistics for 'standardize'.
      image_size: output spatial size; None keeps the input's.
      resize: 'pad' (zero-pad centred, e.g. 28 -> 32) or 'bilinear'.
      channels: output channels; 1 -> 3 repeats grayscale as RGB.
      crop_padding: random crop with this padding (training only; 0 disables).
      flip: random horizontal flip (training only).
    """
    scale: str = 'standardize'
    mean: Sequence[float] = (0.5,)
    std: Sequence[float] = (0.5,)
    image_size: int | None = None
    resize: str = 'pad'
    channels: int | None = None
    crop_padding: int = 0
    flip: bool = False

    def __post_init__(self):
        if self.scale not in ('gan', 'standardize'):
            raise ValueError(f"scale must be 'gan' or 'standardize', got {self.scale!r}")
        if self.resize not in ('pad', 'bilinear'):
            raise ValueError(f"resize must be 'pad' or 'bilinear', got {self.resize!r}")

    def apply(self, batch: dict[str, np.ndarray], rng: np.random.Generator | None = None,
              train: bool = False, rows: slice | None = None,
              global_batch: int | None = None) -> dict[str, np.ndarray]:
        """A raw batch preprocessed: its ``image`` by ``__call__``, other entries as they are."""
        return {**batch, 'image': self(batch['image'], rng, train, rows, global_batch)}

    @classmethod
    def for_classifier(cls, dataset: str, train: bool = True, **kwargs) -> 'Preprocess':
        mean, std = MEAN_STD.get(dataset, ((0.5,), (0.5,)))
        aug = dict(crop_padding=2 if dataset in ('mnist', 'fashion_mnist') else 4,
                   flip=dataset != 'mnist') if train else {}
        return cls('standardize', mean, std, **{**aug, **kwargs})

    @classmethod
    def for_gan(cls, **kwargs) -> 'Preprocess':
        return cls('gan', **kwargs)

    def __call__(self, images: np.ndarray, rng: np.random.Generator | None = None,
                 train: bool = False, rows: slice | None = None,
                 global_batch: int | None = None) -> np.ndarray:
        """``images``: uint8 ``[B, H, W, C]``. For training augmentation, ``images`` may be the
        ``rows`` of a global batch of ``global_batch``: the random draws are made for the whole
        global batch and sliced, so they do not depend on how it is split over processes."""
        if images.ndim != 4:
            raise ValueError(f'expected uint8 images [B, H, W, C], got shape {images.shape}')
        x = images
        rows = slice(0, len(x)) if rows is None else rows
        n = len(x) if global_batch is None else global_batch
        if self.image_size is not None and x.shape[1:3] != (self.image_size,) * 2:
            x = self._resize(x)
        if train and self.crop_padding > 0:
            x = _random_crop(x, self.crop_padding, rng.integers(0, 2 * self.crop_padding + 1,
                                                                (2, n))[:, rows])
        if train and self.flip:
            flip = rng.random(n)[rows] < 0.5
            x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
        x = x.astype(np.float32)
        if self.scale == 'gan':
            x = x * (2.0 / 255.0) - 1.0
        else:
            mean = np.asarray(self.mean, np.float32)
            std = np.asarray(self.std, np.float32)
            x = (x * (1.0 / 255.0) - mean) / std
        if self.channels is not None and x.shape[-1] != self.channels:
            if x.shape[-1] != 1:
                raise ValueError(f'cannot convert {x.shape[-1]} channels to {self.channels}')
            x = np.repeat(x, self.channels, axis=-1)
        return x

    def _resize(self, x: np.ndarray) -> np.ndarray:
        s, (h, w) = self.image_size, x.shape[1:3]
        if self.resize == 'pad':
            if h > s or w > s:
                raise ValueError(f"resize='pad' cannot shrink {h}x{w} images to {s}x{s}")
            top, left = (s - h) // 2, (s - w) // 2
            return np.pad(x, ((0, 0), (top, s - h - top), (left, s - w - left), (0, 0)))
        return np.asarray(_bilinear(x, s)).round().clip(0, 255).astype(np.uint8)


@jax.jit(static_argnames='size')
def _bilinear(x, size):
    return jax.image.resize(x.astype(np.float32), (x.shape[0], size, size, x.shape[3]), 'bilinear')


def _random_crop(x: np.ndarray, pad: int, offsets: np.ndarray) -> np.ndarray:
    """Crops of the ``pad``-padded images at ``offsets`` ``[2, B]`` (dy, dx)."""
    b, h, w, _ = x.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dy, dx = offsets
    rows = (dy[:, None] + np.arange(h))[:, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, :]
    return xp[np.arange(b)[:, None, None], rows, cols]
