"""Parameter and multiply-accumulate (MAC) counters for any Flax module or JAX function.

MACs are counted from the traced jaxpr, so nothing is compiled or run: every convolution and
``dot_general`` (dense layers, einsums) contributes ``output elements x reduction size``
(transposed convolutions: ``input elements x kernel taps x output channels``, leaving out the
zeros that stride dilation and full padding insert, as fvcore counts them; the kernel gradient
of a transposed conv, whose "kernel" is the output gradient: only products of real elements);
so gradients count too, and ``count_macs(train_step, ...)`` gives the work of a step. Elementwise
work (BN, activations, pooling) is not counted. That is the convention of the
GhostNet paper's "FLOPs" (BN folded at inference). An op whose fast form is no XLA convolution
registers its count next to itself (``register_macs``): the shifted depthwise conv
(``ghostjax.ops.depthwise``) counts as the convolution it computes; its hand-written backward
(elementwise code) is not counted.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import jax
from jax.extend import core as jcore

# Named ``jax.jit`` function -> MACs of one call, from its jaxpr equation (``register_macs``).
_RULES: dict[str, Callable[[Any], int]] = {}


def register_macs(jit_name: str, rule: Callable[[Any], int]) -> None:
    """Counts every call of the named ``jax.jit`` function ``jit_name`` as ``rule(eqn)`` MACs
    (instead of the ops inside it). Ops register this next to their definition."""
    _RULES[jit_name] = rule


def count_params(tree: Any) -> int:
    """Number of scalars in a pytree. Given Flax variables, counts only ``'params'``
    (BN running statistics are buffers, not parameters, as in PyTorch)."""
    if isinstance(tree, dict) and 'params' in tree:
        tree = tree['params']
    return sum(math.prod(x.shape) for x in jax.tree_util.tree_leaves(tree))


def _real_pairs(out: int, k: int, size: int, stride: int, rhs_dilation: int,
                lhs_dilation: int, pad_lo: int) -> int:
    """Along one spatial dim: (output position, tap) pairs that meet a real input element, not
    an inserted zero or padding."""
    last = (size - 1) * lhs_dilation
    return sum(1 for o in range(out) for t in range(k)
               if 0 <= (p := o * stride + t * rhs_dilation - pad_lo) <= last
               and p % lhs_dilation == 0)


def _eqn_macs(eqn) -> int:
    name = eqn.primitive.name
    if name == 'conv_general_dilated':
        lhs, rhs = eqn.invars[0].aval.shape, eqn.invars[1].aval.shape
        dn = eqn.params['dimension_numbers']
        kernel = [rhs[d] for d in dn.rhs_spec[2:]]
        transposed = any(d > 1 for d in eqn.params['lhs_dilation']) or any(
            lo + hi >= k for (lo, hi), k in zip(eqn.params['padding'], kernel))
        out = eqn.outvars[0].aval.shape
        out_hw = [out[d] for d in dn.out_spec[2:]]
        if transposed and all(k <= o for k, o in zip(kernel, out_hw)):
            # count real inputs x taps x outputs, not the inserted zeros
            return (lhs[dn.lhs_spec[0]] * math.prod(lhs[d] for d in dn.lhs_spec[2:])
                    * math.prod(kernel) * rhs[dn.rhs_spec[1]] * rhs[dn.rhs_spec[0]])
        if transposed:  # a kernel gradient: the "kernel" is an output gradient, wider than out
            pairs = math.prod(
                _real_pairs(o, k, lhs[d], s, rd, ld, lo) for o, k, d, s, rd, ld, (lo, _) in zip(
                    out_hw, kernel, dn.lhs_spec[2:], eqn.params['window_strides'],
                    eqn.params['rhs_dilation'], eqn.params['lhs_dilation'],
                    eqn.params['padding']))
            return out[dn.out_spec[0]] * out[dn.out_spec[1]] * rhs[dn.rhs_spec[1]] * pairs
        return math.prod(out) * rhs[dn.rhs_spec[1]] * math.prod(kernel)
    if name == 'dot_general':
        (lhs_contract, _), _ = eqn.params['dimension_numbers']
        lhs = eqn.invars[0].aval.shape
        return math.prod(eqn.outvars[0].aval.shape) * math.prod(lhs[d] for d in lhs_contract)
    if eqn.params.get('name') in _RULES:
        return _RULES[eqn.params['name']](eqn)
    total = 0
    for sub in jcore.jaxprs_in_params(eqn.params):
        total += _jaxpr_macs(sub)
    if name == 'scan':
        total *= eqn.params['length']
    return total


def _jaxpr_macs(jaxpr) -> int:
    return sum(_eqn_macs(e) for e in jaxpr.eqns)


def count_macs(fn: Callable, *args, **kwargs) -> int:
    """MACs of one call ``fn(*args, **kwargs)``; args may be arrays or ``jax.ShapeDtypeStruct``."""
    return _jaxpr_macs(jax.make_jaxpr(fn)(*args, **kwargs).jaxpr)


def model_size(model, input_shape: tuple[int, ...], dtype=jax.numpy.float32,
               **apply_kwargs) -> dict[str, int]:
    """``{'params': ..., 'macs': ...}`` of a Flax module on one input of ``input_shape``
    (MACs for the whole batch given; use batch 1 for per-example figures). Eval mode."""
    x = jax.ShapeDtypeStruct(input_shape, dtype)
    # closed over, not passed: eval_shape would trace a Python flag such as train=False
    variables = jax.eval_shape(lambda k, x: model.init(k, x, **apply_kwargs), jax.random.key(0), x)
    macs = count_macs(lambda v, x: model.apply(v, x, **apply_kwargs), variables, x)
    return {'params': count_params(variables), 'macs': macs}
