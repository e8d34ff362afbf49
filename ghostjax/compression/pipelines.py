"""Compression pipelines behind ``train.compress``: a trained GhostNet classifier or GAN
generator in, pruned / fine-tuned / quantized variants out, each measured the same way.

Every variant is one row: validation and test accuracy (or FID, KID, IS, precision/recall), parameters, MACs
per example, sparsity of the prunable kernels, and the bytes of its float32, sparse and int8
checkpoints (``quantization.size_report``, BN folded). Rows go to ``{workdir}/compress.json``
(with per-layer sparsity); the float variables of every pruned / fine-tuned variant are saved
with Orbax under ``{workdir}/variants/<name>`` (int8 ones are re-made from them by
``quantization.ptq``).
"""
from __future__ import annotations

import functools
import os
import re
import time
from typing import Any, Callable

from absl import logging
import flax
import jax
import jax.numpy as jnp
import ml_collections
import optax
import orbax.checkpoint as ocp

from ghostjax import data
from ghostjax.compression import quantization
from ghostjax.compression.channel_pruning import prune_ghost_channels
from ghostjax.ops.counting import count_macs, count_params
from ghostjax.optim import create_optimizer, pruning
from ghostjax.training import classifier as cls_lib
from ghostjax.training import gan as gan_lib
from ghostjax.training import writers
from ghostjax.training import loop
from ghostjax.training.parallel import compile_step, data_mesh, host_copy, replicate
from ghostjax.training.state import TrainState


@flax.struct.dataclass
class Evaluable:
    """What ``classifier.eval_step`` reads from a state: any model's apply and variables."""
    apply_fn: Callable = flax.struct.field(pytree_node=False)
    params: Any
    batch_stats: Any


def measure(model, variables: dict, example: jax.ShapeDtypeStruct | tuple,
            quantized: dict | None = None, **apply_kwargs) -> dict[str, Any]:
    """Parameters, MACs for one example, sparsity of the prunable kernels and checkpoint bytes.
    ``example``: the input of one example, e.g. ``[1, 28, 28, 1]``, or a tuple of the inputs
    (a conditional generator's ``(z, labels)``)."""
    examples = example if isinstance(example, tuple) else (example,)
    macs = count_macs(lambda v, *xs: model.apply(v, *xs, **apply_kwargs), variables, *examples)
    folded = quantization.fold_batch_norm(variables)
    sizes = quantization.size_report(folded['params'],
                                     None if quantized is None else quantized['params'])
    report = pruning.sparsity_report(variables['params'])
    return {'params': count_params(variables['params']), 'macs': macs,
            'sparsity': round(report['sparsity'], 4), **sizes,
            'layer_sparsity': {k: round(v, 4) for k, v in report['layers'].items()}}


def save_variables(workdir: str, name: str, variables: dict) -> str:
    """Saves float ``variables`` to ``{workdir}/variants/<name as a slug>``; returns the path."""
    slug = re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')
    path = os.path.join(os.path.abspath(workdir), 'variants', slug)
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(path, jax.device_get(variables), force=True)
    return path


def _mesh(config) -> jax.sharding.Mesh:
    return data_mesh(all_devices=config.get('data_parallel', True))


# --------------------------------------------------------------------------- classifier


def classifier_accuracy(model, variables: dict, base_config, split: data.Split,
                        mesh: jax.sharding.Mesh | None = None, p_eval: Callable | None = None
                        ) -> dict[str, float]:
    """Accuracy / loss on ``split`` of ``model.apply(variables, x)`` with the classifier's evaluation
    (data-parallel over ``mesh``, default the first device). ``p_eval``: a
    ``classifier.compile_eval(mesh)`` to reuse, so variants of one model compile once."""
    mesh = mesh or data_mesh(all_devices=False)
    state = Evaluable(model.apply, variables['params'], variables['batch_stats'])
    return cls_lib.evaluate(p_eval or cls_lib.compile_eval(mesh), replicate(state, mesh),
                            split, base_config, mesh)


