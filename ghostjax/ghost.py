"""Ghost blocks (Han et al., CVPR 2020, arXiv 1911.11907) and GhostNetV2's DFC attention.

All tensors are ``[B, H, W, C]``. Submodule names mirror the reference PyTorch key names
(see ``ghostjax.convert``) so released weights map onto them one to one.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.layers import DepthwiseConv, batch_norm, conv

Dtype = Any


def make_divisible(v: float, divisor: int = 4, min_value: int | None = None,
                   round_limit: float = 0.9) -> int:
    """Rounds ``v`` to the nearest multiple of ``divisor``, never below ``round_limit * v``."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def hard_sigmoid(x: jax.Array) -> jax.Array:
    """``relu6(x + 3) / 6``, the gate used by GhostNet's squeeze-and-excite."""
    return jax.nn.relu6(x + 3.0) / 6.0


class DFCAttention(nn.Module):
    """GhostNetV2's decoupled fully-connected attention gate.

    On the 2x average-pooled input: 1x1 conv + BN, depthwise (1, 5) + BN, depthwise (5, 1) + BN,
    sigmoid, nearest upsampling back to the input size (PyTorch's rule: source index
    ``floor(i * in / out)``, which differs from half-pixel ``jax.image.resize`` on odd sizes).
    Returns the gate ``[B, H, W, features]``.
    """
    features: int
    depthwise_impl: str = 'auto'
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        h, w = x.shape[1:3]
        y = nn.avg_pool(x, (2, 2), (2, 2))
        y = conv(self.features, dtype=self.dtype, name='dfc_conv')(y)
        y = batch_norm(train, self.dtype, 'dfc_bn', self.bn_axis_name)(y)
        y = DepthwiseConv((1, 5), impl=self.depthwise_impl, dtype=self.dtype, name='dfc_h')(y)
        y = batch_norm(train, self.dtype, 'dfc_h_bn', self.bn_axis_name)(y)
        y = DepthwiseConv((5, 1), impl=self.depthwise_impl, dtype=self.dtype, name='dfc_v')(y)
        y = batch_norm(train, self.dtype, 'dfc_v_bn', self.bn_axis_name)(y)
        y = jax.nn.sigmoid(y)
        hp, wp = y.shape[1:3]
        y = jnp.take(y, jnp.arange(h) * hp // h, axis=1)
        return jnp.take(y, jnp.arange(w) * wp // w, axis=2)


class GhostModule(nn.Module):
    """Ghost module with ratio 2: ``ceil(features / 2)`` primary maps from a conv, as many cheap
    ones from a depthwise 3x3 on them, concatenated and sliced to ``features``.

    Attributes:
      features: output channels.
      relu: apply ``activation`` after both BNs (GhostBottleneck's ghost1 does, ghost2 does not).
      kernel_size: the primary conv's kernel (1 in GhostNet).
      dw_size: the cheap depthwise op's kernel.
      dfc: multiply by GhostNetV2's DFC attention gate.
      primary_features: primary maps when channel-pruned (``ghostjax.channel_pruning``); the
        module then outputs ``2 * primary_features <= features`` channels.
    """
    features: int
    relu: bool = True
    kernel_size: int = 1
    dw_size: int = 3
    dfc: bool = False
    activation: Callable[[jax.Array], jax.Array] = nn.relu
    depthwise_impl: str = 'auto'
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None
    primary_features: int | None = None

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        act = self.activation if self.relu else (lambda v: v)
        init = math.ceil(self.features / 2)
        if self.primary_features is not None:
            if not 0 < self.primary_features <= init:
                raise ValueError(f'primary_features must be in [1, {init}] for a Ghost module '
                                 f'of {self.features} features, got {self.primary_features}')
            if self.dfc:
                raise ValueError('a channel-pruned Ghost module (primary_features) cannot have '
                                 'a DFC gate')
            init = self.primary_features
        primary = conv(init, self.kernel_size, dtype=self.dtype, name='primary_conv')(x)
        primary = act(batch_norm(train, self.dtype, 'primary_bn', self.bn_axis_name)(primary))
        cheap = DepthwiseConv(self.dw_size, impl=self.depthwise_impl, dtype=self.dtype,
                              name='cheap_conv')(primary)
        cheap = act(batch_norm(train, self.dtype, 'cheap_bn', self.bn_axis_name)(cheap))
        out = jnp.concatenate([primary, cheap], axis=-1)[..., :self.features]
        if self.dfc:
            out = out * DFCAttention(self.features, self.depthwise_impl, self.dtype,
                                     self.bn_axis_name, name='dfc')(x, train).astype(out.dtype)
        return out


class SqueezeExcite(nn.Module):
    """Squeeze-and-excite: pool, 1x1 conv to ``make_divisible(ratio * C, 4)`` (or
    ``reduced_features``), ReLU, 1x1 conv, hard-sigmoid gate, multiply."""
    se_ratio: float = 0.25
    dtype: Dtype = jnp.float32
    reduced_features: int | None = None

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c = x.shape[-1]
        s = jnp.mean(x, axis=(1, 2), keepdims=True)
        reduced = self.reduced_features or make_divisible(c * self.se_ratio, 4)
        s = nn.relu(conv(reduced, use_bias=True, dtype=self.dtype, name='conv_reduce')(s))
        s = conv(c, use_bias=True, dtype=self.dtype, name='conv_expand')(s)
        return x * hard_sigmoid(s)


class GhostBottleneck(nn.Module):
    """GhostNet's bottleneck: ghost1 (ReLU) -> [depthwise kxk stride s + BN if s > 1] -> [SE]
    -> ghost2 (no ReLU) -> + shortcut.

    The shortcut is the identity when ``in == out`` and ``strides == 1``, else depthwise kxk
    stride s + BN + 1x1 conv + BN. ``primary_features`` channel-prunes ghost1 (its expansion is
    then ``2 * primary_features``; SE keeps the width the unpruned block has).
    """
    mid_features: int
    features: int
    kernel_size: int = 3
    strides: int = 1
    se_ratio: float = 0.0
    dfc: bool = False
    depthwise_impl: str = 'auto'
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None
    primary_features: int | None = None

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        dw = dict(impl=self.depthwise_impl, dtype=self.dtype)
        ghost = dict(depthwise_impl=self.depthwise_impl, dtype=self.dtype,
                     bn_axis_name=self.bn_axis_name)
        y = GhostModule(self.mid_features, relu=True, dfc=self.dfc, name='ghost1',
                        primary_features=self.primary_features, **ghost)(x, train)
        if self.strides > 1:
            y = DepthwiseConv(self.kernel_size, self.strides, name='conv_dw', **dw)(y)
            y = batch_norm(train, self.dtype, 'bn_dw', self.bn_axis_name)(y)
        if self.se_ratio > 0:
            y = SqueezeExcite(self.se_ratio, self.dtype, name='se', reduced_features=make_divisible(
                self.mid_features * self.se_ratio, 4))(y)
        y = GhostModule(self.features, relu=False, name='ghost2', **ghost)(y, train)
        if x.shape[-1] == self.features and self.strides == 1:
            return y + x
        s = DepthwiseConv(self.kernel_size, self.strides, name='shortcut_dw', **dw)(x)
        s = batch_norm(train, self.dtype, 'shortcut_dw_bn', self.bn_axis_name)(s)
        s = conv(self.features, dtype=self.dtype, name='shortcut_pw')(s)
        s = batch_norm(train, self.dtype, 'shortcut_pw_bn', self.bn_axis_name)(s)
        return y + s
