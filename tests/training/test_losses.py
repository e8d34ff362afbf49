"""Losses, penalties and weight clipping against closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ghostjax.training import losses
from ghostjax.optim import clip_weights



REAL = np.array([2.0, -1.0, 0.3])
FAKE = np.array([0.5, -3.0, 1.2])
sig = lambda x: 1 / (1 + np.exp(-x))


@pytest.mark.parametrize('kind,d_ref,g_ref', [
    ('ns', -np.mean(np.log(sig(REAL))) - np.mean(np.log(1 - sig(FAKE))), -np.mean(np.log(sig(FAKE)))),
    ('minimax', -np.mean(np.log(sig(REAL))) - np.mean(np.log(1 - sig(FAKE))),
     np.mean(np.log(1 - sig(FAKE)))),
    ('hinge', np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)), -np.mean(FAKE)),
    ('wgan', np.mean(FAKE) - np.mean(REAL), -np.mean(FAKE)),
    ('lsgan', 0.5 * (np.mean((REAL - 1) ** 2) + np.mean(FAKE ** 2)), 0.5 * np.mean((FAKE - 1) ** 2)),
])
def test_losses_match_closed_forms(kind, d_ref, g_ref):
    np.testing.assert_allclose(losses.discriminator_loss(kind, jnp.array(REAL), jnp.array(FAKE)),
                               d_ref, rtol=1e-6)
    np.testing.assert_allclose(losses.generator_loss(kind, jnp.array(FAKE)), g_ref, rtol=1e-6)
    extreme = jnp.array([1e4, -1e4, 0.0])
    assert jnp.isfinite(losses.discriminator_loss(kind, extreme, -extreme))
    assert jnp.isfinite(losses.generator_loss(kind, extreme))
    assert jnp.all(jnp.isfinite(jax.grad(lambda f: losses.generator_loss(kind, f))(extreme)))


def test_unknown_loss():
    with pytest.raises(ValueError, match=r"unknown GAN loss 'wasserstein'.*'ns'"):
        losses.generator_loss('wasserstein', jnp.zeros(2))


def test_gradient_penalties_on_a_linear_critic():
    w = jax.random.normal(jax.random.key(0), (4, 4, 1))
    d_fn = lambda x: jnp.sum(x * w, axis=(1, 2, 3))  # grad_x = w everywhere
    real = jax.random.normal(jax.random.key(1), (5, 4, 4, 1))
    fake = jax.random.normal(jax.random.key(2), (5, 4, 4, 1))
    norm = float(jnp.sqrt(jnp.sum(w ** 2)))
    gp = losses.gradient_penalty(d_fn, real, fake, jnp.linspace(0, 1, 5))
    np.testing.assert_allclose(gp, (norm - 1) ** 2, rtol=1e-5)
    np.testing.assert_allclose(losses.r1_penalty(d_fn, real), norm ** 2, rtol=1e-5)


def test_clip_weights_is_an_optax_transformation():
    tx = optax.chain(optax.sgd(1.0), clip_weights(0.01))
    params = {'w': jnp.array([0.0, 0.005, -0.009])}
    state = tx.init(params)
    updates, _ = tx.update({'w': jnp.array([-1.0, 0.001, 1.0])}, state, params)
    np.testing.assert_allclose(optax.apply_updates(params, updates)['w'], [0.01, 0.004, -0.01])
    with pytest.raises(ValueError, match='clip limit must be positive, got 0'):
        clip_weights(0)


def test_focal_loss_reduces_to_weighted_bce_and_stays_finite():
    logits = jnp.asarray([-30.0, -1.0, 0.0, 2.0, 40.0])
    targets = jnp.asarray([1.0, 0.0, 1.0, 1.0, 0.0])
    bce = optax.sigmoid_binary_cross_entropy(logits, targets)
    np.testing.assert_allclose(losses.sigmoid_focal_loss(logits, targets, alpha=0.5, gamma=0.0),
                               0.5 * bce, rtol=1e-6)
    focal = losses.sigmoid_focal_loss(logits, targets)
    assert np.all(np.isfinite(focal)) and np.all(focal <= bce)


def test_pixel_cross_entropy_ignores_pixels():
    logits = jax.random.normal(jax.random.key(0), (2, 4, 4, 3))
    labels = jnp.zeros((2, 4, 4), jnp.int32).at[0].set(255)
    full = optax.softmax_cross_entropy_with_integer_labels(logits[1:], labels[1:]).mean()
    assert losses.pixel_cross_entropy(logits, labels) == pytest.approx(float(full), rel=1e-6)
    assert losses.pixel_cross_entropy(logits, jnp.full((2, 4, 4), 255)) == 0.0
