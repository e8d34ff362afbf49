"""The synthetic-data source: deterministic per (seed, step), truncation, standardisation,
class-balanced splits, and refusal of a generator that does not fit the data."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax.applications import synthetic

SHAPE = (4, 4, 1)


def _generate(variables, z, labels):
    """A toy conditional generator: images in [-1, 1] that depend on z and on the label."""
    x = z[:, :16].reshape(-1, *SHAPE) * variables['w'] + labels[:, None, None, None] / 5.0
    return jnp.tanh(x)


def _source(**kwargs):
    return synthetic.SyntheticSource(_generate, {'w': jnp.float32(0.5)}, z_dim=16, num_classes=3,
                                     image_shape=SHAPE, **kwargs)


def test_batches_are_a_function_of_seed_and_step():
    source = _source(seed=7)
    a, b = source.batch(3, 8), source.batch(3, 8)
    chex.assert_shape(a['image'], (8, *SHAPE))
    chex.assert_type([a['image'], a['label']], [jnp.float32, jnp.int32])
    np.testing.assert_array_equal(a['image'], b['image'])
    np.testing.assert_array_equal(a['label'], _source(seed=7).batch(3, 8)['label'])
    assert not np.array_equal(a['image'], source.batch(4, 8)['image'])
    assert not np.array_equal(a['image'], _source(seed=8).batch(3, 8)['image'])
    assert set(np.asarray(source.batch(0, 256)['label'])) == {0, 1, 2}


def test_truncated_latents_stay_in_bounds():
    z = synthetic.latents(jax.random.key(0), 4096, 16, truncation=0.5)
    assert float(jnp.max(jnp.abs(z))) <= 0.5
    assert float(jnp.std(synthetic.latents(jax.random.key(0), 4096, 16))) > 0.9


def test_standardised_images_match_the_classifier_preprocessing():
    plain, standard = _source(), _source(mean=(0.3,), std=(0.4,))
    x, y = plain.batch(0, 8)['image'], standard.batch(0, 8)['image']
    np.testing.assert_allclose(y, ((x + 1) / 2 - 0.3) / 0.4, rtol=1e-5, atol=1e-6)


def test_to_split_is_class_balanced_uint8():
    split = _source().to_split(30, batch_size=8)
    assert split.num_examples == 30 and split.images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(split.labels), [10, 10, 10])
    np.testing.assert_array_equal(split.labels[:6], [0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize('check, match', [
    (lambda s: s.check((8, 8, 1), 3), r'makes \(4, 4, 1\) images, the data has \(8, 8, 1\)'),
    (lambda s: s.check(SHAPE, 10), 'has 3 classes, the data has 10'),
    (lambda s: _source(truncation=0.0), 'truncation must be None or > 0, got 0.0'),
    (lambda s: _source(mean=(0.5,)), 'both mean and std'),
])
def test_a_generator_that_does_not_fit_is_refused(check, match):
    with pytest.raises(ValueError, match=match):
        check(_source())
