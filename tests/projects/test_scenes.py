"""The scenes table's reference points: known answers on a hand-made split."""
import numpy as np
import pytest

from ghostjax.data import scenes
from projects.scenes.baselines import reference_scores


def test_reference_scores_of_a_known_split():
    # image 0: a valid box of class 1 and an invalid one of class 2; image 1: class 0.
    # 2 of the 2 x 3 (image, class) entries are present: "all absent" is right on 4 of 6.
    masks = np.asarray([[[0, 2], [0, 255]], [[1, 0], [0, 0]]], np.uint8)  # 255: ignored
    split = scenes.DenseSplit(
        name='hand', split='test', num_examples=2, image_shape=(2, 2, 1), num_classes=3,
        images=np.zeros((2, 2, 2, 1), np.uint8), labels=np.zeros(2, np.int32),
        boxes=np.zeros((2, 2, 4), np.float32), box_labels=np.asarray([[1, 2], [0, 0]]),
        box_valid=np.asarray([[True, False], [True, False]]), masks=masks)
    got = reference_scores(split)
    assert got['classify_label_accuracy'] == pytest.approx(4 / 6)
    # 7 counted pixels, 5 background: background IoU 5/7, the two present classes 0, the
    # third absent from labels and predictions (left out)
    assert got['pixel_accuracy'] == pytest.approx(5 / 7)
    assert got['miou'] == pytest.approx((5 / 7) / 3)
    assert got['miou_objects'] == 0.0
