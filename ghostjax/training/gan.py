"""GAN training: ``GANState`` with explicit G and D train states, a pure ``train_step``, and the
``train_and_evaluate`` loop (checkpoints, resume, sample grids, metrics).

``train_step(state, batch, rng)`` does ``n_critic`` discriminator updates, then one generator
update on the last critic update's fake batch, then the EMA update. Under
``pmap(axis_name='batch')`` gradients, BN statistics and metrics are averaged with
``lax.pmean``; latents and WGAN-GP mixing weights are drawn for the global batch and sliced per
device, so a pmapped step equals a single-device one.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import time
from typing import Any

from absl import logging
import flax
import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from ghostjax import data, losses, pruning
from ghostjax.gans import create_discriminator, create_generator
from ghostjax.optim import clip_weights
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import logging as log_lib
from ghostjax.training import loop
from ghostjax.training.state import TrainState, pmean_if, replicate


class GANState(flax.struct.PyTreeNode):
    """Generator and discriminator train states, EMA generator params, step and base RNG."""
    step: jax.Array
    g: TrainState
    d: TrainState
    ema_params: Any
    rng: jax.Array  # raw uint32 key data, so it checkpoints as an array


@dataclasses.dataclass(frozen=True)
class StepConfig:
    """The static knobs of ``train_step`` (all from the run's config)."""
    loss: str = 'ns'
    n_critic: int = 1
    gp_weight: float = 0.0
    r1_gamma: float = 0.0
    ema_decay: float = 0.0
    z_dim: int = 100
    conditional: bool = False


def ema_decay_at(step: jax.Array, decay: float) -> jax.Array:
    """EMA decay with warm-up, ``min(decay, (1 + step) / (10 + step))`` (as TF's
    ``ExponentialMovingAverage(num_updates=step)``): without it, a 0.999 EMA after 1000 steps
    still holds 37% of the random initial weights."""
    step = jnp.asarray(step, jnp.float32)
    return jnp.minimum(decay, (1.0 + step) / (10.0 + step))


def _global_draw(sample, rng, local_batch: int, axis_name: str | None):
    """Draws for the global batch (same on every device) and returns this device's slice."""
    if axis_name is None:
        return sample(rng, local_batch)
    n = jax.lax.psum(1, axis_name)
    full = sample(rng, n * local_batch)
    return jax.lax.dynamic_slice_in_dim(full, jax.lax.axis_index(axis_name) * local_batch,
                                        local_batch)


def _apply(ts: TrainState, params, x, labels, rng, train: bool = True):
    return ts.apply_fn({'params': params, 'batch_stats': ts.batch_stats}, x, labels, train=train,
                       rngs={'dropout': rng}, mutable=['batch_stats'])


def train_step(state: GANState, batch: dict[str, jax.Array], rng: jax.Array, *,
               cfg: StepConfig, axis_name: str | None = None) -> tuple[GANState, dict]:
    """One GAN iteration on ``batch = {'image': [B, H, W, C] in [-1, 1], 'label': [B]}``."""
    real = batch['image']
    labels = batch['label'] if cfg.conditional else None
    b = real.shape[0]
    normal = lambda r, n: jax.random.normal(r, (n, cfg.z_dim))
    uniform = lambda r, n: jax.random.uniform(r, (n,))
    dev_rng = rng if axis_name is None else jax.random.fold_in(rng, jax.lax.axis_index(axis_name))
    g, d = state.g, state.d
    metrics = {}
    for i in range(cfg.n_critic):
        r_z, r_eps, r_drop = jax.random.split(jax.random.fold_in(rng, i), 3)
        z = _global_draw(normal, r_z, b, axis_name)
        if i == cfg.n_critic - 1:
            # The G step reuses this fake batch (as PyTorch's DCGAN example does): keeping the
            # VJP saves the generator a second forward pass.
            fake, g_vjp, g_upd = jax.vjp(lambda p: _apply(g, p, z, labels, r_drop), g.params,
                                         has_aux=True)
        else:
            fake, _ = _apply(g, g.params, z, labels, r_drop)
        drop = jax.random.fold_in(dev_rng, 100 + i)

        def d_loss_fn(params):
            real_logits, upd = _apply(d, params, real, labels, drop)
            d_new = d.replace(batch_stats=upd['batch_stats'])
            fake_logits, upd = _apply(d_new, params, fake, labels, drop)
            loss = losses.discriminator_loss(cfg.loss, real_logits, fake_logits)
            d_fn = lambda x: _apply(d_new, params, x, labels, drop)[0]
            aux = {'d_real': jnp.mean(real_logits), 'd_fake': jnp.mean(fake_logits)}
            if cfg.gp_weight:
                eps = _global_draw(uniform, r_eps, b, axis_name)
                aux['gp'] = losses.gradient_penalty(d_fn, real, fake, eps)
                loss = loss + cfg.gp_weight * aux['gp']
            if cfg.r1_gamma:
                aux['r1'] = losses.r1_penalty(d_fn, real)
                loss = loss + 0.5 * cfg.r1_gamma * aux['r1']
            return loss, (upd['batch_stats'], aux)

        (d_loss, (d_stats, aux)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d.params)
        d = d.apply_gradients(grads=pmean_if(grads, axis_name),
                              batch_stats=pmean_if(d_stats, axis_name))
        metrics.update(d_loss=d_loss, **aux)

    drop = jax.random.fold_in(dev_rng, 99)

    def g_loss_fn(fake):
        fake_logits, _ = _apply(d, d.params, fake, labels, drop)
        return losses.generator_loss(cfg.loss, fake_logits)

    g_loss, fake_grad = jax.value_and_grad(g_loss_fn)(fake)
    (grads,) = g_vjp(fake_grad)
    g = g.apply_gradients(grads=pmean_if(grads, axis_name),
                          batch_stats=pmean_if(g_upd['batch_stats'], axis_name))
    ema = state.ema_params
    if cfg.ema_decay:
        decay = ema_decay_at(state.step, cfg.ema_decay)
        ema = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p, ema, g.params)
        if isinstance(g.opt_state, pruning.PruneState):  # a pruned G's EMA is as sparse
            ema = pruning.apply_masks(ema, g.opt_state.masks)
    metrics['g_loss'] = g_loss
    metrics = pmean_if(metrics, axis_name)
    return state.replace(step=state.step + 1, g=g, d=d, ema_params=ema), metrics


