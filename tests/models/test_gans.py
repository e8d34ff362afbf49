"""GAN models: exact layer plans, shapes, conditional variants, spectral norm, bad input."""

import re

import chex
import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ghostjax as gj
from ghostjax.models import dcgan, ghostgan
from ghostjax.models.registry import create_discriminator, create_generator
from tests.helpers import TINY_STAGES



@pytest.mark.parametrize('model,shape,params', [
    (dcgan.DCGANGenerator(64, 3), (1, 100), 3_576_704),
    (dcgan.DCGANDiscriminator(64, 3), (1, 64, 64, 3), 2_765_568),
    (dcgan.DCGAN28Generator(), (1, 100), 2_305_472),
    (dcgan.DCGAN28Discriminator(), (1, 28, 28, 1), 212_865),
])
def test_reference_parameter_counts(model, shape, params):
    assert gj.model_size(model, shape)['params'] == params


@pytest.mark.parametrize('resolution,channels,baseline', [
    (28, 1, dcgan.DCGAN28Generator()), (32, 3, dcgan.DCGANGenerator(32, 3)),
    (64, 3, dcgan.DCGANGenerator(64, 3))])
def test_ghost_generator_is_at_most_half_of_dcgan(resolution, channels, baseline):
    ghost = gj.model_size(ghostgan.GhostGenerator(resolution, channels), (1, 100))
    base = gj.model_size(baseline, (1, 100))
    assert ghost['params'] <= 0.5 * base['params']
    assert ghost['macs'] <= 0.5 * base['macs']


@pytest.mark.parametrize('g_name,d_name,res,ch', [
    ('dcgan', 'dcgan', 32, 3), ('dcgan', 'dcgan', 64, 3), ('dcgan28', 'dcgan28', 28, 1),
    ('mlp', 'mlp', 28, 1), ('ghost', 'ghost', 28, 1), ('ghost', 'ghost', 32, 3),
    ('ghost', 'ghost', 64, 3), ('ghost', 'ghostnet', 28, 1)])
@pytest.mark.parametrize('conditional', [False, True])
def test_generator_and_discriminator_shapes(g_name, d_name, res, ch, conditional):
    cond = {'num_classes': 10} if conditional else {}
    g = create_generator(g_name, resolution=res, channels=ch, **cond)
    d = create_discriminator(d_name, resolution=res, channels=ch, **cond)
    z, labels = jnp.zeros((3, 100)), (jnp.arange(3) if conditional else None)
    images = jax.eval_shape(lambda z: g.init_with_output(jax.random.key(0), z, labels)[0], z)
    chex.assert_shape(images, (3, res, res, ch))
    logits = jax.eval_shape(lambda x: d.init_with_output(jax.random.key(0), x, labels)[0],
                            jnp.zeros((3, res, res, ch)))
    chex.assert_shape(logits, (3,))


def test_spectral_norm_discriminator_trains_its_power_iteration():
    d = dcgan.DCGAN28Discriminator(spectral_norm=True, dropout=0.0)
    x = jax.random.normal(jax.random.key(0), (4, 28, 28, 1))
    v = d.init(jax.random.key(1), x)
    assert 'batch_stats' in v  # the u vectors
    out, upd = d.apply(v, x, train=True, mutable=['batch_stats'])
    chex.assert_shape(out, (4,))
    leaves_a, leaves_b = jax.tree.leaves(v['batch_stats']), jax.tree.leaves(upd['batch_stats'])
    assert any(not jnp.allclose(a, b) for a, b in zip(leaves_a, leaves_b))
    # power iteration approaches the kernel's largest singular value from below
    stats = v['batch_stats']
    for _ in range(50):
        _, upd = d.apply({'params': v['params'], 'batch_stats': stats}, x, train=True,
                         mutable=['batch_stats'])
        stats = upd['batch_stats']
    kernel = v['params']['conv1']['kernel'].reshape(-1, 128)
    top = float(jnp.linalg.svd(kernel, compute_uv=False)[0])
    sigma = float(stats['SpectralNorm_1']['conv1/kernel/sigma'])
    assert 0.98 * top <= sigma <= top * (1 + 1e-5)


@pytest.mark.parametrize('d', [
    ghostgan.GhostDiscriminator(resolution=16, base_features=8, spectral_norm=True),
    ghostgan.GhostNetDiscriminator(resolution=16, width=0.25, num_features=32,
                                   stages=TINY_STAGES, spectral_norm=True)],
    ids=['ghost', 'ghostnet'])
def test_ghost_discriminators_spectral_norm_covers_every_layer(d):
    """1x1, depthwise, dense, SE and head kernels all divided by their top singular value; no
    BatchNorm left."""
    x = jax.random.normal(jax.random.key(0), (4, 16, 16, 1))
    v = d.init(jax.random.key(1), x)
    params = flax.traverse_util.flatten_dict(v['params'], sep='/')
    assert not [k for k in params if k.endswith('/scale')]  # no BatchNorm
    stats = v['batch_stats']
    for _ in range(60):
        _, upd = d.apply({'params': v['params'], 'batch_stats': stats}, x, train=True,
                         mutable=['batch_stats'])
        stats = upd['batch_stats']
    sigmas = {re.sub(r'(SpectralNormed_\d+/)?SpectralNorm_\d+/', '', k[:-len('/sigma')]): val
              for k, val in flax.traverse_util.flatten_dict(stats, sep='/').items()
              if k.endswith('/sigma')}
    kernels = {k for k in params if k.endswith('kernel')}
    assert set(sigmas) == kernels
    assert any('conv_reduce' in k for k in kernels) and any('cheap_conv' in k for k in kernels)
    for name, sigma in sigmas.items():
        w = params[name].reshape(-1, params[name].shape[-1])
        normalised = np.linalg.svd(np.asarray(w) / float(sigma), compute_uv=False)[0]
        assert abs(normalised - 1) < 0.02, (name, normalised)


def test_spectral_norm_on_a_model_that_cannot_take_it():
    with pytest.raises(ValueError, match=r"generator 'ghost' cannot take spectral_norm"):
        create_generator('ghost', resolution=28, channels=1, spectral_norm=True)


def test_bad_model_names_and_sizes():
    with pytest.raises(ValueError, match=r"unknown generator 'stylegan'.*'dcgan', 'dcgan28', 'ghost', 'mlp'"):
        create_generator('stylegan', resolution=28, channels=1)
    with pytest.raises(ValueError, match="cannot make 28x28x1 images.*2\\^k"):
        create_generator('dcgan', resolution=28, channels=1)
    with pytest.raises(ValueError, match=r"makes images of shape \(28, 28, 1\).*32x32x1"):
        create_generator('dcgan28', resolution=32, channels=1)
    with pytest.raises(ValueError, match=r"has no option\(s\) \['width'\]"):
        create_discriminator('ghost', resolution=28, channels=1, width=2)
    with pytest.raises(ValueError, match=r'expects latents of shape \[B, 100\], got \(2, 64\)'):
        dcgan.DCGAN28Generator().init(jax.random.key(0), jnp.zeros((2, 64)))
    with pytest.raises(ValueError, match=r'expects images of shape \[B, 28, 28, 1\], got \(2, 32, 32, 1\)'):
        ghostgan.GhostDiscriminator().init(jax.random.key(0), jnp.zeros((2, 32, 32, 1)))
    with pytest.raises(ValueError, match='needs labels'):
        dcgan.MLPGenerator(num_classes=10).init(jax.random.key(0), jnp.zeros((2, 100)))
