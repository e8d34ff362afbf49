"""Trained models in one call: the generator samples what the restore path samples, and the
shipped extractor predicts the test accuracy its record states."""
import json

import chex
import jax
import numpy as np
import pytest

from ghostjax import data
from ghostjax.applications import pretrained
from ghostjax.training import gan as gan_lib
from tests.helpers import ROOT, needs_fmnist

GAN = str(ROOT / 'tests' / 'fixtures' / 'checkpoints_0_1_0' / 'gan')
EXTRACTOR = str(ROOT / 'assets' / 'extractor_fashion_mnist')


def test_generator_samples_what_the_restored_run_samples():
    generator = pretrained.Generator.load(GAN)
    assert (generator.step, generator.image_shape) == (2, (28, 28, 1))
    images = generator.sample(4, seed=3)
    chex.assert_shape(images, (4, 28, 28, 1))
    config, g_model, state, _ = gan_lib.restore(GAN)
    want = gan_lib.sample(g_model, state.g, gan_lib.sampling_variables(config, state)['params'],
                          jax.random.normal(jax.random.key(3), (4, g_model.z_dim)))
    np.testing.assert_allclose(images, np.asarray(want), atol=1e-6)  # jit against eager
    assert not np.array_equal(images, generator.sample(4, seed=4))


def test_generator_refuses_bad_requests():
    generator = pretrained.Generator.load(GAN)
    with pytest.raises(ValueError, match='n must be at least 1, got 0'):
        generator.sample(0)
    if generator.num_classes:
        with pytest.raises(ValueError, match=r'labels must be \[2\] integers in 0 \.\. 9'):
            generator.sample(2, labels=[0, 10])
    else:
        with pytest.raises(ValueError, match='unconditional: it takes no labels'):
            generator.sample(2, labels=[0, 1])


@needs_fmnist
def test_the_shipped_extractor_predicts_its_recorded_test_accuracy():
    classifier = pretrained.Classifier.load(EXTRACTOR)
    test = data.load('fashion_mnist', 'test')
    images, labels = test.read(np.arange(test.num_examples))
    probabilities = classifier.predict(images)  # uint8, as the dataset stores them
    chex.assert_shape(probabilities, (10000, 10))
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    record = json.load(open(ROOT / 'results' / 'extractor_fashion_mnist.json'))['result']
    assert np.mean(probabilities.argmax(-1) == labels) == record['accuracy']
    # uint8 and [-1, 1] floats are the same images
    np.testing.assert_allclose(classifier.predict(images[:8].astype(np.float32) / 127.5 - 1),
                               probabilities[:8], atol=1e-5)
    chex.assert_shape(classifier.features(images[:8]), (8, None))
