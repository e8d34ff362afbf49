"""Pruning as an optax wrapper: filters, methods, schedules, exact zeros, checkpoints, errors."""
import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ghostjax.optim import pruning
from ghostjax.nn.layers import DepthwiseConv
from ghostjax.training.checkpoint import Checkpointer
from ghostjax.training.state import TrainState


class Tiny(nn.Module):
    """conv 3x3 (8 -> 16) + BN + depthwise 3x3 + dense 16 -> 8, all kinds of leaves."""

    @nn.compact
    def __call__(self, x, train: bool = True):
        x = nn.Conv(16, (3, 3), use_bias=True, name='conv')(x)
        x = nn.BatchNorm(use_running_average=not train, name='bn')(x)
        x = DepthwiseConv(3, name='dw')(x)
        return nn.Dense(8, name='dense')(jnp.mean(x, axis=(1, 2)))


@pytest.fixture(scope='module')
def setup():
    model = Tiny()
    x = jax.random.normal(jax.random.key(0), (4, 6, 6, 8))
    variables = model.init(jax.random.key(1), x)
    y = jax.random.normal(jax.random.key(2), (4, 8))

    def loss(params, batch_stats):
        out, _ = model.apply({'params': params, 'batch_stats': batch_stats}, x,
                             mutable=['batch_stats'])
        return jnp.mean((out - y) ** 2)
    return variables, jax.jit(jax.grad(loss))


def _train(tx, variables, grad_fn, steps):
    params, batch_stats = variables['params'], variables['batch_stats']
    state = tx.init(params)
    history = []
    for _ in range(steps):
        updates, state = tx.update(grad_fn(params, batch_stats), state, params)
        params = optax.apply_updates(params, updates)
        history.append(params)
    return params, state, history


def test_default_filter_takes_conv_and_dense_kernels_only(setup):
    variables, _ = setup
    where = pruning.prunable(variables['params'])
    assert where == {'conv': {'kernel': True, 'bias': False}, 'bn': {'scale': False,
                     'bias': False}, 'dw': {'kernel': False},
                     'dense': {'kernel': True, 'bias': False}}
    with pytest.raises(ValueError, match="include='attention' .* matches no parameter"):
        pruning.prunable(variables['params'], include='attention')


def test_one_shot_magnitude_hits_the_target_per_layer_and_zeros_stay_zero(setup):
    variables, grad_fn = setup
    tx = pruning.prune(optax.adam(1e-2), 'magnitude', pruning.one_shot(0.8, step=2))
    params, state, history = _train(tx, variables, grad_fn, 6)
    report = pruning.sparsity_report(params)
    for path, n in (('conv/kernel', 3 * 3 * 8 * 16), ('dense/kernel', 16 * 8)):
        assert report['layers'][path] == pytest.approx(round(0.8 * n) / n)
    assert pruning.sparsity_report(history[1])['sparsity'] == 0  # before the schedule starts
    masks = state.masks
    for later in history[2:]:  # Adam keeps pushing, the zeros stay exact
        np.testing.assert_array_equal(np.asarray(later['conv']['kernel'])[
            ~np.asarray(masks['conv']['kernel'])], 0.0)
    # never pruned: biases, BN, depthwise (their masks stay all-True)
    assert set(report['layers']) == {'conv/kernel', 'dense/kernel'}
    for path in (('conv', 'bias'), ('bn', 'scale'), ('dw', 'kernel')):
        assert np.all(np.asarray(masks[path[0]][path[1]]))
        assert np.all(np.asarray(params[path[0]][path[1]]) != 0) or path[1] == 'bias'


def test_global_magnitude_reaches_the_overall_target(setup):
    variables, grad_fn = setup
    tx = pruning.prune(optax.sgd(1e-2), 'global_magnitude', pruning.one_shot(0.5))
    params, _, _ = _train(tx, variables, grad_fn, 2)
    report = pruning.sparsity_report(params)
    assert report['sparsity'] == pytest.approx(0.5, abs=1 / report['prunable'])