def finetune_classifier(model, variables: dict, base_config, ft: ml_collections.ConfigDict,
                        split: data.Split, wrap: Callable[[optax.GradientTransformation, int],
                                                          optax.GradientTransformation] | None
                        = None, mesh: jax.sharding.Mesh | None = None) -> dict:
    """Variables after ``ft.epochs`` of SGD (``ft.learning_rate`` cosine, Nesterov momentum,
    ``base_config``'s weight decay and augmentation) on ``split``. ``wrap(tx, total_steps)``
    wraps the optimizer (e.g. ``pruning.prune``). ``model`` may be a qwix QAT model."""
    mesh = mesh or data_mesh(all_devices=False)
    data.check_batch(ft.batch_size, mesh.size)
    total = max(1, int(ft.epochs * (split.num_examples // ft.batch_size)))
    tx = create_optimizer('sgd', optax.cosine_decay_schedule(ft.learning_rate, total),
                          weight_decay=base_config.weight_decay, momentum=0.9, nesterov=True)
    if wrap is not None:
        tx = wrap(tx, total)
    state = TrainState.create(apply_fn=model.apply, params=variables['params'],
                              batch_stats=variables['batch_stats'], tx=tx)
    p_train = compile_step(functools.partial(cls_lib.train_step,
                                             label_smoothing=base_config.label_smoothing), mesh)
    pre = data.Preprocess.for_classifier(base_config.dataset, train=True,
                                         **base_config.get('input', {}))
    with loop.Run(None, mesh=mesh, desc='fine-tune', finite_keys=('loss',),
                  postfix={'loss': 'loss'}, params_of=lambda s: s.params) as run:
        state, _ = run.train(state, p_train, split, pre, total=total,
                             global_batch=ft.batch_size, seed=ft.seed,
                             rng=jax.random.key(ft.seed), log_every=100, checkpoint_every=total)
    host = host_copy(state)
    return {'params': host.params, 'batch_stats': host.batch_stats}


def compress_classifier(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Dense, int8 PTQ, int8 QAT, unstructured-sparse and channel-pruned variants of the
    ``config.checkpoint`` classifier. The checkpoint must hold out a validation split
    (``subset.per_class`` > 0): every variant is fine-tuned on the checkpoint's train part,
    scored on its validation part and on ``config.test_split``; the one choice, the pruning
    method among ``config.sparse.methods``, is made on validation accuracy."""
    base, model, state, meta = cls_lib.restore_classifier(config.checkpoint)
    if not base.get('subset', {}).get('per_class', 0):
        raise ValueError(f'{config.checkpoint} was trained on the whole train split; '
                         'compression chooses on validation, so train the checkpoint with '
                         'a held-out part (--config.subset.per_class=6000 '
                         '--config.subset.val_fraction=0.1 --config.eval_split=validation)')
    if not config.sparse.methods and config.sparse.sparsity:
        raise ValueError('config.sparse.methods is empty; expected pruning methods to '
                         f'choose from, e.g. {pruning.METHODS}')
    mesh = _mesh(config)
    train, validation, _ = cls_lib.load_splits(base)
    test = data.load(base.dataset, config.test_split, base.get('data_dir') or None)
    example = jax.ShapeDtypeStruct((1, *meta['image_shape']), jnp.float32)
    dense = {'params': state.params, 'batch_stats': state.batch_stats}
    rows: list[dict] = []
    p_eval = cls_lib.compile_eval(mesh)

    def row(name: str, m, variables: dict, quantized: dict | None = None,
            eval_model=None, eval_variables=None, **extra) -> dict:
        t0 = time.perf_counter()
        scores = {k: classifier_accuracy(eval_model or m, eval_variables or variables, base,
                                         split, mesh, p_eval)
                  for k, split in (('validation', validation), ('test', test))}
        r = {'variant': name, 'validation_accuracy': round(scores['validation']['accuracy'], 4),
             'accuracy': round(scores['test']['accuracy'], 4),
             'loss': round(scores['test']['loss'], 4),
             **measure(m, variables, example, quantized), **extra}
        r['delta'] = round(r['accuracy'] - rows[0]['accuracy'], 4) if rows else 0.0
        if rows and quantized is None:
            r['saved'] = save_variables(workdir, name, variables)
        writers.say(f"  {name}: validation {r['validation_accuracy']:.4f}, test "
                    f"{r['accuracy']:.4f} ({time.perf_counter() - t0:.0f} s to score)")
        rows.append(r)
        return r

    def int8(name: str, m, variables: dict, **extra) -> None:
        folded = quantization.fold_batch_norm(variables)
        qm, qv = quantization.ptq(m, folded, example)
        row(name, m, variables, qv, qm, qv, weights='int8', activations='int8', **extra)

    choices: dict[str, Any] = {}
    row('dense', model, dense)
    if config.ptq:
        int8('dense + int8 PTQ', model, dense)
    if config.qat.epochs:
        qat_model = quantization.qat(model)
        tuned = finetune_classifier(qat_model, dense, base, _ft(config, config.qat), train,
                                    mesh=mesh)
        int8('int8 QAT (depthwise float) + int8 PTQ', model, tuned,
             finetune_epochs=config.qat.epochs)
    if config.sparse.sparsity:
        sp = config.sparse
        candidates = {}
        for method in sp.methods:
            def wrap(tx, total, method=method):
                return pruning.prune(tx, method, pruning.polynomial(
                    sp.sparsity, 0, max(1, int(sp.ramp_fraction * total)), sp.update_every))
            tuned = finetune_classifier(model, dense, base, _ft(config, sp), train, wrap, mesh)
            r = row(f'{method} {sp.sparsity:.0%} sparse, fine-tuned', model, tuned,
                    finetune_epochs=sp.epochs, method=method)
            candidates[method] = (r, tuned)
        best = max(candidates, key=lambda k: candidates[k][0]['validation_accuracy'])
        candidates[best][0]['chosen_on_validation'] = True
        choices['sparse_method'] = {
            'chosen': best, 'on': 'validation_accuracy',
            'candidates': {k: r['validation_accuracy'] for k, (r, _) in candidates.items()}}
        if config.ptq:
            int8(f'{best} {sp.sparsity:.0%} sparse + int8 PTQ', model, candidates[best][1])
    if config.channels.fraction:
        ch = config.channels
        small, sliced = prune_ghost_channels(model, dense, ch.fraction)
        row(f'ghost1 channels -{ch.fraction:.0%}, no fine-tuning', small, sliced)
        tuned = finetune_classifier(small, sliced, base, _ft(config, ch), train, None, mesh)
        r = row(f'ghost1 channels -{ch.fraction:.0%}, fine-tuned', small, tuned,
                finetune_epochs=ch.epochs, ghost1_primary=list(small.ghost1_primary))
        r['macs_removed'] = round(1 - r['macs'] / rows[0]['macs'], 4)
        if config.ptq:
            int8(f'channels -{ch.fraction:.0%} + int8 PTQ', small, tuned)
    return _write(workdir, config, rows, 'accuracy',
                  {'checkpoint': config.checkpoint, 'checkpoint_step': int(state.step),
                   'train_examples': train.num_examples,
                   'validation_examples': validation.num_examples,
                   'test_split': config.test_split, 'test_examples': test.num_examples,
                   'choices': choices})


def _ft(config, stage) -> ml_collections.ConfigDict:
    """The shared fine-tuning settings with one stage's epochs / learning rate."""
    ft = ml_collections.ConfigDict(config.finetune.to_dict())
    ft.epochs = stage.epochs
    ft.learning_rate = stage.get('learning_rate', ft.learning_rate)
    return ft


# --------------------------------------------------------------------------- generator


def compress_generator(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Dense, unstructured-sparse (one-shot, and fine-tuned by continued GAN training with a
    dense control) and int8 PTQ variants of the ``config.checkpoint`` GAN's generator (EMA
    weights when the run keeps them), each scored by FID & co."""
    gan_config, g_model, state, meta = gan_lib.restore(config.checkpoint)
    dense = gan_lib.sampling_variables(gan_config, state)
    params = dense['params']
    z = jax.ShapeDtypeStruct((1, g_model.z_dim), jnp.float32)
    # a class-conditional generator also takes one label per example
    labels = (jax.ShapeDtypeStruct((1,), jnp.int32),) if getattr(g_model, 'num_classes', 0) else ()
    rows: list[dict] = []

    def row(name, variables, quantized=None, eval_model=None, eval_variables=None, **extra):
        t0 = time.perf_counter()
        metrics = gan_lib.generator_metrics(gan_config, eval_model or g_model,
                                            eval_variables or variables, meta,
                                            config.extractor, config.num_samples)
        r = {'variant': name, **{k: round(metrics[m], 4) for k, m in (
                 ('fid', 'fid'), ('kid', 'kid_mean'), ('is', 'is_mean'),
                 ('precision', 'precision'), ('recall', 'recall'))},
             **measure(g_model, variables, (z, *labels), quantized), **extra}
        r['fid_change'] = round(r['fid'] / rows[0]['fid'] - 1, 4) if rows else 0.0
        if rows and quantized is None:
            r['saved'] = save_variables(workdir, name, variables)
        logging.info('%s: FID %.2f (%.0f s)', name, r['fid'], time.perf_counter() - t0)
        rows.append(r)

    row('dense', dense)
    where = pruning.prunable(params)
    for s in config.sparsities:
        masks = pruning.compute_masks(params, where, config.method, jnp.float32(s))
        sparse = {**dense, 'params': pruning.apply_masks(params, masks)}
        row(f'{config.method} {s:.0%} sparse, one-shot', sparse)
    if config.finetune_steps:
        for s in (0.0, *config.sparsities):  # 0: the dense control with the same extra steps
            tuned = finetune_generator(gan_config, config, s, os.path.join(
                workdir, f'finetune_sparsity{round(100 * s)}'))
            name = (f'{config.method} {s:.0%} sparse, fine-tuned' if s
                    else 'dense, fine-tuned (control)')
            row(name, tuned, finetune_steps=config.finetune_steps)
    if config.ptq:
        folded = quantization.fold_batch_norm(dense)
        qm, qv = quantization.ptq(g_model, folded, z, *labels)
        row('int8 PTQ', dense, qv, qm, qv, weights='int8', activations='int8')
    return _write(workdir, config, rows, 'fid', {'checkpoint': config.checkpoint,
                                                 'checkpoint_step': int(state.step),
                                                 'extractor': config.extractor})


def finetune_generator(gan_config, config, sparsity: float, workdir: str) -> dict:
    """Continues the GAN of ``config.checkpoint`` for ``config.finetune_steps`` in ``workdir``
    (resumable), pruning G to ``sparsity`` on a Zhu & Gupta ramp over the first half; returns
    the sampling variables (EMA, masked like G)."""
    ft = ml_collections.ConfigDict(gan_config.to_dict())
    ft.init_from = config.checkpoint
    ft.num_train_steps = config.finetune_steps
    ft.eval.extractor_workdir = ''
    ft.sample_every_steps = ft.checkpoint_every_steps = config.finetune_steps
    ft.g_pruning = ml_collections.ConfigDict(dict(
        method=config.method, sparsity=sparsity, begin=0,
        end=max(1, config.finetune_steps // 2), every=max(1, config.finetune_steps // 20)))
    gan_lib.train_and_evaluate(ft, workdir)
    tuned_config, _, state, _ = gan_lib.restore(workdir)
    return gan_lib.sampling_variables(tuned_config, state)


# --------------------------------------------------------------------------- output


def _write(workdir: str, config, rows: list[dict], metric: str, info: dict) -> dict:
    os.makedirs(workdir, exist_ok=True)
    result = {**info, 'metric': metric, 'config': config.to_dict(), 'rows': rows}
    writers.write_json(os.path.join(workdir, 'compress.json'), result)
    return result
