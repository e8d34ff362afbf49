"""The PyTorch peers of the project's own GAN models (benchmarks/torch_workloads.py) do the
same work as ours: equal parameters and MACs, and the same DiffAugment."""
import jax
import numpy as np
import pytest

torch = pytest.importorskip('torch')

from benchmarks import torch_workloads as peers  # noqa: E402
from ghostjax.models import ghostgan  # noqa: E402
from ghostjax.ops.counting import model_size  # noqa: E402
from ghostjax.training.gan import augment  # noqa: E402


def torch_size(module: torch.nn.Module, x: torch.Tensor) -> dict[str, int]:
    """Parameters and conv + linear MACs of one forward pass of ``module`` on ``x``."""
    macs = [0]

    def hook(m, inputs, out):
        if isinstance(m, torch.nn.Conv2d):
            kh, kw = m.kernel_size
            macs[0] += out.numel() * (m.in_channels // m.groups) * kh * kw
        else:
            macs[0] += out.numel() * m.in_features
    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        module.eval()(x)
    for h in handles:
        h.remove()
    return {'params': sum(p.numel() for p in module.parameters()), 'macs': macs[0]}


def test_ghost_generator_peer_has_our_parameters_and_macs():
    ours = model_size(ghostgan.GhostGenerator(28, 1), (1, 100))
    assert torch_size(peers.GhostGenerator(), torch.zeros(1, 100)) == ours


@pytest.mark.parametrize('spectral_norm', [False, True])
def test_ghost_discriminator_peer_has_our_parameters_and_macs(spectral_norm):
    ours = model_size(ghostgan.GhostDiscriminator(28, 1, spectral_norm=spectral_norm),
                      (1, 28, 28, 1))
    theirs = torch_size(peers.GhostDiscriminator(sn=spectral_norm), torch.zeros(1, 1, 28, 28))
    assert theirs['params'] == ours['params']
    if not spectral_norm:  # ours counts the power iteration's mat-vecs as MACs, hooks do not
        assert theirs['macs'] == ours['macs']


def test_peer_outputs_have_our_shapes():
    assert peers.GhostGenerator().eval()(torch.zeros(3, 100)).shape == (3, 1, 28, 28)
    assert peers.GhostDiscriminator().eval()(torch.zeros(3, 1, 28, 28)).shape == (3,)


def test_peer_diffaugment_equals_ours_for_the_same_parameters():
    x = jax.random.uniform(jax.random.key(0), (6, 28, 28, 1), minval=-1, maxval=1)
    params = augment.sample(jax.random.key(1), 6, 28, augment.parse_policy(
        'color,translation,cutout'))
    ours = np.asarray(augment.apply(x, params))
    theirs = peers.diffaugment(torch.from_numpy(np.array(x)).permute(0, 3, 1, 2),
                               {k: torch.from_numpy(np.array(v)) for k, v in params.items()})
    np.testing.assert_allclose(theirs.permute(0, 2, 3, 1).numpy(), ours, atol=1e-6)
    assert (ours == 0).any()  # the cutout square is in the compared images


def test_peer_iteration_updates_both_models():
    torch.manual_seed(0)
    g, d = peers.GhostGenerator(), peers.GhostDiscriminator()
    g_before, d_before = g.project.weight.detach().clone(), d.stem.weight.detach().clone()
    peers._ghost_gan(g.train(), d.train(), 4, 'hinge', True, 1e-4, 4e-4, (0.0, 0.9), 0.999)()
    assert not torch.equal(g.project.weight, g_before)
    assert not torch.equal(d.stem.weight, d_before)
    assert torch.isfinite(g.project.weight).all() and torch.isfinite(d.stem.weight).all()


@pytest.mark.parametrize('name', ['ghost_g_dcgan28_d', 'ghost_g_ghost_d'])
def test_peer_workloads_build_and_step(name):
    torch.manual_seed(0)
    peers.WORKLOADS[name]()()
