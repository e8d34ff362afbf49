"""GhostNet classifier training: pure steps and the ``train_and_evaluate`` loop.

``train_step(state, batch, rng)`` and ``eval_step(state, batch)`` are pure; the trainer wraps
them once with ``compile_step`` over the data-parallel mesh of all devices of all processes
(gradients, BN statistics and metrics averaged with ``lax.pmean``) and runs them in the loop
skeleton (``ghostjax.training.loop.Run``).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import time
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from ghostjax import data
from ghostjax.data import subsets
from ghostjax.models.ghostnet import GhostNet
from ghostjax.optim import create_optimizer, learning_rate_schedule
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import writers
from ghostjax.training import loop
from ghostjax.training.losses import cross_entropy
from ghostjax.training.parallel import (batch_sharding, compile_step, data_mesh, host_copy,
                                        pmean_if, replicate)
from ghostjax.training.state import TrainState

DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16}


def create_model(config: ml_collections.ConfigDict, num_classes: int, in_channels: int,
                 bn_axis_name: str | None = None) -> GhostNet:
    m = config.model
    if m.dtype not in DTYPES:
        raise ValueError(f'model.dtype must be one of {sorted(DTYPES)}, got {m.dtype!r}')
    stages = tuple(tuple(tuple(b) for b in s) for s in m.get('stages', ()))
    extra = {'stages': stages} if stages else {}
    if m.get('ghost1_primary'):
        extra['ghost1_primary'] = tuple(m.ghost1_primary)
    return GhostNet(width=m.width, num_classes=num_classes, dropout=m.dropout,
                    in_channels=in_channels, stem_stride=m.stem_stride, version=m.version,
                    impl=m.get('impl', 'auto'), dtype=DTYPES[m.dtype],
                    bn_axis_name=bn_axis_name, **extra)


def optimizer(config: ml_collections.ConfigDict, steps_per_epoch: int):
    """(optimizer, learning-rate schedule) of a classifier config (SGD or AdamW); the schedule
    spans ``num_train_steps`` when set, else ``num_epochs``."""
    if config.optimizer not in ('sgd', 'adamw'):
        raise ValueError(f"optimizer must be 'sgd' or 'adamw', got {config.optimizer!r}")
    total = config.get('num_train_steps') or config.num_epochs * steps_per_epoch
    schedule = learning_rate_schedule(config.schedule, config.learning_rate, total,
                                      int(config.warmup_epochs * steps_per_epoch))
    tx = create_optimizer(config.optimizer, schedule, weight_decay=config.weight_decay,
                          momentum=config.get('momentum'), nesterov=config.get('nesterov', False),
                          b1=config.get('b1', 0.9), b2=config.get('b2', 0.999))
    return tx, schedule


def create_train_state(rng: jax.Array, model: GhostNet, image_shape: tuple[int, ...],
                       tx) -> TrainState:
    variables = jax.jit(functools.partial(model.init, train=False))(
        rng, jnp.zeros((1, *image_shape), jnp.float32))
    return TrainState.create(apply_fn=model.apply, params=variables['params'],
                             batch_stats=variables['batch_stats'], tx=tx)


def restore_classifier(workdir: str, step: int | None = None
                       ) -> tuple[ml_collections.ConfigDict, GhostNet, TrainState, dict]:
    """(config, eval-mode model, TrainState, checkpoint metadata) of a ``train.classifier``
    workdir's checkpoint at ``step`` (default latest)."""
    def template(config, meta):
        model = create_model(config, meta['num_classes'], meta['image_shape'][-1])
        # the optimizer only shapes the template; any schedule gives the same opt_state
        return create_train_state(jax.random.key(0), model, tuple(meta['image_shape']),
                                  optimizer(config, steps_per_epoch=1)[0])

    config, state, meta = ckpt_lib.restore_run(workdir, 'train.classifier', template, step)
    return config, create_model(config, meta['num_classes'], meta['image_shape'][-1]), state, meta


@dataclasses.dataclass(frozen=True, eq=False)
class BatchExtension:
    """Rows added to every training batch inside the step: the one hook for extra per-step
    inputs (GAN data augmentation uses it to add generated images).

    Attributes:
      extend: ``extend(batch, rng, inputs, *, axis_name) -> batch``: this device's batch with
        its share of ``rows`` added (a share of the global rows, drawn so that the result does
        not depend on the device count); ``axis_name`` is None outside a wrapped step.
      inputs: a pytree (e.g. a generator's weights) replicated once and passed to every step.
      rows: rows added to each global batch; the loader then reads ``batch_size - rows``.
      check: ``check(image_shape, num_classes)`` raises ValueError when the rows cannot join
        the batches of this data.
    """
    extend: Callable[..., dict[str, jax.Array]]
    inputs: Any
    rows: int
    check: Callable[[tuple[int, ...], int], None] = lambda image_shape, num_classes: None


