"""The one data-parallel path: a step wrapped over 4 devices equals the single-device step."""
import functools
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import PartitionSpec as P

import ghostjax as gj
from ghostjax import data
from ghostjax.applications import augment
from ghostjax.applications.synthetic import SyntheticSource
from ghostjax.training import gan as gan_lib
from ghostjax.training.classifier import create_train_state, train_and_evaluate, train_step
from ghostjax.training.parallel import batch_sharding, compile_step, data_mesh, host_copy, replicate
from tests.helpers import TINY_STAGES, assert_trees_close, tiny_config, tiny_gan_config


def _run(step, state, batch, rng, mesh, steps):
    p_step = compile_step(step, mesh, donate=False)
    state = replicate(state, mesh)
    batch = jax.device_put(batch, batch_sharding(mesh))
    for _ in range(steps):
        state, metrics = p_step(state, batch, replicate(rng, mesh))
    return host_copy(state), host_copy(metrics)


def test_meshes_cover_all_devices_or_one():
    assert data_mesh().size == jax.device_count() == 4
    assert data_mesh().axis_names == ('batch',)
    assert data_mesh(all_devices=False).devices.tolist() == [jax.devices()[0]]


def test_classifier_step_on_4_devices_equals_1_device():
    x = jax.random.normal(jax.random.key(0), (16, 16, 16, 1))
    batch = {'image': x, 'label': jnp.arange(16) % 10}
    model = gj.GhostNet(width=0.5, num_classes=10, dropout=0.0, in_channels=1, stem_stride=1,
                        stages=TINY_STAGES, bn_axis_name='batch')
    state = create_train_state(jax.random.key(1), model, (16, 16, 1),
                               optax.sgd(0.1, momentum=0.9))
    step = functools.partial(train_step, label_smoothing=0.1)
    # two steps: the second also checks the synchronised BN statistics and the momentum
    one = _run(step, state, batch, jax.random.key(2), data_mesh(all_devices=False), 2)
    four = _run(step, state, batch, jax.random.key(2), data_mesh(), 2)
    for part in ('params', 'batch_stats', 'opt_state'):
        assert_trees_close(getattr(one[0], part), getattr(four[0], part))
    np.testing.assert_allclose(one[1]['loss'], four[1]['loss'], rtol=1e-5)
    assert int(four[0].step) == 2


def test_classifier_step_with_synthetic_images_on_4_devices_equals_1_device():
    """Each device renders only its share of the generated images, from latents and labels
    drawn for the global batch, so the step does not depend on the device count."""
    def generate(variables, z, labels):
        return jnp.tanh(z[:, :256].reshape(-1, 16, 16, 1) * variables['w']
                        + labels[:, None, None, None] / 5.0)

    source = SyntheticSource(generate, {'w': jnp.float32(0.5)}, z_dim=256, num_classes=10,
                             image_shape=(16, 16, 1), truncation=1.5, mean=(0.3,), std=(0.4,))
    batch = {'image': jax.random.normal(jax.random.key(0), (8, 16, 16, 1)),
             'label': jnp.arange(8) % 10}
    model = gj.GhostNet(width=0.5, num_classes=10, dropout=0.0, in_channels=1, stem_stride=1,
                        stages=TINY_STAGES, bn_axis_name='batch')
    state = create_train_state(jax.random.key(1), model, (16, 16, 1), optax.sgd(0.1))
    step = functools.partial(train_step, extend=augment.extension(source, 8).extend)
    results = []
    for mesh in (data_mesh(all_devices=False), data_mesh()):
        p_step = compile_step(step, mesh, donate=False)
        results.append(host_copy(p_step(replicate(state, mesh),
                                        jax.device_put(batch, batch_sharding(mesh)),
                                        replicate(jax.random.key(2), mesh),
                                        replicate(source.variables, mesh))))
    (one, m1), (four, m4) = results
    assert_trees_close(one.params, four.params)
    assert_trees_close(one.batch_stats, four.batch_stats)
    np.testing.assert_allclose(m1['loss'], m4['loss'], rtol=1e-5)
    # the generated half changes the step: it is not the real-only step
    mesh = data_mesh(all_devices=False)
    real_only, _ = host_copy(compile_step(train_step, mesh, donate=False)(
        replicate(state, mesh), batch, replicate(jax.random.key(2), mesh)))
    assert not np.allclose(jax.tree.leaves(real_only.params)[0], jax.tree.leaves(one.params)[0])


