"""Convolution building blocks shared by every model in ghostjax.

Depthwise convolutions have two implementations that compute the same function:

* ``'grouped'``: one ``lax.conv_general_dilated`` with ``feature_group_count=C``. Fast on
  GPU/TPU (cuDNN and the TPU compiler have dedicated depthwise kernels).
* ``'shifted'``: ``k*k`` strided slices of the padded input, each multiplied by one kernel tap
  and summed. XLA's CPU backend lowers grouped convolutions to a slow generic loop, and this
  form fuses into a single elementwise loop instead (measured ~30x faster forward on CPU).

``'auto'`` picks ``'shifted'`` on CPU and ``'grouped'`` elsewhere. Both read the same
``kernel`` parameter of shape ``[kh, kw, 1, C]``, so checkpoints do not depend on the choice.

Transposed convolutions (``ConvTranspose``) likewise have ``'dilated'`` (``lax.conv_transpose``)
and ``'phases'`` (one small dense conv per output phase, no multiplications by inserted
zeros) forms with the same parameters.
"""
from __future__ import annotations

import functools
import math
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


def _tap(x: jax.Array, i: int, j: int, strides: tuple[int, int],
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
            tap = _tap(x, oh + i, ow + j, strides, out_hw) * kernel[i, j, 0]
            out = tap if out is None else out + tap
    return out


def _out_size(size: int, k: int, s: int, pad: tuple[int, int]) -> int:
    return (size + pad[0] + pad[1] - k) // s + 1


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _depthwise_shifted(x, kernel, strides, padding):
    kh, kw = kernel.shape[:2]
    out_hw = (_out_size(x.shape[1], kh, strides[0], padding[0]),
              _out_size(x.shape[2], kw, strides[1], padding[1]))
    return _shifted_sum(jnp.pad(x, ((0, 0), padding[0], padding[1], (0, 0))), kernel, strides,
                        out_hw)


def _depthwise_shifted_fwd(x, kernel, strides, padding):
    return _depthwise_shifted(x, kernel, strides, padding), (x, kernel)


def _batch_chunk(batch: int, elements_per_example: int, target: int = 1 << 20) -> int:
    """Largest divisor of ``batch`` whose chunk holds at most ~``target`` elements."""
    best = 1
    for n in range(1, batch + 1):
        if batch % n == 0 and n * elements_per_example <= target:
            best = n
    return best


def _sum_taps(x_pad: jax.Array, g: jax.Array, kernel_hw: tuple[int, int],
              strides: tuple[int, int]) -> jax.Array:
    """``[kh * kw, C]``: per tap, sum over batch and space of (tap of x_pad) * g, as one
    variadic reduction, so XLA reads each input once for all taps (with k*k separate sums, XLA
    CPU copied out every strided tap slice and reduced it apart: 2.2x slower over GhostNet's
    depthwise layers, ``python -m benchmarks.depthwise --only kernel_grad``)."""
    kh, kw = kernel_hw
    ho, wo = g.shape[1:3]
    g = g.astype(jnp.float32)
    products = [_tap(x_pad, i, j, strides, (ho, wo)).astype(jnp.float32) * g
                for i in range(kh) for j in range(kw)]
    zeros = [jnp.zeros((), jnp.float32)] * len(products)
    sums = lax.reduce(products, zeros, lambda a, b: tuple(u + v for u, v in zip(a, b)),
                      (0, 1, 2))
    return jnp.stack(sums)


def _kernel_grad(x_pad: jax.Array, g: jax.Array, kernel_hw: tuple[int, int],
                 strides: tuple[int, int]) -> jax.Array:
    """``[kh * kw, C]``: ``_sum_taps`` accumulated over cache-sized batch chunks, so the k*k
    shifted reads of one chunk hit cache (1.8x faster over GhostNet's depthwise layers than one
    reduction over the whole batch)."""
    b, hp, wp, c = x_pad.shape
    ho, wo = g.shape[1:3]
    n = _batch_chunk(b, (hp * wp + ho * wo) * c)

    def body(acc, chunk):
        return acc + _sum_taps(*chunk, kernel_hw, strides), None

    chunks = (x_pad.reshape(b // n, n, hp, wp, c), g.reshape(b // n, n, ho, wo, c))
    return lax.scan(body, jnp.zeros((kernel_hw[0] * kernel_hw[1], c), jnp.float32), chunks)[0]


def _depthwise_shifted_bwd(strides, padding, residuals, g):
    # Autodiff of the strided slices would materialise one full-size padded tensor per tap
    # (measured ~30x the forward time); instead:
    #   dx = g dilated by the stride, correlated with the flipped kernel (one pad, k*k taps);
    #   dw[i, j] = sum over batch and space of (tap (i, j) of the padded x) * g.
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
    dkernel = _kernel_grad(jnp.pad(x, ((0, 0), ph, pw, (0, 0))), g, (kh, kw), strides)
    dkernel = dkernel.reshape(kh, kw, 1, x.shape[3]).astype(kernel.dtype)
    return dx.astype(x.dtype), dkernel


_depthwise_shifted.defvjp(_depthwise_shifted_fwd, _depthwise_shifted_bwd)


@functools.partial(jax.jit, static_argnames=('strides', 'padding'))
def depthwise_conv_shifted(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                           padding: tuple[tuple[int, int], tuple[int, int]]) -> jax.Array:
    """Depthwise conv as a sum of shifted, strided slices. x: [B, H, W, C]; kernel: [kh, kw, 1, C].

    Has a hand-written VJP (see ``_depthwise_shifted_bwd``) and stays reverse-differentiable
    twice (R1 / gradient penalties). Kept as a named ``jit`` so ``ghostjax.count_macs`` counts it.
    """
    return _depthwise_shifted(x, kernel, strides, padding)


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
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        if resolve_depthwise_impl(self.impl) == 'shifted':
            return depthwise_conv_shifted(x, kernel, strides, padding)
        return depthwise_conv_grouped(x, kernel, strides, padding)


def _in_qwix_model(module: nn.Module) -> bool:
    """Whether ``module`` runs inside a model wrapped by ``qwix.quantize_model`` (whose class
    qwix marks with ``_unquantized_type``). qwix recognises a weight by finding the parameter
    itself among a ``dot_general``'s operands, so there kernels must enter it unreshaped."""
    while isinstance(module, nn.Module):
        if hasattr(type(module), '_unquantized_type'):
            return True
        module = module.parent
    return False


def matmul_kernel(x: jax.Array, kernel: jax.Array, n_contract: int,
                  unreshaped_kernel: bool = False) -> jax.Array:
    """``x [..., K]`` (the last ``n_contract`` dims of ``x``) times ``kernel [..., O]`` (its
    leading dims flattened to K), as one 2-D ``[N, K] @ [K, O]`` matmul: ``[..., O]``.

    XLA's CPU backend transposes one operand of a kernel-gradient matmul; with 2-D operands it
    transposes the saved input, while with the 4-D ``[B, H, W, C] x [1, 1, I, O]`` form it
    transposed the incoming gradient with the BatchNorm backward fused in, in cache-hostile
    order (81 ms of a 900 ms GhostNet train step for one 112x112 layer). With
    ``unreshaped_kernel`` (inside a qwix model, see ``_in_qwix_model``) the kernel enters one
    ``dot_general`` as it is, as qwix needs (``ghostjax.quantization``).
    """
    lead = x.shape[:x.ndim - n_contract]
    o = kernel.shape[-1]
    if unreshaped_kernel:
        kdims = tuple(range(kernel.ndim - 1 - n_contract, kernel.ndim - 1))
        y = lax.dot_general(x, kernel, ((tuple(range(len(lead), x.ndim)), kdims), ((), ())))
        return y.reshape(*lead, o)
    k = math.prod(x.shape[len(lead):])
    return (x.reshape(-1, k) @ kernel.reshape(k, o)).reshape(*lead, o)


class PointwiseConv(nn.Module):
    """1x1 convolution computed as a matmul over channels (``matmul_kernel``): same ``kernel
    [1, 1, I, O]`` (and ``bias``) as ``nn.Conv``, but XLA's CPU backend runs its backward pass
    several times faster as a matmul than as a convolution."""
    features: int
    use_bias: bool = False
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param('kernel', nn.initializers.lecun_normal(),
                            (1, 1, x.shape[-1], self.features), self.param_dtype)
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        y = matmul_kernel(x, kernel, 1, _in_qwix_model(self))
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,),
                               self.param_dtype).astype(self.dtype)
        return y


CONV_TRANSPOSE_IMPLS = ('auto', 'dilated', 'phases')


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


def _phases_forward(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                    pads: tuple[tuple[int, int], tuple[int, int]]) -> jax.Array:
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
                                                 dimension_numbers=('NHWC', 'HWIO', 'NHWC')))
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
    ``[B*H*W, I]^T @ [B*H*W, O]`` matmul per tap over a strided slice of ``g``. XLA's CPU
    backend computes the same gradient of the phase convolutions 1.4-3x slower
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
    return _phases_forward(x, kernel, strides, pads)