# --------------------------------------------------------------------------- set-up


def check_config(config: ml_collections.ConfigDict) -> None:
    """Raises ValueError for bad values before anything is compiled."""
    if config.loss not in losses.GAN_LOSSES:
        raise ValueError(f'unknown loss {config.loss!r}; expected one of {losses.GAN_LOSSES}')
    if config.n_critic < 1:
        raise ValueError(f'n_critic must be >= 1, got {config.n_critic}')
    for k in ('g_learning_rate', 'd_learning_rate'):
        if config[k] <= 0:
            raise ValueError(f'{k} must be > 0, got {config[k]}')
    if config.optimizer not in ('adam', 'sgd'):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {config.optimizer!r}")
    if not 0 <= config.ema_decay < 1:
        raise ValueError(f'ema_decay must be in [0, 1), got {config.ema_decay}')


def create_models(config, resolution: int, channels: int, num_classes: int,
                  bn_axis_name: str | None = None):
    cond = {'num_classes': num_classes} if config.conditional else {}
    g = create_generator(config.generator.name, resolution=resolution, channels=channels,
                         bn_axis_name=bn_axis_name, **cond, **config.generator.get('kwargs', {}))
    d = create_discriminator(config.discriminator.name, resolution=resolution, channels=channels,
                             bn_axis_name=bn_axis_name, **cond,
                             **config.discriminator.get('kwargs', {}))
    return g, d


