"""Spectral norm of depthwise kernels: Flax's joint normalisation of the [kh * kw, C] matrix
leaves a depthwise conv well below 1-Lipschitz; 'per_filter' divides each channel by its own
conv's operator norm, so the layer's norm is ~1."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax import ops
from ghostjax.models import registry
from ghostjax.nn.layers import Layers


def test_filter_operator_norm_known_answers():
    k = np.zeros((3, 3, 1, 4), np.float32)
    k[1, 1, 0, 0] = -2.5                       # a single tap: |a|
    k[:, :, 0, 1] = 1.0                        # box filter: its DC gain, 9
    k[:, :, 0, 2] = [[1, -1, 1], [-1, 1, -1], [1, -1, 1]]  # checkerboard: Nyquist gain, 9
    k[0, 1, 0, 3], k[2, 1, 0, 3] = 1.0, 1.0    # two taps: 2 (at DC)
    norms = ops.filter_operator_norm(jnp.asarray(k))
    chex.assert_shape(norms, (4,))
    np.testing.assert_allclose(norms, [2.5, 9.0, 9.0, 2.0], rtol=1e-5)


def test_filter_operator_norm_rejects_a_grid_smaller_than_the_kernel():
    with pytest.raises(ValueError, match='grid must be at least the kernel size 5x5, got 4'):
        ops.filter_operator_norm(jnp.ones((5, 5, 1, 2)), grid=4)


def _conv_norm(apply, shape, iters=100):
    """Largest singular value of the linear map ``apply`` on inputs of ``shape``, by power
    iteration on apply^T apply."""
    v = jax.random.normal(jax.random.key(0), shape)
    _, vjp = jax.vjp(apply, v)

    @jax.jit
    def step(v):
        w = vjp(apply(v))[0]
        return w / jnp.linalg.norm(w)
    for _ in range(iters):
        v = step(v)
    return float(jnp.linalg.norm(apply(v)))


def _depthwise(mode, channels, updates):
    """A spectrally normalised depthwise 3x3 layer on ``[1, 28, 28, C]``, its power iteration
    (if any) advanced ``updates`` times; returns the linear map it applies."""
    layer = Layers(spectral_norm=True, sn_update=True, depthwise_sn=mode).depthwise(3)
    x = jnp.zeros((1, 28, 28, channels))
    variables = layer.init(jax.random.key(channels), x)
    for _ in range(updates):
        _, state = layer.apply(variables, x, mutable=['batch_stats'])
        variables = {**variables, **state}
    frozen = Layers(spectral_norm=True, depthwise_sn=mode).depthwise(3)
    return functools.partial(frozen.apply, variables), x.shape


@pytest.mark.parametrize('channels', [16, 64, 256])
def test_per_filter_makes_the_depthwise_conv_one_lipschitz(channels):
    apply, shape = _depthwise('per_filter', channels, 0)
    assert 0.97 <= _conv_norm(apply, shape) <= 1.0 + 1e-4


def test_joint_normalisation_leaves_a_wide_depthwise_conv_well_below_one():
    apply, shape = _depthwise('joint', 256, 50)  # power iteration converged
    assert _conv_norm(apply, shape) < 0.8


def test_an_unknown_depthwise_sn_is_refused_before_anything_compiles():
    with pytest.raises(ValueError, match=r"depthwise_sn must be one of \('joint', 'per_filter'\), "
                                         r"got 'perfilter'"):
        registry.create_discriminator('ghost', resolution=28, channels=1, spectral_norm=True,
                                      depthwise_sn='perfilter')


def test_per_filter_keeps_the_ghost_d_parameters_and_drops_the_depthwise_power_iterations():
    x = jnp.zeros((2, 28, 28, 1))
    trees = {}
    for mode in ('joint', 'per_filter'):
        d = registry.create_discriminator('ghost', resolution=28, channels=1, base_features=8,
                                          spectral_norm=True, depthwise_sn=mode)
        trees[mode] = jax.eval_shape(lambda: d.init(jax.random.key(0), x))
    shapes = lambda tree: jax.tree.map(lambda a: a.shape, tree)
    assert shapes(trees['joint']['params']) == shapes(trees['per_filter']['params'])
    # power-iteration state per normalised kernel, by block and kernel name
    # (the SpectralNormed wrappers are numbered in call order)
    def kernels(tree):
        flat = jax.tree_util.tree_flatten_with_path(tree['batch_stats'])[0]
        return sorted((path[0].key, path[-1].key) for path, _ in flat)
    joint, per_filter = kernels(trees['joint']), kernels(trees['per_filter'])
    assert set(per_filter) < set(joint)
    dropped = {name.split('/')[0] for _, name in set(joint) - set(per_filter)}
    assert dropped == {'conv_dw', 'shortcut_dw', 'cheap_conv'}, dropped


def test_per_filter_gradients_reach_the_depthwise_kernels():
    d = registry.create_discriminator('ghost', resolution=8, channels=1, base_features=8,
                                      spectral_norm=True, depthwise_sn='per_filter')
    x = jax.random.normal(jax.random.key(1), (2, 8, 8, 1))
    variables = d.init(jax.random.key(0), x)
    grads = jax.grad(lambda p: jnp.sum(d.apply({**variables, 'params': p}, x)))(
        variables['params'])
    g = grads['block0']['ghost1']['cheap_conv']['kernel']
    chex.assert_tree_all_finite(grads)
    assert float(jnp.abs(g).sum()) > 0
