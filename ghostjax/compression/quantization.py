"""int8 quantization with qwix, BatchNorm folding, and checkpoint size accounting.

qwix intercepts XLA's conv and dot ops, so both entry points clone the model with
``impl='reference'`` (``ghostjax.ops.policy``): every conv is then one
``lax.conv_general_dilated`` (the fast shifted depthwise form is no conv op and would silently
stay float). QAT keeps the depthwise convs float, and so fast: ``'reference,depthwise:fast'``.

* ``ptq(model, variables, x)``: post-training quantization. Weights become int8 with one float32
  scale per output channel; activations are quantized to int8 on the fly (qwix's dynamic range:
  per-token scales). Depthwise convs are quantized too.
* ``qat(model)``: quantization-aware training (qwix fake quantization with straight-through
  gradients) of every conv and dense layer **except the depthwise convs, which stay float**:
  qwix 0.1.8's QAT backward fails on ``feature_group_count=C`` convolutions (a
  feature_group_count shape error in the gradient conv), while its PTQ handles them.
  Depthwise kernels are a few hundred weights per layer, 1.2-1.6% of GhostNet 1.0x's
  parameters.
* ``fold_batch_norm(variables)``: folds each inference BN into the conv before it (the export
  form); the folded variables run in the same module and give the same outputs.
* ``size_report(params)``: bytes of a float32, an int8 and a sparse (values + indices)
  checkpoint of the same weights.
"""
from __future__ import annotations

from typing import Any

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import qwix

from ghostjax.nn import roles

# Module paths of the depthwise convs in ghostjax's models (``ghostjax.nn.roles``).
DEPTHWISE = rf'(^|/)({"|".join(roles.names("depthwise"))})$'
# conv name -> the BatchNorm right after it, in ghostjax's models.
CONV_BN = roles.conv_norm_pairs()
BN_EPSILON = 1e-5  # ghostjax.nn.layers.Layers.norm
QTYPES = {'int8': jnp.int8}


def _qtype(name: str):
    if name not in QTYPES:
        raise ValueError(f'qtype must be one of {sorted(QTYPES)}, got {name!r}')
    return QTYPES[name]


def _reference(model: nn.Module, impl: str = 'reference') -> nn.Module:
    """``model`` with the reference XLA ops, which qwix intercepts (``impl`` may keep the
    fast form of ops qwix leaves alone)."""
    return model.clone(impl=impl) if hasattr(model, 'impl') else model


def ptq(model: nn.Module, variables: dict, x: jax.Array, *more_inputs: jax.Array,
        qtype: str = 'int8') -> tuple[nn.Module, dict]:
    """(quantized model, quantized variables) for inference. ``x`` (and ``more_inputs``, e.g.
    a conditional generator's labels) are example inputs (only shapes and dtypes are used).
    Apply as ``qmodel.apply(qvariables, x, ...)``."""
    model = _reference(model)
    t = _qtype(qtype)
    provider = qwix.PtqProvider([qwix.QuantizationRule(module_path='.*', weight_qtype=t,
                                                       act_qtype=t)])
    qmodel = qwix.quantize_model(model, provider)
    examples = [jax.ShapeDtypeStruct(np.shape(a), getattr(a, 'dtype', jnp.float32))
                for a in (x, *more_inputs)]
    abstract = jax.eval_shape(qmodel.init, jax.random.key(0), *examples)
    qparams = qwix.quantize_params(jax.tree.map(jnp.asarray, variables['params']),
                                   abstract['params'])
    return qmodel, {**variables, 'params': qparams}


def qat(model: nn.Module, qtype: str = 'int8') -> nn.Module:
    """The model with int8 fake quantization of weights and activations in every conv and
    dense layer but the depthwise ones (see the module docstring). Same parameters as
    ``model``; train it like ``model``, then ``ptq`` the result."""
    t = _qtype(qtype)
    model = _reference(model, 'reference,depthwise:fast')  # the float depthwise stays fast
    rules = [qwix.QtRule(module_path=f'.*{DEPTHWISE}'),  # no qtype: stays float
             qwix.QtRule(module_path='.*', weight_qtype=t, act_qtype=t)]
    return qwix.quantize_model(model, qwix.QtProvider(rules))


