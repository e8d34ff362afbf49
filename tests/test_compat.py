"""The earlier flat module paths still import the names users called, with a warning."""
import importlib
import sys

import pytest

import ghostjax as gj
from ghostjax import ops
from ghostjax.models import registry
from ghostjax.optim import clip_weights, l1_penalty, l2_penalty


@pytest.mark.parametrize('old,names', [
    ('ghostjax.layers', ('DepthwiseConv', 'ConvTranspose', 'batch_norm', 'conv',
                         'depthwise_conv_shifted', 'conv_transpose_phases', 'transpose_padding')),
    ('ghostjax.gans', ('create_generator', 'create_discriminator', 'GENERATORS')),
    ('ghostjax.dcgan', ('DCGAN28Generator', 'DiscriminatorHead', 'condition', 'sn')),
    ('ghostjax.ghostgan', ('GhostGenerator', 'GhostUpBlock', 'upsample2x')),
    ('ghostjax.ghost', ('GhostModule', 'make_divisible')),
    ('ghostjax.ghostnet', ('GhostNet', 'GHOSTNET_STAGES')),
    ('ghostjax.counting', ('count_macs', 'model_size')),
    ('ghostjax.convert', ('convert_torch_state_dict', 'load_torch_checkpoint', 'torch_key')),
    ('ghostjax.metrics.inception', ('InceptionV3FID', 'load_fid_inception',
                                    'InceptionExtractor')),
    ('ghostjax.losses', ('cross_entropy', 'discriminator_loss', 'GAN_LOSSES')),
    ('ghostjax.pruning', ('prune', 'prunable', 'polynomial')),
    ('ghostjax.channel_pruning', ('prune_ghost_channels',)),
    ('ghostjax.quantization', ('ptq', 'qat', 'fold_batch_norm', 'size_report')),
    ('ghostjax.compress', ('compress_classifier', 'compress_generator')),
    ('ghostjax.allocator', ('jemalloc_env', 'log_hint')),
])
def test_old_module_paths_import_their_names(old, names):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match='moved to'):
        module = importlib.import_module(old)
    for name in names:
        assert hasattr(module, name), f'{old}.{name}'


def test_old_top_level_names_and_legacy_impl_keywords():
    # ghostjax.optim is a package of the same name now
    assert callable(clip_weights) and callable(l1_penalty) and callable(l2_penalty)
    assert gj.resolve_depthwise_impl('auto') == 'shifted'  # CPU
    assert ops.resolve_depthwise_impl('reference') == 'grouped'
    g = registry.create_generator('ghost', resolution=28, channels=1, depthwise_impl='grouped')
    assert g.impl == 'reference'
    g = registry.create_generator('dcgan28', resolution=28, channels=1, conv_impl='phases')
    assert g.impl == 'fast'
