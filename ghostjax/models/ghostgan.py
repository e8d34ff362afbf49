"""GAN generator and discriminator built from Ghost modules.

``GhostGenerator`` replaces each transposed convolution of a DCGAN generator by a
``GhostUpBlock``: nearest 2x upsampling, a Ghost module (1x1 primary conv + cheap depthwise
3x3), a depthwise 3x3 + BN, and a second Ghost module. Its MACs per output pixel are about
``1.5 * C^2`` against ``8 * C^2`` for a k4 s2 transposed conv of the same width, so at 28, 32
and 64 pixels it has well under half of the matching DCGAN generator's parameters and MACs
(see the README table, counted with ``ghostjax.model_size``).

``GhostDiscriminator`` is a stem conv followed by stride-2 ``GhostBottleneck``s (with SE on the
deeper ones), global sum pooling and a linear (optionally projection) head.
``GhostNetDiscriminator`` is GhostNet itself (small-image stem) with that head on its
pre-logit features. Both take ``spectral_norm=True``: every conv (dense, 1x1, depthwise, SE)
and the head spectrally normalised, and no BatchNorm.
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.models.ghostnet import GHOSTNET_STAGES, GhostNet
from ghostjax.nn.gan import (DiscriminatorHead, GhostUpBlock, check_images, check_latent,
                             condition)
from ghostjax.nn.ghost import GhostBottleneck
from ghostjax.nn.layers import Layers, check_depthwise_sn

Dtype = Any
START_SIZE = {28: 7, 32: 4, 64: 4}


class GhostGenerator(nn.Module):
    """z ``[B, z_dim]`` -> Dense to ``[s0, s0, base * 2^n]`` (+BN+ReLU) -> Ghost up-blocks halving
    the width -> 3x3 conv + tanh -> ``[B, resolution, resolution, channels]``.

    ``s0`` is 7 for 28x28 and 4 for 32x32 / 64x64. At 28x28 the first block keeps 7x7.
    """
    resolution: int = 28
    channels: int = 1
    z_dim: int = 100
    base_features: int = 32
    num_classes: int = 0
    impl: str = 'auto'  # ghostjax.ops.policy
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    @nn.compact
    def __call__(self, z: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_latent(z, self.z_dim, 'GhostGenerator')
        ly = Layers(self.dtype, self.impl, self.bn_axis_name)
        if self.resolution not in START_SIZE:
            raise ValueError(f'GhostGenerator makes {sorted(START_SIZE)} pixel images; got '
                             f'resolution {self.resolution}')
        s0 = START_SIZE[self.resolution]
        n_up = (self.resolution // s0).bit_length() - 1
        widths = [self.base_features * 2 ** (n_up - i) for i in range(n_up + 1)]
        h = condition(z, labels, self.num_classes, self.z_dim).astype(self.dtype)
        h = nn.Dense(s0 * s0 * widths[0], use_bias=False, dtype=self.dtype, name='project')(h)
        h = h.reshape(-1, s0, s0, widths[0])
        h = nn.relu(ly.norm(train, 'project_bn')(h))
        first = 0 if self.resolution == 28 else 1
        for i, w in enumerate(widths[first:], start=first):
            h = GhostUpBlock(w, upsample=i > 0, layers=ly, name=f'block{i}')(h, train)
        h = ly.conv(self.channels, 3, use_bias=True, name='to_image')(h)
        return jnp.tanh(h.astype(jnp.float32))


class GhostDiscriminator(nn.Module):
    """x ``[B, R, R, C]`` -> 3x3 stem conv + LeakyReLU -> stride-2 GhostBottlenecks doubling the
    width down to 4x4 -> sum pool -> logit ``[B]``. ``depthwise_sn``: how spectral norm treats
    the depthwise kernels (``nn.layers.Layers``)."""
    resolution: int = 28
    channels: int = 1
    base_features: int = 32
    num_classes: int = 0
    spectral_norm: bool = False
    depthwise_sn: str = 'joint'
    impl: str = 'auto'  # ghostjax.ops.policy
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    def __post_init__(self):
        check_depthwise_sn(self.depthwise_sn)
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_images(x, self.resolution, self.channels, 'GhostDiscriminator')
        ly = Layers(self.dtype, self.impl, self.bn_axis_name, self.spectral_norm, train,
                    self.depthwise_sn)
        h = ghost_trunk(x, ly, self.base_features, self.resolution, train)
        return DiscriminatorHead(self.num_classes, self.spectral_norm, name='head')(
            jnp.sum(h, axis=(1, 2)).astype(jnp.float32), labels, train)


def ghost_trunk(x: jax.Array, ly: Layers, base_features: int, resolution: int,
                train: bool) -> jax.Array:
    """The Ghost discriminator's and encoder's trunk, called inside their ``@nn.compact``
    method (its layers are theirs): 3x3 stem conv + LeakyReLU, then stride-2 GhostBottlenecks
    (SE after the first) doubling the width down to 4x4 ``[B, 4, 4, F]``."""
    h = nn.leaky_relu(ly.conv(base_features, 3, name='stem')(x.astype(ly.dtype)), 0.2)
    size, width, i = resolution, base_features, 0
    while size > 4:
        width *= 2
        h = GhostBottleneck(width, width, 3, 2, se_ratio=0.25 if i > 0 else 0.0, layers=ly,
                            name=f'block{i}')(h, train)
        h = nn.leaky_relu(h, 0.2)
        size, i = -(-size // 2), i + 1
    return h


class GhostEncoder(nn.Module):
    """f-AnoGAN's encoder E in Ghost blocks: x ``[B, R, R, C]`` -> the Ghost discriminator's
    trunk -> mean pool -> linear latent ``[B, z_dim]`` (a normal GAN latent is unbounded, so no
    tanh)."""
    resolution: int = 28
    channels: int = 1
    z_dim: int = 100
    base_features: int = 32
    impl: str = 'auto'  # ghostjax.ops.policy
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x, self.resolution, self.channels, 'GhostEncoder')
        ly = Layers(self.dtype, self.impl, self.bn_axis_name, False, train)
        h = ghost_trunk(x, ly, self.base_features, self.resolution, train)
        h = jnp.mean(h, axis=(1, 2)).astype(jnp.float32)
        return nn.Dense(self.z_dim, name='to_latent')(h)


class GhostNetDiscriminator(nn.Module):
    """GhostNet as the discriminator: x ``[B, R, R, C]`` -> GhostNet (stem stride 1, so 28x28
    images keep their detail) -> its ``[B, num_features]`` pre-logit features ->
    real/fake logit ``[B]`` (plus a projection term when conditional). ``depthwise_sn``: how
    spectral norm treats the depthwise kernels (``nn.layers.Layers``)."""
    resolution: int = 28
    channels: int = 1
    width: float = 0.5
    num_features: int = 1280
    stages: tuple = GHOSTNET_STAGES
    num_classes: int = 0
    spectral_norm: bool = False
    depthwise_sn: str = 'joint'
    impl: str = 'auto'  # ghostjax.ops.policy
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    def __post_init__(self):
        check_depthwise_sn(self.depthwise_sn)
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_images(x, self.resolution, self.channels, 'GhostNetDiscriminator')
        h = GhostNet(self.width, num_classes=0, dropout=0.0, in_channels=self.channels,
                     stem_stride=1, num_features=self.num_features, impl=self.impl,
                     dtype=self.dtype, bn_axis_name=self.bn_axis_name, stages=self.stages,
                     spectral_norm=self.spectral_norm, depthwise_sn=self.depthwise_sn,
                     name='ghostnet')(x, train, 'pre_logits')
        return DiscriminatorHead(self.num_classes, self.spectral_norm, name='head')(
            h.astype(jnp.float32), labels, train)
