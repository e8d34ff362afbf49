"""Depthwise and transposed-convolution fast paths (equal to the reference ops) and the
parameter/MAC counter."""
import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

import ghostjax as gj
from ghostjax import ops
from ghostjax.models.dcgan import conv_transpose
from ghostjax.nn import layers
from ghostjax.nn.layers import DepthwiseConv, Layers
from ghostjax.ops import conv_transpose_phases
from tests.helpers import assert_trees_close


def _rel(a, b):
    return float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(b)))


@pytest.mark.parametrize('kernel,strides,shape', [
    (3, 1, (2, 9, 9, 8)), (3, 2, (2, 10, 10, 8)), (5, 2, (2, 7, 7, 16)), ((1, 5), 1, (2, 6, 8, 4)),
    ((5, 1), 1, (2, 6, 8, 4)), (5, 1, (1, 4, 4, 3)),
])
def test_depthwise_fast_equals_reference_forward_and_grad(kernel, strides, shape):
    kx, kp, kg = jax.random.split(jax.random.key(sum(shape)), 3)
    x = jax.random.normal(kx, shape)
    params = DepthwiseConv(kernel, strides, impl='reference').init(kp, x)
    outs, grads = {}, {}
    for impl in ('reference', 'fast'):
        m = DepthwiseConv(kernel, strides, impl=impl)
        outs[impl] = m.apply(params, x)
        cot = jax.random.normal(kg, outs[impl].shape)
        grads[impl] = jax.grad(lambda p, x: jnp.sum(m.apply(p, x) * cot), argnums=(0, 1))(params, x)
    chex.assert_equal_shape([outs['reference'], outs['fast']])
    assert _rel(outs['fast'], outs['reference']) < 1e-5
    for g_s, g_g in zip(jax.tree.leaves(grads['fast']), jax.tree.leaves(grads['reference'])):
        assert _rel(g_s, g_g) < 1e-5


