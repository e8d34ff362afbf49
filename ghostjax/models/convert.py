"""Conversion of PyTorch GhostNet weights (timm / the official release) into Flax variables.

The reference key names (``conv_stem``, ``bn1``, ``blocks.i.j.ghost1.primary_conv.0.weight``,
``...cheap_operation.1.running_mean``, ``blocks.9.0.conv``, ``conv_head``, ``classifier``, and
GhostNetV2's ``short_conv.k``) map one to one onto ``ghostjax.GhostNet``'s module tree. BN
running statistics go to the ``batch_stats`` collection. Conversion needs no torch: a state
dict of numpy arrays works; ``load_torch_checkpoint`` reads a ``.pth`` file when torch is there.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import flax
import jax
import numpy as np

from ghostjax.nn import roles

_LEAF_NAMES = {('params', 'kernel'): 'weight', ('params', 'scale'): 'weight',
               ('params', 'bias'): 'bias', ('batch_stats', 'mean'): 'running_mean',
               ('batch_stats', 'var'): 'running_var'}


def torch_key(path: tuple[str, ...]) -> str:
    """The reference PyTorch key of a Flax variable path ``(collection, *modules, leaf)``."""
    collection, *modules, leaf = path
    if (collection, leaf) not in _LEAF_NAMES:
        raise ValueError(f'no PyTorch counterpart for variable {"/".join(path)}')
    names = []
    for m in modules:
        block = re.fullmatch(r'blocks_(\d+)_(\d+)', m)
        names.append(f'blocks.{block[1]}.{block[2]}' if block else roles.torch_name(m))
    return '.'.join([n for n in names if n] + [_LEAF_NAMES[collection, leaf]])


def _to_flax_layout(w: np.ndarray) -> np.ndarray:
    if w.ndim == 4:  # conv: [O, I/g, kh, kw] -> [kh, kw, I/g, O]
        return w.transpose(2, 3, 1, 0)
    if w.ndim == 2:  # linear: [out, in] -> [in, out]
        return w.T
    return w


def _as_numpy(v: Any) -> np.ndarray:
    return np.asarray(v.detach().cpu().numpy() if hasattr(v, 'detach') else v)


def convert_torch_state_dict(state_dict: Mapping[str, Any], variables: Any) -> dict:
    """Fills a Flax variables template (arrays or ``ShapeDtypeStruct``s, e.g. from
    ``jax.eval_shape(model.init, ...)``) from a PyTorch GhostNet state dict.

    Raises ValueError naming every missing, unexpected or mis-shaped key.
    """
    sd = {k.removeprefix('module.'): v for k, v in state_dict.items()
          if not k.endswith('num_batches_tracked')}
    flat = flax.traverse_util.flatten_dict(flax.core.unfreeze(variables))
    out, missing, misshaped, used = {}, [], [], set()
    for path, leaf in flat.items():
        key = torch_key(path)
        if key not in sd:
            missing.append(f'{key} (for {"/".join(path)})')
            continue
        used.add(key)
        w = _to_flax_layout(_as_numpy(sd[key]))
        if w.shape != tuple(leaf.shape):
            misshaped.append(f'{key}: torch {tuple(_as_numpy(sd[key]).shape)} -> {w.shape}, '
                             f'expected {tuple(leaf.shape)} for {"/".join(path)}')
            continue
        out[path] = jax.numpy.asarray(w, dtype=leaf.dtype)
    unexpected = sorted(set(sd) - used)
    if missing or unexpected or misshaped:
        parts = [f'{name} ({len(items)}): {items[:5]}' for name, items in
                 (('missing keys', missing), ('unexpected keys', unexpected),
                  ('mis-shaped keys', misshaped)) if items]
        raise ValueError('PyTorch state dict does not match the model; ' + '; '.join(parts))
    return flax.traverse_util.unflatten_dict(out)


def load_torch_checkpoint(path: str, model, input_shape=(1, 224, 224, 3)) -> dict:
    """Reads a PyTorch GhostNet checkpoint (``.pth``, optionally wrapped in ``{'state_dict': …}``)
    and returns Flax variables for ``model``. Needs torch installed."""
    try:
        import torch  # optional dependency: only this loader needs it
    except ImportError as e:
        raise ImportError('reading .pth files needs torch: pip install "ghostjax[torch]"') from e
    sd = torch.load(path, map_location='cpu', weights_only=True)
    sd = sd.get('state_dict', sd.get('model', sd))
    template = jax.eval_shape(model.init, jax.random.key(0),
                              jax.ShapeDtypeStruct(input_shape, jax.numpy.float32))
    return convert_torch_state_dict(sd, template)
