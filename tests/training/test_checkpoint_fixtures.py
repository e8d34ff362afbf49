"""Checkpoints written by ghostjax 0.1.0, before the compatibility layer was removed and the
modules moved (tests/fixtures/checkpoints_0_1_0: a 2-step classifier and GAN), still restore
and run."""
import chex
import jax
import jax.numpy as jnp
import numpy as np

from ghostjax.training import classifier
from ghostjax.training import gan as gan_lib
from tests.helpers import ROOT

FIXTURES = ROOT / 'tests' / 'fixtures' / 'checkpoints_0_1_0'


def test_a_0_1_0_classifier_checkpoint_restores_and_predicts():
    config, model, state, meta = classifier.restore_classifier(str(FIXTURES / 'classifier'))
    assert int(state.step) == 2 and meta['step'] == 2
    assert config.model.width == 0.5  # the saved config, as written
    x = jnp.zeros((3, *meta['image_shape']))
    logits = model.apply({'params': state.params, 'batch_stats': state.batch_stats}, x,
                         train=False)
    chex.assert_shape(logits, (3, meta['num_classes']))
    chex.assert_tree_all_finite(logits)


def test_a_0_1_0_gan_checkpoint_restores_and_samples():
    config, g_model, state, meta = gan_lib.restore(str(FIXTURES / 'gan'))
    assert int(state.step) == 2
    variables = gan_lib.sampling_variables(config, state)
    images = gan_lib.sample(g_model, state.g, variables['params'],
                            jax.random.normal(jax.random.key(0), (4, g_model.z_dim)))
    chex.assert_shape(images, (4, *meta['image_shape']))
    assert np.all(np.abs(np.asarray(images)) <= 1.0)