@pytest.mark.parametrize('strides', [1, 2])
def test_depthwise_shifted_bfloat16_keeps_dtype_and_float32_accuracy_of_sums(strides):
    # The kernel gradient sums 2*16*16 products per tap: accumulated in float32, it matches the
    # float32 op to bfloat16's rounding of inputs and result.
    kx, kk, kg = jax.random.split(jax.random.key(strides), 3)
    x = jax.random.normal(kx, (2, 16, 16, 8))
    kernel = jax.random.normal(kk, (3, 3, 1, 8))
    cot = jax.random.normal(kg, (2, 16 // strides, 16 // strides, 8))
    pad = ((1, 1), (1, 1)) if strides == 1 else ((0, 1), (0, 1))

    def grads(dtype):
        f = lambda x, k: jnp.sum(ops.depthwise_conv_shifted(
            x, k, (strides, strides), pad).astype(jnp.float32) * cot)
        return jax.grad(f, argnums=(0, 1))(x.astype(dtype), kernel.astype(dtype))

    (dx16, dk16), (dx32, dk32) = grads(jnp.bfloat16), grads(jnp.float32)
    chex.assert_type([dx16, dk16], jnp.bfloat16)
    assert _rel(dx16.astype(jnp.float32), dx32) < 2e-2
    assert _rel(dk16.astype(jnp.float32), dk32) < 2e-2


def test_depthwise_output_size_matches_pytorch_padding():
    # PyTorch: floor((H + 2 * (k // 2) - k) / s) + 1, e.g. 112 -> 56 and 7 -> 4 at stride 2.
    for impl in ('reference', 'fast'):
        m = DepthwiseConv(3, 2, impl=impl)
        for h, expected in ((112, 56), (7, 4), (1, 1)):
            y = jax.eval_shape(lambda x: m.init_with_output(jax.random.key(0), x)[0],
                               jnp.zeros((1, h, h, 2)))
            assert y.shape == (1, expected, expected, 2)


def test_count_params_ignores_batch_stats():
    v = {'params': {'a': jnp.zeros((3, 4)), 'b': jnp.zeros(5)}, 'batch_stats': {'m': jnp.zeros(7)}}
    assert gj.count_params(v) == 17
    assert gj.count_params({'x': jnp.zeros((2, 2))}) == 4


def test_count_macs_dense_conv_and_depthwise():
    x = jnp.zeros((2, 8, 8, 3))
    assert gj.model_size(nn.Dense(5), (2, 7))['macs'] == 2 * 7 * 5
    # 3x3 conv, 3 -> 4 channels, stride 1 SAME: out 2*8*8*4 elements, 27 MACs each.
    assert gj.model_size(nn.Conv(4, (3, 3)), x.shape)['macs'] == 2 * 8 * 8 * 4 * 27
    for impl in ('reference', 'fast'):
        assert gj.model_size(DepthwiseConv(3, 2, impl=impl), x.shape)['macs'] == 2 * 4 * 4 * 3 * 9
    scanned = lambda x: jax.lax.scan(lambda c, _: (c @ jnp.ones((4, 4)), None), x, None, length=3)[0]
    assert gj.count_macs(scanned, jnp.zeros((2, 4))) == 3 * 2 * 4 * 4


def test_count_macs_transposed_conv_counts_real_inputs_only():
    # PyTorch ConvTranspose2d(512, 256, 4, 2, 1) on 4x4: 4*4*512 inputs x 16 taps x 256 outputs.
    m = conv_transpose(Layers(), 256, 4, 2, 1, 'up')
    assert gj.model_size(m, (1, 4, 4, 512))['macs'] == 4 * 4 * 512 * 16 * 256
    first = conv_transpose(Layers(), 512, 4, 1, 0, 'first')  # 1x1 -> 4x4
    assert gj.model_size(first, (1, 1, 1, 100))['macs'] == 100 * 16 * 512


def _transposed_conv_grad_macs(conv, wrt):
    """Forward MACs and the MACs its gradient with respect to ``wrt`` adds: 4x4 stride-2
    transposed conv (PyTorch padding 1), [2, 4, 4, 5] -> [2, 8, 8, 3]."""
    x, kernel = jnp.ones((2, 4, 4, 5)), jnp.ones((4, 4, 5, 3))
    forward = gj.count_macs(conv, x, kernel)
    grad = jax.grad(lambda x, k: jnp.sum(conv(x, k)), argnums=wrt)
    return forward, gj.count_macs(grad, x, kernel) - forward


def test_count_macs_kernel_gradient_of_a_transposed_conv_counts_real_products():
    # XLA's kernel gradient is a conv whose "kernel" is the 8x8 output gradient, over the input
    # dilated by 2: per spatial dim 4 inputs x 4 taps meet the output, less the 2 that fall
    # outside it (the PyTorch padding), i.e. 14 of the dilated form's 4 x 8 x 8 products.
    conv = lambda x, k: jax.lax.conv_transpose(x, k, (2, 2), ((2, 2), (2, 2)),
                                               dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    forward, kernel_grad = _transposed_conv_grad_macs(conv, 1)
    assert forward == 2 * 4 * 4 * 5 * 16 * 3
    assert kernel_grad == 2 * 5 * 3 * 14 * 14


def test_count_macs_of_the_phases_transposed_conv_gradient_has_no_dead_forward():
    # The hand-written VJP transposes the phase convs (the forward's MACs again) and computes
    # the kernel gradient as one matmul per tap (all 16 taps of every input: the forward's MACs).
    conv = lambda x, k: conv_transpose_phases(x, k, (2, 2), ((2, 2), (2, 2)))
    forward, grad = _transposed_conv_grad_macs(conv, (0, 1))
    assert forward == 2 * 4 * 4 * 5 * 16 * 3
    assert grad == 2 * forward


@pytest.mark.parametrize('size,kernel,stride,padding', [
    (7, 5, 2, 'SAME'), (7, 5, 1, 'SAME'), (4, 4, 2, ((2, 2), (2, 2))),
    (1, 4, 1, ((3, 3), (3, 3))), (5, 3, 2, 'VALID'), (6, 4, 3, 'SAME'),
    (5, 3, 2, ((1, 2), (0, 1)))])
def test_conv_transpose_phases_equal_flax_conv_transpose(size, kernel, stride, padding):
    """The zero-free phase decomposition is the same function (values and gradients) as
    ``nn.ConvTranspose``, with the same parameters."""
    x = jax.random.normal(jax.random.key(0), (2, size, size, 3))
    ref = nn.ConvTranspose(16, (kernel, kernel), (stride, stride), padding, use_bias=True)
    variables = jax.tree.map(lambda a: a + 0.1, ref.init(jax.random.key(1), x))
    loss = lambda m: lambda v, x: jnp.sum(jnp.sin(m.apply(v, x)))
    want, want_grads = ref.apply(variables, x), jax.grad(loss(ref), (0, 1))(variables, x)
    for impl in ('reference', 'fast', 'auto'):
        m = layers.ConvTranspose(16, (kernel, kernel), (stride, stride), padding, use_bias=True,
                          impl=impl)
        chex.assert_trees_all_equal_shapes(m.init(jax.random.key(1), x), variables)
        np.testing.assert_allclose(m.apply(variables, x), want, atol=1e-5)
        assert_trees_close(jax.grad(loss(m), (0, 1))(variables, x), want_grads)
    with pytest.raises(ValueError, match="impl must be one of .* got 'im2col'"):
        layers.ConvTranspose(4, (3, 3), impl='im2col').init(jax.random.key(0), x)


@pytest.mark.parametrize('channels,kernel,stride', [(3, 3, 2), (1, 3, 1), (4, 5, 2), (3, 4, 2),
                                                    (16, 3, 1)])
def test_conv_patches_equal_nn_conv(channels, kernel, stride):
    """The patches-times-kernel form (the CPU stem fast path) is the same function, values and
    gradients, as ``nn.Conv`` with the same parameters and initialisation."""
    x = jax.random.normal(jax.random.key(0), (2, 9, 9, channels))
    p = kernel // 2
    ref = nn.Conv(8, (kernel, kernel), (stride, stride), ((p, p), (p, p)), use_bias=True)
    init = ref.init(jax.random.key(1), x)
    variables = jax.tree.map(lambda a: a + 0.1, init)
    loss = lambda m: lambda v, x: jnp.sum(jnp.sin(m.apply(v, x)))
    want, want_grads = ref.apply(variables, x), jax.grad(loss(ref), (0, 1))(variables, x)
    for impl in ('reference', 'fast', 'auto'):
        m = layers.Conv(8, kernel, stride, use_bias=True, impl=impl)
        chex.assert_trees_all_equal(m.init(jax.random.key(1), x), init)
        np.testing.assert_allclose(m.apply(variables, x), want, atol=1e-5)
        assert_trees_close(jax.grad(loss(m), (0, 1))(variables, x), want_grads)
    with pytest.raises(ValueError, match="impl must be one of .* got 'im2col'"):
        layers.Conv(4, impl='im2col').init(jax.random.key(0), x)


def _penalty_grad(f):
    """Gradient, w.r.t. both arguments, of a gradient-norm penalty of ``f`` (as in R1)."""
    def inner(x, w):
        gx, gw = jax.grad(lambda x, w: jnp.sum(jnp.tanh(f(x, w))), (0, 1))(x, w)
        return jnp.sum(gx ** 2) + jnp.sum(gw ** 2)
    return jax.grad(inner, (0, 1))


@pytest.mark.parametrize('op', ['depthwise_shifted', 'conv_transpose_phases'])
def test_hand_written_vjps_differentiate_again_like_the_reference(op):
    """The hand-written VJPs (depthwise: variadic-reduce kernel gradient; transposed conv:
    per-tap matmuls) differentiate twice like the XLA ops they replace."""
    x = jax.random.normal(jax.random.key(0), (2, 7, 7, 3))
    if op == 'depthwise_shifted':
        w = jax.random.normal(jax.random.key(1), (3, 3, 1, 3)) * 0.3
        pads = ((1, 1), (1, 1))
        fast = lambda x, w: ops.depthwise_conv_shifted(x, w, (2, 2), pads)
        reference = lambda x, w: ops.depthwise_conv_grouped(x, w, (2, 2), pads)
    else:
        w = jax.random.normal(jax.random.key(1), (4, 4, 3, 6)) * 0.3
        pads = [ops.transpose_padding(4, 2, 'SAME')] * 2
        fast = lambda x, w: conv_transpose_phases(x, w, (2, 2), pads)
        reference = lambda x, w: jax.lax.conv_transpose(
            x, w, (2, 2), pads, dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    assert_trees_close(_penalty_grad(fast)(x, w), _penalty_grad(reference)(x, w))


def test_pointwise_conv_equals_nn_conv_in_both_forms():
    """PointwiseConv is ``nn.Conv(features, (1, 1))`` (values, gradients, parameters) as the
    2-D matmul it runs as (fast) and as the XLA conv (reference)."""
    x = jax.random.normal(jax.random.key(0), (2, 5, 6, 7))
    ref = nn.Conv(8, (1, 1), use_bias=True)
    init = ref.init(jax.random.key(1), x)
    variables = jax.tree.map(lambda a: a + 0.1, init)
    loss = lambda m: lambda v, x: jnp.sum(jnp.sin(m.apply(v, x)))
    want, want_grads = ref.apply(variables, x), jax.grad(loss(ref), (0, 1))(variables, x)
    for impl in ('fast', 'reference'):
        m = layers.PointwiseConv(8, use_bias=True, impl=impl)
        chex.assert_trees_all_equal(m.init(jax.random.key(1), x), init)
        np.testing.assert_allclose(m.apply(variables, x), want, atol=1e-5)
        assert_trees_close(jax.grad(loss(m), (0, 1))(variables, x), want_grads)


def _bn_pair(train, impl='auto', **kw):
    return (layers.BatchNorm(use_running_average=not train, impl=impl, **kw),
            nn.BatchNorm(use_running_average=not train, **kw))


@pytest.mark.parametrize('impl', ['fast', 'reference'])
@pytest.mark.parametrize('shape', [(8, 5, 5, 6), (16, 12)])
def test_batch_norm_equals_flax_in_values_gradients_and_statistics(shape, impl):
    """layers.BatchNorm (hand-written training gradient) is flax's BatchNorm: same variables,
    outputs, running-statistics updates, and gradients for x, scale and bias; also in eval."""
    kx, kc, ks, kb = jax.random.split(jax.random.key(0), 4)
    x = 3.0 + 2.0 * jax.random.normal(kx, shape)
    ours, ref = _bn_pair(True, impl, momentum=0.8, epsilon=1e-3)
    variables = ref.init(jax.random.key(1), x)
    assert jax.tree.structure(ours.init(jax.random.key(1), x)) == jax.tree.structure(variables)
    c = shape[-1]
    variables = {'params': {'scale': 1 + 0.3 * jax.random.normal(ks, (c,)),
                            'bias': 0.5 * jax.random.normal(kb, (c,))},
                 'batch_stats': variables['batch_stats']}
    cot = jax.random.normal(kc, shape)

    def loss(module, params, x):
        y, updates = module.apply({**variables, 'params': params}, x, mutable=['batch_stats'])
        return jnp.sum(jnp.tanh(y) * cot), (y, updates)

    results = {}
    for name, module in (('ours', ours), ('ref', ref)):
        grads, (y, updates) = jax.grad(lambda p, x: loss(module, p, x), (0, 1), has_aux=True)(
            variables['params'], x)
        chex.assert_shape(y, shape)
        results[name] = (y, updates, grads)
    assert_trees_close(results['ours'], results['ref'])

    def through_statistics(module, x):  # gradients that reach x via the updated statistics
        _, updates = module.apply(variables, x, mutable=['batch_stats'])
        return jnp.sum(updates['batch_stats']['mean'] * cot.reshape(-1, c)[0]
                       + updates['batch_stats']['var'] ** 2)
    assert_trees_close(jax.grad(lambda x: through_statistics(ours, x))(x),
                       jax.grad(lambda x: through_statistics(ref, x))(x))

    stats = {'mean': jnp.linspace(-1, 1, c), 'var': jnp.linspace(0.5, 2, c)}
    eval_vars = {'params': variables['params'], 'batch_stats': stats}
    ours_eval, ref_eval = _bn_pair(False)
    assert_trees_close(ours_eval.apply(eval_vars, x), ref_eval.apply(eval_vars, x))


def test_batch_norm_over_a_mesh_normalises_and_differentiates_like_one_device():
    """With axis_name, statistics and the input gradient span all devices' batches: a BatchNorm
    under ``shard_map`` on 4 shards equals one BatchNorm over the whole batch, and so does
    flax's."""
    x = jax.random.normal(jax.random.key(0), (16, 3, 3, 5)) * 2 + 1
    cot = jax.random.normal(jax.random.key(1), x.shape)
    variables = layers.BatchNorm().init(jax.random.key(2), x)
    mesh = Mesh(np.asarray(jax.devices()[:4]), ('batch',))
    over_mesh = lambda fn, out_specs: jax.shard_map(fn, mesh=mesh, in_specs=P('batch'),
                                                    out_specs=out_specs, check_vma=False)

    def step(module, x, cot):
        def loss(params, x):
            y, upd = module.apply({**variables, 'params': params}, x, mutable=['batch_stats'])
            return jnp.sum(y * cot), upd
        (gp, gx), upd = jax.grad(loss, (0, 1), has_aux=True)(variables['params'], x)
        return gx, upd, jax.tree.map(lambda a: a[None], gp)  # [1, ...]: one row per device

    def through_statistics(module, x):  # gradients that reach x via the updated statistics
        upd = module.apply(variables, x, mutable=['batch_stats'])[1]['batch_stats']
        return jnp.sum(upd['mean'] * jnp.arange(5.0) + upd['var'] ** 2)

    whole = step(layers.BatchNorm(), x, cot)
    per_device = {}
    for name, module in (('ours', layers.BatchNorm(axis_name='batch')),
                         ('flax', nn.BatchNorm(use_running_average=False, momentum=0.9,
                                            axis_name='batch'))):
        gx, upd, gp = over_mesh(lambda x, c: step(module, x, c),
                                (P('batch'), P(), P('batch')))(x, cot)
        chex.assert_shape(gx, x.shape)
        per_device[name] = (gx, upd, gp)
        assert_trees_close(gx, whole[0])
        assert_trees_close(upd, whole[1])
        # Parameter gradients are each device's share; the trainer averages them.
        assert_trees_close(jax.tree.map(lambda a: a.sum(0), gp), jax.tree.map(lambda a: a[0],
                                                                               whole[2]))
        per_device[name] += (over_mesh(jax.grad(lambda x: through_statistics(module, x)),
                                       P('batch'))(x),)
    assert_trees_close(per_device['ours'], per_device['flax'])


def test_batch_norm_gradient_differentiates_again_like_flax():
    x = jax.random.normal(jax.random.key(0), (6, 4, 4, 3))
    results = []
    for module in _bn_pair(True):
        variables = module.init(jax.random.key(1), x)

        def f(x, scale, module=module, variables=variables):
            params = {'scale': scale, 'bias': variables['params']['bias']}
            return module.apply({**variables, 'params': params}, x, mutable=['batch_stats'])[0]
        results.append(_penalty_grad(f)(x, 1.0 + 0.1 * jnp.arange(3.0)))
    assert_trees_close(*results)
