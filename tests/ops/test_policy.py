"""The one implementation switch: every fast path against its reference, model-wide."""
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import pytest

import ghostjax as gj
from ghostjax.ops import policy
from tests.helpers import TINY_STAGES, assert_trees_close


def _primitives(fn, *args):
    """Names of the primitives and named jit calls in ``fn``'s jaxpr (one level of calls)."""
    names = []
    for eqn in jax.make_jaxpr(fn)(*args).jaxpr.eqns:
        names.append(eqn.params.get('name', eqn.primitive.name))
        if eqn.primitive.name == 'conv_general_dilated':
            names.append(f'conv_groups_{eqn.params["feature_group_count"]}')
    return names


def _tiny_ghostnet(impl='auto'):
    return gj.GhostNet(width=0.5, num_classes=10, in_channels=1, stem_stride=1,
                       stages=TINY_STAGES, impl=impl)


def test_canonical_names_and_no_other_spelling():
    assert [policy.canonical(i) for i in ('auto', 'reference', 'fast')] == list(policy.IMPLS)
    for old in ('grouped', 'shifted', 'phases', 'xla'):
        with pytest.raises(ValueError, match=f"impl must be one of .* got '{old}'"):
            policy.canonical(old)
    with pytest.raises(ValueError, match="impl must be one of .* got 'im2col'"):
        policy.canonical('im2col')


def test_auto_runs_the_fast_forms_on_cpu_and_force_impl_the_reference_ones():
    model = _tiny_ghostnet()
    x = jnp.zeros((2, 16, 16, 1))
    variables = model.init(jax.random.key(0), x)
    # a new function each time: the policy acts when a function is traced, and JAX caches traces
    assert 'depthwise_conv_shifted' in _primitives(lambda v, x: model.apply(v, x), variables, x)
    with gj.force_impl('reference'):
        forced = _primitives(lambda v, x: model.apply(v, x), variables, x)
        assert policy.use_fast('fast', True) is False  # the override wins over a layer's own
    assert 'depthwise_conv_shifted' not in forced
    assert any(n.startswith('conv_groups_') and n != 'conv_groups_1' for n in forced)
    restored = _primitives(lambda v, x: model.apply(v, x), variables, x)
    assert 'depthwise_conv_shifted' in restored


def test_whole_model_fast_equals_reference_in_values_and_gradients():
    """The global switch: a GhostNet training step gives the same loss and gradients with
    every fast path as with every reference op."""
    x = jax.random.normal(jax.random.key(0), (4, 16, 16, 1))
    variables = _tiny_ghostnet().init(jax.random.key(1), x)

    def loss(model, params):
        y, _ = model.apply({**variables, 'params': params}, x, train=True,
                           rngs={'dropout': jax.random.key(2)}, mutable=['batch_stats'])
        return jnp.sum(jnp.sin(y))

    results = {impl: jax.value_and_grad(lambda p: loss(_tiny_ghostnet(impl), p))(
        variables['params']) for impl in ('fast', 'reference')}
    assert_trees_close(results['fast'], results['reference'])


def test_environment_variable_sets_the_policy_for_a_process():
    code = ('import ghostjax.ops.policy as p; print(p.forced(), p.use_fast("auto", True))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env={**os.environ, policy.ENV_VAR: 'reference'}, check=True)
    assert out.stdout.split() == ['reference', 'False']


def test_per_op_exceptions_keep_one_op_fast():
    """'reference,depthwise:fast' (what QAT runs): reference convs, the fast depthwise."""
    assert policy.canonical('reference,pointwise:fast,depthwise:fast') == ('reference,depthwise:fast,'
                                                                          'pointwise:fast')
    with pytest.raises(ValueError, match="unknown op 'dw'"):
        policy.canonical('reference,dw:fast')
    model = _tiny_ghostnet('reference,depthwise:fast')
    x = jnp.zeros((2, 16, 16, 1))
    variables = model.init(jax.random.key(0), x)
    names = _primitives(lambda v, x: model.apply(v, x), variables, x)
    assert 'depthwise_conv_shifted' in names and 'conv_groups_1' in names
    assert not any(n.startswith('conv_groups_') and n != 'conv_groups_1' for n in names)
