"""GAN anomaly detection on one-class splits, f-AnoGAN style (Schlegl et al. 2019).

For a normal class c: a GAN trains on the training images of c alone (``train.gan`` with
``subset.classes=(c,)``); then a Ghost encoder E learns to map an image to the latent that
the frozen generator turns back into it, with the izi_f loss (image residual plus the
discriminator-feature residual). The anomaly score of x is that same residual: one forward
pass per image, batched on device. In the same harness, on the same splits:

* ``izi_f``: f-AnoGAN's score, ``|x - G(E(x))|^2 + kappa |f(x) - f(G(E(x)))|^2`` (means).
* ``d_logit``: the negated logit of the normal-class discriminator.
* ``knn_d``: mean distance to the k nearest normal training images, in the features of the
  normal-class discriminator (learned from class c alone).
* ``ocsvm``: a one-class SVM (RBF kernel) on raw pixels, scikit-learn.

The protocol is Ruff et al. 2018's: the test split whole, class c normal and every other
class anomalous; AUROC and average precision per scorer. The study over every class and seed
is ``projects/anomaly``.
"""
from __future__ import annotations

import functools
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from sklearn.svm import OneClassSVM

from ghostjax import data
from ghostjax.models import GhostEncoder
from ghostjax.nn.gan import discriminator_features
from ghostjax.optim import create_optimizer
from ghostjax.training import gan as gan_lib
from ghostjax.training import loop
from ghostjax.training.parallel import compile_step, data_mesh, host_copy, pmean_if, replicate
from ghostjax.training.state import TrainState

SCORERS = ('izi_f', 'd_logit', 'knn_d', 'ocsvm')


def encoder_step(state: TrainState, batch: dict[str, jax.Array], rng: jax.Array,
                 frozen: dict[str, Any], *, g_apply, d_apply, kappa: float,
                 axis_name: str | None = None) -> tuple[TrainState, dict[str, jax.Array]]:
    """One izi_f step of the encoder on ``batch['image']`` ``[B, H, W, C]`` in [-1, 1]; the
    generator and discriminator (``frozen = {'g': ..., 'd': ...}`` variables) stay fixed."""
    del rng  # the encoder has no dropout
    x = batch['image']

    def loss_fn(params):
        z, updates = state.apply_fn({'params': params, 'batch_stats': state.batch_stats}, x,
                                    train=True, mutable=['batch_stats'])
        image, feature = residuals(x, g_apply(frozen['g'], z, None, train=False), d_apply,
                                   frozen['d'])
        image, feature = jnp.mean(image), jnp.mean(feature)
        return image + kappa * feature, (updates, {'image_residual': image,
                                                   'feature_residual': feature})

    (loss, (updates, aux)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=pmean_if(grads, axis_name),
                                  batch_stats=pmean_if(updates['batch_stats'], axis_name))
    return state, pmean_if({'loss': loss, **aux}, axis_name)


def residuals(x: jax.Array, x_hat: jax.Array, d_apply, d_vars) -> tuple[jax.Array, jax.Array]:
    """Per-image mean squared residuals ``[B]`` of the pixels and of the discriminator's
    features between ``x`` and its reconstruction ``x_hat``."""
    _, f = discriminator_features(d_apply, d_vars, x)
    _, f_hat = discriminator_features(d_apply, d_vars, x_hat)
    axes = tuple(range(1, x.ndim))
    return jnp.mean((x - x_hat) ** 2, axes), jnp.mean((f - f_hat) ** 2, -1)


def train_encoder(config: ml_collections.ConfigDict, gan_dir: str, split: data.Split,
                  workdir: str, seed: int):
    """Trains (resuming) the encoder of ``gan_dir``'s GAN on ``split``; returns (encoder model,
    its variables, the frozen G/D pieces, training seconds)."""
    gan_config, g_model, gan_state, meta = gan_lib.restore(gan_dir)
    image_shape = tuple(meta['image_shape'])
    _, d_model = gan_lib.create_models(gan_config, image_shape[0], image_shape[-1],
                                       meta['num_classes'])
    e = config.encoder
    z_dim = e.z_dim or g_model.z_dim
    if z_dim != g_model.z_dim:
        raise ValueError(f'encoder.z_dim {z_dim} does not match the generator latent size '
                         f'{g_model.z_dim} of {gan_dir}')
    mesh = data_mesh(all_devices=config.data_parallel)
    data.check_batch(e.batch_size, mesh.size)
    model = GhostEncoder(image_shape[0], image_shape[-1], z_dim, e.base_features,
                         bn_axis_name='batch')
    variables = jax.jit(model.init)(jax.random.key(seed), jnp.zeros((1, *image_shape)))
    state = TrainState.create(apply_fn=model.apply, params=variables['params'],
                              batch_stats=variables['batch_stats'],
                              tx=create_optimizer('adam', e.learning_rate, b1=e.b1, b2=e.b2))
    frozen = {'g': gan_lib.sampling_variables(gan_config, gan_state),
              'd': {'params': gan_state.d.params, 'batch_stats': gan_state.d.batch_stats}}
    step = compile_step(functools.partial(encoder_step, g_apply=g_model.apply,
                                          d_apply=d_model.apply, kappa=e.kappa), mesh)
    frozen_on_mesh = replicate(frozen, mesh)
    t0 = time.perf_counter()
    with loop.Run(workdir, mesh=mesh, desc='encoder', finite_keys=('loss',),
                  postfix={'img': 'image_residual', 'feat': 'feature_residual'},
                  params_of=lambda s: s.params, meta={'image_shape': list(image_shape)},
                  keep=1) as run:
        state = run.resume(state)
        state, _ = run.train(state, lambda s, b, r: step(s, b, r, frozen_on_mesh), split,
                             data.Preprocess.for_gan(), total=e.steps,
                             global_batch=e.batch_size, seed=seed, rng=jax.random.key(seed),
                             log_every=config.log_every_steps, checkpoint_every=e.steps)
        if run.stopped:
            return None
    host = host_copy({'params': state.params, 'batch_stats': state.batch_stats})
    return model, host, (g_model, d_model, frozen), time.perf_counter() - t0


