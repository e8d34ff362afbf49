"""GAN data augmentation: a conditional GAN run as a labelled source, a classifier trained on a
labelled subset with generated images in every batch, the Classification Accuracy Score, the
resumable study, and refusal of bad input before anything compiles."""
import json
import os

import chex
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from ghostjax import data
from ghostjax.applications import augment
from ghostjax.training import classifier
from ghostjax.training import gan as gan_lib
from projects.augment import study as augment_study
from tests.helpers import needs_fmnist, tiny_config, tiny_gan_config

pytestmark = needs_fmnist


@pytest.fixture(scope='module')
def gan_dir(tmp_path_factory):
    """A class-conditional GAN trained for 6 steps on 20 images per class."""
    workdir = str(tmp_path_factory.mktemp('gan'))
    config = tiny_gan_config(conditional=True)
    config.subset = ml_collections.ConfigDict({'per_class': 20, 'seed': 0, 'val_fraction': 0.2})
    result = gan_lib.train_and_evaluate(config, workdir)
    assert result['train_examples'] == 160  # the GAN saw the subset's training part only
    return workdir


def augment_config(gan_dir='', ratio=0.0, **overrides):
    c = tiny_config(**{'eval_split': 'validation', 'test_split': 'test', **overrides})
    c.subset = ml_collections.ConfigDict({'per_class': 20, 'seed': 0, 'val_fraction': 0.2})
    c.synthetic = ml_collections.ConfigDict({'gan_workdir': gan_dir, 'ratio': ratio,
                                             'truncation': 0.0, 'seed': 0})
    return c


def test_a_conditional_gan_run_is_a_labelled_source(gan_dir):
    source = augment.source_from_workdir(gan_dir, truncation=1.0, seed=3)
    source.check((28, 28, 1), 10)
    batch = source.batch(0, 32)
    chex.assert_shape(batch['image'], (32, 28, 28, 1))
    assert float(jnp.min(batch['image'])) >= -1 and float(jnp.max(batch['image'])) <= 1
    assert set(np.asarray(batch['label'])) <= set(range(10))
    np.testing.assert_array_equal(batch['image'], source.batch(0, 32)['image'])
    # the classifier's view: standardised exactly as the config's real images are
    standard = augment.source_from_config(augment_config(gan_dir, 0.25))
    pre = data.Preprocess.for_classifier('fashion_mnist', train=False, crop_padding=0)
    assert standard.mean == tuple(pre.mean) and standard.std == tuple(pre.std)
    assert augment.source_from_config(augment_config(gan_dir, 0.0)) is None


def test_classifier_trains_on_a_subset_with_generated_images(gan_dir, tmp_path):
    config = augment_config(gan_dir, 0.25)
    result = classifier.train_and_evaluate(config, str(tmp_path),
                                           augment.extension_from_config(config))
    assert result['added_per_batch'] == 4 and result['train_examples'] == 160
    assert result['split'] == 'validation' and result['examples'] == 40  # every one scored
    assert result['test']['examples'] == 10000
    assert json.load(open(tmp_path / 'eval.json'))['test'] == result['test']


def test_cas_trains_on_generated_images_only(gan_dir, tmp_path, monkeypatch):
    config = tiny_config(eval_split='test', test_split='test')
    drawn = []
    to_split = augment.SyntheticSource.to_split

    def smaller_split(source, n, *args, **kwargs):  # 60,000 draws are the real run's business
        drawn.append(n)
        return to_split(source, 200, *args, **kwargs)

    monkeypatch.setattr(augment.SyntheticSource, 'to_split', smaller_split)
    result = augment.classification_accuracy_score(gan_dir, config, str(tmp_path))
    assert drawn == [60000]  # as many as the real train split holds
    assert result['train_examples'] == 200
    correct = result['cas'] * 10000  # an accuracy over the 10,000 real test images
    assert correct == pytest.approx(round(correct), abs=1e-6)
    assert json.load(open(tmp_path / 'cas.json'))['cas'] == result['cas']


