"""Convolution building blocks shared by every model in ghostjax.

Depthwise convolutions have two implementations that compute the same function:

* ``'grouped'``: one ``lax.conv_general_dilated`` with ``feature_group_count=C``. Fast on
  GPU/TPU (cuDNN and the TPU compiler have dedicated depthwise kernels).
* ``'shifted'``: ``k*k`` strided slices of the padded input, each multiplied by one kernel tap
  and summed. XLA's CPU backend lowers grouped convolutions to a slow generic loop, and this
  form fuses into a single elementwise loop instead (measured ~30x faster forward on CPU).

``'auto'`` picks ``'shifted'`` on CPU and ``'grouped'`` elsewhere. Both read the same
``kernel`` parameter of shape ``[kh, kw, 1, C]``, so checkpoints do not depend on the choice.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

DEPTHWISE_IMPLS = ('auto', 'grouped', 'shifted')
Dtype = Any


def resolve_depthwise_impl(impl: str) -> str:
    """Maps ``'auto'`` to the faster implementation for the default JAX backend."""
    if impl not in DEPTHWISE_IMPLS:
        raise ValueError(f'depthwise_impl must be one of {DEPTHWISE_IMPLS}, got {impl!r}')
    if impl == 'auto':
        return 'shifted' if jax.default_backend() == 'cpu' else 'grouped'
    return impl


def _pair(v: int | Sequence[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


@functools.partial(jax.jit, static_argnames=('strides', 'padding'))
def depthwise_conv_shifted(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                           padding: tuple[tuple[int, int], tuple[int, int]]) -> jax.Array:
    """Depthwise conv as a sum of shifted, strided slices. x: [B, H, W, C]; kernel: [kh, kw, 1, C].

    Kept as a named ``jit`` so that ``ghostjax.count_macs`` can recognise and count it.
    """
    kh, kw = kernel.shape[:2]
    sh, sw = strides
    x = jnp.pad(x, ((0, 0), padding[0], padding[1], (0, 0)))
    b, h, w, c = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = None
    for i in range(kh):
        for j in range(kw):
            tap = lax.slice(x, (0, i, j, 0), (b, i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1, c),
                            (1, sh, sw, 1)) * kernel[i, j, 0]
            out = tap if out is None else out + tap
    return out


def depthwise_conv_grouped(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                           padding: tuple[tuple[int, int], tuple[int, int]]) -> jax.Array:
    """Depthwise conv as one grouped convolution. x: [B, H, W, C]; kernel: [kh, kw, 1, C]."""
    return lax.conv_general_dilated(x, kernel, strides, padding,
                                    dimension_numbers=('NHWC', 'HWIO', 'NHWC'),
                                    feature_group_count=x.shape[-1])


class DepthwiseConv(nn.Module):
    """Depthwise convolution with PyTorch-style symmetric padding ``k // 2``, no bias.

    Attributes:
      kernel_size: int or (kh, kw).
      strides: int or (sh, sw).
      impl: 'auto' | 'grouped' | 'shifted' (see module docstring).
    """
    kernel_size: int | Sequence[int] = 3
    strides: int | Sequence[int] = 1
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32
    kernel_init: Any = nn.initializers.lecun_normal()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kh, kw = _pair(self.kernel_size)
        strides = _pair(self.strides)
        padding = ((kh // 2, kh // 2), (kw // 2, kw // 2))
        kernel = self.param('kernel', self.kernel_init, (kh, kw, 1, x.shape[-1]), self.param_dtype)
        x, kernel = x.astype(self.dtype), kernel.astype(self.dtype)
        if resolve_depthwise_impl(self.impl) == 'shifted':
            return depthwise_conv_shifted(x, kernel, strides, padding)
        return depthwise_conv_grouped(x, kernel, strides, padding)


def conv(features: int, kernel_size: int = 1, strides: int = 1, *, use_bias: bool = False,
         dtype: Dtype = jnp.float32, name: str | None = None) -> nn.Conv:
    """A dense (ungrouped) conv with PyTorch's symmetric ``k // 2`` padding."""
    p = kernel_size // 2
    return nn.Conv(features, (kernel_size, kernel_size), (strides, strides), ((p, p), (p, p)),
                   use_bias=use_bias, dtype=dtype, name=name)


def batch_norm(train: bool, dtype: Dtype = jnp.float32, name: str | None = None) -> nn.BatchNorm:
    """BatchNorm with PyTorch's defaults (momentum 0.1 there is 0.9 here; eps 1e-5)."""
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, dtype=dtype,
                        name=name)
