"""DiffAugment and lazy R1 in the GAN step."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax.training import gan as gan_lib
from ghostjax.training.gan import augment
from tests.helpers import tiny_gan_config


def test_policy_names_are_checked():
    assert augment.parse_policy('translation, cutout') == ('translation', 'cutout')
    assert augment.parse_policy('') == augment.parse_policy(None) == ()
    with pytest.raises(ValueError, match="unknown DiffAugment operation 'rotate'"):
        augment.parse_policy('color,rotate')


def test_neutral_parameters_are_the_identity():
    x = jax.random.uniform(jax.random.key(0), (2, 8, 8, 3), minval=-1, maxval=1)
    neutral = {'color': jnp.full((2, 3), 0.5), 'translation': jnp.zeros((2, 2), jnp.int32)}
    np.testing.assert_allclose(augment.apply(x, neutral), x, atol=1e-6)
    np.testing.assert_array_equal(augment.apply(x, {}), x)


def test_translation_shifts_with_zero_fill_and_cutout_zeroes_a_square():
    x = jnp.arange(1, 65, dtype=jnp.float32).reshape(1, 8, 8, 1)
    moved = augment.apply(x, {'translation': jnp.array([[1, -2]])})
    want = np.zeros((8, 8))
    want[1:, :6] = np.asarray(x[0, :7, 2:, 0])
    np.testing.assert_array_equal(moved[0, :, :, 0], want)
    cut = np.asarray(augment.apply(x, {'cutout': jnp.array([[4, 4]])}))[0, :, :, 0]
    assert np.all(cut[2:6, 2:6] == 0) and np.count_nonzero(cut == 0) == 16  # side 8 / 2
    # centre (0, 7): rows -2..1 and columns 5..8, clipped to rows 0-1, columns 5-7
    corner = np.asarray(augment.apply(x, {'cutout': jnp.array([[0, 7]])}))[0, :, :, 0]
    assert np.all(corner[:2, 5:] == 0) and np.count_nonzero(corner == 0) == 6


def test_augmentation_is_differentiable_and_deterministic_per_key():
    policy = augment.POLICIES
    x = jax.random.uniform(jax.random.key(1), (4, 16, 16, 1), minval=-1, maxval=1)
    params = augment.sample(jax.random.key(2), 4, 16, policy)
    chex.assert_shape([params['color'], params['translation'], params['cutout']],
                      [(4, 3), (4, 2), (4, 2)])
    assert int(jnp.max(jnp.abs(params['translation']))) <= 2  # 1/8 of 16
    grad = jax.grad(lambda x: jnp.sum(augment.apply(x, params) ** 2))(x)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)
    again = augment.sample(jax.random.key(2), 4, 16, policy)
    chex.assert_trees_all_equal(params, again)


@pytest.fixture(scope='module')
def step_setup():
    def run(steps=1, **kw):
        config = tiny_gan_config(optimizer='sgd', b1=0.0, ema_decay=0.0, **kw)
        g, d = gan_lib.create_models(config, 28, 1, 10)
        state = gan_lib.create_state(config, g, d, (28, 28, 1), jax.random.key(3))
        step = jax.jit(functools.partial(gan_lib.train_step,
                                         cfg=gan_lib.step_config(config, g.z_dim)))
        real = jax.random.uniform(jax.random.key(0), (8, 28, 28, 1), minval=-1, maxval=1)
        batch = {'image': real, 'label': jnp.zeros((8,), jnp.int32)}
        history = []
        for i in range(steps):
            state, metrics = step(state, batch, jax.random.key(10 + i))
            history.append(jax.device_get(metrics))
        return state, history
    return run


def test_diffaugment_off_is_the_plain_step_and_on_changes_what_d_sees(step_setup):
    plain, m_plain = step_setup()
    off, m_off = step_setup(diffaugment='')
    chex.assert_trees_all_equal(plain.d.params, off.d.params)
    on, m_on = step_setup(diffaugment='translation,cutout')
    assert m_on[0]['d_real'] != m_plain[0]['d_real'] and m_on[0]['d_fake'] != m_plain[0]['d_fake']


def test_lazy_r1_runs_every_k_steps_weighted_by_k(step_setup):
    _, lazy = step_setup(steps=2, r1_gamma=1.0, r1_every=2)
    _, every = step_setup(steps=1, r1_gamma=2.0, r1_every=1)
    assert lazy[0]['r1'] > 0 and lazy[1]['r1'] == 0
    np.testing.assert_allclose(lazy[0]['d_loss'], every[0]['d_loss'], rtol=1e-6)
