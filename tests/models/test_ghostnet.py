"""GhostNet: exact published sizes, shapes, modes, dtypes, devices and input validation."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

import ghostjax as gj

TINY = dict(width=0.25, num_classes=10, stem_stride=1)


@pytest.fixture(scope='module')
def tiny():
    model = gj.GhostNet(**TINY)
    x = jax.random.normal(jax.random.key(1), (4, 32, 32, 3))
    init = jax.jit(model.init)
    return model, init(jax.random.key(0), x), x, init


def test_make_divisible_matches_reference_rounding():
    assert [gj.make_divisible(v, 4) for v in (16 * 0.5, 16 * 1.3, 960 * 1.3, 72 * 0.25, 3, 1)] == \
        [8, 20, 1248, 20, 4, 4]
    assert gj.make_divisible(10, 8) == 16  # 8 would be below 0.9 * 10


# Han et al. 2020, Table 7: params (M, one decimal) and FLOPs (M, conv and dense
# multiply-adds, whole numbers).
PAPER_TABLE = {0.5: (2.6, 42), 1.0: (5.2, 141), 1.3: (7.3, 226)}


@pytest.mark.parametrize('width', sorted(PAPER_TABLE))
def test_sizes_match_the_papers_table_as_printed(width):
    """0.5x and 1.0x round to the paper's digits. The paper's 1.3x row does not: 7,358,820
    params print as 7.3 (truncated, not rounded) and 227.0M MACs as 226; the reference
    implementation has the same counts (next test), so the row is the paper's slip."""
    params, mflops = PAPER_TABLE[width]
    size = gj.model_size(gj.GhostNet(width=width), (1, 224, 224, 3))
    if width == 1.3:
        assert (int(size['params'] / 1e5) / 10, round(size['macs'] / 1e6)) == (params, mflops + 1)
    else:
        assert (round(size['params'] / 1e6, 1), round(size['macs'] / 1e6)) == (params, mflops)


@pytest.mark.parametrize('width,params,macs', [
    (0.5, 2_587_292, 42.3e6), (1.0, 5_182_508, 141.2e6), (1.3, 7_358_820, 227.0e6)])
def test_exact_counts_of_the_reference_implementation(width, params, macs):
    """The official PyTorch GhostNet (and timm's ghostnet_*) counts, to the parameter."""
    size = gj.model_size(gj.GhostNet(width=width), (1, 224, 224, 3))
    assert size['params'] == params
    assert abs(size['macs'] - macs) / macs < 0.005


def test_ghostnet_v2_size():
    size = gj.model_size(gj.GhostNet(version=2), (1, 224, 224, 3))
    assert size['params'] == 6_156_908  # timm ghostnetv2_100
    assert abs(size['macs'] - 167e6) / 167e6 < 0.005  # paper: 167M FLOPs


@pytest.mark.parametrize('features,strides,se,shape,expected', [
    (16, 1, 0.0, (2, 8, 8, 16), (2, 8, 8, 16)),
    (24, 2, 0.0, (2, 8, 8, 16), (2, 4, 4, 24)),
    (40, 2, 0.25, (2, 7, 7, 24), (2, 4, 4, 40)),
    (40, 1, 0.25, (2, 7, 7, 40), (2, 7, 7, 40)),
])
def test_bottleneck_shapes(features, strides, se, shape, expected):
    m = gj.GhostBottleneck(mid_features=2 * features, features=features, kernel_size=5,
                           strides=strides, se_ratio=se)
    out = jax.eval_shape(lambda x: m.init_with_output(jax.random.key(0), x)[0], jnp.zeros(shape))
    chex.assert_shape(out, expected)