def create_state(config, g_model, d_model, image_shape, rng: jax.Array) -> GANState:
    r_g, r_d, r_state = jax.random.split(rng, 3)
    z = jnp.zeros((1, g_model.z_dim))
    labels = jnp.zeros((1,), jnp.int32) if config.conditional else None
    g_vars = jax.jit(lambda r: g_model.init(r, z, labels))(r_g)
    d_vars = jax.jit(lambda r: d_model.init({'params': r, 'dropout': r},
                                            jnp.zeros((1, *image_shape)), labels))(r_d)

    def make_tx(lr):
        if config.optimizer == 'adam':
            return optax.adam(lr, b1=config.b1, b2=config.b2)
        return optax.sgd(lr, momentum=config.b1 or None)

    d_tx = make_tx(config.d_learning_rate)
    if config.weight_clip:
        d_tx = optax.chain(d_tx, clip_weights(config.weight_clip))
    g_tx = make_tx(config.g_learning_rate)
    gp = config.get('g_pruning')
    if gp and gp.sparsity:
        g_tx = pruning.prune(g_tx, gp.method, pruning.polynomial(gp.sparsity, gp.begin, gp.end,
                                                                 gp.every))
    g_ts = TrainState.create(apply_fn=g_model.apply, params=g_vars['params'],
                             batch_stats=g_vars.get('batch_stats', {}), tx=g_tx)
    d_ts = TrainState.create(apply_fn=d_model.apply, params=d_vars['params'],
                             batch_stats=d_vars.get('batch_stats', {}), tx=d_tx)
    return GANState(step=jnp.zeros((), jnp.int32), g=g_ts, d=d_ts,
                    ema_params=jax.tree.map(jnp.copy, g_ts.params),
                    rng=jax.random.key_data(r_state))


def warm_start(state: GANState, workdir: str) -> GANState:
    """``state`` with the G / D weights, BN statistics and EMA of ``workdir``'s latest
    checkpoint (same models required); optimizers and step start afresh (fine-tuning)."""
    _, _, src, _ = restore_for_sampling(workdir)
    for name, new, old in (('generator', state.g.params, src.g.params),
                           ('discriminator', state.d.params, src.d.params)):
        if jax.tree.structure(new) != jax.tree.structure(old) or any(
                np.shape(a) != np.shape(b) for a, b in zip(jax.tree.leaves(new),
                                                           jax.tree.leaves(old))):
            raise ValueError(f'init_from {workdir!r} holds a different {name}')
    logging.info('warm start from %s (step %d)', workdir, int(src.step))
    return state.replace(g=state.g.replace(params=src.g.params, batch_stats=src.g.batch_stats),
                         d=state.d.replace(params=src.d.params, batch_stats=src.d.batch_stats),
                         ema_params=src.ema_params)


def step_config(config, z_dim: int) -> StepConfig:
    return StepConfig(loss=config.loss, n_critic=config.n_critic, gp_weight=config.gp_weight,
                      r1_gamma=config.r1_gamma, ema_decay=config.ema_decay, z_dim=z_dim,
                      conditional=config.conditional)


# --------------------------------------------------------------------------- samples


def image_grid(images: np.ndarray, cols: int | None = None) -> np.ndarray:
    """``[N, H, W, C]`` in [-1, 1] -> one uint8 ``[rows*H, cols*W, C]`` grid (1px gaps)."""
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, np.uint8)
    pixels = np.clip((np.asarray(images, np.float32) + 1) * 127.5, 0, 255).round().astype(np.uint8)
    for i, im in enumerate(pixels):
        r, k = divmod(i, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + k * (w + 1):1 + k * (w + 1) + w] = im
    return grid


def save_png(path: str, grid: np.ndarray) -> None:
    from PIL import Image
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)


def diversity(images: jax.Array) -> jax.Array:
    """Mean pairwise L2 distance between samples ``[N, H, W, C]``: drops under mode collapse."""
    x = images.reshape(images.shape[0], -1)
    sq = jnp.sum(x ** 2, -1)
    d2 = jnp.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    n = x.shape[0]
    return jnp.sum(jnp.sqrt(d2 + 1e-12) * (1 - jnp.eye(n))) / (n * (n - 1))


def sampling_variables(config, state: GANState) -> dict:
    """The generator variables samples come from: EMA params when the run keeps an EMA,
    else G's, with G's BN statistics."""
    params = state.ema_params if config.ema_decay else state.g.params
    return {'params': params, 'batch_stats': state.g.batch_stats}


def sample(g_model, g_state: TrainState, params, z, labels=None) -> jax.Array:
    """Eval-mode samples of the generator with ``params`` (e.g. the EMA params)."""
    return g_model.apply({'params': params, 'batch_stats': g_state.batch_stats}, z, labels,
                         train=False)


