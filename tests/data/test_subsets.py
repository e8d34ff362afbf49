"""Labelled subsets: N per class, by seed, validation carved from the subset."""
import numpy as np
import pytest

from ghostjax import data
from ghostjax.data import subsets


def _split(per_class=(30, 25, 40)):
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    labels = np.random.default_rng(0).permutation(labels)
    images = (np.arange(len(labels), dtype=np.uint8)[:, None, None, None]
              * np.ones((1, 4, 4, 1), np.uint8))
    return data.from_arrays(images, labels, len(per_class))


def test_stratified_subset_is_balanced_disjoint_and_seeded():
    split = _split()
    train, val = subsets.stratified_indices(split.labels, 20, seed=0, num_classes=3,
                                            val_per_class=4)
    assert len(train) == 48 and len(val) == 12
    assert not set(train) & set(val)
    np.testing.assert_array_equal(np.bincount(split.labels[train]), [16, 16, 16])
    np.testing.assert_array_equal(np.bincount(split.labels[val]), [4, 4, 4])
    again, _ = subsets.stratified_indices(split.labels, 20, seed=0, num_classes=3,
                                          val_per_class=4)
    other, _ = subsets.stratified_indices(split.labels, 20, seed=1, num_classes=3,
                                          val_per_class=4)
    np.testing.assert_array_equal(train, again)
    assert set(other) != set(train)


def test_labelled_subset_reads_the_chosen_images():
    split = _split()
    train, val = subsets.labelled_subset(split, 10, seed=3, val_fraction=0.2)
    assert (train.num_examples, val.num_examples) == (24, 6)
    assert train.num_classes == 3 and train.image_shape == (4, 4, 1)
    # each image's pixels are its index in the source, so the labels must follow the images
    for part in (train, val):
        np.testing.assert_array_equal(split.labels[part.images[:, 0, 0, 0]], part.labels)


@pytest.mark.parametrize('kwargs, match', [
    ({'per_class': 26}, r'class 1 has 25 examples, fewer than the 26 per class'),
    ({'per_class': 10, 'val_fraction': 1.0}, r'val_fraction must be in \[0, 1\), got 1.0'),
])
def test_bad_subsets_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        subsets.labelled_subset(_split(), seed=0, **kwargs)


def test_select_keeps_the_named_classes_then_subsets_them():
    split = _split()
    normal, none = subsets.select(split, {'classes': (1,)})
    assert none is None and normal.num_examples == 25 and set(normal.labels) == {1}
    assert normal.num_classes == 3  # labels keep their meaning
    train, val = subsets.select(split, {'classes': (0, 2), 'per_class': 10, 'seed': 0,
                                        'val_fraction': 0.2})
    np.testing.assert_array_equal(np.bincount(train.labels, minlength=3), [8, 0, 8])
    np.testing.assert_array_equal(np.bincount(val.labels, minlength=3), [2, 0, 2])
    assert subsets.select(split, {'per_class': 0}) == (split, None)
    for classes in ((3,), (-1,), ()):
        with pytest.raises(ValueError, match=r'classes must be labels of .* \(0 .. 2\)'):
            subsets.of_classes(split, classes)
