"""Building blocks shared by the GAN generators and discriminators. Images are
``[B, H, W, C]`` in [-1, 1]; latents ``[B, z_dim]``; discriminators return logits ``[B]``."""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ghostjax.nn.ghost import GhostModule
from ghostjax.nn.layers import Layers


def leaky_relu(x: jax.Array) -> jax.Array:
    return nn.leaky_relu(x, 0.2)


def leaky_relu_tf(x: jax.Array) -> jax.Array:
    """Keras' LeakyReLU default slope 0.3 (the TF DCGAN tutorial)."""
    return nn.leaky_relu(x, 0.3)


def check_latent(z: jax.Array, z_dim: int, who: str) -> None:
    if z.ndim != 2 or z.shape[-1] != z_dim:
        raise ValueError(f'{who} expects latents of shape [B, {z_dim}], got {tuple(z.shape)}')


def check_images(x: jax.Array, size: int, channels: int, who: str) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (size, size, channels):
        raise ValueError(f'{who} expects images of shape [B, {size}, {size}, {channels}], '
                         f'got {tuple(x.shape)}')


def condition(z: jax.Array, labels: jax.Array | None, num_classes: int, dim: int) -> jax.Array:
    """Concatenates a learned label embedding to ``z`` for class-conditional generators."""
    if num_classes == 0:
        return z
    if labels is None:
        raise ValueError(f'a class-conditional model ({num_classes} classes) needs labels')
    return jnp.concatenate([z, nn.Embed(num_classes, dim, name='label_embed')(labels)], -1)


class _Plain(nn.Module):
    """Calls a layer, ignoring ``update_stats`` (the no-spectral-norm case of ``sn``)."""
    layer: nn.Module

    def __call__(self, x, update_stats: bool = False):
        return self.layer(x)


def sn(layer: nn.Module, enabled: bool) -> nn.Module:
    """``layer`` wrapped in spectral normalisation when ``enabled``; call with update_stats."""
    return nn.SpectralNorm(layer) if enabled else _Plain(layer)


class DiscriminatorHead(nn.Module):
    """Final logit from features ``[B, F]``: dense (+ projection term when conditional). The
    features are sown as ``intermediates/.../features`` (``discriminator_features``)."""
    num_classes: int = 0
    spectral_norm: bool = False

    @nn.compact
    def __call__(self, h: jax.Array, labels: jax.Array | None, train: bool) -> jax.Array:
        self.sow('intermediates', 'features', h)
        out = sn(nn.Dense(1, name='out'), self.spectral_norm)(h, update_stats=train)[:, 0]
        if self.num_classes:
            if labels is None:
                raise ValueError(f'a class-conditional model ({self.num_classes} classes) '
                                 'needs labels')
            embed = nn.Embed(self.num_classes, h.shape[-1], name='label_proj')(labels)
            out = out + jnp.sum(embed * h, axis=-1)
        return out


def discriminator_features(apply_fn, variables, x: jax.Array, labels: jax.Array | None = None
                           ) -> tuple[jax.Array, jax.Array]:
    """(eval-mode logits ``[B]``, the features the logit is read from ``[B, F]``) of a
    discriminator; for f-AnoGAN's feature residual and nearest-neighbour scores."""
    logits, state = apply_fn(variables, x, labels, train=False, mutable=['intermediates'])
    found = [v for path, v in jax.tree_util.tree_leaves_with_path(state['intermediates'])
             if any(getattr(k, 'key', None) == 'features' for k in path)]
    if len(found) != 1:
        raise ValueError(f'expected one sown features array, found {len(found)}')
    return logits, found[0].reshape(x.shape[0], -1)


def upsample2x(x: jax.Array) -> jax.Array:
    """Nearest-neighbour 2x upsampling of ``[B, H, W, C]``."""
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class GhostUpBlock(nn.Module):
    """[2x upsample] -> GhostModule (ReLU) -> depthwise 3x3 + BN -> GhostModule (ReLU)."""
    features: int
    upsample: bool = True
    layers: Layers = Layers()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        ly = self.layers
        if self.upsample:
            x = upsample2x(x)
        h = GhostModule(self.features, name='ghost1', layers=ly)(x, train)
        h = ly.norm(train, 'bn_dw')(ly.depthwise(3, name='conv_dw')(h))
        return GhostModule(self.features, name='ghost2', layers=ly)(h, train)
