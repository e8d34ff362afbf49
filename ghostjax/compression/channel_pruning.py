"""Channel-structured pruning of GhostNet: removes primary maps of each bottleneck's ghost1.

In a GhostBottleneck, ghost1's primary 1x1 conv makes ``P`` maps, its cheap depthwise op one
more map from each, and everything up to ghost2's primary conv is ``2P`` channels wide (the
stride-2 depthwise conv, SE). Removing primary map ``j`` removes its cheap map, channels
``j`` and ``P + j`` of those layers, and the matching input rows of ghost2's primary conv; the
block output (and so the residual path) is unchanged. The result is a smaller ``GhostNet``
(``ghost1_primary`` widths) with sliced variables: fewer parameters and MACs, not masks.
GhostNet V1 only (V2's DFC gates would need slicing too).

A primary map's importance is ``|gamma|`` of its BN plus that of its cheap map's BN (the
network-slimming criterion, Liu et al. 2017); the lowest ``fraction`` of each block go.
"""
from __future__ import annotations

import math
from typing import Any

import flax
import jax.numpy as jnp
import numpy as np

from ghostjax.models.ghostnet import GhostNet
from ghostjax.nn.ghost import make_divisible


def block_names(model: GhostNet) -> list[str]:
    return [f'blocks_{i}_{j}' for i, stage in enumerate(model.stages) for j in range(len(stage))]


def primary_widths(model: GhostNet) -> list[int]:
    """Current primary maps of every bottleneck's ghost1."""
    if model.ghost1_primary:
        return list(model.ghost1_primary)
    return [math.ceil(make_divisible(b[1] * model.width, 4) / 2)
            for stage in model.stages for b in stage]


def channel_scores(params: Any, model: GhostNet) -> list[np.ndarray]:
    """Per bottleneck, ``|gamma_primary| + |gamma_cheap|`` of each ghost1 primary map."""
    out = []
    for name in block_names(model):
        g1 = params[name]['ghost1']
        out.append(np.abs(np.asarray(g1['primary_bn']['scale']))
                   + np.abs(np.asarray(g1['cheap_bn']['scale'])))
    return out


def _slice(tree: dict, path: tuple, axis: int, index: np.ndarray) -> None:
    node = tree
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = jnp.take(node[path[-1]], index, axis=axis)


def prune_ghost_channels(model: GhostNet, variables: dict, fraction: float
                         ) -> tuple[GhostNet, dict]:
    """(smaller model, its variables): ``fraction`` of the ghost1 primary maps of every
    bottleneck removed (at least one kept), by ``channel_scores``."""
    if not 0 <= fraction < 1:
        raise ValueError(f'channel fraction must be in [0, 1), got {fraction}')
    if model.version != 1:
        raise ValueError(f'channel pruning supports GhostNet version 1, got {model.version}')
    params = _copy_dicts(variables['params'])
    stats = _copy_dicts(variables['batch_stats'])
    widths = primary_widths(model)
    new_widths = []
    for name, p, score in zip(block_names(model), widths, channel_scores(params, model)):
        keep_n = max(1, math.ceil(p * (1 - fraction) - 1e-9))
        keep = np.sort(np.argsort(-score, kind='stable')[:keep_n])
        mid = np.concatenate([keep, p + keep])  # primary maps, then their cheap maps
        new_widths.append(keep_n)
        bp, bs = params[name], stats[name]
        for sub, index in (('primary', keep), ('cheap', keep)):
            _slice(bp, ('ghost1', f'{sub}_conv', 'kernel'), -1, index)
            for k in ('scale', 'bias'):
                _slice(bp, ('ghost1', f'{sub}_bn', k), 0, index)
            for k in ('mean', 'var'):
                _slice(bs, ('ghost1', f'{sub}_bn', k), 0, index)
        if 'conv_dw' in bp:
            _slice(bp, ('conv_dw', 'kernel'), -1, mid)
            for k in ('scale', 'bias'):
                _slice(bp, ('bn_dw', k), 0, mid)
            for k in ('mean', 'var'):
                _slice(bs, ('bn_dw', k), 0, mid)
        if 'se' in bp:
            _slice(bp, ('se', 'conv_reduce', 'kernel'), 2, mid)
            _slice(bp, ('se', 'conv_expand', 'kernel'), -1, mid)
            _slice(bp, ('se', 'conv_expand', 'bias'), 0, mid)
        _slice(bp, ('ghost2', 'primary_conv', 'kernel'), 2, mid)
    pruned = model.clone(ghost1_primary=tuple(new_widths))
    return pruned, {**variables, 'params': params, 'batch_stats': stats}


def _copy_dicts(tree: Any) -> Any:
    """A structural copy (new dicts, same arrays) that ``_slice`` may edit in place."""
    if isinstance(tree, (dict, flax.core.FrozenDict)):
        return {k: _copy_dicts(v) for k, v in tree.items()}
    return tree
