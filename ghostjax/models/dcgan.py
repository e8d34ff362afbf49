"""The classic GAN architectures with their exact layer plans. Images are ``[B, H, W, C]`` in
[-1, 1]; latents ``[B, z_dim]``.

* ``DCGANGenerator`` / ``DCGANDiscriminator``: the PyTorch DCGAN example layout for 2^k
  resolutions; at 64x64 RGB, G has 3,576,704 and D 2,765,568 parameters (no biases).
* ``DCGAN28Generator`` / ``DCGAN28Discriminator``: the TensorFlow DCGAN tutorial for 28x28
  grayscale; G 2,305,472 and D 212,865 parameters.
* ``MLPGenerator`` / ``MLPDiscriminator``: the fully-connected GAN for 28x28.

Discriminators return logits ``[B]``. ``bn_axis_name`` (inside a data-parallel step) averages
BatchNorm batch statistics over that axis, so the step equals a single-device one. Options
shared by every G/D pair: ``num_classes > 0`` makes them class-conditional (G: label embedding
concatenated to z; D: projection discriminator term ``<embed(y), features>``),
``spectral_norm=True`` wraps D's layers in spectral normalisation (power-iteration vectors in
the ``batch_stats`` collection).
"""
from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.nn.gan import (DiscriminatorHead, check_images, check_latent, condition,
                             leaky_relu, leaky_relu_tf, sn)
from ghostjax.nn.layers import BatchNorm, ConvTranspose, Layers

Dtype = Any


def conv_transpose(ly: Layers, features: int, kernel: int, strides: int, padding: int,
                   name: str) -> ConvTranspose:
    """PyTorch ``ConvTranspose2d(k, s, p)``: output ``(in - 1) * s - 2p + k``."""
    q = kernel - 1 - padding
    return ly.conv_transpose(features, (kernel, kernel), (strides, strides), ((q, q), (q, q)),
                             name=name)


