"""Optax transformations that act on parameters: weight clipping (WGAN)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


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