def test_two_four_keeps_two_of_every_four_input_weights(setup):
    variables, grad_fn = setup
    tx = pruning.prune(optax.sgd(1e-2), '2:4', pruning.one_shot(0.5))
    params, _, _ = _train(tx, variables, grad_fn, 3)
    k = np.asarray(params['conv']['kernel'])  # [3, 3, 8, 16]: groups of 4 along the 8 inputs
    groups = np.moveaxis(k, 2, -1).reshape(3, 3, 16, 2, 4)
    np.testing.assert_array_equal(np.sum(groups != 0, axis=-1), 2)


def test_polynomial_schedule_follows_zhu_and_gupta():
    s = pruning.polynomial(0.8, begin=10, end=110, every=10)
    values = np.asarray([float(s(t)) for t in (0, 10, 15, 20, 60, 110, 500)])
    want = [0, 0, 0, 0.8 * (1 - 0.9 ** 3), 0.8 * (1 - 0.5 ** 3), 0.8, 0.8]
    np.testing.assert_allclose(values, want, rtol=1e-6)


def test_gradual_pruning_ramps_up(setup):
    variables, grad_fn = setup
    tx = pruning.prune(optax.sgd(1e-2), 'magnitude', pruning.polynomial(0.6, 0, 4, every=1))
    _, _, history = _train(tx, variables, grad_fn, 6)
    levels = [pruning.sparsity_report(p)['sparsity'] for p in history]
    assert levels == sorted(levels) and levels[0] == 0
    assert levels[-1] == pytest.approx(0.6, abs=0.01)


def test_masks_survive_checkpoint_save_and_restore(setup, tmp_path):
    variables, grad_fn = setup
    tx = pruning.prune(optax.adam(1e-2), 'magnitude', pruning.one_shot(0.7))
    ts = TrainState.create(apply_fn=None, params=variables['params'],
                           batch_stats=variables['batch_stats'], tx=tx)
    for _ in range(2):
        ts = ts.apply_gradients(grads=grad_fn(ts.params, ts.batch_stats))
    ckpt = Checkpointer(str(tmp_path))
    ckpt.save(2, ts)
    fresh = TrainState.create(apply_fn=None, params=variables['params'],
                              batch_stats=variables['batch_stats'], tx=tx)
    restored, _ = ckpt.restore(fresh, 2)
    ckpt.close()
    chex.assert_trees_all_equal(restored.opt_state.masks, ts.opt_state.masks)
    restored = restored.apply_gradients(grads=grad_fn(restored.params, restored.batch_stats))
    kernel, mask = restored.params['conv']['kernel'], restored.opt_state.masks['conv']['kernel']
    np.testing.assert_array_equal(np.asarray(kernel)[~np.asarray(mask)], 0.0)


@pytest.mark.parametrize('make,match', [
    (lambda: pruning.one_shot(1.0), r'sparsity must be in \[0, 1\), got 1.0'),
    (lambda: pruning.one_shot(-0.1), r'sparsity must be in \[0, 1\), got -0.1'),
    (lambda: pruning.prune(optax.sgd(1.0), '4:4', pruning.one_shot(0.5)),
     'N:M sparsity needs 0 < N < M, got 4:4'),
    (lambda: pruning.prune(optax.sgd(1.0), 'random', pruning.one_shot(0.5)),
     "unknown pruning method 'random'"),
    (lambda: pruning.polynomial(0.5, begin=5, end=5), 'need begin < end'),
])
def test_bad_pruning_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_l1_l2_penalties_cover_the_filtered_kernels_only(setup):
    from ghostjax.optim import l1_penalty, l2_penalty
    params = jax.tree.map(jnp.ones_like, setup[0]['params'])
    kernels = 3 * 3 * 8 * 16 + 16 * 8  # conv + dense kernels; no biases, BN or depthwise
    assert float(l1_penalty(params)) == kernels
    assert float(l2_penalty(params)) == 0.5 * kernels
    g = jax.grad(l2_penalty)(params)
    chex.assert_trees_all_equal(g['conv']['kernel'], params['conv']['kernel'])
    assert float(jnp.sum(jnp.abs(g['bn']['scale']))) == 0.0