# --------------------------------------------------------------------------- loop


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Trains the GAN of ``config``, resuming from ``workdir``; writes samples, metrics, JSON."""
    check_config(config)
    os.makedirs(os.path.join(workdir, 'samples'), exist_ok=True)
    split = data.load(config.dataset, config.train_split, config.get('data_dir') or None)
    devices = jax.local_device_count() if config.pmap else 1
    layout = 'device' if devices > 1 else 'flat'
    data.check_batch(config.batch_size, layout)
    pre = data.Preprocess.for_gan(image_size=config.image_size or None,
                                  channels=config.channels or None)
    image_shape = pre(np.zeros((1, *split.image_shape), np.uint8)).shape[1:]
    g_model, d_model = create_models(config, image_shape[0], image_shape[-1], split.num_classes,
                                     'batch' if devices > 1 else None)
    g_eval, _ = create_models(config, image_shape[0], image_shape[-1], split.num_classes)
    state = create_state(config, g_model, d_model, image_shape, jax.random.key(config.seed))
    checkpointer = ckpt_lib.Checkpointer(workdir, keep=config.checkpoints_to_keep)
    state = checkpointer.resume(state)
    if int(state.step) == 0 and config.get('init_from'):
        state = warm_start(state, config.init_from)
    log_lib.write_json(os.path.join(workdir, 'config.json'), config.to_dict())

    cfg = step_config(config, g_model.z_dim)
    step_fn = functools.partial(train_step, cfg=cfg)
    p_step = (jax.pmap(functools.partial(step_fn, axis_name='batch'), axis_name='batch',
                       donate_argnums=(0,)) if devices > 1
              else jax.jit(step_fn, donate_argnums=(0,)))
    fixed_z = jax.random.normal(jax.random.key(config.seed + 1), (config.num_grid, g_model.z_dim))
    fixed_labels = (jnp.arange(config.num_grid) % split.num_classes) if config.conditional else None
    p_sample = jax.jit(functools.partial(sample, g_eval))
    total = config.num_train_steps
    start = int(state.step)
    base_rng = jax.random.wrap_key_data(np.asarray(state.rng))  # a copy: state is donated
    state = replicate(state) if devices > 1 else state
    writer = log_lib.MetricWriter(workdir)
    progress = log_lib.Progress(total, start, config.batch_size, 'gan')
    log = loop.MetricLog(writer, progress, devices, ('d_loss', 'g_loss'),
                         {'d': 'd_loss', 'g': 'g_loss'})
    meta = {'image_shape': list(image_shape), 'num_classes': split.num_classes}
    extractor_dir = config.eval.get('extractor_workdir', '')
    if extractor_dir and not os.path.exists(os.path.join(extractor_dir, 'config.json')):
        logging.warning('no extractor in %r: FID/KID/IS/PR are skipped', extractor_dir)
        extractor_dir = ''
    eval_every = config.eval.get('every_steps', 0) if extractor_dir else 0
    t0, step = time.perf_counter(), start

    def write_samples(step: int) -> np.ndarray:
        s = loop.host_copy(state, devices)
        images = np.asarray(p_sample(s.g, sampling_variables(config, s)['params'], fixed_z,
                                     fixed_labels))
        grid = image_grid(images)
        save_png(os.path.join(workdir, 'samples', f'step_{step:07d}.png'), grid)
        save_png(os.path.join(workdir, 'samples', 'latest.png'), grid)
        writer.image(step, 'samples', grid)
        writer.scalars(step, {'diversity': float(diversity(jnp.asarray(images)))}, 'samples/')
        return images

    def save(step: int) -> None:
        log.flush(step)
        host = loop.host_copy(state, devices)
        loop.save_checkpoint(checkpointer, step, host, (host.g.params, host.d.params), meta)

    try:
        with ckpt_lib.StopSignal() as stop:
            for i, batch in loop.train_steps(
                    split, start=start, total=total, global_batch=config.batch_size,
                    seed=config.seed, preprocess=pre, layout=layout, stop=stop):
                rng = jax.random.fold_in(base_rng, i)
                state, metrics = p_step(state, batch, replicate(rng) if devices > 1 else rng)
                log.add(i, metrics)
                step = i + 1
                if step % config.log_every_steps == 0:
                    log.flush(step)
                if step % config.sample_every_steps == 0:
                    write_samples(step)
                if step % config.checkpoint_every_steps == 0 or step == total:
                    save(step)
                if eval_every and step % eval_every == 0 and step < total:
                    if checkpointer.latest_step() != step:
                        save(step)  # evaluate() reads the generator from the checkpoint
                    writer.scalars(step, evaluate(workdir, extractor_dir,
                                                  config.eval.num_samples, step), 'eval/')
            if stop.requested:
                logging.warning('stop requested: saving step %d and exiting', step)
                save(step)
                return {'stopped_at_step': step}
        if checkpointer.latest_step() != step:
            save(step)
        write_samples(step)
        result = {'step': step, 'train_wall_s': round(time.perf_counter() - t0, 1),
                  'generator': config.generator.name, 'discriminator': config.discriminator.name,
                  'loss': config.loss, 'dataset': config.dataset}
        if extractor_dir:
            metrics = evaluate(workdir, extractor_dir, config.eval.num_samples, step)
            writer.scalars(step, metrics, 'eval/')
            result.update(metrics)
        log_lib.write_json(os.path.join(workdir, 'train_result.json'), result)
        return result
    finally:
        progress.close()
        writer.close()
        checkpointer.close()


# --------------------------------------------------------------------------- evaluation


def restore_for_sampling(workdir: str, step: int | None = None):
    """(config, eval-mode generator, GANState) of the checkpoint at ``step`` (default latest)."""
    import json
    config = ml_collections.ConfigDict(json.load(open(os.path.join(workdir, 'config.json'))))
    checkpointer = ckpt_lib.Checkpointer(workdir)
    meta = checkpointer.meta(step)
    image_shape = tuple(meta['image_shape'])
    g_model, d_model = create_models(config, image_shape[0], image_shape[-1], meta['num_classes'])
    template = create_state(config, g_model, d_model, image_shape, jax.random.key(0))
    state, _ = checkpointer.restore(template, step)
    checkpointer.close()
    return config, g_model, state, meta


def evaluate(workdir: str, extractor: str, num_samples: int = 10000,
             step: int | None = None, cache_dir: str | None = None) -> dict[str, Any]:
    """FID, KID, IS and precision/recall of the checkpoint at ``step`` (EMA generator when the
    run keeps one) against the dataset's test split. ``extractor``: a ``train.classifier``
    workdir (domain GhostNet features) or pytorch-fid's Inception ``.pth`` file. Writes
    ``{workdir}/eval_step_{step}.json``."""
    config, g_model, state, meta = restore_for_sampling(workdir, step)
    metrics = generator_metrics(config, g_model, sampling_variables(config, state), meta,
                                extractor, num_samples, cache_dir)
    metrics.update(step=int(state.step), weights='ema' if config.ema_decay else 'generator')
    log_lib.write_json(os.path.join(workdir, f'eval_step_{int(state.step)}.json'), metrics)
    return metrics


def generator_metrics(config, g_model, variables: dict, meta: dict, extractor: str,
                      num_samples: int = 10000, cache_dir: str | None = None) -> dict[str, Any]:
    """FID, KID, IS and precision/recall of ``g_model.apply(variables, z, labels)`` (eval mode;
    any generator with these variables, e.g. a pruned or quantized one) against the test split.
    The latents are the same for every call with the same ``config.seed``."""
    from ghostjax.metrics.evaluate import evaluate_sampler, real_statistics
    from ghostjax.metrics.extractors import make_extractor
    extractor = make_extractor(extractor, tuple(meta['image_shape']))
    split = data.load(config.dataset, config.get('eval_split', 'test'),
                      config.get('data_dir') or None)
    real = real_statistics(extractor, split, cache_dir)
    generate = jax.jit(lambda v, z, labels: g_model.apply(v, z, labels, train=False))
    key = jax.random.key(config.seed + 2)

    def draw(start: int, n: int) -> np.ndarray:
        z = jax.random.normal(jax.random.fold_in(key, start), (n, g_model.z_dim))
        labels = ((jnp.arange(start, start + n) % meta['num_classes'])
                  if config.conditional else None)
        return np.asarray(generate(variables, z, labels))

    metrics = evaluate_sampler(extractor, draw, num_samples, real)
    metrics.update(split=split.split, dataset=config.dataset)
    return metrics
