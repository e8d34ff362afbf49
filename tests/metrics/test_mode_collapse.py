"""The mode-collapse view: class histograms of generated images and their KL to the data's."""
import numpy as np
import pytest

from ghostjax.metrics import mode_collapse
from ghostjax.metrics.sample_quality import evaluate_sampler


def test_histograms_count_argmax_classes_and_labels():
    probs = np.eye(4)[[0, 0, 1, 3]] * 0.7 + 0.075
    np.testing.assert_allclose(mode_collapse.class_histogram(probs, 4), [0.5, 0.25, 0, 0.25])
    np.testing.assert_allclose(mode_collapse.label_histogram(np.array([2, 2, 1, 0]), 3),
                               [0.25, 0.25, 0.5])


def test_kl_is_zero_for_equal_histograms_and_matches_the_closed_form():
    uniform = np.full(10, 0.1)
    assert mode_collapse.histogram_kl(uniform, uniform) == pytest.approx(0, abs=1e-12)
    collapsed = np.eye(10)[3]  # every sample one class: KL = log 10
    assert mode_collapse.histogram_kl(collapsed, uniform) == pytest.approx(np.log(10), rel=1e-4)
    half = np.r_[np.full(5, 0.2), np.zeros(5)]  # half the classes dropped: log 2
    assert mode_collapse.histogram_kl(half, uniform) == pytest.approx(np.log(2), rel=1e-4)


def test_bad_input_names_the_shape_or_range():
    with pytest.raises(ValueError, match=r'expected class probabilities \[N > 0, 10\], got'):
        mode_collapse.class_histogram(np.ones((5, 3)), 10)
    with pytest.raises(ValueError, match=r'expected labels in \[0, 3\), got 2 labels in \[0, 3\]'):
        mode_collapse.label_histogram(np.array([0, 3]), 3)


class _Classifier:
    """Features = flattened pixels; class = the image's constant value rounded to 0..3."""
    name = 'toy'
    num_classes = 4

    def __call__(self, images):
        flat = images.reshape(len(images), -1)
        cls = np.clip(np.round(flat[:, 0] * 3), 0, 3).astype(int)
        return flat[:, :8] + np.random.default_rng(0).normal(size=(len(images), 8)), np.eye(4)[cls]


def test_evaluation_json_holds_the_histogram_and_its_kl():
    values = np.repeat([0.0, 1 / 3], 50)  # the generator only makes classes 0 and 1
    images = np.broadcast_to(values[:, None, None, None], (100, 4, 4, 1)).astype(np.float32)
    rng = np.random.default_rng(1)
    real = {'mu': np.zeros(8), 'sigma': np.eye(8), 'n': np.asarray(100),
            'features': rng.normal(size=(100, 8))}
    out = evaluate_sampler(_Classifier(), lambda s, n: images[s:s + n], 100, real, batch=50,
                           subset=100, is_splits=2, data_histogram=np.full(4, 0.25))
    assert out['class_histogram'] == [0.5, 0.5, 0.0, 0.0]
    assert out['class_kl'] == pytest.approx(np.log(2), rel=1e-4)
    assert 'class_kl' not in evaluate_sampler(_Classifier(), lambda s, n: images[s:s + n], 100,
                                              real, batch=50, subset=100, is_splits=2)
