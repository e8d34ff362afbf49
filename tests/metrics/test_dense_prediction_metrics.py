"""Detection and segmentation metrics against closed forms and references."""
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax.metrics.detection import coco_map
from ghostjax.metrics.segmentation import confusion_matrix, iou_per_class, mean_iou, pixel_accuracy


def test_confusion_matrix_matches_numpy_and_skips_ignored_pixels():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (3, 16, 16))
    labels[0, :4] = 255
    preds = rng.integers(0, 4, (3, 16, 16))
    cm = np.asarray(confusion_matrix(jnp.asarray(preds), jnp.asarray(labels), 4))
    keep = labels != 255
    expected = np.zeros((4, 4), int)
    np.add.at(expected, (labels[keep], preds[keep]), 1)
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == keep.sum()


def test_iou_closed_form():
    # class 0: TP 3, FN 1 (predicted 1), FP 0 -> 3/4; class 1: TP 2, FP 1 -> 2/3; class 2 absent
    cm = np.asarray([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    np.testing.assert_allclose(iou_per_class(cm)[:2], [0.75, 2 / 3])
    assert np.isnan(iou_per_class(cm)[2])
    assert mean_iou(cm) == pytest.approx((0.75 + 2 / 3) / 2)
    assert mean_iou(cm, skip=(0,)) == pytest.approx(2 / 3)  # background left out
    assert np.isnan(mean_iou(cm, skip=(0, 1)))  # only the absent class is left
    assert pixel_accuracy(cm) == pytest.approx(5 / 6)


GT = [np.asarray([[10., 10., 50., 50.], [60., 60., 100., 120.]])]
LABELS = [np.asarray([1, 2])]


def _map(boxes, scores=(0.9, 0.8), labels=(1, 2)):
    return coco_map(GT, LABELS, [np.asarray(boxes, float)], [np.asarray(scores)],
                    [np.asarray(labels)], num_classes=3)


def test_coco_map_closed_forms():
    perfect = _map(GT[0])
    assert perfect['map'] == pytest.approx(1.0) and perfect['map50'] == pytest.approx(1.0)
    assert np.isnan(perfect['map_small'])  # no small ground truth
    # shifted 2 px: IoUs 0.822 and 0.849, so AP is 1 at thresholds .50-.80 and 0 above: 7/10
    assert _map(GT[0] + 2)['map'] == pytest.approx(0.7)
    assert _map(GT[0], labels=(0, 0))['map'] == 0.0  # right boxes, wrong classes
    empty = coco_map(GT, LABELS, [np.zeros((0, 4))], [np.zeros(0)], [np.zeros(0, int)], 3)
    assert empty['map'] == 0.0


def test_coco_map_bad_input():
    with pytest.raises(ValueError, match='ground-truth class 7'):
        coco_map(GT, [np.asarray([1, 7])], GT, [np.ones(2)], LABELS, 3)
    with pytest.raises(ValueError, match='same number of images'):
        coco_map(GT, LABELS, [], [], [], 3)
