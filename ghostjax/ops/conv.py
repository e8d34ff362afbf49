"""Dense convolutions in a reference and a fast form each: 1x1 convs, small-input k x k convs
(a network's stem), and transposed convs. Layouts: ``x [B, H, W, I]``, ``kernel [kh, kw, I, O]``
(HWIO, as ``flax.linen.Conv``); padding is PyTorch's symmetric ``k // 2`` unless given.
"""
from __future__ import annotations

import functools
import math
from typing import Sequence

import jax
import jax.numpy as jnp
from jax import lax

from ghostjax.ops import policy
from ghostjax.ops.depthwise import out_size, tap

DIMENSION_NUMBERS = ('NHWC', 'HWIO', 'NHWC')
PATCHES_MAX_IN_FEATURES = 4


def matmul_kernel(x: jax.Array, kernel: jax.Array, n_contract: int) -> jax.Array:
    """``x [..., K]`` (the last ``n_contract`` dims of ``x``) times ``kernel [..., O]`` (its
    leading dims flattened to K), as one 2-D ``[N, K] @ [K, O]`` matmul: ``[..., O]``.

    XLA's CPU backend transposes one operand of a kernel-gradient matmul; with 2-D operands it
    transposes the saved input, while with a 4-D ``[B, H, W, C] x [1, 1, I, O]`` contraction
    it transposed the incoming gradient with the BatchNorm backward fused in, in cache-hostile
    order (``python -m benchmarks.matmul_grads``).
    """
    lead = x.shape[:x.ndim - n_contract]
    k = math.prod(x.shape[len(lead):])
    return (x.reshape(-1, k) @ kernel.reshape(k, kernel.shape[-1])).reshape(*lead, -1)


def pointwise_conv(x: jax.Array, kernel: jax.Array, impl: str = 'auto') -> jax.Array:
    """1x1 stride-1 conv. Fast (``'auto'`` everywhere): one 2-D matmul; reference: XLA conv."""
    if policy.use_fast(impl, True, 'pointwise'):
        return matmul_kernel(x, kernel, 1)
    return lax.conv_general_dilated(x, kernel, (1, 1), 'VALID', dimension_numbers=DIMENSION_NUMBERS)


