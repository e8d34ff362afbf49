"""GAN metrics: FID against independent computations, KID unbiasedness, IS and P/R limits,
and the domain extractor on real data."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ghostjax import data, metrics
from ghostjax.metrics.sample_quality import evaluate_sampler, real_statistics
from ghostjax.training.gan.scoring import load_extractor
from tests.helpers import needs_fmnist



def _gauss_stats(rng, d, n, shift=0.0, scale=1.0):
    x = rng.standard_normal((n, d)) * scale + shift
    return x.mean(0), np.cov(x, rowvar=False)


def test_frechet_distance_matches_an_eigenvalue_reference():
    rng = np.random.default_rng(0)
    mu1, s1 = _gauss_stats(rng, 16, 200)
    mu2, s2 = _gauss_stats(rng, 16, 300, shift=0.3, scale=1.5)
    # Tr sqrt(S1 S2) = sum of square roots of the (real, non-negative) eigenvalues of S1 S2
    ref = (np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2)
           - 2 * np.sum(np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None))))
    np.testing.assert_allclose(metrics.frechet_distance(mu1, s1, mu2, s2), ref, rtol=1e-6)
    assert abs(metrics.frechet_distance(mu1, s1, mu1, s1)) < 1e-6


def test_frechet_distance_1d_closed_form():
    # N(m1, a^2) vs N(m2, b^2): (m1 - m2)^2 + (a - b)^2
    np.testing.assert_allclose(metrics.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]),
                               4.0 + 1.0, rtol=1e-12)


def test_singular_covariance_warns_and_stays_exact():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 32)), rng.standard_normal((5, 32)) + 1
    a, b = metrics.RunningStats(32), metrics.RunningStats(32)
    a.update(x)
    b.update(y)
    with pytest.warns(UserWarning, match='5 samples for 32-d features: the covariance is singular'):
        fid = metrics.frechet_distance(a.mean, a.cov, b.mean, b.cov, num_samples=5)
    # rank-4 covariances: the eigenvalue form needs no eps and matches the direct eigenvalues
    ref = (np.sum((a.mean - b.mean) ** 2) + np.trace(a.cov) + np.trace(b.cov)
           - 2 * np.sum(np.sqrt(np.clip(np.linalg.eigvals(a.cov @ b.cov).real, 0, None))))
    np.testing.assert_allclose(fid, ref, rtol=1e-6)
    assert abs(metrics.frechet_distance(a.mean, a.cov, a.mean, a.cov)) < 1e-6 * np.trace(a.cov)
    with pytest.raises(ValueError, match='mismatched statistics'):
        metrics.frechet_distance(a.mean, a.cov, b.mean[:3], b.cov)


def test_running_stats_equal_full_batch_statistics(tmp_path):
    x = np.random.default_rng(2).standard_normal((1000, 8)) * 3 + 1
    stats = metrics.RunningStats(8)
    for chunk in np.array_split(x, 7):
        stats.update(chunk)
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-10)
    np.testing.assert_allclose(stats.cov, np.cov(x, rowvar=False), rtol=1e-9)
    stats.save(str(tmp_path / 's.npz'))
    with np.load(tmp_path / 's.npz') as f:
        assert int(f['n']) == 1000
    with pytest.raises(ValueError, match=r'expected features \[N, 8\]'):
        stats.update(x[:, :4])


def test_kid_estimator_is_unbiased():
    rng = np.random.default_rng(3)
    d = 8
    sample = lambda n, shift: rng.standard_normal((n, d)) + shift
    # population MMD^2 from large samples (U-statistic; its error is far below the check below)
    truth = metrics.polynomial_mmd2(sample(4000, 0.0), sample(4000, 0.25))
    small = [metrics.polynomial_mmd2(sample(20, 0.0), sample(20, 0.25)) for _ in range(600)]
    se = np.std(small) / np.sqrt(len(small))
    assert abs(np.mean(small) - truth) < 4 * se
    # the biased (V-statistic) estimator at n=20 is off by far more than that
    def biased(x, y):
        k = lambda a, b: (a @ b.T / d + 1) ** 3
        return k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()
    biased_mean = np.mean([biased(sample(20, 0.0), sample(20, 0.25)) for _ in range(600)])
    assert abs(biased_mean - truth) > 10 * se
    same = [metrics.polynomial_mmd2(sample(20, 0.0), sample(20, 0.0)) for _ in range(600)]
    assert abs(np.mean(same)) < 4 * np.std(same) / np.sqrt(600)
    mean, std = metrics.kernel_inception_distance(sample(300, 0.0), sample(300, 1.0),
                                                  num_subsets=20, subset_size=100)
    assert mean > 10 * std > 0


def test_inception_score_limits():
    k = 10
    perfect = np.eye(k)[np.arange(1000) % k]
    np.testing.assert_allclose(metrics.inception_score(perfect)[0], k, rtol=1e-6)
    constant = np.tile(np.eye(k)[3], (1000, 1))
    np.testing.assert_allclose(metrics.inception_score(constant)[0], 1.0, rtol=1e-6)
    uniform = np.full((1000, k), 1 / k)
    np.testing.assert_allclose(metrics.inception_score(uniform)[0], 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match='probabilities'):
        metrics.inception_score(np.ones((20, 3)))


def test_precision_recall_limits():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((500, 4))
    assert metrics.precision_recall(real, real.copy()) == (1.0, 1.0)
    far = rng.standard_normal((500, 4)) + 100
    assert metrics.precision_recall(real, far) == (0.0, 0.0)
    collapsed = rng.standard_normal((500, 4)) * 0.05  # one mode at the centre
    p, r = metrics.precision_recall(real, collapsed)
    assert p > 0.95 and r < 0.3


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope='module')
def extractor(extractor_workdir):
    return load_extractor(extractor_workdir, (28, 28, 1))


@needs_fmnist
def test_fid_of_real_halves_is_small_and_grows_with_noise(extractor, tmp_path):
    split = data.load('fashion_mnist', 'test')
    pre = data.Preprocess.for_gan()
    a = data.from_arrays(split.images[:5000], split.labels[:5000], 10, 'fmnist_a', 'test')
    real = real_statistics(extractor, a, str(tmp_path))
    other = pre(split.images[5000:])
    rng = np.random.default_rng(0)
    fids = []
    for sigma in (0.0, 0.1, 0.25, 0.5, 1.0):
        noisy = np.clip(other + sigma * rng.standard_normal(other.shape), -1, 1).astype(np.float32)
        res = evaluate_sampler(extractor, lambda s, n: noisy[s:s + n], 5000, real)
        fids.append(res['fid'])
    assert all(np.diff(fids) > 0), fids
    assert fids[0] < 0.1 * fids[-1], fids
    assert res['extractor'].startswith('ghostnet-fashion_mnist')
    # the cache is keyed by dataset, split, extractor and the extractor's weights
    assert len(extractor.fingerprint) == 12
    assert (tmp_path / f'fmnist_a-test-{extractor.name}-{extractor.fingerprint}.npz').exists()


@needs_fmnist
def test_extractor_rejects_wrong_range_and_shape(extractor):
    with pytest.raises(ValueError, match=r'images must be in \[-1, 1\], got values in \[255, 255\]'):
        extractor(np.full((2, 28, 28, 1), 255.0))
    with pytest.raises(ValueError, match=r'expects images \[N, 28, 28, 1\]'):
        extractor(np.zeros((2, 32, 32, 3)))


def test_inception_matches_pytorch_fid_architecture_with_random_weights(tmp_path):
    torch = pytest.importorskip('torch')
    from ghostjax.models.inception import InceptionV3FID, load_fid_inception
    from tests.torch_inception import TorchFIDInception
    torch.manual_seed(0)
    tm = TorchFIDInception().eval()
    with torch.no_grad():
        for m in tm.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    x = torch.rand(2, 3, 64, 48) * 2 - 1  # upsampled to 299, non-square on purpose
    with torch.no_grad():
        ref_pool, ref_probs = (t.numpy() for t in tm(x))
    path = tmp_path / 'pt_inception.pth'
    torch.save(tm.state_dict(), path)
    variables = load_fid_inception(str(path))
    pool, probs = jax.jit(InceptionV3FID().apply)(variables, jnp.asarray(x.numpy().transpose(0, 2, 3, 1)))
    assert np.max(np.abs(np.asarray(pool) - ref_pool)) / np.max(np.abs(ref_pool)) < 1e-4
    np.testing.assert_allclose(np.asarray(probs), ref_probs, atol=1e-5)
    # a weights file for another network is refused, naming the first bad key
    bad = {k: v for k, v in tm.state_dict().items() if not k.startswith('Mixed_7c')}
    torch.save(bad, path)
    with pytest.raises(ValueError, match=r'missing keys .*Mixed_7c'):
        load_fid_inception(str(path))
    with pytest.raises(FileNotFoundError, match='pt_inception-2015-12-05'):
        load_fid_inception(str(tmp_path / 'absent.pth'))
