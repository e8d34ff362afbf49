"""Ghost blocks (Han et al., CVPR 2020, arXiv 1911.11907) and GhostNetV2's DFC attention.

All tensors are ``[B, H, W, C]``. Submodule names are the ones ``ghostjax.nn.roles`` lists
(with their PyTorch key names, so released weights map onto them one to one). Every block takes
the model's ``Layers`` (dtype, impl policy, BatchNorm axis) as one attribute.
"""
from __future__ import annotations

import math
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.nn.layers import Layers


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
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        ly = self.layers
        h, w = x.shape[1:3]
        y = nn.avg_pool(x, (2, 2), (2, 2))
        y = ly.norm(train, 'dfc_bn')(ly.conv(self.features, name='dfc_conv')(y))
        y = ly.norm(train, 'dfc_h_bn')(ly.depthwise((1, 5), name='dfc_h')(y))
        y = ly.norm(train, 'dfc_v_bn')(ly.depthwise((5, 1), name='dfc_v')(y))
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
      primary_features: primary maps when channel-pruned (``ghostjax.compression.channel_pruning``); the
        module then outputs ``2 * primary_features <= features`` channels.
    """
    features: int
    relu: bool = True
    kernel_size: int = 1
    dw_size: int = 3
    dfc: bool = False
    activation: Callable[[jax.Array], jax.Array] = nn.relu
    primary_features: int | None = None
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        ly = self.layers
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
        primary = ly.conv(init, self.kernel_size, name='primary_conv')(x)
        primary = act(ly.norm(train, 'primary_bn')(primary))
        cheap = act(ly.norm(train, 'cheap_bn')(ly.depthwise(self.dw_size, name='cheap_conv')(
            primary)))
        out = jnp.concatenate([primary, cheap], axis=-1)[..., :self.features]
        if self.dfc:
            out = out * DFCAttention(self.features, ly, name='dfc')(x, train).astype(out.dtype)
        return out


class SqueezeExcite(nn.Module):
    """Squeeze-and-excite: pool, 1x1 conv to ``make_divisible(ratio * C, 4)`` (or
    ``reduced_features``), ReLU, 1x1 conv, hard-sigmoid gate, multiply."""
    se_ratio: float = 0.25
    reduced_features: int | None = None
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c = x.shape[-1]
        s = jnp.mean(x, axis=(1, 2), keepdims=True)
        reduced = self.reduced_features or make_divisible(c * self.se_ratio, 4)
        s = nn.relu(self.layers.conv(reduced, use_bias=True, name='conv_reduce')(s))
        s = self.layers.conv(c, use_bias=True, name='conv_expand')(s)
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
    primary_features: int | None = None
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        ly, k, s = self.layers, self.kernel_size, self.strides
        y = GhostModule(self.mid_features, relu=True, dfc=self.dfc, name='ghost1',
                        primary_features=self.primary_features, layers=ly)(x, train)
        if s > 1:
            y = ly.norm(train, 'bn_dw')(ly.depthwise(k, s, name='conv_dw')(y))
        if self.se_ratio > 0:
            y = SqueezeExcite(self.se_ratio, make_divisible(self.mid_features * self.se_ratio, 4),
                              ly, name='se')(y)
        y = GhostModule(self.features, relu=False, name='ghost2', layers=ly)(y, train)
        if x.shape[-1] == self.features and s == 1:
            return y + x
        r = ly.norm(train, 'shortcut_dw_bn')(ly.depthwise(k, s, name='shortcut_dw')(x))
        r = ly.norm(train, 'shortcut_pw_bn')(ly.conv(self.features, name='shortcut_pw')(r))
        return y + r
