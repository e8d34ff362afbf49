"""Box utilities against closed forms, and NMS against a plain greedy reference."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax.ops import boxes


def test_iou_and_giou_closed_forms():
    a = jnp.asarray([0., 0., 2., 2.])
    assert boxes.iou(a, a) == pytest.approx(1.0)
    # [0,2]^2 and [1,3]x[0,2]: intersection 2, union 6
    assert boxes.iou(a, jnp.asarray([1., 0., 3., 2.])) == pytest.approx(2 / 6)
    # disjoint [0,2]^2 and [3,5]x[0,2]: IoU 0, hull 10, union 8 -> GIoU = -2/10
    far = jnp.asarray([3., 0., 5., 2.])
    assert boxes.iou(a, far) == 0.0
    assert boxes.giou(a, far) == pytest.approx(-0.2)
    assert boxes.giou(a, a) == pytest.approx(1.0)
    assert boxes.area(jnp.asarray([2., 2., 1., 5.])) == 0.0  # inverted box: empty


def test_pairwise_iou_is_symmetric_and_matches_elementwise():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (7, 2))
    b = jnp.asarray(np.concatenate([xy, xy + rng.uniform(1, 20, (7, 2))], -1), jnp.float32)
    m = boxes.pairwise_iou(b, b)
    chex.assert_shape(m, (7, 7))
    np.testing.assert_allclose(m, m.T, atol=1e-6)
    np.testing.assert_allclose(jnp.diag(m), 1.0, atol=1e-6)
    assert m[2, 5] == pytest.approx(float(boxes.iou(b[2], b[5])))


def test_distances_round_trip():
    points = jnp.asarray([[4., 4.], [10., 3.]])
    b = jnp.asarray([[1., 2., 8., 9.], [5., 0., 12., 6.]])
    ltrb = boxes.to_distances(points, b)
    np.testing.assert_allclose(ltrb[0], [3., 2., 4., 5.])
    np.testing.assert_allclose(boxes.from_distances(points, ltrb), b)


def _greedy_nms(b, s, thr):
    order = list(np.argsort(-s, kind='stable'))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if float(boxes.iou(b[i], b[j])) <= thr]
    return keep


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_nms_equals_greedy_reference(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40, (30, 2))
    b = np.concatenate([xy, xy + rng.uniform(5, 25, (30, 2))], -1).astype(np.float32)
    s = rng.permutation(30).astype(np.float32)  # distinct scores: one greedy order
    idx, valid = jax.jit(lambda b, s: boxes.nms(b, s, iou_threshold=0.5, max_outputs=40))(b, s)
    chex.assert_shape((idx, valid), (40,))
    expected = _greedy_nms(b, s, 0.5)
    assert list(np.asarray(idx)[np.asarray(valid)]) == expected
    assert not np.any(np.asarray(valid)[len(expected):])


def test_nms_truncates_and_respects_the_score_threshold():
    b = jnp.asarray([[0., 0., 10., 10.], [20., 20., 30., 30.], [40., 40., 50., 50.]])
    s = jnp.asarray([0.9, 0.2, 0.6])
    idx, valid = boxes.nms(b, s, iou_threshold=0.5, max_outputs=2)
    assert list(idx) == [0, 2] and list(valid) == [True, True]
    idx, valid = boxes.nms(b, s, iou_threshold=0.5, max_outputs=3, score_threshold=0.5)
    assert list(valid) == [True, True, False]


def test_batched_nms_keeps_overlapping_boxes_of_different_classes():
    b = jnp.asarray([[0., 0., 10., 10.], [1., 1., 10., 10.], [0., 0., 10., 10.]])
    s = jnp.asarray([0.9, 0.8, 0.7])
    idx, valid = boxes.batched_nms(b, s, jnp.asarray([0, 0, 1]), iou_threshold=0.5,
                                   max_outputs=3)
    assert list(np.asarray(idx)[np.asarray(valid)]) == [0, 2]
