"""Detection, segmentation and multi-task training of ``GhostNetDense``: pure steps and the
``train_and_evaluate`` loop.

``train_step(state, batch, rng, *, cfg)`` computes every configured task's loss on one shared
forward pass and their weighted sum; ``predict_step`` gives what the metrics need. Both are
wrapped once by ``compile_step`` over the data-parallel mesh and run in the loop skeleton
(``ghostjax.training.loop.Run``), as the classifier and GAN trainers are.

A batch: ``image [B, H, W, C]``, ``boxes [B, M, 4]`` (x0, y0, x1, y1 pixels), ``box_labels
[B, M]``, ``box_valid [B, M]`` and, for segmentation, ``mask [B, H, W]`` (0 background,
``1 + class`` objects, 255 ignored).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from ghostjax import data
from ghostjax.data import scenes
from ghostjax.metrics import detection as det_metrics
from ghostjax.metrics import segmentation as seg_metrics
from ghostjax.models.convert import load_torch_checkpoint
from ghostjax.models.dense_prediction import TASKS, GhostNetDense, decode, fcos_targets, points, size_ranges
from ghostjax.models.ghostnet import GhostNet
from ghostjax.ops import boxes as box_ops
from ghostjax.ops.counting import model_size
from ghostjax.optim import create_optimizer, learning_rate_schedule
from ghostjax.training import writers
from ghostjax.training import loop
from ghostjax.training.losses import pixel_cross_entropy, sigmoid_focal_loss
from ghostjax.training.parallel import batch_sharding, compile_step, data_mesh, host_copy, pmean_if
from ghostjax.training.state import TrainState


@dataclasses.dataclass(frozen=True)
class StepConfig:
    """What the pure steps need, fixed for a run (hashable: it is closed over by ``jit``)."""
    tasks: tuple[str, ...]
    weights: tuple[tuple[str, float], ...]
    num_classes: int
    image_size: tuple[int, int]
    strides: tuple[int, ...]

    @functools.cached_property
    def anchors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(centres [P, 2], point strides [P], scale ranges [P, 2]) of the FCOS points."""
        centres, strides = points(self.image_size, self.strides)
        ranges = size_ranges(self.strides)[np.searchsorted(self.strides, strides)]
        return centres, strides, ranges


def step_config(config: ml_collections.ConfigDict, model: GhostNetDense, num_classes: int,
                image_size: tuple[int, int]) -> StepConfig:
    """The step's fixed settings for ``model`` trained per ``config`` on ``image_size``."""
    return StepConfig(tuple(model.tasks), tuple(config.loss_weights.items()), num_classes,
                      tuple(image_size), tuple(model.strides))


def check_config(config: ml_collections.ConfigDict) -> None:
    """ValueError for a bad task list or loss weight, before anything is built."""
    tasks = tuple(config.model.tasks)
    if not tasks or set(tasks) - set(TASKS):
        raise ValueError(f'model.tasks must be a non-empty subset of {TASKS}, got {tasks}')
    unknown = sorted(set(config.loss_weights) - set(TASKS))
    if unknown:
        raise ValueError(f'loss_weights names unknown tasks {unknown}; tasks are {TASKS}')
    missing = sorted(set(tasks) - set(config.loss_weights))
    if missing:
        raise ValueError(f'loss_weights has no weight for the tasks {missing}')
    for k, w in config.loss_weights.items():
        if k in tasks and not w > 0:
            raise ValueError(f'loss_weights.{k} must be > 0, got {w}')


def create_model(config: ml_collections.ConfigDict, num_classes: int, in_channels: int,
                 bn_axis_name: str | None = None) -> GhostNetDense:
    m = config.model
    stages = tuple(tuple(tuple(b) for b in s) for s in m.get('stages', ()))
    return GhostNetDense(num_classes=num_classes, tasks=tuple(m.tasks), width=m.width,
                         in_channels=in_channels, strides=tuple(m.strides),
                         seg_strides=tuple(m.seg_strides), fpn_features=m.fpn_features,
                         head_depth=m.head_depth, freeze_backbone=config.freeze_backbone,
                         bn_axis_name=bn_axis_name, **({'stages': stages} if stages else {}))


