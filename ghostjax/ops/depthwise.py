"""Depthwise convolution ``x [B, H, W, C]`` * ``kernel [kh, kw, 1, C]``, in two forms.

* reference: one ``lax.conv_general_dilated`` with ``feature_group_count=C``. Right for GPU/TPU
  (cuDNN and the TPU compiler have dedicated depthwise kernels).
* fast (``'auto'`` on CPU): ``k*k`` strided slices of the padded input, each multiplied by one
  kernel tap and summed. XLA's CPU backend lowers grouped convolutions to a slow generic loop;
  this form fuses into one elementwise loop instead. Its hand-written VJP avoids the full-size
  padded tensor per tap that autodiff of the slices materialises.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax

from ghostjax.ops import counting, policy

Padding = tuple[tuple[int, int], tuple[int, int]]


def out_size(size: int, k: int, s: int, pad: tuple[int, int]) -> int:
    """Output length of a stride-``s``, ``k``-tap window over ``size`` padded by ``pad``."""
    return (size + pad[0] + pad[1] - k) // s + 1


def tap(x: jax.Array, i: int, j: int, strides: tuple[int, int],
        out_hw: tuple[int, int]) -> jax.Array:
    """``x[:, i + s*h, j + s*w, :]`` for the output grid ``out_hw``: the input seen by kernel
    tap ``(i, j)`` of a stride-``s`` window over the (padded) ``[B, H, W, C]`` input."""
    (sh, sw), (ho, wo) = strides, out_hw
    return lax.slice(x, (0, i, j, 0), (x.shape[0], i + sh * (ho - 1) + 1,
                                       j + sw * (wo - 1) + 1, x.shape[3]), (1, sh, sw, 1))


def _shifted_sum(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                 out_hw: tuple[int, int], offset: tuple[int, int] = (0, 0)) -> jax.Array:
    """``sum_ij x[:, oh + i + s*h, ow + j + s*w] * kernel[i, j, 0]`` over the kernel taps."""
    kh, kw = kernel.shape[:2]
    oh, ow = offset
    out = None
    for i in range(kh):
        for j in range(kw):
            t = tap(x, oh + i, ow + j, strides, out_hw) * kernel[i, j, 0]
            out = t if out is None else out + t
    return out


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _depthwise_shifted(x, kernel, strides, padding):
    kh, kw = kernel.shape[:2]
    out_hw = (out_size(x.shape[1], kh, strides[0], padding[0]),
              out_size(x.shape[2], kw, strides[1], padding[1]))
    return _shifted_sum(jnp.pad(x, ((0, 0), padding[0], padding[1], (0, 0))), kernel, strides,
                        out_hw)


def _depthwise_shifted_fwd(x, kernel, strides, padding):
    return _depthwise_shifted(x, kernel, strides, padding), (x, kernel)


def batch_chunk(batch: int, elements_per_example: int, target: int = 1 << 20) -> int:
    """Largest divisor of ``batch`` whose chunk holds at most ~``target`` elements."""
    best = 1
    for n in range(1, batch + 1):
        if batch % n == 0 and n * elements_per_example <= target:
            best = n
    return best


def sum_taps(x_pad: jax.Array, g: jax.Array, kernel_hw: tuple[int, int],
             strides: tuple[int, int]) -> jax.Array:
    """``[kh * kw, C]``: per tap, sum over batch and space of (tap of x_pad) * g, as one
    variadic reduction, so XLA reads each input once for all taps (with k*k separate sums, XLA
    CPU copied out every strided tap slice and reduced it apart)."""
    kh, kw = kernel_hw
    ho, wo = g.shape[1:3]
    g = g.astype(jnp.float32)
    products = [tap(x_pad, i, j, strides, (ho, wo)).astype(jnp.float32) * g
                for i in range(kh) for j in range(kw)]
    zeros = [jnp.zeros((), jnp.float32)] * len(products)
    sums = lax.reduce(products, zeros, lambda a, b: tuple(u + v for u, v in zip(a, b)),
                      (0, 1, 2))
    return jnp.stack(sums)


def kernel_grad(x_pad: jax.Array, g: jax.Array, kernel_hw: tuple[int, int],
                strides: tuple[int, int]) -> jax.Array:
    """``[kh * kw, C]``: ``sum_taps`` accumulated over cache-sized batch chunks, so the k*k
    shifted reads of one chunk hit cache (``python -m benchmarks.depthwise --only
    kernel_grad`` compares it with one reduction over the whole batch)."""
    b, hp, wp, c = x_pad.shape
    ho, wo = g.shape[1:3]
    n = batch_chunk(b, (hp * wp + ho * wo) * c)

    def body(acc, chunk):
        return acc + sum_taps(*chunk, kernel_hw, strides), None

    chunks = (x_pad.reshape(b // n, n, hp, wp, c), g.reshape(b // n, n, ho, wo, c))
    return lax.scan(body, jnp.zeros((kernel_hw[0] * kernel_hw[1], c), jnp.float32), chunks)[0]


def _depthwise_shifted_bwd(strides, padding, residuals, g):
    # dx = g dilated by the stride, correlated with the flipped kernel (one pad, k*k taps);
    # dw[i, j] = sum over batch and space of (tap (i, j) of the padded x) * g.
    x, kernel = residuals
    kh, kw = kernel.shape[:2]
    (sh, sw), (ph, pw) = strides, padding
    h, w = x.shape[1:3]
    ho, wo = g.shape[1:3]
    hp, wp = h + ph[0] + ph[1], w + pw[0] + pw[1]
    g_full = lax.pad(g, jnp.zeros((), g.dtype),
                     ((0, 0, 0), (kh - 1, hp - (ho - 1) * sh - 1, sh - 1),
                      (kw - 1, wp - (wo - 1) * sw - 1, sw - 1), (0, 0, 0)))
    dx = _shifted_sum(g_full, kernel[::-1, ::-1], (1, 1), (h, w), (ph[0], pw[0]))
    dkernel = kernel_grad(jnp.pad(x, ((0, 0), ph, pw, (0, 0))), g, (kh, kw), strides)
    dkernel = dkernel.reshape(kh, kw, 1, x.shape[3]).astype(kernel.dtype)
    return dx.astype(x.dtype), dkernel


_depthwise_shifted.defvjp(_depthwise_shifted_fwd, _depthwise_shifted_bwd)


@functools.partial(jax.jit, static_argnames=('strides', 'padding'))
def depthwise_conv_shifted(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                           padding: Padding) -> jax.Array:
    """The fast form: a sum of shifted, strided slices, with a hand-written VJP that stays
    reverse-differentiable twice (R1 / gradient penalties)."""
    return _depthwise_shifted(x, kernel, strides, padding)


counting.register_macs(
    'depthwise_conv_shifted',
    lambda eqn: math.prod(eqn.outvars[0].aval.shape) * math.prod(eqn.invars[1].aval.shape[:2]))


def depthwise_conv_grouped(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                           padding: Padding) -> jax.Array:
    """The reference form: one grouped convolution."""
    return lax.conv_general_dilated(x, kernel, strides, padding,
                                    dimension_numbers=('NHWC', 'HWIO', 'NHWC'),
                                    feature_group_count=x.shape[-1])


def filter_operator_norm(kernel: jax.Array, grid: int = 64) -> jax.Array:
    """``[C]``: the operator (spectral) norm of each channel's convolution by ``kernel [kh, kw,
    1, C]``, i.e. the largest magnitude of its 2-D frequency response, sampled on a
    ``grid x grid`` set of frequencies (for a 3x3 kernel within about 0.1% of the supremum,
    which bounds the norm of the zero-padded, strided conv on any input size). Differentiable."""
    kh, kw = kernel.shape[:2]
    if kh > grid or kw > grid:
        raise ValueError(f'grid must be at least the kernel size {kh}x{kw}, got {grid}')
    k = jnp.pad(kernel[:, :, 0, :].astype(jnp.float32), ((0, grid - kh), (0, grid - kw), (0, 0)))
    return jnp.max(jnp.abs(jnp.fft.rfft2(k, axes=(0, 1))), axis=(0, 1))


def depthwise_conv(x: jax.Array, kernel: jax.Array, strides: tuple[int, int], padding: Padding,
                   impl: str = 'auto') -> jax.Array:
    """Depthwise conv ``[B, H, W, C]`` -> ``[B, H', W', C]``; ``'auto'``: fast on CPU."""
    if policy.use_fast(impl, jax.default_backend() == 'cpu', 'depthwise'):
        return depthwise_conv_shifted(x, kernel, tuple(strides), tuple(map(tuple, padding)))
    return depthwise_conv_grouped(x, kernel, strides, padding)