@pytest.mark.parametrize('features', [7, 8, 12])
def test_ghost_module_and_blocks_shapes(features):
    x = jnp.ones((2, 6, 6, 5))
    for m in (gj.GhostModule(features), gj.GhostModule(features, dfc=True, relu=False)):
        y, v = m.init_with_output(jax.random.key(0), x)
        chex.assert_shape(y, (2, 6, 6, features))
        # ratio 2: ceil(features / 2) primary maps from a 1x1 conv
        assert v['params']['primary_conv']['kernel'].shape == (1, 1, 5, -(-features // 2))
    y, _ = gj.SqueezeExcite().init_with_output(jax.random.key(0), x)
    chex.assert_shape(y, x.shape)
    gate, _ = gj.DFCAttention(4).init_with_output(jax.random.key(0), jnp.ones((1, 7, 5, 3)))
    chex.assert_shape(gate, (1, 7, 5, 4))
    assert jnp.all((gate > 0) & (gate < 1))


def test_hard_sigmoid():
    np.testing.assert_allclose(gj.hard_sigmoid(jnp.array([-4., -3., 0., 3., 9.])),
                               [0, 0, 0.5, 1, 1])


@pytest.mark.parametrize('width,stem_stride,size', [(0.5, 2, 224), (1.0, 2, 64), (1.3, 1, 28),
                                                   (1.0, 1, 32)])
def test_ghostnet_output_shapes(width, stem_stride, size):
    m = gj.GhostNet(width=width, num_classes=7, stem_stride=stem_stride)
    x = jnp.zeros((2, size, size, 3))
    v = jax.eval_shape(m.init, jax.random.key(0), x)
    chex.assert_shape(jax.eval_shape(m.apply, v, x), (2, 7))
    chex.assert_shape(jax.eval_shape(lambda v, x: m.apply(v, x, output='pre_logits'), v, x),
                      (2, 1280))
    feats = jax.eval_shape(lambda v, x: m.apply(v, x, output='features'), v, x)
    strides = [4, 8, 16, 32] if stem_stride == 2 else [2, 4, 8, 16]
    assert sorted(feats) == strides
    channels = [gj.make_divisible(c * width, 4) for c in (24, 40, 112, 960)]
    for s, c in zip(strides, channels):
        chex.assert_shape(feats[s], (2, -(-size // s), -(-size // s), c))


def test_jit_apply_train_and_eval_modes(tiny):
    model, variables, x, _ = tiny
    chex.assert_tree_all_finite(variables)
    logits_eval = jax.jit(model.apply)(variables, x)
    chex.assert_shape(logits_eval, (4, 10))
    train = jax.jit(lambda v, x, r: model.apply(v, x, train=True, rngs={'dropout': r},
                                                mutable=['batch_stats']))
    out_a, upd = train(variables, x, jax.random.key(1))
    out_b, _ = train(variables, x, jax.random.key(2))
    # train mode: BN statistics move, dropout depends on the rng; eval mode is deterministic.
    assert not jnp.allclose(upd['batch_stats']['bn1']['mean'], variables['batch_stats']['bn1']['mean'])
    assert not jnp.allclose(out_a, out_b)
    np.testing.assert_array_equal(logits_eval, jax.jit(model.apply)(variables, x))
    # dropout off and running stats = batch stats make train equal eval on the same batch
    no_drop = gj.GhostNet(**{**TINY, 'dropout': 0.0})
    stats = jax.jit(lambda v: no_drop.apply(v, x, train=True, mutable=['batch_stats']))(variables)
    assert not jnp.allclose(stats[0], logits_eval, atol=1e-3)


def test_init_is_deterministic_for_a_key(tiny):
    _, variables, x, init = tiny
    chex.assert_trees_all_equal(variables, init(jax.random.key(0), x))
    other = init(jax.random.key(5), x)
    assert not jnp.allclose(other['params']['conv_stem']['kernel'],
                            variables['params']['conv_stem']['kernel'])


def test_apply_split_over_a_mesh_equals_one_device(tiny):
    model, variables, x, _ = tiny
    n = jax.local_device_count()
    mesh = Mesh(np.asarray(jax.local_devices()), ('batch',))
    xs = jnp.broadcast_to(x[:1], (2 * n, 32, 32, 3))
    out = jax.jit(jax.shard_map(model.apply, mesh=mesh, in_specs=(P(), P('batch')),
                                out_specs=P('batch')))(variables, xs)
    chex.assert_shape(out, (2 * n, 10))
    np.testing.assert_allclose(out[0], out[-1], rtol=1e-6)
    np.testing.assert_allclose(out[:2], jax.jit(model.apply)(variables, xs[:2]),
                               rtol=1e-4, atol=1e-5)


def test_bf16_compute(tiny):
    _, variables, x, _ = tiny
    model = gj.GhostNet(**TINY, dtype=jnp.bfloat16)
    out = jax.jit(model.apply)(variables, x)
    chex.assert_type(out, jnp.bfloat16)
    chex.assert_tree_all_finite(out)
    ref = jax.jit(gj.GhostNet(**TINY).apply)(variables, x)
    assert float(jnp.max(jnp.abs(out.astype(jnp.float32) - ref))) < 0.1 * float(jnp.max(jnp.abs(ref))) + 0.05


@pytest.mark.parametrize('kwargs,shape,match', [
    ({}, (32, 32, 3), r'rank 3'),
    ({}, (1, 32, 32, 1), r'\[B, H, W, 3\].*got 1 channels'),
    ({'width': 0.0}, (1, 32, 32, 3), r'width must be positive, got 0.0'),
    ({'width': -1.0}, (1, 32, 32, 3), r'width must be positive'),
    ({}, (1, 16, 16, 3), r'H, W >= 32.*got spatial size \(16, 16\)'),
    ({'stem_stride': 1}, (1, 8, 40, 3), r'H, W >= 16'),
    ({'stem_stride': 3}, (1, 64, 64, 3), r'stem_stride must be 1 or 2'),
    ({'in_channels': 1}, (1, 64, 64, 3), r'\[B, H, W, 1\]'),
])
def test_bad_input_raises_clear_value_error(kwargs, shape, match):
    with pytest.raises(ValueError, match=match):
        gj.GhostNet(**kwargs).init(jax.random.key(0), jnp.zeros(shape))


def test_bad_output_name():
    with pytest.raises(ValueError, match="output must be one of"):
        gj.GhostNet().init(jax.random.key(0), jnp.zeros((1, 32, 32, 3)), output='logit')
