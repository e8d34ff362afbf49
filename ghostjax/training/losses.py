"""Losses, all written on logits so they never produce inf/NaN for finite inputs."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def cross_entropy(logits: jax.Array, labels: jax.Array, label_smoothing: float = 0.0) -> jax.Array:
    """Mean softmax cross-entropy of ``logits [B, K]`` against integer ``labels [B]``."""
    num_classes = logits.shape[-1]
    targets = optax.smooth_labels(jax.nn.one_hot(labels, num_classes), label_smoothing)
    return jnp.mean(optax.softmax_cross_entropy(logits.astype(jnp.float32), targets))


# --------------------------------------------------------------------------- GAN losses
# Discriminator outputs are logits; every form below is finite for finite logits
# (log-sigmoids are written as softplus).

GAN_LOSSES = ('ns', 'minimax', 'hinge', 'wgan', 'lsgan')


def _check_kind(kind: str) -> None:
    if kind not in GAN_LOSSES:
        raise ValueError(f'unknown GAN loss {kind!r}; expected one of {GAN_LOSSES}')


def discriminator_loss(kind: str, real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """D's loss on logits ``[B]`` of real and generated images.

    ns / minimax: ``-log D(x) - log(1 - D(G(z)))``; hinge: ``relu(1 - D(x)) + relu(1 + D(G(z)))``;
    wgan: ``D(G(z)) - D(x)``; lsgan: ``((D(x) - 1)^2 + D(G(z))^2) / 2``.
    """
    _check_kind(kind)
    real, fake = real_logits.astype(jnp.float32), fake_logits.astype(jnp.float32)
    if kind in ('ns', 'minimax'):
        return jnp.mean(jax.nn.softplus(-real)) + jnp.mean(jax.nn.softplus(fake))
    if kind == 'hinge':
        return jnp.mean(jax.nn.relu(1.0 - real)) + jnp.mean(jax.nn.relu(1.0 + fake))
    if kind == 'wgan':
        return jnp.mean(fake) - jnp.mean(real)
    return 0.5 * (jnp.mean((real - 1.0) ** 2) + jnp.mean(fake ** 2))


def generator_loss(kind: str, fake_logits: jax.Array) -> jax.Array:
    """G's loss on D's logits ``[B]`` of generated images.

    ns: ``-log D(G(z))``; minimax: ``log(1 - D(G(z)))``; hinge and wgan: ``-D(G(z))``;
    lsgan: ``(D(G(z)) - 1)^2 / 2``.
    """
    _check_kind(kind)
    fake = fake_logits.astype(jnp.float32)
    if kind == 'ns':
        return jnp.mean(jax.nn.softplus(-fake))
    if kind == 'minimax':
        return -jnp.mean(jax.nn.softplus(fake))
    if kind in ('hinge', 'wgan'):
        return -jnp.mean(fake)
    return 0.5 * jnp.mean((fake - 1.0) ** 2)


def gradient_penalty(d_fn, real: jax.Array, fake: jax.Array, eps: jax.Array) -> jax.Array:
    """WGAN-GP: ``E (||grad_x D(x_hat)|| - 1)^2`` at ``x_hat = eps * real + (1 - eps) * fake``.

    ``d_fn(x) -> logits [B]``; ``eps`` ``[B]`` uniform in [0, 1].
    """
    x_hat = eps[:, None, None, None] * real + (1.0 - eps[:, None, None, None]) * fake
    grads = jax.grad(lambda x: jnp.sum(d_fn(x)))(x_hat)
    norms = jnp.sqrt(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=-1) + 1e-12)
    return jnp.mean((norms - 1.0) ** 2)


def r1_penalty(d_fn, real: jax.Array) -> jax.Array:
    """R1 (Mescheder et al. 2018): ``E ||grad_x D(x)||^2`` on real images (scale by gamma / 2)."""
    grads = jax.grad(lambda x: jnp.sum(d_fn(x)))(real)
    return jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=-1))


# --------------------------------------------------------------------------- dense prediction


def sigmoid_focal_loss(logits: jax.Array, targets: jax.Array, alpha: float = 0.25,
                       gamma: float = 2.0) -> jax.Array:
    """Elementwise focal loss (Lin et al. 2017) of logits against {0, 1} ``targets``:
    ``-alpha_t (1 - p_t)^gamma log p_t``, with ``log p_t`` a softplus so it stays finite."""
    x = logits.astype(jnp.float32)
    ce = optax.sigmoid_binary_cross_entropy(x, targets)
    p = jax.nn.sigmoid(x)
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return alpha_t * (1 - p_t) ** gamma * ce


def pixel_cross_entropy(logits: jax.Array, labels: jax.Array, ignore_label: int = 255
                        ) -> jax.Array:
    """Mean softmax cross-entropy of ``logits [B, H, W, K]`` against ``labels [B, H, W]`` over
    the pixels whose label is not ``ignore_label`` (0 when every pixel is ignored)."""
    keep = labels != ignore_label
    safe = jnp.where(keep, labels, 0)
    losses = optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), safe)
    return jnp.sum(jnp.where(keep, losses, 0.0)) / jnp.maximum(jnp.sum(keep), 1)