def conv2d(x: jax.Array, kernel: jax.Array, strides: int, impl: str = 'auto') -> jax.Array:
    """k x k conv with padding ``k // 2``. Fast (``'auto'`` on CPU when ``I <= 4``, i.e. a
    stem on 1-3 channel images): image patches ``[B, H', W', k, k, I]`` times the kernel as one
    matmul; XLA's CPU backend computes a convolution's kernel gradient for such inputs far
    slower. Reference: ``lax.conv_general_dilated``."""
    k, c = kernel.shape[0], x.shape[-1]
    pad = ((k // 2, k // 2), (k // 2, k // 2))
    if not policy.use_fast(impl, jax.default_backend() == 'cpu'
                           and c <= PATCHES_MAX_IN_FEATURES, 'conv'):
        return lax.conv_general_dilated(x, kernel, (strides, strides), pad,
                                        dimension_numbers=DIMENSION_NUMBERS)
    xp = jnp.pad(x, ((0, 0), pad[0], pad[1], (0, 0)))
    ho, wo = (out_size(n, k, strides, p) for n, p in zip(x.shape[1:3], pad))
    patches = jnp.stack([tap(xp, i, j, (strides, strides), (ho, wo)) for i in range(k)
                         for j in range(k)], axis=3).reshape(x.shape[0], ho, wo, k, k, c)
    return matmul_kernel(patches, kernel, 3)


# --------------------------------------------------------------------------- transposed


def transpose_padding(k: int, s: int, padding: str | tuple[int, int]) -> tuple[int, int]:
    """Padding of the stride-dilated input that ``lax.conv_transpose`` uses for one dim."""
    if padding == 'SAME':
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
        return lo, total - lo
    if padding == 'VALID':
        return k - 1, k + s - 2 + max(k - s, 0) - (k - 1)
    if isinstance(padding, str):
        raise ValueError(f"padding must be 'SAME', 'VALID' or (lo, hi) pairs, got {padding!r}")
    return tuple(padding)


def _phase_taps(n: int, k: int, s: int, pad: tuple[int, int]):
    """For one dim of a stride-``s`` transposed conv: output length, phases per output
    ``Q = ceil(out / s)`` and, per phase ``r``, (first tap, number of taps, input offset)."""
    out = (n - 1) * s + 1 + pad[0] + pad[1] - k + 1
    phases = []
    for r in range(s):
        t0 = (pad[0] - r) % s
        taps = len(range(t0, k, s))
        phases.append((t0, taps, (r + t0 - pad[0]) // s))
    return out, -(-out // s), phases


def phases_forward(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                   pads: tuple[tuple[int, int], tuple[int, int]]) -> jax.Array:
    """The phase convolutions, interleaved (autodiff'able; ``conv_transpose_phases`` adds the
    hand-written VJP)."""
    b, (h, w), o = x.shape[0], x.shape[1:3], kernel.shape[-1]
    (out_h, qh, ph), (out_w, qw, pw) = (_phase_taps(n, k, st, p) for n, k, st, p in
                                        zip((h, w), kernel.shape[:2], strides, pads))
    rows = []
    for t0h, uh, ch in ph:
        cols = []
        for t0w, uw, cw in pw:
            if uh == 0 or uw == 0:
                cols.append(jnp.zeros((b, qh, qw, o), x.dtype))
                continue
            xp = lax.pad(x, jnp.zeros((), x.dtype),
                         ((0, 0, 0), (-ch, qh + ch + uh - 1 - h, 0),
                          (-cw, qw + cw + uw - 1 - w, 0), (0, 0, 0)))
            sub = kernel[t0h::strides[0], t0w::strides[1]]
            cols.append(lax.conv_general_dilated(xp, sub, (1, 1), 'VALID',
                                                 dimension_numbers=DIMENSION_NUMBERS))
        rows.append(jnp.stack(cols, axis=3))  # [B, Qh, Qw, sw, O]
    y = jnp.stack(rows, axis=2)  # [B, Qh, sh, Qw, sw, O]
    y = y.reshape(b, qh * strides[0], qw * strides[1], o)
    return y[:, :out_h, :out_w]


def conv_transpose_kernel_grad(x: jax.Array, g: jax.Array, kernel_hw: tuple[int, int],
                               strides: tuple[int, int],
                               pads: Sequence[tuple[int, int]]) -> jax.Array:
    """Kernel gradient ``[kh, kw, I, O]`` of ``lax.conv_transpose(x, kernel, strides, pads)``
    for the output gradient ``g [B, H', W', O]``: input pixel ``n`` meets output pixel
    ``lo + s*n - t`` through tap ``t``, so ``dW[t] = x^T @ g[lo + s*n - t]``, one
    ``[B*H*W, I]^T @ [B*H*W, O]`` matmul per tap over a strided slice of ``g``; XLA's CPU
    backend computes the same gradient of the phase convolutions slower
    (``python -m benchmarks.matmul_grads``).
    """
    (kh, kw), (sh, sw) = kernel_hw, strides
    b, h, w, i = x.shape
    o = g.shape[3]
    (lh, _), (lw, _) = pads
    # Pad g so that every tap's slice (start lo - t, stride s, n = 0..H-1) lies inside it.
    low = (max(0, kh - 1 - lh), max(0, kw - 1 - lw))
    high = (max(0, lh + sh * (h - 1) + 1 - g.shape[1]), max(0, lw + sw * (w - 1) + 1 - g.shape[2]))
    gp = jnp.pad(g, ((0, 0), (low[0], high[0]), (low[1], high[1]), (0, 0)))
    x2 = x.reshape(b * h * w, i)
    taps = []
    for ti in range(kh):
        for tj in range(kw):
            start = (0, lh - ti + low[0], lw - tj + low[1], 0)
            gs = lax.slice(gp, start, (b, start[1] + sh * (h - 1) + 1, start[2] + sw * (w - 1) + 1,
                                       o), (1, sh, sw, 1))
            taps.append(lax.dot_general(x2, gs.reshape(b * h * w, o), (((0,), (0,)), ((), ()))))
    return jnp.stack(taps).reshape(kh, kw, i, o)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _conv_transpose_phases(x, kernel, strides, pads):
    return phases_forward(x, kernel, strides, pads)


def _conv_transpose_phases_fwd(x, kernel, strides, pads):
    return phases_forward(x, kernel, strides, pads), (x, kernel)


def _conv_transpose_phases_bwd(strides, pads, residuals, g):
    x, kernel = residuals
    dx = jax.linear_transpose(lambda x: phases_forward(x, kernel, strides, pads), x)(g)[0]
    dkernel = conv_transpose_kernel_grad(x, g, kernel.shape[:2], strides, pads)
    return dx, dkernel.astype(kernel.dtype)


_conv_transpose_phases.defvjp(_conv_transpose_phases_fwd, _conv_transpose_phases_bwd)


def conv_transpose_phases(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                          pads: Sequence[tuple[int, int]]) -> jax.Array:
    """``lax.conv_transpose(x, kernel, strides, pads)`` without the inserted zeros.

    A stride-s transposed conv is a stride-1 conv over the input dilated by s, so s*s - 1 of
    every s*s products it computes are with zeros. Output phase ``(rh, rw)`` (pixels
    ``(s*q + rh, s*q + rw)``) only ever meets kernel taps ``t0_r, t0_r + s, ...``; each phase is
    therefore a small dense conv of the undilated input with that strided slice of the kernel,
    and the phases interleave into the output (depth-to-space). Same MACs as counted for a
    transposed conv, ~s*s fewer than the dilated form.

    Hand-written VJP: the input gradient is the transpose of the phases, the kernel gradient
    ``conv_transpose_kernel_grad``; it stays reverse-differentiable twice.
    """
    return _conv_transpose_phases(x, kernel, tuple(strides), tuple(tuple(p) for p in pads))


def conv_transpose(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                   pads: Sequence[tuple[int, int]], impl: str = 'auto') -> jax.Array:
    """Transposed conv (kernel not flipped, as ``flax.linen.ConvTranspose``). Fast
    (``'auto'`` on CPU for strides > 1 and >= 16 output features; for 1-3 channel image
    layers the dilated form is faster there): ``conv_transpose_phases``. Reference:
    ``lax.conv_transpose``."""
    auto = (jax.default_backend() == 'cpu' and max(strides) > 1 and kernel.shape[-1] >= 16)
    if policy.use_fast(impl, auto, 'conv_transpose'):
        return conv_transpose_phases(x, kernel, strides, pads)
    return lax.conv_transpose(x, kernel, strides, pads, dimension_numbers=DIMENSION_NUMBERS)
