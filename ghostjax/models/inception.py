"""InceptionV3 as pytorch-fid builds it for FID (the TF "2015-12-05" graph), in Flax.

Loads pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` from a local path (nothing is
downloaded) and reproduces its preprocessing: bilinear resize to 299x299 (half-pixel, no
antialiasing: PyTorch's ``align_corners=False``), inputs in [-1, 1], grayscale repeated to RGB.
Outputs the 2048-d pool3 features and, for the Inception Score, the 1008-way softmax.

Differences from torchvision's Inception3, as in pytorch-fid: average pools in the A, C and
first E blocks exclude padding from the mean, and the last E block max-pools its pool branch.
"""
from __future__ import annotations

import os
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.models.convert import convert_torch_state_dict


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class BasicConv2d(nn.Module):
    """Conv (no bias) + BN (eps 1e-3) + ReLU, named ``conv`` / ``bn`` as in PyTorch."""
    features: int
    kernel: int | Sequence[int] = 1
    strides: int = 1
    padding: int | Sequence[int] = 0

    @nn.compact
    def __call__(self, x):
        ph, pw = _pair(self.padding)
        x = nn.Conv(self.features, _pair(self.kernel), _pair(self.strides),
                    ((ph, ph), (pw, pw)), use_bias=False, name='conv')(x)
        x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name='bn')(x)
        return nn.relu(x)


def avg_pool_exclude_pad(x):
    """3x3 stride-1 average pool with padding 1 that divides by the count of real pixels."""
    pad = ((0, 0), (1, 1), (1, 1), (0, 0))
    total = jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 3, 3, 1), (1, 1, 1, 1), pad)
    count = jax.lax.reduce_window(jnp.ones_like(x[:1, :, :, :1]), 0.0, jax.lax.add,
                                  (1, 3, 3, 1), (1, 1, 1, 1), pad)
    return total / count


def max_pool(x, stride=2, padding=0):
    return nn.max_pool(x, (3, 3), (stride, stride), ((padding, padding), (padding, padding)))


class InceptionA(nn.Module):
    pool_features: int

    @nn.compact
    def __call__(self, x):
        b1 = BasicConv2d(64, name='branch1x1')(x)
        b5 = BasicConv2d(64, 5, padding=2, name='branch5x5_2')(BasicConv2d(48, name='branch5x5_1')(x))
        b3 = BasicConv2d(64, name='branch3x3dbl_1')(x)
        b3 = BasicConv2d(96, 3, padding=1, name='branch3x3dbl_2')(b3)
        b3 = BasicConv2d(96, 3, padding=1, name='branch3x3dbl_3')(b3)
        bp = BasicConv2d(self.pool_features, name='branch_pool')(avg_pool_exclude_pad(x))
        return jnp.concatenate([b1, b5, b3, bp], -1)


class InceptionB(nn.Module):
    @nn.compact
    def __call__(self, x):
        b3 = BasicConv2d(384, 3, 2, name='branch3x3')(x)
        bd = BasicConv2d(64, name='branch3x3dbl_1')(x)
        bd = BasicConv2d(96, 3, padding=1, name='branch3x3dbl_2')(bd)
        bd = BasicConv2d(96, 3, 2, name='branch3x3dbl_3')(bd)
        return jnp.concatenate([b3, bd, max_pool(x)], -1)


class InceptionC(nn.Module):
    channels_7x7: int

    @nn.compact
    def __call__(self, x):
        c = self.channels_7x7
        b1 = BasicConv2d(192, name='branch1x1')(x)
        b7 = BasicConv2d(c, name='branch7x7_1')(x)
        b7 = BasicConv2d(c, (1, 7), padding=(0, 3), name='branch7x7_2')(b7)
        b7 = BasicConv2d(192, (7, 1), padding=(3, 0), name='branch7x7_3')(b7)
        bd = BasicConv2d(c, name='branch7x7dbl_1')(x)
        bd = BasicConv2d(c, (7, 1), padding=(3, 0), name='branch7x7dbl_2')(bd)
        bd = BasicConv2d(c, (1, 7), padding=(0, 3), name='branch7x7dbl_3')(bd)
        bd = BasicConv2d(c, (7, 1), padding=(3, 0), name='branch7x7dbl_4')(bd)
        bd = BasicConv2d(192, (1, 7), padding=(0, 3), name='branch7x7dbl_5')(bd)
        bp = BasicConv2d(192, name='branch_pool')(avg_pool_exclude_pad(x))
        return jnp.concatenate([b1, b7, bd, bp], -1)


