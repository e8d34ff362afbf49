"""GAN training state and step: ``GANState`` with explicit G and D train states, the pure
``train_step``, and how a config builds them (models, optimizers, restore).

``train_step(state, batch, rng)`` does ``n_critic`` discriminator updates, then one generator
update on the last critic update's fake batch, then the EMA update. Wrapped over the
data-parallel mesh (``axis_name='batch'``), gradients, BN statistics and metrics are averaged
with ``lax.pmean``; latents and WGAN-GP mixing weights are drawn for the global batch and
sliced per device, so the step on any number of devices equals the single-device one.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from ghostjax import data
from ghostjax.models.registry import create_discriminator, create_generator
from ghostjax.optim import create_optimizer, pruning
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import writers
from ghostjax.training import losses
from ghostjax.training.gan import augment as augment_lib
from ghostjax.training.parallel import global_draw, pmean_if
from ghostjax.training.state import TrainState


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
    r1_every: int = 1
    diffaugment: tuple[str, ...] = ()
    ema_decay: float = 0.0
    z_dim: int = 100
    conditional: bool = False


def ema_decay_at(step: jax.Array, decay: float) -> jax.Array:
    """EMA decay with warm-up, ``min(decay, (1 + step) / (10 + step))`` (as TF's
    ``ExponentialMovingAverage(num_updates=step)``): without it, a 0.999 EMA after 1000 steps
    still holds 37% of the random initial weights."""
    step = jnp.asarray(step, jnp.float32)
    return jnp.minimum(decay, (1.0 + step) / (10.0 + step))


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

    def augment(x, key):  # DiffAugment: the same policy before every D call
        if not cfg.diffaugment:
            return x
        draw = lambda r, n: augment_lib.sample(r, n, x.shape[1], cfg.diffaugment)
        return augment_lib.apply(x, global_draw(draw, jax.random.fold_in(rng, key), b,
                                                 axis_name))

    g, d = state.g, state.d
    metrics = {}
    for i in range(cfg.n_critic):
        r_z, r_eps, r_drop = jax.random.split(jax.random.fold_in(rng, i), 3)
        z = global_draw(normal, r_z, b, axis_name)
        if i == cfg.n_critic - 1:
            # The G step reuses this fake batch (as PyTorch's DCGAN example does): keeping the
            # VJP saves the generator a second forward pass.
            fake, g_vjp, g_upd = jax.vjp(lambda p: _apply(g, p, z, labels, r_drop), g.params,
                                         has_aux=True)
        else:
            fake, _ = _apply(g, g.params, z, labels, r_drop)
        drop = jax.random.fold_in(dev_rng, 100 + i)

        real_in, fake_in = augment(real, 200 + i), augment(fake, 300 + i)

        def d_loss_fn(params):
            real_logits, upd = _apply(d, params, real_in, labels, drop)
            d_new = d.replace(batch_stats=upd['batch_stats'])
            fake_logits, upd = _apply(d_new, params, fake_in, labels, drop)
            loss = losses.discriminator_loss(cfg.loss, real_logits, fake_logits)
            d_fn = lambda x: _apply(d_new, params, x, labels, drop)[0]
            aux = {'d_real': jnp.mean(real_logits), 'd_fake': jnp.mean(fake_logits)}
            if cfg.gp_weight:
                eps = global_draw(uniform, r_eps, b, axis_name)
                aux['gp'] = losses.gradient_penalty(d_fn, real_in, fake_in, eps)
                loss = loss + cfg.gp_weight * aux['gp']
            if cfg.r1_gamma:
                # lazy R1 (StyleGAN2): every r1_every steps, weighted by r1_every; 0 between
                r1 = lambda: losses.r1_penalty(d_fn, real_in)
                aux['r1'] = r1() if cfg.r1_every == 1 else jax.lax.cond(
                    state.step % cfg.r1_every == 0, r1, lambda: jnp.zeros((), jnp.float32))
                loss = loss + 0.5 * cfg.r1_gamma * cfg.r1_every * aux['r1']
            return loss, (upd['batch_stats'], aux)

        (d_loss, (d_stats, aux)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d.params)
        d = d.apply_gradients(grads=pmean_if(grads, axis_name),
                              batch_stats=pmean_if(d_stats, axis_name))
        metrics.update(d_loss=d_loss, **aux)

    drop = jax.random.fold_in(dev_rng, 99)

    def g_loss_fn(fake):
        fake_logits, _ = _apply(d, d.params, augment(fake, 399), labels, drop)
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
    augment_lib.parse_policy(config.get('diffaugment', ''))
    r1_every = config.get('r1_every', 1)
    if not isinstance(r1_every, int) or r1_every < 1:
        raise ValueError(f'r1_every (the lazy R1 interval in steps) must be an integer >= 1, '
                         f'got {r1_every!r}')
    check_extractor(config.eval.get('extractor_workdir', ''))


def check_extractor(spec: str) -> None:
    """FileNotFoundError unless ``spec`` is '' (no FID), a ``train.classifier`` workdir or an
    existing pytorch-fid Inception ``.pth``: evaluation is never skipped silently."""
    if not spec:
        return
    if spec.endswith('.pth'):
        if not os.path.isfile(spec):
            raise FileNotFoundError(f'eval.extractor_workdir: no Inception weights at {spec!r}')
    elif not os.path.exists(os.path.join(spec, 'config.json')):
        raise FileNotFoundError(
            f'eval.extractor_workdir={spec!r} holds no train.classifier run: train the '
            f'feature extractor first (python -m train.classifier --config ... --workdir '
            f"{spec}), or set --config.eval.extractor_workdir='' to train without FID")


def input_pipeline(config, split) -> tuple[Any, tuple[int, int, int]]:
    """(the GAN's preprocessing of ``split``, the image shape ``(H, W, C)`` it yields)."""
    pre = data.Preprocess.for_gan(image_size=config.image_size or None,
                                  channels=config.channels or None)
    return pre, pre(np.zeros((1, *split.image_shape), np.uint8)).shape[1:]


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

    def make_tx(lr, **kwargs):  # SGD's momentum is b1
        return create_optimizer(config.optimizer, lr, momentum=config.b1 or None, b1=config.b1,
                                b2=config.b2, **kwargs)

    d_tx = make_tx(config.d_learning_rate, weight_clip=config.weight_clip)
    g_tx = make_tx(config.g_learning_rate, prune=config.get('g_pruning'))
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
    _, _, src, _ = restore(workdir)
    for name, new, old in (('generator', state.g.params, src.g.params),
                           ('discriminator', state.d.params, src.d.params)):
        if jax.tree.structure(new) != jax.tree.structure(old) or any(
                np.shape(a) != np.shape(b) for a, b in zip(jax.tree.leaves(new),
                                                           jax.tree.leaves(old))):
            raise ValueError(f'init_from {workdir!r} holds a different {name}')
    writers.say(f'warm start from {workdir} (step {int(src.step)})')
    return state.replace(g=state.g.replace(params=src.g.params, batch_stats=src.g.batch_stats),
                         d=state.d.replace(params=src.d.params, batch_stats=src.d.batch_stats),
                         ema_params=src.ema_params)


def step_config(config, z_dim: int) -> StepConfig:
    return StepConfig(loss=config.loss, n_critic=config.n_critic, gp_weight=config.gp_weight,
                      r1_gamma=config.r1_gamma, r1_every=config.get('r1_every', 1),
                      diffaugment=augment_lib.parse_policy(config.get('diffaugment', '')),
                      ema_decay=config.ema_decay, z_dim=z_dim, conditional=config.conditional)


def sampling_variables(config, state: GANState) -> dict:
    """The generator variables samples come from: EMA params when the run keeps an EMA,
    else G's, with G's BN statistics."""
    params = state.ema_params if config.ema_decay else state.g.params
    return {'params': params, 'batch_stats': state.g.batch_stats}


def restore(workdir: str, step: int | None = None):
    """(config, eval-mode generator, GANState, checkpoint metadata) of the ``train.gan`` run in
    ``workdir`` at ``step`` (default latest)."""
    def template(config, meta):
        image_shape = tuple(meta['image_shape'])
        g, d = create_models(config, image_shape[0], image_shape[-1], meta['num_classes'])
        return create_state(config, g, d, image_shape, jax.random.key(0))

    config, state, meta = ckpt_lib.restore_run(workdir, 'train.gan', template, step)
    g_model, _ = create_models(config, meta['image_shape'][0], meta['image_shape'][-1],
                               meta['num_classes'])
    return config, g_model, state, meta
