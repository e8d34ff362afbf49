"""One implementation switch for every fast path in ghostjax.

Each op in ``ghostjax.ops`` has a ``'reference'`` form (the plain XLA op: grouped conv,
``lax.conv_transpose``, ``lax.conv_general_dilated``, autodiff BatchNorm) and a ``'fast'`` form
(a rewrite with the same parameters and results, most with a hand-written VJP, each proven
equal to the reference by a test). ``'auto'`` picks the fast form where it is faster (mostly
XLA's CPU backend; each op states its rule).

Layers and models take ``impl='auto' | 'reference' | 'fast'``. ``force_impl`` overrides every
layer at once, for debugging, for GPU/TPU runs, and for quantization (qwix intercepts the
reference XLA ops only)::

    with ghostjax.ops.force_impl('reference'):
        logits = jax.jit(model.apply)(variables, x)    # traced inside: reference ops

A policy may name exceptions per op, ``'reference,depthwise:fast'``: every op's reference
form but the fast depthwise conv (ops: ``OPS``). Quantization-aware training uses exactly
that: qwix must see the reference convs it fake-quantizes, while the depthwise convs it
leaves in float keep their fast form.

The override applies while a function is traced: a function JAX already traced (and cached)
outside the block keeps its ops, so wrap fresh ``jit``s in it. ``GHOSTJAX_IMPL=reference`` in
the environment sets it for a whole process.
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

IMPLS = ('auto', 'reference', 'fast')
OPS = ('depthwise', 'pointwise', 'conv', 'conv_transpose', 'batch_norm')
ENV_VAR = 'GHOSTJAX_IMPL'

_forced: list[str] = []


def _one(impl: str, whole: str) -> str:
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, '
                         f"optionally with per-op exceptions like 'reference,depthwise:fast' "
                         f'(ops {OPS}), got {whole!r}')
    return impl


def parse(impl: str) -> tuple[str, dict[str, str]]:
    """``'reference,depthwise:fast'`` -> ``('reference', {'depthwise': 'fast'})``."""
    default, *exceptions = impl.split(',')
    per_op = {}
    for item in exceptions:
        op, _, value = item.partition(':')
        if op not in OPS:
            raise ValueError(f'unknown op {op!r} in impl {impl!r}; ops are {OPS}')
        per_op[op] = _one(value, impl)
    return _one(default, impl), per_op


def canonical(impl: str) -> str:
    """``impl`` in canonical form; ValueError otherwise."""
    default, per_op = parse(impl)
    return ','.join([default] + [f'{op}:{v}' for op, v in sorted(per_op.items())])


@contextlib.contextmanager
def force_impl(impl: str) -> Iterator[None]:
    """Every op traced inside this block runs ``impl`` ('auto' restores the layers' own)."""
    _forced.append(canonical(impl))
    try:
        yield
    finally:
        _forced.pop()


def forced() -> str:
    """The process-wide override: the innermost ``force_impl``, else ``$GHOSTJAX_IMPL``."""
    if _forced:
        return _forced[-1]
    return canonical(os.environ.get(ENV_VAR, 'auto'))


def use_fast(impl: str, auto_is_fast: bool, op: str | None = None) -> bool:
    """Whether op ``op`` asked for ``impl`` runs its fast form; ``auto_is_fast`` is the op's
    rule for ``'auto'`` (e.g. "on the CPU backend"). A forced policy wins over ``impl``."""
    default, per_op = parse(impl)
    impl = per_op.get(op, default)
    forced_default, forced_per_op = parse(forced())
    override = forced_per_op.get(op, forced_default)
    if override != 'auto':
        impl = override
    return auto_is_fast if impl == 'auto' else impl == 'fast'
