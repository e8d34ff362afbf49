"""The module-roles table matches the modules every model of the zoo creates."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import pytest

import ghostjax as gj
from ghostjax.nn import layers, roles
from ghostjax.optim import decay_mask
from ghostjax.optim.pruning import prunable
from tests.helpers import TINY_STAGES

KIND_OF_CLASS = ((layers.DepthwiseConv, 'depthwise'),
                 ((layers.PointwiseConv, layers.Conv, layers.ConvTranspose, nn.Conv), 'conv'),
                 (nn.Dense, 'dense'), ((layers.BatchNorm, nn.BatchNorm), 'norm'),
                 (nn.Embed, 'embed'))
ZOO = {
    'ghostnet_v1': (gj.GhostNet(width=0.5, num_classes=10, in_channels=1, stem_stride=1,
                                stages=TINY_STAGES), (1, 16, 16, 1), {}),
    'ghostnet_v2': (gj.GhostNet(width=0.5, num_classes=10, version=2, stages=TINY_STAGES
                                + (((3, 48, 24, 0.0, 1),),)), (1, 32, 32, 3), {}),
    **{f'{name}_G': (gj.create_generator(name, resolution=r, channels=c, num_classes=10),
                     (1, 100), {'labels': jnp.zeros((1,), jnp.int32)})
       for name, r, c in (('dcgan', 32, 3), ('dcgan28', 28, 1), ('mlp', 28, 1), ('ghost', 28, 1))},
    **{f'{name}_D': (gj.create_discriminator(name, resolution=r, channels=c, num_classes=10,
                                             spectral_norm=sn),
                     (1, r, r, c), {'labels': jnp.zeros((1,), jnp.int32)})
       for name, r, c, sn in (('dcgan', 32, 3, False), ('dcgan28', 28, 1, True),
                              ('mlp', 28, 1, True), ('ghost', 28, 1, False))},
}


def _calls(model, shape, kwargs):
    """[(module name, class)] in call order, for every layer the model calls."""
    calls = []

    def record(next_fn, args, kw, context):
        if context.method_name == '__call__' and context.module.name:
            calls.append((context.module.name, type(context.module)))
        return next_fn(*args, **kw)

    with nn.intercept_methods(record):
        jax.eval_shape(lambda x: model.init(jax.random.key(0), x, **kwargs),
                       jax.ShapeDtypeStruct(shape, jnp.float32))
    return calls


@pytest.mark.parametrize('name', sorted(ZOO))
def test_every_layer_has_its_role_and_every_pair_its_batch_norm(name):
    calls = _calls(*ZOO[name])
    for module, cls in calls:
        expected = next((kind for classes, kind in KIND_OF_CLASS if issubclass(cls, classes)),
                        None)
        if expected is None:
            continue
        role = roles.role(module)
        assert role is not None and role.kind == expected, (
            f'{name}: module {module!r} is a {cls.__name__} ({expected}); the roles table says '
            f'{role}')
    for (module, _), (after, after_cls) in zip(calls, calls[1:]):
        role = roles.role(module)
        if role and role.norm:
            assert after == role.norm and issubclass(after_cls, layers.BatchNorm), (
                f'{name}: {module!r} is followed by {after!r}, the table pairs it with '
                f'{role.norm!r}')


def test_kernel_masks_read_the_table_not_shapes():
    """A 1-channel stem conv ([3, 3, 1, C]) is a conv, not depthwise: prunable and decayed."""
    model, shape, _ = ZOO['ghostnet_v1']
    params = model.init(jax.random.key(0), jnp.zeros(shape))['params']
    assert params['conv_stem']['kernel'].shape[2] == 1
    assert prunable(params)['conv_stem']['kernel']
    assert not prunable(params)['blocks_0_0']['ghost1']['cheap_conv']['kernel']
    decayed = decay_mask(params)
    assert decayed['conv_stem']['kernel'] and decayed['blocks_0_0']['ghost1']['cheap_conv']['kernel']
    assert not decayed['bn1']['scale'] and not decayed['conv_head']['bias']