def _conv_transpose_phases_fwd(x, kernel, strides, pads):
    return _phases_forward(x, kernel, strides, pads), (x, kernel)


def _conv_transpose_phases_bwd(strides, pads, residuals, g):
    x, kernel = residuals
    dx = jax.linear_transpose(lambda x: _phases_forward(x, kernel, strides, pads), x)(g)[0]
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
    transposed conv, ~s*s fewer than the dilated form. x: [B, H, W, I]; kernel: [kh, kw, I, O].

    Hand-written VJP: the input gradient is autodiff of the phases, the kernel gradient
    ``conv_transpose_kernel_grad``; it stays reverse-differentiable twice.
    """
    return _conv_transpose_phases(x, kernel, tuple(strides), tuple(tuple(p) for p in pads))


class ConvTranspose(nn.Module):
    """``nn.ConvTranspose`` (same ``kernel [kh, kw, I, O]``/``bias`` params and output, kernel
    not flipped) with a choice of implementation: ``'dilated'`` is ``lax.conv_transpose``;
    ``'phases'`` is ``conv_transpose_phases``. On XLA's CPU backend (2 cores, stride 2) the
    phases are 7-12x faster in the backward pass for 64-128 output features, while for the
    1-3 channel image layers the dilated form is faster; so ``'auto'`` picks ``'phases'`` on
    CPU for strides > 1 and at least 16 output features, else ``'dilated'``.

    ``padding``: 'SAME', 'VALID' or ``((lo, hi), (lo, hi))`` on the dilated input.
    """
    features: int
    kernel_size: Sequence[int]
    strides: Sequence[int] = (1, 1)
    padding: Any = 'SAME'
    use_bias: bool = False
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32
    kernel_init: Any = nn.initializers.lecun_normal()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if self.impl not in CONV_TRANSPOSE_IMPLS:
            raise ValueError(f'ConvTranspose impl must be one of {CONV_TRANSPOSE_IMPLS}, got '
                             f'{self.impl!r}')
        ks, strides = tuple(self.kernel_size), _pair(self.strides)
        kernel = self.param('kernel', self.kernel_init, (*ks, x.shape[-1], self.features),
                            self.param_dtype)
        per_dim = ((self.padding,) * len(ks) if isinstance(self.padding, str)
                   else self.padding)
        pads = [transpose_padding(k, s, p) for k, s, p in zip(ks, strides, per_dim)]
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        impl = self.impl
        if impl == 'auto':
            impl = ('phases' if jax.default_backend() == 'cpu' and max(strides) > 1
                    and self.features >= 16 else 'dilated')
        if impl == 'phases':
            y = conv_transpose_phases(x, kernel, strides, pads)
        else:
            y = lax.conv_transpose(x, kernel, strides, pads,
                                   dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,),
                               self.param_dtype).astype(self.dtype)
        return y


CONV_IMPLS = ('auto', 'xla', 'patches')
PATCHES_MAX_IN_FEATURES = 4


class Conv(nn.Module):
    """Dense k x k conv with PyTorch's symmetric ``k // 2`` padding; the same ``kernel
    [k, k, I, O]`` / ``bias`` params as ``nn.Conv``.

    ``impl='patches'`` computes it as image patches ``[B, H', W', I*k*k]`` times the kernel
    (a ``dot_general``). For a stem on 1-3 channel images this matters in training: XLA's CPU
    backend takes ~150 ms for the kernel gradient of GhostNet's 224x224 stem at batch 32 as a
    convolution (15% of the whole step), while as a matmul it is a few ms. ``'auto'`` picks
    ``'patches'`` on CPU when ``I <= 4``, else ``'xla'`` (``lax.conv_general_dilated``).
    """
    features: int
    kernel_size: int = 3
    strides: int = 1
    use_bias: bool = False
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if self.impl not in CONV_IMPLS:
            raise ValueError(f'Conv impl must be one of {CONV_IMPLS}, got {self.impl!r}')
        k, s, c = self.kernel_size, self.strides, x.shape[-1]
        kernel = self.param('kernel', nn.initializers.lecun_normal(), (k, k, c, self.features),
                            self.param_dtype)
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        pad = ((k // 2, k // 2), (k // 2, k // 2))
        impl = self.impl
        if impl == 'auto':
            impl = ('patches' if jax.default_backend() == 'cpu' and c <= PATCHES_MAX_IN_FEATURES
                    else 'xla')
        dn = ('NHWC', 'HWIO', 'NHWC')
        if impl == 'patches':
            # k*k strided slices stacked as [B, H', W', k, k, I], contracted with the whole kernel
            xp = jnp.pad(x, ((0, 0), pad[0], pad[1], (0, 0)))
            ho, wo = (_out_size(n, k, s, p) for n, p in zip(x.shape[1:3], pad))
            patches = jnp.stack([_tap(xp, i, j, (s, s), (ho, wo)) for i in range(k)
                                 for j in range(k)], axis=3).reshape(*x.shape[:1], ho, wo, k, k, c)
            y = matmul_kernel(patches, kernel, 3, _in_qwix_model(self))
        else:
            y = lax.conv_general_dilated(x, kernel, (s, s), pad, dimension_numbers=dn)
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,),
                               self.param_dtype).astype(self.dtype)
        return y


def conv(features: int, kernel_size: int = 1, strides: int = 1, *, use_bias: bool = False,
         dtype: Dtype = jnp.float32, name: str | None = None) -> nn.Module:
    """A dense (ungrouped) conv with PyTorch's symmetric ``k // 2`` padding; 1x1 stride-1
    convs are ``PointwiseConv``s, the others ``Conv``s."""
    if kernel_size == 1 and strides == 1:
        return PointwiseConv(features, use_bias, dtype, name=name)
    return Conv(features, kernel_size, strides, use_bias, dtype=dtype, name=name)


def _bn_stats(x: jax.Array, axis_name: str | None) -> tuple[jax.Array, jax.Array]:
    """Per-channel mean and biased variance of ``x [..., C]`` (float32), over ``axis_name`` too."""
    axes = tuple(range(x.ndim - 1))
    mean, mean2 = jnp.mean(x, axes), jnp.mean(x * x, axes)
    if axis_name is not None:
        mean, mean2 = lax.pmean((mean, mean2), axis_name)
    return mean, jnp.maximum(mean2 - mean * mean, 0.0)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _batch_norm_train(x, scale, bias, epsilon, axis_name):
    return _batch_norm_train_fwd(x, scale, bias, epsilon, axis_name)[0]


def _batch_norm_train_fwd(x, scale, bias, epsilon, axis_name):
    xf = x.astype(jnp.float32)
    mean, var = _bn_stats(xf, axis_name)
    inv = lax.rsqrt(var + epsilon)
    y = ((xf - mean) * (inv * scale) + bias).astype(x.dtype)
    return (y, mean, var), (x, mean, inv, scale)


def _batch_norm_train_bwd(epsilon, axis_name, residuals, cotangents):
    # The textbook gradient: two reductions per channel (sum g, sum g * x_hat). Autodiff of the
    # forward's mean and variance made XLA read the activations in three.
    x, mean, inv, scale = residuals
    gy, gmean, gvar = cotangents
    axes = tuple(range(x.ndim - 1))
    xf, gy = x.astype(jnp.float32), gy.astype(jnp.float32)
    xhat = (xf - mean) * inv
    dbias, dscale = jnp.sum(gy, axes), jnp.sum(gy * xhat, axes)
    n, total_bias, total_scale = x.size // x.shape[-1], dbias, dscale
    if axis_name is not None:  # the statistics, and so dx, span every device's batch
        total_bias, total_scale, gmean, gvar = lax.psum((dbias, dscale, gmean, gvar), axis_name)
        n = n * lax.psum(1, axis_name)
    dx = ((scale * inv) * (gy - total_bias / n - xhat * (total_scale / n))
          + gmean / n + gvar * (2.0 / n) * (xf - mean))
    return dx.astype(x.dtype), dscale, dbias


_batch_norm_train.defvjp(_batch_norm_train_fwd, _batch_norm_train_bwd)


class BatchNorm(nn.Module):
    """BatchNorm over the last axis of ``[..., C]``, with ``flax.linen.BatchNorm``'s variables
    (params ``scale``, ``bias``; batch_stats ``mean``, ``var``) and results.

    In training it normalises by the batch statistics (averaged over ``axis_name`` inside pmap)
    and has a hand-written gradient (two reductions per channel instead of autodiff's three);
    ``use_running_average`` normalises by the running statistics. Statistics and the
    normalisation are computed in float32, the output is cast to ``dtype``.
    """
    use_running_average: bool = False
    momentum: float = 0.9
    epsilon: float = 1e-5
    dtype: Dtype = jnp.float32
    axis_name: str | None = None

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c = x.shape[-1]
        scale = self.param('scale', nn.initializers.ones, (c,), jnp.float32)
        bias = self.param('bias', nn.initializers.zeros, (c,), jnp.float32)
        ra_mean = self.variable('batch_stats', 'mean', jnp.zeros, (c,), jnp.float32)
        ra_var = self.variable('batch_stats', 'var', jnp.ones, (c,), jnp.float32)
        if self.use_running_average:
            inv = lax.rsqrt(ra_var.value + self.epsilon)
            y = (x.astype(jnp.float32) - ra_mean.value) * (inv * scale) + bias
            return y.astype(self.dtype)
        axis_name = None if self.is_initializing() else self.axis_name  # init runs outside pmap
        y, mean, var = _batch_norm_train(x, scale, bias, self.epsilon, axis_name)
        if not self.is_initializing():
            ra_mean.value = self.momentum * ra_mean.value + (1 - self.momentum) * mean
            ra_var.value = self.momentum * ra_var.value + (1 - self.momentum) * var
        return y.astype(self.dtype)


def batch_norm(train: bool, dtype: Dtype = jnp.float32, name: str | None = None,
               axis_name: str | None = None, momentum: float = 0.9,
               epsilon: float = 1e-5) -> BatchNorm:
    """BatchNorm with PyTorch's defaults (momentum 0.1 there is 0.9 here; eps 1e-5).

    With ``axis_name`` (inside pmap) batch statistics are averaged over that axis, so a
    pmapped step normalises exactly as one device would over the global batch.
    """
    return BatchNorm(use_running_average=not train, momentum=momentum, epsilon=epsilon,
                     dtype=dtype, axis_name=axis_name if train else None, name=name)
