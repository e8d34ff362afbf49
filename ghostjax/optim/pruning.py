"""Weight pruning as an optax transformation.

``prune(inner, method, sparsity)`` wraps any optimizer. Its state holds the pruning masks; every
step it (re)computes them when the schedule says so and turns the inner optimizer's updates
``u`` into ``(p + u) * mask - p``, so after ``optax.apply_updates`` a pruned weight is exactly
zero and stays zero. Because the masks live in the optimizer state they are saved and restored
with every checkpoint.

Methods (``method``):
  * ``'magnitude'``: per layer, the smallest ``|w|`` fraction ``s`` of each prunable tensor.
  * ``'global_magnitude'``: one threshold over all prunable tensors together.
  * ``'n:m'`` (e.g. ``'2:4'``): keep the ``N`` largest of every ``M`` consecutive weights along
    the input-channel axis (the axis before the last), the layout sparse tensor cores use.

Sparsity schedules: ``one_shot(s, step)`` and ``polynomial(s, begin, end, every)`` (Zhu & Gupta
2017: ``s_t = s (1 - (1 - (t - begin) / (end - begin))^3)``, updated every ``every`` steps).
Which parameters are prunable is a path filter (``prunable``): by default conv and dense
kernels, never BN parameters, biases or depthwise kernels (a few hundred weights each, and the
ones Ghost modules rely on; which modules are depthwise is ``ghostjax.nn.roles``' table).
"""
from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

import flax.traverse_util
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ghostjax.nn import roles

METHODS = ('magnitude', 'global_magnitude', 'n:m')
Schedule = Callable[[jax.Array], jax.Array]


def _path(keys: tuple) -> str:
    return '/'.join(str(k) for k in keys)


def prunable(params: Any, include: str = r'(^|/)kernel$', exclude: str | None = None,
             skip_depthwise: bool = True) -> Any:
    """Bool tree: True where the ``/``-joined path matches ``include`` (and not ``exclude``),
    the leaf has >= 2 dims and (with ``skip_depthwise``) is not a depthwise kernel
    (``roles.kind_of``). Raises ValueError when nothing matches."""
    flat = flax.traverse_util.flatten_dict(params)
    out = {}
    for keys, leaf in flat.items():
        p = _path(keys)
        depthwise = roles.kind_of(keys, np.shape(leaf)) == 'depthwise'
        out[keys] = bool(re.search(include, p) and np.ndim(leaf) >= 2
                         and not (exclude and re.search(exclude, p))
                         and not (skip_depthwise and depthwise))
    if not any(out.values()):
        raise ValueError(f'the prunable filter include={include!r} exclude={exclude!r} matches '
                         f'no parameter; paths are like {_path(next(iter(flat)))!r}')
    return flax.traverse_util.unflatten_dict(out)


def selected(params: Any, where: Any | Callable[[Any], Any] = prunable) -> list[jax.Array]:
    """The leaves of ``params`` that ``where`` (bool tree or function of params) selects."""
    chosen = where(params) if callable(where) else where
    return [p for p, w in zip(jax.tree.leaves(params), jax.tree.leaves(chosen)) if w]


def check_sparsity(sparsity: float) -> None:
    if not 0 <= sparsity < 1:
        raise ValueError(f'sparsity must be in [0, 1), got {sparsity}')


def parse_n_m(method: str) -> tuple[int, int]:
    """``'2:4'`` -> (2, 4); N must be below M."""
    try:
        n, m = (int(v) for v in method.split(':'))
    except ValueError:
        raise ValueError(f"N:M method must look like '2:4', got {method!r}") from None
    if not 0 < n < m:
        raise ValueError(f'N:M sparsity needs 0 < N < M, got {n}:{m}')
    return n, m


def one_shot(sparsity: float, step: int = 0) -> Schedule:
    """Sparsity 0 before ``step``, ``sparsity`` from then on."""
    check_sparsity(sparsity)
    return lambda t: jnp.where(t >= step, sparsity, 0.0)


def polynomial(sparsity: float, begin: int, end: int, every: int = 1,
               initial: float = 0.0) -> Schedule:
    """Zhu & Gupta's cubic ramp from ``initial`` at ``begin`` to ``sparsity`` at ``end``,
    held constant between updates every ``every`` steps."""
    check_sparsity(sparsity)
    check_sparsity(initial)
    if end <= begin or every < 1:
        raise ValueError(f'need begin < end and every >= 1, got {begin}, {end}, {every}')

    def schedule(t):
        held = begin + (jnp.clip(t, begin, end) - begin) // every * every
        frac = (held - begin) / (end - begin)
        return jnp.where(t >= begin, sparsity + (initial - sparsity) * (1 - frac) ** 3, 0.0)
    return schedule


def _magnitude_mask(w: jax.Array, sparsity: jax.Array) -> jax.Array:
    """Keeps the ``round((1 - s) * n)`` largest ``|w|`` (ties broken by position)."""
    flat = jnp.abs(w).reshape(-1)
    k = jnp.round(sparsity * flat.size).astype(jnp.int32)  # how many to prune
    rank = jnp.argsort(jnp.argsort(flat))  # 0 = smallest
    return (rank >= k).reshape(w.shape)