def fold_batch_norm(variables: dict, eps: float = BN_EPSILON) -> dict:
    """Folds every ``CONV_BN`` BatchNorm (inference statistics) into its conv.

    ``kernel' = kernel * g``, BN ``scale' = 1``, ``bias' = beta - mean * g``, ``mean' = 0``,
    ``var' = 1 - eps`` with ``g = scale / sqrt(var + eps)`` per output channel: the BN is then
    exactly ``y + bias'``, so the same module computes the same function and an exporter can
    drop it for a conv bias. Convs and BNs outside ``CONV_BN`` are left as they are.
    """
    params = flax.traverse_util.flatten_dict(flax.core.unfreeze(variables['params']))
    stats = flax.traverse_util.flatten_dict(flax.core.unfreeze(variables['batch_stats']))
    folded = 0
    for keys in list(params):
        if keys[-1] != 'kernel' or keys[-2] not in CONV_BN:
            continue
        bn = keys[:-2] + (CONV_BN[keys[-2]],)
        if bn + ('scale',) not in params:
            continue
        g = params[bn + ('scale',)] / jnp.sqrt(stats[bn + ('var',)] + eps)
        params[keys] = params[keys] * g
        params[bn + ('bias',)] = params[bn + ('bias',)] - stats[bn + ('mean',)] * g
        params[bn + ('scale',)] = jnp.ones_like(g)
        stats[bn + ('mean',)] = jnp.zeros_like(g)
        stats[bn + ('var',)] = jnp.full_like(g, 1.0 - eps)
        folded += 1
    if not folded:
        raise ValueError('fold_batch_norm found no conv followed by a BatchNorm (names in '
                         'ghostjax.compression.quantization.CONV_BN)')
    return {**variables, 'params': flax.traverse_util.unflatten_dict(params),
            'batch_stats': flax.traverse_util.unflatten_dict(stats)}


def size_report(params: Any, quantized: Any | None = None, folded: bool = True) -> dict:
    """Bytes of the weights as stored for export (after ``fold_batch_norm`` when ``folded``:
    a folded BN is only its bias, a conv bias).

    ``float32``: every stored value in float32. ``sparse``: each kernel (>= 2 dims, seen as
    ``[rows, out_channels]``) in CSR form — non-zero values (float32), their output-channel
    indices (uint16 below 65,536 channels, else int32) and int32 row offsets — wherever that
    is smaller than dense; everything else dense. ``int8``: the ``ptq`` tree ``quantized`` as
    stored (int8 values + float32 scales + float32 others).
    """
    bn_modules = set(CONV_BN.values())

    def stored(tree):  # (keys, leaf) pairs an export keeps: a folded BN's scale is all ones
        return [(k, v) for k, v in flax.traverse_util.flatten_dict(
            flax.core.unfreeze(tree)).items()
            if not (folded and k[-2] in bn_modules and k[-1] == 'scale')]

    dense = sparse = 0
    for _, leaf in stored(params):
        n = int(np.size(leaf))
        dense += 4 * n
        if np.ndim(leaf) >= 2:
            nnz, cols = int(np.count_nonzero(np.asarray(leaf))), np.shape(leaf)[-1]
            csr = nnz * (4 + (2 if cols < 65536 else 4)) + 4 * (n // cols + 1)
            sparse += min(4 * n, csr)
        else:
            sparse += 4 * n
    report = {'float32_bytes': dense, 'sparse_bytes': sparse}
    if quantized is not None:
        report['int8_bytes'] = sum(int(np.size(a)) * np.dtype(a.dtype).itemsize
                                   for _, leaf in stored(quantized) for a in jax.tree.leaves(leaf))
    return report

