"""Flax layers over ``ghostjax.ops``: the same parameters as their ``flax.linen`` counterparts
(checkpoints do not depend on the implementation), each with ``impl='auto' | 'reference' |
'fast'`` (``ghostjax.ops.policy``). Tensors are ``[B, H, W, C]``.

``Layers`` bundles what every block of a model shares (compute dtype, impl policy, BatchNorm's
cross-device axis): a model builds it once and passes it down, as flax's ``examples/imagenet``
passes ``conv`` / ``norm`` partials.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax import ops

Dtype = Any


def _pair(v: int | Sequence[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _add_bias(module: nn.Module, y: jax.Array) -> jax.Array:
    bias = module.param('bias', nn.initializers.zeros, (module.features,), module.param_dtype)
    return y + bias.astype(module.dtype)


class DepthwiseConv(nn.Module):
    """Depthwise convolution with PyTorch-style symmetric padding ``k // 2``, no bias; kernel
    ``[kh, kw, 1, C]``. ``impl``: see ``ghostjax.ops.depthwise``. ``operator_normed``: each
    channel's kernel divided by its convolution's operator norm
    (``ops.depthwise.filter_operator_norm``), so the layer is 1-Lipschitz."""
    kernel_size: int | Sequence[int] = 3
    strides: int | Sequence[int] = 1
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32
    kernel_init: Any = nn.initializers.lecun_normal()
    operator_normed: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kh, kw = _pair(self.kernel_size)
        padding = ((kh // 2, kh // 2), (kw // 2, kw // 2))
        kernel = self.param('kernel', self.kernel_init, (kh, kw, 1, x.shape[-1]), self.param_dtype)
        if self.operator_normed:
            norm = ops.filter_operator_norm(kernel)
            kernel = kernel / jnp.maximum(norm, 1e-12).astype(kernel.dtype)
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        return ops.depthwise_conv(x, kernel, _pair(self.strides), padding, self.impl)


class PointwiseConv(nn.Module):
    """1x1 convolution: ``nn.Conv(features, (1, 1))``'s ``kernel [1, 1, I, O]`` (and ``bias``);
    ``impl``: see ``ghostjax.ops.pointwise_conv``."""
    features: int
    use_bias: bool = False
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32
    impl: str = 'auto'

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param('kernel', nn.initializers.lecun_normal(),
                            (1, 1, x.shape[-1], self.features), self.param_dtype)
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        y = ops.pointwise_conv(x, kernel, self.impl)
        return _add_bias(self, y) if self.use_bias else y


class Conv(nn.Module):
    """Dense k x k conv with PyTorch's symmetric ``k // 2`` padding; ``nn.Conv``'s ``kernel
    [k, k, I, O]`` / ``bias``. ``impl``: see ``ghostjax.ops.conv2d``."""
    features: int
    kernel_size: int = 3
    strides: int = 1
    use_bias: bool = False
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    param_dtype: Dtype = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        k = self.kernel_size
        kernel = self.param('kernel', nn.initializers.lecun_normal(),
                            (k, k, x.shape[-1], self.features), self.param_dtype)
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        y = ops.conv2d(x, kernel, self.strides, self.impl)
        return _add_bias(self, y) if self.use_bias else y


class ConvTranspose(nn.Module):
    """``nn.ConvTranspose`` (same ``kernel [kh, kw, I, O]`` / ``bias`` and output, kernel not
    flipped); ``impl``: see ``ghostjax.ops.conv_transpose``.

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
        ks, strides = tuple(self.kernel_size), _pair(self.strides)
        kernel = self.param('kernel', self.kernel_init, (*ks, x.shape[-1], self.features),
                            self.param_dtype)
        per_dim = ((self.padding,) * len(ks) if isinstance(self.padding, str)
                   else self.padding)
        pads = [ops.transpose_padding(k, s, p) for k, s, p in zip(ks, strides, per_dim)]
        x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=self.dtype)
        y = ops.conv_transpose(x, kernel, strides, pads, self.impl)
        return _add_bias(self, y) if self.use_bias else y


class BatchNorm(nn.Module):
    """BatchNorm over the last axis of ``[..., C]``, with ``flax.linen.BatchNorm``'s variables
    (params ``scale``, ``bias``; batch_stats ``mean``, ``var``) and results.

    In training it normalises by the batch statistics (averaged over ``axis_name`` inside a
    mapped step; ``impl``: see ``ghostjax.ops.batch_norm``); ``use_running_average``
    normalises by the running statistics. Statistics and the normalisation are float32, the
    output is cast to ``dtype``.
    """
    use_running_average: bool = False
    momentum: float = 0.9
    epsilon: float = 1e-5
    dtype: Dtype = jnp.float32
    axis_name: str | None = None
    impl: str = 'auto'

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c = x.shape[-1]
        scale = self.param('scale', nn.initializers.ones, (c,), jnp.float32)
        bias = self.param('bias', nn.initializers.zeros, (c,), jnp.float32)
        ra_mean = self.variable('batch_stats', 'mean', jnp.zeros, (c,), jnp.float32)
        ra_var = self.variable('batch_stats', 'var', jnp.ones, (c,), jnp.float32)
        if self.use_running_average:
            return ops.batch_norm_eval(x, scale, bias, ra_mean.value, ra_var.value,
                                       self.epsilon).astype(self.dtype)
        axis_name = None if self.is_initializing() else self.axis_name  # init runs unmapped
        y, mean, var = ops.batch_norm_train(x, scale, bias, self.epsilon, axis_name, self.impl)
        if not self.is_initializing():
            ra_mean.value = self.momentum * ra_mean.value + (1 - self.momentum) * mean
            ra_var.value = self.momentum * ra_var.value + (1 - self.momentum) * var
        return y.astype(self.dtype)