# --------------------------------------------------------------------------- scoring


def _batches(split: data.Split, size: int):
    pre = data.Preprocess.for_gan()
    for start in range(0, split.num_examples, size):
        images, _ = split.read(np.arange(start, min(start + size, split.num_examples)))
        yield jnp.asarray(pre(images))


def _timed(fn, split: data.Split, size: int) -> tuple[dict[str, np.ndarray], float]:
    """``fn`` over ``split`` in batches (its first batch run once before the clock starts, so
    compiling is not counted); returns the concatenated outputs and ms per image."""
    jax.block_until_ready(fn(next(_batches(split, size))))
    t0 = time.perf_counter()
    outs = [jax.tree.map(np.asarray, fn(x)) for x in _batches(split, size)]
    ms = 1000 * (time.perf_counter() - t0) / split.num_examples
    return {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}, ms


def score(config: ml_collections.ConfigDict, encoder, e_vars, gan, train: data.Split,
          test: data.Split) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """(scores ``[N_test]`` per scorer, milliseconds per test image per scorer)."""
    g_model, d_model, frozen = gan
    kappa, size = config.encoder.kappa, config.score_batch
    scores, cost = {}, {}

    @jax.jit
    def izi_f(e_vars, frozen, x):
        x_hat = g_model.apply(frozen['g'], encoder.apply(e_vars, x, train=False), None,
                              train=False)
        image, feature = residuals(x, x_hat, d_model.apply, frozen['d'])
        return {'izi_f': image + kappa * feature}

    @jax.jit
    def disc(d_vars, x):
        logits, f = discriminator_features(d_model.apply, d_vars, x)
        return {'d_logit': -logits, 'features': f}

    izi_f = functools.partial(izi_f, e_vars, frozen)
    disc = functools.partial(disc, frozen['d'])
    if 'izi_f' in config.scorers:
        out, cost['izi_f'] = _timed(izi_f, test, size)
        scores['izi_f'] = out['izi_f']
    if {'d_logit', 'knn_d'} & set(config.scorers):
        out, ms = _timed(disc, test, size)
        if 'd_logit' in config.scorers:
            scores['d_logit'], cost['d_logit'] = out['d_logit'], ms
        if 'knn_d' in config.scorers:
            bank, _ = _timed(disc, train, size)
            t0 = time.perf_counter()
            scores['knn_d'] = knn_distance(out['features'], bank['features'], config.knn_k)
            cost['knn_d'] = ms + 1000 * (time.perf_counter() - t0) / test.num_examples
    if 'ocsvm' in config.scorers:
        scores['ocsvm'], cost['ocsvm'] = ocsvm_scores(config.ocsvm, train, test)
    return scores, cost


def knn_distance(queries: np.ndarray, bank: np.ndarray, k: int, chunk: int = 1000
                 ) -> np.ndarray:
    """Mean Euclidean distance ``[N]`` of each query ``[N, F]`` to its ``k`` nearest rows of
    ``bank`` ``[M, F]``, on device in chunks of queries."""
    if not 1 <= k <= len(bank):
        raise ValueError(f'knn_k must be in [1, {len(bank)}], got {k}')
    bank = jnp.asarray(bank)

    @jax.jit
    def nearest(q, bank):
        d2 = (jnp.sum(q ** 2, -1)[:, None] + jnp.sum(bank ** 2, -1)[None]
              - 2 * q @ bank.T)
        return jnp.mean(jnp.sqrt(jnp.maximum(-jax.lax.top_k(-d2, k)[0], 0.0)), -1)

    return np.concatenate([np.asarray(nearest(jnp.asarray(queries[i:i + chunk]), bank))
                           for i in range(0, len(queries), chunk)])


def ocsvm_scores(spec: ml_collections.ConfigDict, train: data.Split, test: data.Split
                 ) -> tuple[np.ndarray, float]:
    """Negated one-class SVM decision values on raw pixels in [0, 1] (fit on ``train``), and
    ms per test image of the scoring."""
    def pixels(split):
        images, _ = split.read(np.arange(split.num_examples))
        return images.reshape(len(images), -1).astype(np.float32) / 255.0

    svm = OneClassSVM(kernel='rbf', nu=spec.nu, gamma=spec.gamma).fit(pixels(train))
    x = pixels(test)
    t0 = time.perf_counter()
    values = -svm.decision_function(x)
    return values, 1000 * (time.perf_counter() - t0) / len(x)
