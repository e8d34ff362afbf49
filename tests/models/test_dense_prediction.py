"""GhostNet dense-prediction model: output shapes, FCOS targets and decoding, bad input."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax.models.dense_prediction import (GhostNetDense, decode, fcos_targets, points, size_ranges)

STRIDES = (8, 16, 32)


@pytest.fixture(scope='module')
def multitask():
    model = GhostNetDense(num_classes=10, tasks=('classify', 'detect', 'segment'), width=0.25,
                          in_channels=1, fpn_features=16, head_depth=1)
    x = jax.random.uniform(jax.random.key(1), (2, 64, 64, 1))
    variables = jax.jit(model.init)(jax.random.key(0), x)
    out = jax.jit(model.apply)(variables, x)
    return model, variables, out


def test_multitask_outputs(multitask):
    _, variables, out = multitask
    p = sum((64 // s) ** 2 for s in STRIDES)
    chex.assert_shape(out['classify'], (2, 10))
    chex.assert_shape(out['detect']['logits'], (2, p, 10))
    chex.assert_shape(out['detect']['distances'], (2, p, 4))
    chex.assert_shape(out['detect']['centerness'], (2, p))
    chex.assert_shape(out['segment'], (2, 64, 64, 11))
    assert np.all(np.asarray(out['detect']['distances']) > 0)
    # the focal-loss prior: every class starts near probability 0.01
    np.testing.assert_allclose(jax.nn.sigmoid(out['detect']['logits']).mean(), 0.01, rtol=0.5)
    assert set(variables['params']) == {'backbone', 'fpn', 'classify', 'detect', 'segment'}


def test_decode_gives_fixed_size_detections(multitask):
    _, _, out = multitask
    centres, _ = points((64, 64), STRIDES)
    dets = jax.jit(lambda h: decode(h, centres, (64, 64), max_detections=7))(out['detect'])
    chex.assert_shape((dets['boxes'],), (2, 7, 4))
    chex.assert_shape((dets['scores'], dets['classes'], dets['valid']), (2, 7))
    b = np.asarray(dets['boxes'])
    assert b.min() >= 0 and b.max() <= 64
    assert np.all(np.asarray(dets['scores'])[~np.asarray(dets['valid'])] == 0)


def test_points_and_ranges():
    centres, strides = points((64, 32), (8, 16))
    assert centres.shape == (8 * 4 + 4 * 2, 2)
    np.testing.assert_array_equal(centres[:2], [[4, 4], [12, 4]])  # row-major, x first
    np.testing.assert_array_equal(centres[32], [8, 8])
    np.testing.assert_array_equal(size_ranges((8, 16, 32)), [[0, 64], [64, 128], [128, np.inf]])


def test_fcos_targets_for_one_box():
    centres, strides = points((64, 64), STRIDES)
    ranges = size_ranges(STRIDES)[np.searchsorted(STRIDES, strides)]
    box = jnp.asarray([[8.0, 8.0, 40.0, 32.0], [0, 0, 0, 0]])  # 32 x 24: the stride-8 level
    t = fcos_targets(box, jnp.asarray([4, 0]), jnp.asarray([True, False]), centres, strides,
                     ranges)
    pos = np.asarray(t['labels']) >= 0
    assert np.all(np.asarray(t['labels'])[pos] == 4) and pos.any()
    assert np.all(strides[pos] == 8)  # the largest distance is at most 32 <= 64
    # positives lie inside the box and within 1.5 strides of its centre (24, 20)
    c = centres[pos]
    assert np.all(np.abs(c - [24.0, 20.0]) < 12.0)
    # centerness of the point at (20, 20): l, t, r, b = 12, 12, 20, 12
    i = np.flatnonzero((centres == [20, 20]).all(1) & (strides == 8))[0]
    assert t['centerness'][i] == pytest.approx(np.sqrt(12 / 20 * 12 / 12))
    np.testing.assert_array_equal(np.asarray(t['boxes'])[i], box[0])
    assert np.all(np.asarray(t['centerness'])[~pos] == 0)


@pytest.mark.parametrize('kwargs, shape, match', [
    ({'tasks': ('detect', 'track')}, (1, 64, 64, 1), 'tasks must be a non-empty subset'),
    ({'strides': (8, 64)}, (1, 64, 64, 1), r'strides \(8, 64\): the GhostNet backbone'),
    ({}, (1, 80, 64, 1), 'image size 80x64 is not a multiple of 32'),
    ({}, (1, 64, 64, 3), 'images have 3 channels, the model takes 1'),
])
def test_bad_model_input_fails_before_compiling(kwargs, shape, match):
    model = GhostNetDense(num_classes=10, width=0.25, in_channels=1, **kwargs)
    with pytest.raises(ValueError, match=match):
        jax.eval_shape(model.init, jax.random.key(0), jnp.zeros(shape))