class DCGANGenerator(nn.Module):
    """PyTorch-example DCGAN generator: ConvT(z -> 8*ngf... k4 s1 p0) to 4x4, then ConvT k4 s2 p1
    with BN + ReLU doubling the size down to ``ngf`` channels, ConvT to ``channels`` + tanh."""
    resolution: int = 64
    channels: int = 3
    z_dim: int = 100
    ngf: int = 64
    num_classes: int = 0
    impl: str = 'auto'  # ghostjax.ops.policy
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    @nn.compact
    def __call__(self, z: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_latent(z, self.z_dim, 'DCGANGenerator')
        n_up = int(math.log2(self.resolution)) - 2
        if self.resolution < 8 or 2 ** (n_up + 2) != self.resolution:
            raise ValueError(f'DCGANGenerator makes 2^k x 2^k images (k >= 3); got resolution '
                             f'{self.resolution}')
        ly = Layers(self.dtype, self.impl, self.bn_axis_name)
        h = condition(z, labels, self.num_classes, self.z_dim)[:, None, None, :].astype(self.dtype)
        for i in range(n_up):
            h = conv_transpose(ly, self.ngf * 2 ** (n_up - 1 - i), 4, 1 if i == 0 else 2,
                               0 if i == 0 else 1, f'convt{i}')(h)
            h = nn.relu(ly.norm(train, f'bn{i}')(h))
        h = conv_transpose(ly, self.channels, 4, 2, 1, f'convt{n_up}')(h)
        return jnp.tanh(h.astype(jnp.float32))


class DCGANDiscriminator(nn.Module):
    """PyTorch-example DCGAN discriminator: Conv k4 s2 p1 + LeakyReLU(0.2) halving the size (BN
    after the first), then Conv k4 s1 p0 on the 4x4 map to one logit."""
    resolution: int = 64
    channels: int = 3
    ndf: int = 64
    num_classes: int = 0
    spectral_norm: bool = False
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None
    impl: str = 'auto'  # ghostjax.ops.policy

    @nn.compact
    def __call__(self, x: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_images(x, self.resolution, self.channels, 'DCGANDiscriminator')
        ly = Layers(self.dtype, self.impl, self.bn_axis_name)
        n_down = int(math.log2(self.resolution)) - 2
        h = x.astype(self.dtype)
        for i in range(n_down):
            h = sn(nn.Conv(self.ndf * 2 ** i, (4, 4), (2, 2), ((1, 1), (1, 1)), use_bias=False,
                           dtype=self.dtype, name=f'conv{i}'),
                   self.spectral_norm)(h, update_stats=train)
            if i > 0 and not self.spectral_norm:
                h = ly.norm(train, f'bn{i}')(h)
            h = leaky_relu(h)
        if self.num_classes:
            return DiscriminatorHead(self.num_classes, self.spectral_norm, name='head')(
                jnp.sum(h, axis=(1, 2)).astype(jnp.float32), labels, train)
        self.sow('intermediates', 'features', h.reshape(h.shape[0], -1))
        h = sn(nn.Conv(1, (4, 4), (1, 1), 'VALID', use_bias=False, dtype=self.dtype,
                       name=f'conv{n_down}'), self.spectral_norm)(h, update_stats=train)
        return h.reshape(h.shape[0]).astype(jnp.float32)


class DCGAN28Generator(nn.Module):
    """TF-tutorial DCGAN generator for 28x28x1: Dense(7*7*256, no bias) + BN + LeakyReLU, ConvT
    k5 s1 -> 128, ConvT k5 s2 -> 64 (each BN + LeakyReLU, no bias), ConvT k5 s2 -> 1 + tanh."""
    z_dim: int = 100
    channels: int = 1
    num_classes: int = 0
    impl: str = 'auto'  # ghostjax.ops.policy
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None
    resolution: int = 28

    @nn.compact
    def __call__(self, z: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_latent(z, self.z_dim, 'DCGAN28Generator')
        ly = Layers(self.dtype, self.impl, self.bn_axis_name)
        h = condition(z, labels, self.num_classes, self.z_dim).astype(self.dtype)
        h = nn.Dense(7 * 7 * 256, use_bias=False, dtype=self.dtype, name='dense')(h)
        h = leaky_relu_tf(_keras_bn(ly, train, 'bn0')(h))
        h = h.reshape(-1, 7, 7, 256)
        for i, (f, s) in enumerate(((128, 1), (64, 2))):
            h = ly.conv_transpose(f, (5, 5), (s, s), 'SAME', name=f'convt{i}')(h)
            h = leaky_relu_tf(_keras_bn(ly, train, f'bn{i + 1}')(h))
        h = ly.conv_transpose(self.channels, (5, 5), (2, 2), 'SAME', name='convt2')(h)
        return jnp.tanh(h.astype(jnp.float32))


def _keras_bn(ly: Layers, train: bool, name: str) -> BatchNorm:
    """Keras' BatchNormalization defaults (momentum 0.99, epsilon 1e-3)."""
    return ly.norm(train, name, momentum=0.99, epsilon=1e-3)


class DCGAN28Discriminator(nn.Module):
    """TF-tutorial DCGAN discriminator: Conv k5 s2 -> 64, Conv k5 s2 -> 128 (bias, LeakyReLU,
    Dropout 0.3 each), flatten, Dense 1."""
    channels: int = 1
    num_classes: int = 0
    spectral_norm: bool = False
    dropout: float = 0.3
    dtype: Dtype = jnp.float32
    resolution: int = 28

    @nn.compact
    def __call__(self, x: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_images(x, 28, self.channels, 'DCGAN28Discriminator')
        h = x.astype(self.dtype)
        for i, f in enumerate((64, 128)):
            h = sn(nn.Conv(f, (5, 5), (2, 2), 'SAME', dtype=self.dtype, name=f'conv{i}'),
                   self.spectral_norm)(h, update_stats=train)
            h = nn.Dropout(self.dropout, deterministic=not train)(leaky_relu_tf(h))
        h = h.reshape(h.shape[0], -1).astype(jnp.float32)
        head = DiscriminatorHead(self.num_classes, self.spectral_norm, name='head')
        return head(h, labels, train)


class MLPGenerator(nn.Module):
    """Dense 128 -> 128 (LeakyReLU 0.2) -> 784 + tanh, reshaped to ``[B, 28, 28, 1]``."""
    z_dim: int = 100
    hidden: int = 128
    channels: int = 1
    num_classes: int = 0
    dtype: Dtype = jnp.float32
    resolution: int = 28

    @nn.compact
    def __call__(self, z: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_latent(z, self.z_dim, 'MLPGenerator')
        h = condition(z, labels, self.num_classes, self.z_dim).astype(self.dtype)
        for i in range(2):
            h = leaky_relu(nn.Dense(self.hidden, dtype=self.dtype, name=f'dense{i}')(h))
        h = nn.Dense(28 * 28 * self.channels, dtype=self.dtype, name='out')(h)
        return jnp.tanh(h.astype(jnp.float32)).reshape(-1, 28, 28, self.channels)


class MLPDiscriminator(nn.Module):
    """Flatten, Dense 128 -> 128 (LeakyReLU 0.2), Dense 1."""
    hidden: int = 128
    channels: int = 1
    num_classes: int = 0
    spectral_norm: bool = False
    dtype: Dtype = jnp.float32
    resolution: int = 28

    @nn.compact
    def __call__(self, x: jax.Array, labels: jax.Array | None = None, train: bool = False):
        check_images(x, 28, self.channels, 'MLPDiscriminator')
        h = x.reshape(x.shape[0], -1).astype(self.dtype)
        for i in range(2):
            h = leaky_relu(sn(nn.Dense(self.hidden, dtype=self.dtype, name=f'dense{i}'),
                              self.spectral_norm)(h, update_stats=train))
        return DiscriminatorHead(self.num_classes, self.spectral_norm, name='head')(
            h.astype(jnp.float32), labels, train)