class SpectralNormed(nn.Module):
    """``layer`` with its kernel spectrally normalised (Miyato et al., ICLR 2018): divided by
    its largest singular value, estimated by one power iteration per call. The iteration's
    vectors live in ``batch_stats`` and advance when ``update_stats``; the layer's parameters
    keep their names."""
    layer: nn.Module
    update_stats: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return nn.SpectralNorm(self.layer)(x, update_stats=self.update_stats)


@dataclasses.dataclass(frozen=True)
class Layers:
    """The layer constructors a model's blocks share, set once by the model: compute
    ``dtype``, implementation policy ``impl`` and BatchNorm's cross-device ``bn_axis_name``.

    ``spectral_norm``: every conv (dense, 1x1, depthwise) is ``SpectralNormed`` (its power
    iteration advancing when ``sn_update``, i.e. in training) and ``norm`` is the identity, as
    in SNGAN's discriminators, where BatchNorm would undo the Lipschitz bound.
    ``depthwise_sn`` says how a depthwise kernel ``[kh, kw, 1, C]`` is normalised then:
    ``'joint'``, Flax's ``SpectralNorm`` of the ``[kh * kw, C]`` matrix, which is not the conv's
    operator norm (the layer ends up well below 1-Lipschitz, more so the wider it is); or
    ``'per_filter'``, each channel by its own conv's operator norm (``DepthwiseConv``'s
    ``operator_normed``), which makes the layer 1-Lipschitz."""
    dtype: Dtype = jnp.float32
    impl: str = 'auto'
    bn_axis_name: str | None = None
    spectral_norm: bool = False
    sn_update: bool = False
    depthwise_sn: str = 'joint'

    def __post_init__(self):
        check_depthwise_sn(self.depthwise_sn)

    def _sn(self, layer: nn.Module) -> nn.Module:
        return SpectralNormed(layer, self.sn_update) if self.spectral_norm else layer

    def conv(self, features: int, kernel_size: int = 1, strides: int = 1, *,
             use_bias: bool = False, name: str | None = None) -> nn.Module:
        """Dense conv with padding ``k // 2``: a ``PointwiseConv`` when 1x1 stride 1, else a
        ``Conv``."""
        if kernel_size == 1 and strides == 1:
            return self._sn(PointwiseConv(features, use_bias, self.dtype, impl=self.impl,
                                          name=name))
        return self._sn(Conv(features, kernel_size, strides, use_bias, self.impl, self.dtype,
                             name=name))

    def depthwise(self, kernel_size: int | Sequence[int] = 3, strides: int = 1, *,
                  name: str | None = None) -> nn.Module:
        if self.spectral_norm and self.depthwise_sn == 'per_filter':
            return DepthwiseConv(kernel_size, strides, self.impl, self.dtype,
                                 operator_normed=True, name=name)
        return self._sn(DepthwiseConv(kernel_size, strides, self.impl, self.dtype, name=name))

    def conv_transpose(self, features: int, kernel_size: Sequence[int], strides: Sequence[int],
                       padding: Any, *, use_bias: bool = False,
                       name: str | None = None) -> ConvTranspose:
        return ConvTranspose(features, kernel_size, strides, padding, use_bias, self.impl,
                             self.dtype, name=name)

    def norm(self, train: bool, name: str | None = None, *, momentum: float = 0.9,
             epsilon: float = 1e-5) -> Callable[[jax.Array], jax.Array]:
        """BatchNorm with PyTorch's defaults (its momentum 0.1 is 0.9 here; eps 1e-5); in
        training, statistics averaged over ``bn_axis_name`` when set. The identity under
        ``spectral_norm``."""
        if self.spectral_norm:
            return _identity
        return BatchNorm(not train, momentum, epsilon, self.dtype,
                         self.bn_axis_name if train else None, self.impl, name=name)


DEPTHWISE_SN = ('joint', 'per_filter')


def check_depthwise_sn(value: str) -> None:
    """Raises ValueError unless ``value`` is one of ``DEPTHWISE_SN``."""
    if value not in DEPTHWISE_SN:
        raise ValueError(f'depthwise_sn must be one of {DEPTHWISE_SN}, got {value!r}')


def _identity(x: jax.Array) -> jax.Array:
    return x


def conv(features: int, kernel_size: int = 1, strides: int = 1, *, use_bias: bool = False,
         dtype: Dtype = jnp.float32, name: str | None = None) -> nn.Module:
    """``Layers(dtype).conv(...)``."""
    return Layers(dtype).conv(features, kernel_size, strides, use_bias=use_bias, name=name)


def batch_norm(train: bool, dtype: Dtype = jnp.float32, name: str | None = None,
               axis_name: str | None = None, momentum: float = 0.9,
               epsilon: float = 1e-5) -> BatchNorm:
    """``Layers(dtype, bn_axis_name=axis_name).norm(train, ...)``."""
    return Layers(dtype, bn_axis_name=axis_name).norm(train, name, momentum=momentum,
                                                      epsilon=epsilon)