def create_state(config, model: GhostNetDense, image_shape, tx, rng) -> TrainState:
    variables = jax.jit(model.init)(rng, jnp.zeros((1, *image_shape), jnp.float32))
    params, batch_stats = variables['params'], variables['batch_stats']
    if config.backbone_init:
        params, batch_stats = load_backbone(config.backbone_init, model, params, batch_stats)
    return TrainState.create(apply_fn=model.apply, params=params, batch_stats=batch_stats, tx=tx)


def load_backbone(path: str, model: GhostNetDense, params, batch_stats):
    """The ``backbone`` subtree replaced by released GhostNet weights (a PyTorch checkpoint,
    ``models.convert``); the classifier's head weights are not used."""
    template = GhostNet(width=model.width, in_channels=model.in_channels, stages=model.stages)
    full = load_torch_checkpoint(path, template)
    take = lambda new, old: {k: new[k] for k in old}  # the backbone's own subset
    params = {**params, 'backbone': take(full['params'], params['backbone'])}
    batch_stats = {**batch_stats, 'backbone': take(full['batch_stats'],
                                                   batch_stats['backbone'])}
    return params, batch_stats


def optimizer(config: ml_collections.ConfigDict, total_steps: int):
    schedule = learning_rate_schedule(config.schedule, config.learning_rate, total_steps,
                                      config.warmup_steps)
    tx = create_optimizer(config.optimizer, schedule, weight_decay=config.weight_decay,
                          momentum=config.get('momentum'), nesterov=config.get('nesterov', False))
    if config.freeze_backbone:
        tx = optax.multi_transform(
            {'train': tx, 'frozen': optax.set_to_zero()},
            lambda params: {k: jax.tree.map(lambda _: 'frozen' if k == 'backbone' else 'train', v)
                            for k, v in params.items()})
    return tx, schedule


def classes_present(batch: dict, num_classes: int) -> jax.Array:
    """``[B, num_classes]`` multi-hot: 1 where the image holds a valid box of the class (the
    classification task's target)."""
    b = batch['box_labels'].shape[0]
    return jnp.zeros((b, num_classes)).at[jnp.arange(b)[:, None], batch['box_labels']].max(
        batch['box_valid'].astype(jnp.float32))


def task_losses(out: dict, batch: dict, cfg: StepConfig, axis_name: str | None = None
                ) -> dict[str, jax.Array]:
    """Each task's loss; ``'total'`` is their weighted sum."""
    weights = dict(cfg.weights)
    losses = {}
    if 'classify' in cfg.tasks:
        present = classes_present(batch, cfg.num_classes)
        losses['classify'] = jnp.mean(optax.sigmoid_binary_cross_entropy(out['classify'],
                                                                         present))
    if 'detect' in cfg.tasks:
        losses.update(detection_losses(out['detect'], batch, cfg, axis_name))
        losses['detect'] = losses['focal'] + losses['giou'] + losses['centerness']
    if 'segment' in cfg.tasks:
        losses['segment'] = pixel_cross_entropy(out['segment'], batch['mask'])
    losses['total'] = sum(weights[t] * losses[t] for t in cfg.tasks)
    return losses


def detection_losses(head: dict, batch: dict, cfg: StepConfig, axis_name: str | None = None
                     ) -> dict[str, jax.Array]:
    """FCOS: focal loss over all points / positives, GIoU loss weighted by the centerness
    target / its sum, centerness BCE over positives. Normalisers are averaged over devices."""
    centres, strides, ranges = (jnp.asarray(a) for a in cfg.anchors)
    t = jax.vmap(fcos_targets, (0, 0, 0, None, None, None))(
        batch['boxes'], batch['box_labels'], batch['box_valid'], centres, strides, ranges)
    positive = t['labels'] >= 0
    onehot = jax.nn.one_hot(t['labels'], cfg.num_classes)  # -1: all zeros (background)
    num_pos = jnp.maximum(pmean_if(jnp.sum(positive).astype(jnp.float32), axis_name), 1.0)
    ctr_sum = jnp.maximum(pmean_if(jnp.sum(t['centerness']), axis_name), 1e-6)
    focal = jnp.sum(sigmoid_focal_loss(head['logits'], onehot)) / num_pos
    pred_boxes = box_ops.from_distances(centres[None], head['distances'])
    giou = jnp.sum(jnp.where(positive, (1 - box_ops.giou(pred_boxes, t['boxes'])) *
                             t['centerness'], 0.0)) / ctr_sum
    ctr = jnp.sum(jnp.where(positive, optax.sigmoid_binary_cross_entropy(
        head['centerness'], t['centerness']), 0.0)) / num_pos
    return {'focal': focal, 'giou': giou, 'centerness': ctr}