class InceptionD(nn.Module):
    @nn.compact
    def __call__(self, x):
        b3 = BasicConv2d(320, 3, 2, name='branch3x3_2')(BasicConv2d(192, name='branch3x3_1')(x))
        b7 = BasicConv2d(192, name='branch7x7x3_1')(x)
        b7 = BasicConv2d(192, (1, 7), padding=(0, 3), name='branch7x7x3_2')(b7)
        b7 = BasicConv2d(192, (7, 1), padding=(3, 0), name='branch7x7x3_3')(b7)
        b7 = BasicConv2d(192, 3, 2, name='branch7x7x3_4')(b7)
        return jnp.concatenate([b3, b7, max_pool(x)], -1)


class InceptionE(nn.Module):
    max_pool_branch: bool = False

    @nn.compact
    def __call__(self, x):
        b1 = BasicConv2d(320, name='branch1x1')(x)
        b3 = BasicConv2d(384, name='branch3x3_1')(x)
        b3 = jnp.concatenate([BasicConv2d(384, (1, 3), padding=(0, 1), name='branch3x3_2a')(b3),
                              BasicConv2d(384, (3, 1), padding=(1, 0), name='branch3x3_2b')(b3)],
                             -1)
        bd = BasicConv2d(448, name='branch3x3dbl_1')(x)
        bd = BasicConv2d(384, 3, padding=1, name='branch3x3dbl_2')(bd)
        bd = jnp.concatenate([BasicConv2d(384, (1, 3), padding=(0, 1), name='branch3x3dbl_3a')(bd),
                              BasicConv2d(384, (3, 1), padding=(1, 0), name='branch3x3dbl_3b')(bd)],
                             -1)
        pooled = max_pool(x, 1, 1) if self.max_pool_branch else avg_pool_exclude_pad(x)
        bp = BasicConv2d(192, name='branch_pool')(pooled)
        return jnp.concatenate([b1, b3, bd, bp], -1)


def resize_bilinear(x: jax.Array, size: int = 299) -> jax.Array:
    """PyTorch ``F.interpolate(mode='bilinear', align_corners=False)``: half-pixel centres,
    no antialiasing."""
    return jax.image.resize(x, (x.shape[0], size, size, x.shape[3]), 'bilinear', antialias=False)


class InceptionV3FID(nn.Module):
    """``images [B, H, W, 1 or 3]`` in [-1, 1] -> ``(pool3 [B, 2048], probs [B, 1008])``."""

    @nn.compact
    def __call__(self, x: jax.Array):
        if x.ndim != 4 or x.shape[-1] not in (1, 3):
            raise ValueError(f'InceptionV3FID expects images [B, H, W, 1 or 3] in [-1, 1], got '
                             f'{tuple(x.shape)}')
        x = x.astype(jnp.float32)
        if x.shape[-1] == 1:
            x = jnp.repeat(x, 3, -1)
        x = resize_bilinear(x)
        x = BasicConv2d(32, 3, 2, name='Conv2d_1a_3x3')(x)
        x = BasicConv2d(32, 3, name='Conv2d_2a_3x3')(x)
        x = BasicConv2d(64, 3, padding=1, name='Conv2d_2b_3x3')(x)
        x = max_pool(x)
        x = BasicConv2d(80, name='Conv2d_3b_1x1')(x)
        x = BasicConv2d(192, 3, name='Conv2d_4a_3x3')(x)
        x = max_pool(x)
        x = InceptionA(32, name='Mixed_5b')(x)
        x = InceptionA(64, name='Mixed_5c')(x)
        x = InceptionA(64, name='Mixed_5d')(x)
        x = InceptionB(name='Mixed_6a')(x)
        for name, c in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160), ('Mixed_6e', 192)):
            x = InceptionC(c, name=name)(x)
        x = InceptionD(name='Mixed_7a')(x)
        x = InceptionE(name='Mixed_7b')(x)
        x = InceptionE(max_pool_branch=True, name='Mixed_7c')(x)
        pool = jnp.mean(x, axis=(1, 2))
        return pool, jax.nn.softmax(nn.Dense(1008, name='fc')(pool))


def load_fid_inception(path: str) -> dict:
    """Flax variables for ``InceptionV3FID`` from pytorch-fid's weights file at ``path``.

    Raises FileNotFoundError with the file's name when it is missing (it is never downloaded),
    and ValueError naming the first missing / unexpected / mis-shaped key when it does not fit.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f'{path} not found: download pytorch-fid\'s '
                                'pt_inception-2015-12-05-6726825d.pth once and pass its path')
    import torch  # optional dependency: only this loader needs it
    state_dict = torch.load(path, map_location='cpu', weights_only=True)
    template = jax.eval_shape(InceptionV3FID().init, jax.random.key(0),
                              jnp.zeros((1, 299, 299, 3)))
    return convert_torch_state_dict(state_dict, template)