def test_gan_step_on_4_devices_equals_1_device():
    # SGD: Adam would turn the float noise of exactly-zero gradients (a BN bias feeding another
    # BN, a leaky unit linear on every sample) into +-lr steps that differ between the two runs.
    # every per-image draw (latents, GP mixing weights, DiffAugment) is global-batch sliced
    config = tiny_gan_config(loss='wgan', gp_weight=10.0, n_critic=2, ema_decay=0.9,
                             optimizer='sgd', b1=0.5, g_learning_rate=0.05, d_learning_rate=0.05,
                             diffaugment='color,translation,cutout', r1_gamma=1.0, r1_every=2)
    real = jax.random.uniform(jax.random.key(0), (16, 28, 28, 1), minval=-1, maxval=1)
    batch = {'image': real, 'label': jnp.arange(16) % 10}
    g, d = gan_lib.create_models(config, 28, 1, 10, 'batch')
    state = gan_lib.create_state(config, g, d, (28, 28, 1), jax.random.key(3))
    step = functools.partial(gan_lib.train_step, cfg=gan_lib.step_config(config, g.z_dim))
    (s1, m1), (s4, m4) = (_run(step, state, batch, jax.random.key(4), mesh, 1)
                          for mesh in (data_mesh(all_devices=False), data_mesh()))
    parts = lambda s: (s.g.params, s.g.opt_state, s.g.batch_stats, s.d.params, s.d.opt_state,
                       s.ema_params)
    for part1, part4 in zip(parts(s1), parts(s4)):
        assert_trees_close(part1, part4)
    for k in ('d_loss', 'g_loss', 'gp', 'd_real', 'd_fake'):
        np.testing.assert_allclose(m1[k], m4[k], rtol=1e-5)


def test_check_vma_trap_is_avoided():
    """With shard_map's default check_vma=True the gradient of a replicated parameter comes out
    summed over devices and a pmean leaves it n times too large; the wrapper must not."""
    mesh = data_mesh()
    w = jnp.ones(3)
    x = jnp.arange(24.0).reshape(8, 3) / 24

    def step(w, x, rng, axis_name=None):
        del rng
        g = jax.grad(lambda w: jnp.mean((x @ w) ** 2))(w)
        return jax.lax.pmean(g, axis_name), jax.lax.pmean(jnp.zeros(()), axis_name)

    expected = jax.grad(lambda w: jnp.mean((x @ w) ** 2))(w)
    got, _ = compile_step(step, mesh, donate=False)(replicate(w, mesh),
                                                     jax.device_put(x, batch_sharding(mesh)),
                                                     replicate(jax.random.key(0), mesh))
    np.testing.assert_allclose(host_copy(got), expected, rtol=1e-6)
    trap = jax.jit(jax.shard_map(lambda w, x: step(w, x, None, 'batch')[0], mesh=mesh,
                                 in_specs=(P(), P('batch')), out_specs=P()))(w, x)
    np.testing.assert_allclose(np.asarray(trap), 4 * expected, rtol=1e-6)


def test_batches_are_global_arrays_split_over_the_mesh():
    mesh = data_mesh()
    labels = np.arange(40) % 10
    split = data.from_arrays(np.zeros((40, 8, 8, 1), np.uint8), labels, 10)
    batch = next(data.make_batches(split, global_batch=16, sharding=batch_sharding(mesh),
                                   train=False))
    chex.assert_shape(batch['image'], (16, 8, 8, 1))
    assert batch['image'].sharding.spec == P('batch')
    assert [s.data.shape[0] for s in batch['label'].addressable_shards] == [4] * 4
    with pytest.raises(ValueError, match='global batch 18 is not divisible by the total device '
                                         'count 4'):
        next(data.make_batches(split, global_batch=18, sharding=batch_sharding(mesh)))


def test_host_copy_gathers_local_arrays_and_keeps_keys():
    mesh = data_mesh()
    x = jax.device_put(jnp.arange(8.0), batch_sharding(mesh))
    np.testing.assert_array_equal(host_copy(x), np.arange(8.0))  # local: gathered
    key = host_copy(replicate(jax.random.key(7), mesh))
    assert jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    np.testing.assert_array_equal(jax.random.key_data(key), jax.random.key_data(jax.random.key(7)))


def test_batch_not_divisible_by_the_devices_fails_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match='global batch 18 is not divisible by the total device '
                                         r'count 4 \(1 processes, 4 devices in all\)'):
        train_and_evaluate(tiny_config(data_parallel=True, batch_size=18), str(tmp_path / 'run'))
    with pytest.raises(ValueError, match='global batch 18 is not divisible'):
        gan_lib.train_and_evaluate(tiny_gan_config(data_parallel=True, batch_size=18),
                                   str(tmp_path / 'gan'))
    assert not os.listdir(tmp_path)
