"""One-class anomaly detection: the whole study on a tiny GAN and encoder (every GAN scorer,
result file, resume), the scorers against closed forms, and bad input refused before any
compile."""
import json

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from ghostjax import data
from ghostjax.applications import anomaly
from ghostjax.models import MLPDiscriminator
from ghostjax.training import gan as gan_lib
from projects.anomaly import study as anomaly_study
from projects.anomaly.configs import study as anomaly_fashion_mnist
from tests.helpers import needs_fmnist


def tiny_study(tmp_path, **overrides):
    gan_file = tmp_path / 'gan.py'
    gan_file.write_text('from tests.helpers import tiny_gan_config\n'
                        'def get_config():\n    return tiny_gan_config()\n')
    c = anomaly_fashion_mnist.get_config()
    c.gan = str(gan_file)
    c.normal_classes, c.seeds = (3,), (0,)
    c.more_seeds = ml_collections.ConfigDict({'classes': (), 'seeds': ()})
    c.scorers = ('izi_f', 'd_logit', 'knn_d')  # ocsvm has its own test (6,000 images: slow)
    c.encoder.update(base_features=8, steps=4, batch_size=16)
    c.score_batch = 1000
    c.data_parallel = False
    c.log_every_steps = 2
    for k, v in overrides.items():
        c[k] = v
    return c


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    """(config, workdir, result path) of a finished one-class study of class 3."""
    tmp = tmp_path_factory.mktemp('anomaly')
    config = tiny_study(tmp)
    [path] = anomaly_study.run_study(config, str(tmp / 'runs'))
    return config, tmp / 'runs', path


@needs_fmnist
def test_study_scores_a_class_and_resumes(study, monkeypatch):
    config, runs, path = study
    result = json.load(open(path))['result']
    assert result['normal_class'] == 3 and result['train_examples'] == 6000
    assert result['test_examples'] == 10000 and result['anomalous'] == 9000
    assert set(result['scorers']) == {'izi_f', 'd_logit', 'knn_d'}
    saved = np.load(runs / 'c3_s0' / 'scores.npz')
    assert saved['izi_f'].shape == (10000,) and saved['is_anomaly'].sum() == 9000
    np.testing.assert_array_equal(saved['is_anomaly'], saved['labels'] != 3)
    sk = pytest.importorskip('sklearn.metrics')
    for name, scores in result['scorers'].items():  # a second, independent path to the table
        assert scores['auroc'] == pytest.approx(sk.roc_auc_score(saved['is_anomaly'],
                                                                 saved[name]), abs=1e-9)
        assert scores['auprc'] == pytest.approx(sk.average_precision_score(
            saved['is_anomaly'], saved[name]), abs=1e-9)
        assert scores['ms_per_image'] > 0
    monkeypatch.setattr(gan_lib, 'train_and_evaluate', lambda *a: pytest.fail('not resumed'))
    assert anomaly_study.run_study(config, str(runs)) == [path]


def test_residuals_vanish_for_a_perfect_reconstruction():
    d = MLPDiscriminator(hidden=16)
    x = jax.random.uniform(jax.random.key(0), (4, 28, 28, 1), minval=-1, maxval=1)
    variables = d.init(jax.random.key(1), x)
    image, feature = anomaly.residuals(x, x, d.apply, variables)
    np.testing.assert_array_equal(image, 0)
    np.testing.assert_array_equal(feature, 0)
    image, feature = anomaly.residuals(x, -x, d.apply, variables)
    np.testing.assert_allclose(image, jnp.mean((2 * x) ** 2, axis=(1, 2, 3)), rtol=1e-6)
    assert np.all(feature > 0)


def test_knn_distance_closed_form():
    bank = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]], np.float32)
    queries = np.array([[0.0, 0.0], [3.0, 4.0]], np.float32)
    np.testing.assert_allclose(anomaly.knn_distance(queries, bank, 1), [0, 0], atol=1e-3)
    np.testing.assert_allclose(anomaly.knn_distance(queries, bank, 2), [2.5, 2.5], rtol=1e-5)
    with pytest.raises(ValueError, match=r'knn_k must be in \[1, 3\], got 4'):
        anomaly.knn_distance(queries, bank, 4)


def test_ocsvm_scores_outliers_above_normal_images():
    rng = np.random.default_rng(0)
    dark = rng.integers(0, 60, (200, 8, 8, 1), dtype=np.uint8)
    bright = rng.integers(180, 255, (50, 8, 8, 1), dtype=np.uint8)
    train = data.from_arrays(dark[:150], np.zeros(150, np.int32), 2)
    test = data.from_arrays(np.concatenate([dark[150:], bright]),
                            np.r_[np.zeros(50), np.ones(50)].astype(np.int32), 2)
    spec = ml_collections.ConfigDict({'nu': 0.1, 'gamma': 'scale'})
    scores, ms = anomaly.ocsvm_scores(spec, train, test)
    assert anomaly_study.metrics.auroc(scores, test.labels == 1) > 0.99 and ms > 0


def _test_split(labels):
    labels = np.asarray(labels, np.int32)
    return data.from_arrays(np.zeros((len(labels), 28, 28, 1), np.uint8), labels, 10)


@pytest.mark.parametrize('overrides, labels, match', [
    ({'scorers': ('izi_f', 'anogan')}, range(10), r"unknown scorers \['anogan'\]"),
    ({'scorers': ()}, range(10), r'unknown scorers \(none given\)'),
    ({'normal_classes': (10,)}, range(10), r'normal class 10 is not a label of .* \(0 .. 9\)'),
    ({}, [3, 3, 3], 'for class 3 it has 3 normal of 3'),
    ({}, [1, 2], 'for class 3 it has 0 normal of 2'),
])
def test_bad_study_settings_are_refused(tmp_path, overrides, labels, match):
    with pytest.raises(ValueError, match=match):
        anomaly_study.check_config(tiny_study(tmp_path, **overrides), _test_split(labels))


def test_a_conditional_gan_is_refused(tmp_path):
    config = tiny_study(tmp_path)
    (tmp_path / 'gan.py').write_text('from tests.helpers import tiny_gan_config\n'
                                     'def get_config():\n'
                                     '    return tiny_gan_config(conditional=True)\n')
    with pytest.raises(ValueError, match='trains a conditional GAN'):
        anomaly_study.check_config(config, _test_split(range(10)))


@needs_fmnist
def test_encoder_latent_size_must_match_the_generator(study, tmp_path):
    config, runs, _ = study
    config = ml_collections.ConfigDict(config.to_dict())
    config.encoder.z_dim = 7
    with pytest.raises(ValueError, match='encoder.z_dim 7 does not match the generator latent '
                                         'size 100'):
        anomaly.train_encoder(config, str(runs / 'c3_s0' / 'gan'), None, str(tmp_path), 0)