def test_study_writes_each_result_and_resumes(gan_dir, tmp_path, monkeypatch):
    files = tmp_path / 'configs'
    files.mkdir()
    (files / 'gan.py').write_text(
        'from tests.helpers import tiny_gan_config\n'
        'def get_config():\n    return tiny_gan_config(conditional=True)\n')
    (files / 'cls.py').write_text(
        'from tests.helpers import tiny_config\n'
        'def get_config():\n    return tiny_config()\n')
    study = ml_collections.ConfigDict({
        'gan': str(files / 'gan.py'), 'classifier': str(files / 'cls.py'), 'per_class': (20,),
        'seeds': (0,), 'val_fraction': 0.2, 'ratios': (0.5,), 'truncations': (0.0, 1.0),
        'test_split': 'test'})
    [path] = augment_study.run_study(study, str(tmp_path / 'runs'))
    result = json.load(open(path))['result']
    assert set(result['arms']) == {'real', 'r0.5_t0', 'r0.5_t1'}
    assert result['chosen'] in ('r0.5_t0', 'r0.5_t1')
    chosen = result['arms'][result['chosen']]
    assert chosen['validation_accuracy'] == max(result['arms'][a]['validation_accuracy']
                                                for a in ('r0.5_t0', 'r0.5_t1'))
    assert result['gain'] == pytest.approx(chosen['test_accuracy']
                                           - result['arms']['real']['test_accuracy'])
    monkeypatch.setattr(gan_lib, 'train_and_evaluate', lambda *a: pytest.fail('not resumed'))
    assert augment_study.run_study(study, str(tmp_path / 'runs')) == [path]


@pytest.mark.parametrize('overrides, match', [
    ({'ratio': 1.0}, r'synthetic.ratio .* must be in \[0, 1\), got 1.0'),
    ({'ratio': -0.1}, r'must be in \[0, 1\), got -0.1'),
    ({'ratio': 0.25}, 'needs synthetic.gan_workdir'),
    ({'truncation': -1.0, 'ratio': 0.25, 'gan_workdir': 'x'}, 'truncation must be >= 0'),
    ({'ratio': 0.25, 'gan_workdir': '/nonexistent'}, 'no train.gan checkpoints'),
])
def test_bad_synthetic_settings_are_refused(overrides, match):
    config = augment_config()
    config.synthetic.update(overrides)
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        augment.source_from_config(config)


def test_bad_classifier_settings_fail_before_compiling(tmp_path):
    with pytest.raises(ValueError, match="eval_split must be 'validation'"):
        classifier.train_and_evaluate(augment_config(eval_split='test'), str(tmp_path / 'a'))
    big = augment_config()
    big.subset.per_class = 7000
    with pytest.raises(ValueError, match='class 0 has 6000 examples, fewer than the 7000'):
        classifier.train_and_evaluate(big, str(tmp_path / 'c'))
    assert not os.listdir(tmp_path)


def test_unconditional_or_mismatched_generators_are_refused(gan_dir, monkeypatch):
    source = augment.source_from_workdir(gan_dir)
    with pytest.raises(ValueError, match=r'makes \(28, 28, 1\) images, the data has \(32, 32, 3\)'):
        source.check((32, 32, 3), 10)
    with pytest.raises(ValueError, match='has 10 classes, the data has 100'):
        source.check((28, 28, 1), 100)
    with monkeypatch.context() as m:
        m.setattr(gan_lib, 'restore', lambda workdir: (
            ml_collections.ConfigDict({'conditional': False}), None, None, None))
        with pytest.raises(ValueError, match='holds an unconditional GAN'):
            augment.source_from_workdir(gan_dir)
    with pytest.raises(ValueError, match='CAS is scored on real test images'):
        augment.classification_accuracy_score(gan_dir, tiny_config(), 'unused')
    study = ml_collections.ConfigDict({'ratios': (1.0,), 'truncations': (0.0,)})
    with pytest.raises(ValueError, match=r'study.ratios must lie in \(0, 1\), got 1.0'):
        augment_study.arms(study)