def train_step(state: TrainState, batch: dict[str, jax.Array], rng: jax.Array,
               inputs: Any = None, *, label_smoothing: float = 0.0,
               extend: Callable[..., dict[str, jax.Array]] | None = None,
               axis_name: str | None = None) -> tuple[TrainState, dict[str, jax.Array]]:
    """One SGD step on ``batch = {'image': [B, H, W, C], 'label': [B]}``; ``extend`` (a
    ``BatchExtension.extend``) first adds its rows, from ``inputs``."""
    if extend is not None:
        batch = extend(batch, jax.random.fold_in(rng, 1), inputs, axis_name=axis_name)
    if axis_name is not None:
        rng = jax.random.fold_in(rng, jax.lax.axis_index(axis_name))

    def loss_fn(params):
        logits, updates = state.apply_fn(
            {'params': params, 'batch_stats': state.batch_stats}, batch['image'], train=True,
            rngs={'dropout': rng}, mutable=['batch_stats'])
        return cross_entropy(logits, batch['label'], label_smoothing), (logits, updates)

    (loss, (logits, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    grads = pmean_if(grads, axis_name)
    batch_stats = pmean_if(updates['batch_stats'], axis_name)
    metrics = pmean_if({'loss': loss,
                        'accuracy': jnp.mean(jnp.argmax(logits, -1) == batch['label'])}, axis_name)
    return state.apply_gradients(grads=grads, batch_stats=batch_stats), metrics


def eval_step(state: TrainState, batch: dict[str, jax.Array], *,
              axis_name: str | None = None) -> dict[str, jax.Array]:
    """Sums of loss and correct predictions over the batch (summed over devices too)."""
    logits = state.apply_fn({'params': state.params, 'batch_stats': state.batch_stats},
                            batch['image'], train=False)
    labels = batch['label']
    losses = -jnp.take_along_axis(jax.nn.log_softmax(logits.astype(jnp.float32)),
                                  labels[:, None], axis=-1)[:, 0]
    sums = {'loss': jnp.sum(losses), 'correct': jnp.sum(jnp.argmax(logits, -1) == labels),
            'count': jnp.asarray(labels.shape[0], jnp.float32)}
    return sums if axis_name is None else jax.lax.psum(sums, axis_name)


def compile_eval(mesh: jax.sharding.Mesh):
    """``eval_step`` wrapped once over ``mesh`` (replicated state, batch split)."""
    return compile_step(eval_step, mesh, donate=False)


def evaluate(p_eval, state, split: data.Split, config, mesh: jax.sharding.Mesh
             ) -> dict[str, float]:
    """Accuracy and mean loss over ``split`` in batches of at most ``config.eval_batch_size``
    that cover it exactly (``data.eval_batch_size``); ``state`` replicated over ``mesh``."""
    pre = data.Preprocess.for_classifier(config.dataset, train=False, **config.get('input', {}))
    totals = None
    size = data.eval_batch_size(split.num_examples, config.eval_batch_size, mesh.size)
    for batch in data.make_batches(split, global_batch=size, preprocess=pre,
                                   train=False, sharding=batch_sharding(mesh)):
        sums = p_eval(state, batch)
        totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
    totals = host_copy(totals)
    return {'accuracy': float(totals['correct'] / totals['count']),
            'loss': float(totals['loss'] / totals['count']), 'examples': int(totals['count'])}


def check_config(config: ml_collections.ConfigDict, devices: int, added_rows: int = 0) -> int:
    """Raises ValueError for bad values before anything compiles; returns the real images per
    batch: ``batch_size`` less the ``added_rows`` a ``BatchExtension`` adds."""
    data.check_batch(config.eval_batch_size, devices)
    data.check_batch(config.batch_size)
    if not 0 <= added_rows < config.batch_size:
        raise ValueError(f'a batch extension adds {added_rows} rows to batches of '
                         f'{config.batch_size}; expected 0 .. {config.batch_size - 1}')
    n_real = config.batch_size - added_rows
    data.check_batch(n_real, devices)
    if added_rows % devices:
        raise ValueError(f'{added_rows} added rows per batch are not divisible by the '
                         f'{devices} devices')
    per_class = config.get('subset', {}).get('per_class', 0)
    if per_class and config.eval_split != 'validation':
        raise ValueError(f"with subset.per_class={per_class}, eval_split must be 'validation' "
                         f"(the part carved from the subset), got {config.eval_split!r}")
    return n_real


def load_splits(config: ml_collections.ConfigDict
                ) -> tuple[data.Split, data.Split, data.Split | None]:
    """(train, eval, test or None) splits of a config: with ``subset.per_class`` > 0 the train
    split is that stratified subset and eval its carved validation part."""
    load = functools.partial(data.load, config.dataset, data_dir=config.get('data_dir') or None)
    train, validation = subsets.select(load(split=config.train_split), config.get('subset'))
    test = load(split=config.test_split) if config.get('test_split') else None
    return train, validation or load(split=config.eval_split), test


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       extension: BatchExtension | None = None,
                       train_split: data.Split | None = None,
                       evals: Sequence[loop.Evaluation] = ()) -> dict[str, Any]:
    """Trains and evaluates per ``config``, resuming from the latest checkpoint in ``workdir``.

    ``extension``: rows added to every training batch (e.g. generated images,
    ``ghostjax.applications.augment.extension_from_config``). ``train_split``: trains on it
    instead of the config's (e.g. the Classification Accuracy Score's generated split).
    ``evals``: more evaluations during training, beside the eval split's.

    Returns (and writes to ``{workdir}/eval.json``) the eval split's accuracy and loss, and
    with ``config.test_split`` the test split's under ``'test'``.
    """
    mesh = data_mesh(all_devices=config.data_parallel)
    added = extension.rows if extension else 0
    n_real = check_config(config, mesh.size, added)
    config_train, eval_split, test_split = load_splits(config)
    os.makedirs(workdir, exist_ok=True)
    train_split = train_split or config_train
    # epochs count batch_size images, added rows included, so that a run with an extension
    # has the schedule of one without
    steps_per_epoch = max(1, train_split.num_examples // config.batch_size)
    total_steps = config.num_train_steps or config.num_epochs * steps_per_epoch
    pre_train = data.Preprocess.for_classifier(config.dataset, train=True, **config.get('input', {}))
    image_shape = pre_train(train_split.images[:1] if train_split.images is not None else
                            np.zeros((1, *train_split.image_shape), np.uint8)).shape[1:]
    if extension:
        extension.check(image_shape, train_split.num_classes)

    model = create_model(config, train_split.num_classes, image_shape[-1], 'batch')
    tx, schedule = optimizer(config, steps_per_epoch)
    init_rng, dropout_rng = jax.random.split(jax.random.key(config.seed))
    state = create_train_state(init_rng, model, image_shape, tx)
    step_fn = functools.partial(train_step, label_smoothing=config.label_smoothing,
                                extend=extension.extend if extension else None)
    p_train = compile_step(step_fn, mesh)
    if extension:  # its inputs: replicated once, an argument of every step
        inputs, step_with_inputs = replicate(extension.inputs, mesh), p_train
        p_train = lambda s, b, r: step_with_inputs(s, b, r, inputs)  # noqa: E731
    p_eval = compile_eval(mesh)
    meta = {'num_classes': train_split.num_classes, 'image_shape': list(image_shape)}
    with loop.Run(workdir, mesh=mesh, desc='train', finite_keys=('loss',),
                  postfix={'loss': 'loss'}, params_of=lambda s: s.params, meta=meta,
                  keep=config.checkpoints_to_keep,
                  extra=lambda step: {'learning_rate': float(schedule(step))},
                  config=config.to_dict()) as run:
        state = run.resume(state)

        def evaluate_now(step: int, state) -> dict[str, float]:
            return evaluate(p_eval, state, eval_split, config, mesh)

        t_start = time.perf_counter()
        state, step = run.train(
            state, p_train, train_split, pre_train, total=total_steps,
            global_batch=n_real, seed=config.seed, rng=dropout_rng,
            log_every=config.log_every_steps, checkpoint_every=config.checkpoint_every_steps,
            evals=[loop.Evaluation('eval', config.eval_every_epochs * steps_per_epoch,
                                   evaluate_now), *evals])
        if run.stopped:
            return {'stopped_at_step': step}
        result = evaluate(p_eval, state, eval_split, config, mesh)
        result.update(step=step, train_wall_s=round(time.perf_counter() - t_start, 1),
                      dataset=config.dataset, split=config.eval_split, seed=config.seed,
                      train_examples=train_split.num_examples,
                      added_per_batch=added)
        run.writer.scalars(step, result, 'eval/')
        if test_split is not None:
            result['test'] = (evaluate(p_eval, state, test_split, config, mesh)
                              if config.test_split != config.eval_split else
                              {k: result[k] for k in ('accuracy', 'loss', 'examples')})
            run.writer.scalars(step, result['test'], 'test/')
        writers.write_json(os.path.join(workdir, 'eval.json'), result)
        return result