def train_step(state: TrainState, batch: dict, rng: jax.Array, *, cfg: StepConfig,
               axis_name: str | None = None) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimizer step on the weighted sum of the task losses."""
    del rng  # no dropout or stochastic layers

    def loss_fn(params):
        out, updates = state.apply_fn({'params': params, 'batch_stats': state.batch_stats},
                                      batch['image'], train=True, mutable=['batch_stats'])
        losses = task_losses(out, batch, cfg, axis_name)
        return losses['total'], (losses, updates)

    (_, (losses, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    grads = pmean_if(grads, axis_name)
    batch_stats = pmean_if(updates['batch_stats'], axis_name)
    return (state.apply_gradients(grads=grads, batch_stats=batch_stats),
            pmean_if(losses, axis_name))


def predict_step(state: TrainState, batch: dict, *, cfg: StepConfig,
                 axis_name: str | None = None) -> dict[str, jax.Array]:
    """Eval-mode outputs for the metrics: every device's detections gathered (``[B_global,
    D, ...]``), the segmentation confusion matrix and the classification hits summed."""
    out = state.apply_fn({'params': state.params, 'batch_stats': state.batch_stats},
                         batch['image'], train=False)
    gather = (lambda x: x) if axis_name is None else (
        lambda x: jax.lax.all_gather(x, axis_name, tiled=True))
    total = (lambda x: x) if axis_name is None else (lambda x: jax.lax.psum(x, axis_name))
    result = {}
    if 'detect' in cfg.tasks:
        dets = decode(out['detect'], cfg.anchors[0], cfg.image_size)
        result['detections'] = jax.tree.map(gather, dets)
    if 'segment' in cfg.tasks:
        result['confusion'] = total(seg_metrics.confusion_matrix(
            jnp.argmax(out['segment'], -1), batch['mask'], cfg.num_classes + 1))
    if 'classify' in cfg.tasks:
        present = classes_present(batch, cfg.num_classes)
        result['classify_hits'] = total(jnp.sum((out['classify'] > 0) == (present > 0)))
        result['classify_count'] = total(jnp.asarray(present.size))
    return result


def evaluate(p_predict, state, split: scenes.DenseSplit, config, cfg: StepConfig,
             mesh) -> dict[str, float]:
    """COCO box AP (pycocotools), mIoU and multi-label accuracy over ``split``."""
    pre = scenes.DensePreprocess(**config.input)
    dets, confusion, hits, count = [], None, 0, 0
    n = split.num_examples - split.num_examples % config.eval_batch_size
    for batch in data.make_batches(split, global_batch=config.eval_batch_size, preprocess=pre,
                                   train=False, sharding=batch_sharding(mesh)):
        out = host_copy(p_predict(state, batch))
        if 'detections' in out:
            dets.append(out['detections'])
        if 'confusion' in out:
            confusion = out['confusion'] if confusion is None else confusion + out['confusion']
        if 'classify_hits' in out:
            hits, count = hits + int(out['classify_hits']), count + int(out['classify_count'])
    metrics = {'examples': n}
    if dets:
        d = {k: np.concatenate([x[k] for x in dets]) for k in dets[0]}
        valid = split.box_valid[:n]
        metrics.update(det_metrics.coco_map(
            [b[v] for b, v in zip(split.boxes[:n], valid)],
            [lb[v] for lb, v in zip(split.box_labels[:n], valid)],
            [b[v] for b, v in zip(d['boxes'], d['valid'])],
            [s[v] for s, v in zip(d['scores'], d['valid'])],
            [c[v] for c, v in zip(d['classes'], d['valid'])], cfg.num_classes))
    if confusion is not None:
        metrics.update(miou=seg_metrics.mean_iou(confusion),
                       miou_objects=seg_metrics.mean_iou(confusion, skip=(0,)),
                       pixel_accuracy=seg_metrics.pixel_accuracy(confusion))
    if count:
        metrics['classify_label_accuracy'] = hits / count
    return metrics


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       evals: Sequence[loop.Evaluation] = ()) -> dict[str, Any]:
    """Trains per ``config`` (resuming from ``workdir``), then scores the eval split; returns
    (and writes to ``{workdir}/eval.json``) the metrics. ``evals``: more evaluations during
    training, beside the eval split's."""
    check_config(config)
    mesh = data_mesh(all_devices=config.data_parallel)
    os.makedirs(workdir, exist_ok=True)
    load = functools.partial(scenes.load_dense, config.dataset, image_size=config.image_size,
                             data_dir=config.get('data_dir') or None,
                             **config.get('dataset_kwargs', {}))
    train_split, eval_split = load(split=config.train_split), load(split=config.eval_split)
    # the final, reported scores: read now so that a bad split name fails before any compile
    test_name = config.get('test_split') or None
    test_split = load(split=test_name) if test_name else None
    pre = scenes.DensePreprocess(**config.input)
    image_shape = (config.image_size, config.image_size,
                   config.input.get('channels') or train_split.image_shape[-1])
    model = create_model(config, train_split.num_classes, image_shape[-1], 'batch')
    model.check(image_shape)
    if 'segment' in model.tasks and train_split.masks is None:
        raise ValueError(f'{config.dataset} has no segmentation masks; drop the segment task')
    steps = config.num_train_steps
    tx, schedule = optimizer(config, steps)
    state = create_state(config, model, image_shape, tx, jax.random.key(config.seed))
    cfg = step_config(config, model, train_split.num_classes, image_shape[:2])
    p_train = compile_step(functools.partial(train_step, cfg=cfg), mesh)
    p_predict = compile_step(functools.partial(predict_step, cfg=cfg), mesh, donate=False)
    meta = {'num_classes': train_split.num_classes, 'image_shape': list(image_shape)}
    postfix = {'loss': 'total', **{t[:3]: t for t in model.tasks}}
    with loop.Run(workdir, mesh=mesh, desc='train', finite_keys=('total',), postfix=postfix,
                  params_of=lambda s: s.params, meta=meta, keep=config.checkpoints_to_keep,
                  extra=lambda step: {'learning_rate': float(schedule(step))},
                  config=config.to_dict()) as run:
        state = run.resume(state)

        def evaluate_now(step: int, state) -> dict[str, float]:
            return evaluate(p_predict, state, eval_split, config, cfg, mesh)

        t0 = time.perf_counter()
        state, step = run.train(state, p_train, train_split, pre, total=steps,
                                global_batch=config.batch_size, seed=config.seed,
                                rng=jax.random.key(config.seed + 1),
                                log_every=config.log_every_steps,
                                checkpoint_every=config.checkpoint_every_steps,
                                evals=[loop.Evaluation('eval', config.eval_every_steps,
                                                       evaluate_now), *evals])
        if run.stopped:
            return {'stopped_at_step': step}
        train_s = time.perf_counter() - t0
        result = {'step': step, 'train_wall_s': round(train_s, 1), 'tasks': list(model.tasks),
                  'dataset': config.dataset, 'seed': config.seed,
                  'model': model_size(model, (1, *image_shape), train=False),
                  'reported_split': test_name or config.eval_split}
        for name, split in ((config.eval_split, eval_split), (test_name, test_split)):
            if split is None:
                continue
            result[name] = evaluate(p_predict, state, split, config, cfg, mesh)
            run.writer.scalars(step, {k: v for k, v in result[name].items()
                                      if isinstance(v, float)}, f'{name}/')
        write_predictions(os.path.join(workdir, 'predictions.npz'), state,
                          test_split or eval_split, config, cfg)
        writers.write_json(os.path.join(workdir, 'eval.json'), result)
        return result


def write_predictions(path: str, state: TrainState, split: scenes.DenseSplit, config,
                      cfg: StepConfig, count: int = 8) -> None:
    """The first ``count`` images of ``split`` with their detections and predicted masks, for
    figures of the predictions; written by process 0."""
    if jax.process_index() != 0:
        return
    raw = split.read_batch(np.arange(min(count, split.num_examples)))
    images = scenes.DensePreprocess(**config.input).apply(raw)['image']

    @jax.jit
    def predict(variables, images):
        out = state.apply_fn(variables, images, train=False)
        result = {}
        if 'detect' in out:
            result.update(decode(out['detect'], cfg.anchors[0], cfg.image_size))
        if 'segment' in out:
            result['mask'] = jnp.argmax(out['segment'], -1)
        return result

    variables = host_copy({'params': state.params, 'batch_stats': state.batch_stats})
    out = host_copy(predict(variables, images))
    np.savez_compressed(path, **{f'true_{k}': v for k, v in raw.items()}, **out)
