"""Train state, device replication and the one place a step is wrapped for many devices."""
from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax.training import train_state


class TrainState(train_state.TrainState):
    """Flax TrainState plus BatchNorm running statistics (``batch_stats``)."""
    batch_stats: Any = None


def pmean_if(tree: Any, axis_name: str | None) -> Any:
    """``lax.pmean`` over ``axis_name`` inside pmap; the identity for a jitted single device."""
    return tree if axis_name is None else jax.lax.pmean(tree, axis_name)


def replicate(tree: Any) -> Any:
    """Copies every leaf to each local device, with a leading device axis (pmap's layout)."""
    devices = jax.local_devices()
    sharding = jax.sharding.NamedSharding(jax.sharding.Mesh(np.array(devices), ('batch',)),
                                          jax.sharding.PartitionSpec('batch'))
    stacked = jax.tree.map(lambda x: jnp.broadcast_to(x, (len(devices),) + jnp.shape(x)), tree)
    return jax.device_put(stacked, sharding)


def unreplicate(tree: Any) -> Any:
    return jax.tree.map(lambda x: x[0], tree)


def compile_step(step: Callable, devices: int, donate: bool = True) -> Callable:
    """Wraps a step ``f(state, batch, rng, axis_name=...)`` once: ``pmap(axis_name='batch')``
    over ``devices > 1`` local devices (batch ``[D, B/D, ...]``, replicated state and rng), else
    ``jit`` (flat batch). The state's buffers are donated."""
    if devices > 1:
        return jax.pmap(functools.partial(step, axis_name='batch'), axis_name='batch',
                        donate_argnums=(0,) if donate else ())
    return jax.jit(functools.partial(step, axis_name=None), donate_argnums=(0,) if donate else ())
