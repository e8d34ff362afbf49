"""benchmarks.profile_step: self times from nested trace events, op kinds from optimized HLO,
model and direction from JAX's op names."""
import jax
import jax.numpy as jnp
import pytest

from benchmarks import profile_step as ps
from ghostjax.ops import depthwise


def test_self_time_subtracts_enclosed_events_on_the_same_thread_only():
    events = [{'ph': 'X', 'name': 'while.1', 'ts': 0, 'dur': 10, 'pid': 1, 'tid': 1},
              {'ph': 'X', 'name': 'fusion.2', 'ts': 2, 'dur': 3, 'pid': 1, 'tid': 1},
              {'ph': 'X', 'name': 'fusion.2', 'ts': 6, 'dur': 1, 'pid': 1, 'tid': 1},
              {'ph': 'X', 'name': 'fusion.3', 'ts': 3, 'dur': 4, 'pid': 1, 'tid': 2},
              {'ph': 'X', 'name': 'PjitFunction', 'ts': 0, 'dur': 50, 'pid': 1, 'tid': 1},
              {'ph': 'i', 'name': 'fusion.3', 'ts': 9, 'pid': 1, 'tid': 2}]
    assert ps.self_times(events, {'while.1', 'fusion.2', 'fusion.3'}) == {
        'while.1': 6.0, 'fusion.2': 4.0, 'fusion.3': 4.0}


def _kinds(fn, *args) -> set[str]:
    comps = ps.parse_hlo(jax.jit(fn).lower(*args).compile().as_text())
    entry = next(c for name, c in comps.items() if name.startswith('main'))
    return {ps.classify(comps, opcode, line) for opcode, line in entry.values()}


@pytest.mark.parametrize('form,kind', [
    ('dense conv', 'conv'), ('grouped conv', 'depthwise conv'),
    ('shifted depthwise', 'depthwise conv'), ('matmul', 'matmul')])
def test_each_op_is_classified_by_what_it_computes(form, kind):
    x, k = jnp.ones((2, 8, 8, 4)), jnp.ones((3, 3, 1, 4))
    pad = ((1, 1), (1, 1))
    fns = {'dense conv': lambda x: jax.lax.conv_general_dilated(
               x, jnp.ones((3, 3, 4, 4)), (1, 1), pad, dimension_numbers=('NHWC', 'HWIO', 'NHWC')),
           'grouped conv': lambda x: depthwise.depthwise_conv_grouped(x, k, (1, 1), pad),
           'shifted depthwise': lambda x: depthwise.depthwise_conv_shifted(x, k, (1, 1), pad),
           'matmul': lambda x: x.reshape(16, 32) @ jnp.ones((32, 32))}
    kinds = _kinds(fns[form], x)
    assert kind in kinds, kinds
    assert not {'conv', 'depthwise conv', 'matmul'} - {kind} & kinds, kinds


def test_model_and_direction_come_from_the_op_name():
    line = ('%fusion.1 = f32[2] fusion(%p), kind=kLoop, metadata={op_name="jit(train_step)/'
            'transpose(jvp(GhostDiscriminator))/block0/conv_dw/mul"}')
    assert ps._where({}, line)[:2] == ('D', 'backward')
    line = line.replace('transpose(jvp(GhostDiscriminator))', 'jvp(GhostGenerator)')
    assert ps._where({}, line)[:2] == ('G', 'forward')
