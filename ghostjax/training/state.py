"""Train state, optimizers and device replication shared by the classifier and GAN trainers."""
from __future__ import annotations

from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from flax.training import train_state


class TrainState(train_state.TrainState):
    """Flax TrainState plus BatchNorm running statistics (``batch_stats``)."""
    batch_stats: Any = None


def decay_mask(params: Any) -> Any:
    """True for conv and dense kernels; BN scales/biases and all biases are not decayed."""
    flat = flax.traverse_util.flatten_dict(params)
    return flax.traverse_util.unflatten_dict({k: k[-1] == 'kernel' for k in flat})


def learning_rate_schedule(config: ml_collections.ConfigDict,
                           steps_per_epoch: int) -> optax.Schedule:
    """Linear warmup then cosine decay to 0 (``schedule='cosine'``) or a constant rate."""
    total = config.num_epochs * steps_per_epoch
    warmup = int(config.warmup_epochs * steps_per_epoch)
    if config.schedule == 'constant':
        return optax.constant_schedule(config.learning_rate)
    if config.schedule == 'cosine':
        warmup = max(warmup, 1)  # optax needs >= 1 warmup step and >= 1 decay step after it
        return optax.warmup_cosine_decay_schedule(0.0, config.learning_rate, warmup,
                                                  max(total, warmup + 1))
    raise ValueError(f"schedule must be 'cosine' or 'constant', got {config.schedule!r}")


def create_optimizer(config: ml_collections.ConfigDict,
                     learning_rate: float | optax.Schedule) -> optax.GradientTransformation:
    """SGD with (Nesterov) momentum and L2 weight decay, or AdamW (decoupled decay).

    Weight decay applies to kernels only (see ``decay_mask``).
    """
    if config.optimizer == 'sgd':
        return optax.chain(
            optax.add_decayed_weights(config.weight_decay, mask=decay_mask),
            optax.sgd(learning_rate, momentum=config.momentum, nesterov=config.nesterov))
    if config.optimizer == 'adamw':
        return optax.adamw(learning_rate, b1=config.get('b1', 0.9), b2=config.get('b2', 0.999),
                           weight_decay=config.weight_decay, mask=decay_mask)
    raise ValueError(f"optimizer must be 'sgd' or 'adamw', got {config.optimizer!r}")


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
    import functools
    if devices > 1:
        return jax.pmap(functools.partial(step, axis_name='batch'), axis_name='batch',
                        donate_argnums=(0,) if donate else ())
    return jax.jit(functools.partial(step, axis_name=None), donate_argnums=(0,) if donate else ())
