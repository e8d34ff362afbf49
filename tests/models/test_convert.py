"""PyTorch GhostNet weights -> Flax: key mapping (no torch needed) and numerical equality."""
import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ghostjax as gj
from ghostjax.models.convert import convert_torch_state_dict, torch_key


def _template(model, size=64):
    return jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, size, size, 3)))


def _fake_state_dict(template, seed=0):
    """A numpy state dict in PyTorch layout for every variable of ``template``."""
    rng = np.random.default_rng(seed)
    sd = {}
    for path, leaf in flax.traverse_util.flatten_dict(flax.core.unfreeze(template)).items():
        w = rng.standard_normal(leaf.shape).astype(np.float32)
        sd[torch_key(path)] = w.transpose(3, 2, 0, 1) if w.ndim == 4 else (w.T if w.ndim == 2 else w)
    return sd


def test_reference_key_names():
    keys = set(_fake_state_dict(_template(gj.GhostNet())))
    for k in ('conv_stem.weight', 'bn1.running_var', 'blocks.0.0.ghost1.primary_conv.0.weight',
              'blocks.0.0.ghost1.primary_conv.1.running_mean',
              'blocks.1.0.ghost1.cheap_operation.0.weight', 'blocks.1.0.conv_dw.weight',
              'blocks.1.0.bn_dw.bias', 'blocks.3.0.se.conv_reduce.bias',
              'blocks.3.0.se.conv_expand.weight', 'blocks.1.0.shortcut.0.weight',
              'blocks.1.0.shortcut.3.running_var', 'blocks.6.4.ghost2.cheap_operation.1.weight',
              'blocks.9.0.conv.weight', 'blocks.9.0.bn1.weight', 'conv_head.bias',
              'classifier.weight'):
        assert k in keys, k
    # timm's ghostnet_100 state dict has 512 entries, 80 of them num_batches_tracked.
    assert len(keys) == 512 - 80
    v2 = set(_fake_state_dict(_template(gj.GhostNet(version=2))))
    assert 'blocks.3.0.ghost1.short_conv.4.weight' in v2
    assert 'blocks.1.0.ghost1.short_conv.0.weight' not in v2


def test_round_trip_and_layouts():
    template = _template(gj.GhostNet(width=0.5, num_classes=5))
    sd = _fake_state_dict(template)
    sd['bn1.num_batches_tracked'] = np.array(3)  # ignored, as in PyTorch's own loading
    v = convert_torch_state_dict({'module.' + k: w for k, w in sd.items()}, template)
    np.testing.assert_array_equal(v['params']['conv_stem']['kernel'],
                                  sd['conv_stem.weight'].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(v['params']['classifier']['kernel'], sd['classifier.weight'].T)
    np.testing.assert_array_equal(v['batch_stats']['bn1']['var'], sd['bn1.running_var'])
    np.testing.assert_array_equal(v['params']['blocks_1_0']['conv_dw']['kernel'][:, :, 0, :],
                                  sd['blocks.1.0.conv_dw.weight'][:, 0].transpose(1, 2, 0))


def test_mismatches_are_named():
    template = _template(gj.GhostNet(width=0.5, num_classes=5))
    sd = _fake_state_dict(template)
    bad = dict(sd)
    del bad['blocks.3.0.se.conv_reduce.bias']
    with pytest.raises(ValueError, match=r'missing keys \(1\).*blocks\.3\.0\.se\.conv_reduce\.bias'):
        convert_torch_state_dict(bad, template)
    with pytest.raises(ValueError, match=r'unexpected keys \(1\).*head\.extra\.weight'):
        convert_torch_state_dict({**sd, 'head.extra.weight': np.zeros(1)}, template)
    bad = {**sd, 'classifier.weight': np.zeros((1000, 1280), np.float32)}
    with pytest.raises(ValueError, match=r'mis-shaped keys \(1\).*classifier\.weight.*expected \(1280, 5\)'):
        convert_torch_state_dict(bad, template)


@pytest.mark.parametrize('version,width,size', [(1, 1.0, 64), (2, 0.5, 70)])
def test_equals_pytorch_in_eval_mode(version, width, size):
    torch = pytest.importorskip('torch')
    from tests.torch_ghostnet import TorchGhostNet
    torch.manual_seed(version)
    tm = TorchGhostNet(width, 10, version).eval()
    with torch.no_grad():
        for m in tm.modules():  # non-trivial BN statistics, so the mapping of every stat matters
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_(1, 0.2)
                m.bias.normal_(0, 0.2)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        ref = tm(x).numpy()
    model = gj.GhostNet(width=width, num_classes=10, version=version)
    v = convert_torch_state_dict(tm.state_dict(), _template(model, size))
    for impl in ('reference', 'fast'):
        out = gj.GhostNet(width=width, num_classes=10, version=version, impl=impl).apply(
            v, jnp.asarray(x.numpy().transpose(0, 2, 3, 1)))
        assert np.max(np.abs(np.asarray(out) - ref)) / np.max(np.abs(ref)) < 1e-4