def _n_m_mask(w: jax.Array, n: int, m: int) -> jax.Array:
    """Keeps the ``n`` largest of every ``m`` consecutive weights along axis -2."""
    if w.shape[-2] % m:
        raise ValueError(f'N:M pruning needs the input-channel axis ({w.shape[-2]}) of a '
                         f'{w.shape} kernel to divide by M={m}')
    moved = jnp.moveaxis(jnp.abs(w), -2, -1)
    groups = moved.reshape(*moved.shape[:-1], -1, m)
    rank = jnp.argsort(jnp.argsort(-groups, axis=-1), axis=-1)
    keep = (rank < n).reshape(moved.shape)
    return jnp.moveaxis(keep, -1, -2)


def compute_masks(params: Any, where: Any, method: str, sparsity: jax.Array) -> Any:
    """Masks (same tree as ``params``; all-True where not prunable) for ``sparsity``."""
    if method == 'global_magnitude':
        scores = jnp.concatenate([jnp.abs(p).reshape(-1) for p in selected(params, where)])
        k = jnp.round(sparsity * scores.size).astype(jnp.int32)
        threshold = jnp.where(k > 0, jnp.sort(scores)[jnp.maximum(k - 1, 0)], -jnp.inf)
        return jax.tree.map(lambda p, w: jnp.abs(p) > threshold if w else jnp.ones_like(p, bool),
                            params, where)
    if method == 'magnitude':
        return jax.tree.map(lambda p, w: _magnitude_mask(p, sparsity) if w
                            else jnp.ones_like(p, bool), params, where)
    n, m = parse_n_m(method)
    return jax.tree.map(lambda p, w: _n_m_mask(p, n, m) if w else jnp.ones_like(p, bool),
                        params, where)


def apply_masks(params: Any, masks: Any) -> Any:
    """``params`` with the weights where ``masks`` is False set to exactly zero."""
    return jax.tree.map(lambda p, m: jnp.where(m, p, jnp.zeros_like(p)), params, masks)


class PruneState(NamedTuple):
    inner: Any
    masks: Any  # bool tree like params; True = kept
    count: jax.Array  # steps taken
    sparsity: jax.Array  # the sparsity the current masks were computed for


def prune(inner: optax.GradientTransformation, method: str, schedule: Schedule,
          where: Any | Callable[[Any], Any] = prunable) -> optax.GradientTransformation:
    """Wraps ``inner`` so that the parameters follow pruning masks (see the module docstring).

    Masks are recomputed from the updated weights whenever ``schedule(step)`` rises above the
    sparsity they were made for (``'n:m'``: once, at the first step with ``schedule > 0``) and
    are kept fixed otherwise. ``where``: bool tree or function of the params (``prunable``).
    """
    if method not in METHODS[:2]:
        if not re.fullmatch(r'\d+:\d+', method):
            raise ValueError(f"unknown pruning method {method!r}; expected 'magnitude', "
                             f"'global_magnitude' or 'N:M' like '2:4'")
        parse_n_m(method)

    def init_fn(params):
        chosen = where(params) if callable(where) else where  # an empty filter fails here
        if not any(jax.tree.leaves(chosen)):
            raise ValueError('prune: the where tree selects no parameter')
        return PruneState(inner.init(params), jax.tree.map(lambda p: jnp.ones_like(p, bool),
                                                           params),
                          jnp.zeros((), jnp.int32), jnp.zeros((), jnp.float32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError('prune needs params: call tx.update(grads, state, params)')
        mask_where = where(params) if callable(where) else where
        updates, inner_state = inner.update(updates, state.inner, params)
        target = jnp.asarray(schedule(state.count), jnp.float32)
        refresh = (target > state.sparsity) if method in METHODS[:2] else (
            (target > 0) & (state.sparsity == 0))
        new_params = optax.apply_updates(params, updates)
        masks = jax.lax.cond(refresh,
                             lambda: compute_masks(new_params, mask_where, method, target),
                             lambda: state.masks)
        updates = jax.tree.map(lambda p, q, m: jnp.where(m, q, 0.0) - p, params, new_params,
                               masks)
        return updates, PruneState(inner_state, masks, state.count + 1,
                                   jnp.where(refresh, target, state.sparsity))

    return optax.GradientTransformation(init_fn, update_fn)


def sparsity_report(params: Any, where: Any | None = None) -> dict[str, Any]:
    """Fraction of exact zeros per prunable tensor (``/``-joined paths) and overall."""
    where = prunable(params) if where is None else where
    flat = flax.traverse_util.flatten_dict(params)
    flat_where = flax.traverse_util.flatten_dict(where)
    layers, zeros, total = {}, 0, 0
    for keys, leaf in flat.items():
        if flat_where[keys]:
            z = int(np.sum(np.asarray(leaf) == 0))
            layers[_path(keys)] = z / np.size(leaf)
            zeros, total = zeros + z, total + np.size(leaf)
    return {'layers': layers, 'sparsity': zeros / total, 'pruned': zeros, 'prunable': total}
