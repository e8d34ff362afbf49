"""The one optimizer factory every trainer and fine-tuning pipeline builds its optax chain with."""
from __future__ import annotations

from typing import Any

import ml_collections
import optax

from ghostjax.nn import roles
from ghostjax.optim import pruning
from ghostjax.optim.transforms import clip_weights

OPTIMIZERS = ('sgd', 'adam', 'adamw')
SCHEDULES = ('cosine', 'constant')


def decay_mask(params: Any) -> Any:
    """True for conv, depthwise and dense kernels (``ghostjax.nn.roles``); BN parameters,
    biases and embeddings are not decayed."""
    return roles.mask(params, ('conv', 'depthwise', 'dense'))


def learning_rate_schedule(kind: str, learning_rate: float, total_steps: int,
                           warmup_steps: int = 0) -> optax.Schedule:
    """``'constant'``, or ``'cosine'``: linear warmup then cosine decay to 0 at
    ``total_steps``."""
    if kind == 'constant':
        return optax.constant_schedule(learning_rate)
    if kind == 'cosine':
        warmup = max(warmup_steps, 1)  # optax needs >= 1 warmup step and >= 1 decay step
        return optax.warmup_cosine_decay_schedule(0.0, learning_rate, warmup,
                                                  max(total_steps, warmup + 1))
    raise ValueError(f"schedule must be 'cosine' or 'constant', got {kind!r}")


def create_optimizer(kind: str, learning_rate: float | optax.Schedule, *,
                     weight_decay: float | None = None, momentum: float | None = None,
                     nesterov: bool = False, b1: float = 0.9, b2: float = 0.999,
                     weight_clip: float = 0.0, prune: ml_collections.ConfigDict | None = None
                     ) -> optax.GradientTransformation:
    """``kind``: ``'sgd'`` (with ``weight_decay`` given, L2 decay of the kernels added to the
    gradient first; then (Nesterov) ``momentum``, None for plain SGD), ``'adamw'`` (decoupled
    decay of the kernels) or ``'adam'`` (no decay).

    ``weight_clip > 0`` clips every parameter after the update (WGAN's critic); ``prune``
    (``method, sparsity, begin, end, every``) wraps the whole chain in ``pruning.prune`` on a
    polynomial schedule.
    """
    if kind == 'sgd':
        tx = optax.sgd(learning_rate, momentum=momentum, nesterov=nesterov)
        if weight_decay is not None:
            tx = optax.chain(optax.add_decayed_weights(weight_decay, mask=decay_mask), tx)
    elif kind == 'adamw':
        tx = optax.adamw(learning_rate, b1=b1, b2=b2, weight_decay=weight_decay or 0.0,
                         mask=decay_mask)
    elif kind == 'adam':
        if weight_decay:
            raise ValueError(f"'adam' takes no weight_decay (got {weight_decay}); use 'adamw'")
        tx = optax.adam(learning_rate, b1=b1, b2=b2)
    else:
        raise ValueError(f'optimizer must be one of {OPTIMIZERS}, got {kind!r}')
    if weight_clip:
        tx = optax.chain(tx, clip_weights(weight_clip))
    if prune is not None and prune.sparsity:
        tx = pruning.prune(tx, prune.method, pruning.polynomial(prune.sparsity, prune.begin,
                                                                prune.end, prune.every))
    return tx
