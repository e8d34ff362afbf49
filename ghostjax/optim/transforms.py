"""Parameter-side helpers: weight clipping (WGAN) as an optax transformation, and L1 / L2
penalties over a path filter (``ghostjax.optim.pruning.prunable`` by default: conv and dense
kernels, never BN parameters or biases).
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from ghostjax.optim.pruning import prunable, selected


def clip_weights(limit: float) -> optax.GradientTransformation:
    """Keeps every parameter in ``[-limit, limit]`` after the update (WGAN's critic).

    Place it last in an ``optax.chain``: it turns the incoming updates ``u`` into
    ``clip(p + u) - p``, so ``optax.apply_updates`` lands exactly on the clipped weights.
    """
    if limit <= 0:
        raise ValueError(f'clip limit must be positive, got {limit}')

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError('clip_weights needs params: call tx.update(grads, state, params)')
        new = jax.tree.map(lambda p, u: jnp.clip(p + u, -limit, limit) - p, params, updates)
        return new, state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)


def l2_penalty(params: Any, where: Any | Callable[[Any], Any] = prunable) -> jax.Array:
    """``0.5 * sum(w ** 2)`` over the selected leaves; add ``rate * l2_penalty`` to the loss."""
    leaves = selected(params, where)
    return 0.5 * sum(jnp.sum(jnp.square(p.astype(jnp.float32))) for p in leaves)


def l1_penalty(params: Any, where: Any | Callable[[Any], Any] = prunable) -> jax.Array:
    """``sum(|w|)`` over the selected leaves (drives weights to zero ahead of pruning)."""
    return sum(jnp.sum(jnp.abs(p.astype(jnp.float32))) for p in selected(params, where))
