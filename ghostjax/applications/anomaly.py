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
class anomalous; AUROC and average precision per scorer. ``run_study`` writes
``{results_dir}/anomaly_c{c}_s{seed}.json`` as each (class, seed) finishes and skips finished
ones, so a study spread over sessions continues by running the same command again.
"""
from __future__ import annotations

import functools
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from sklearn.svm import OneClassSVM

from ghostjax import data
from ghostjax.data import subsets
from ghostjax.metrics import anomaly as metrics
from ghostjax.models import GhostEncoder
from ghostjax.nn.gan import discriminator_features
from ghostjax.optim import create_optimizer
from ghostjax.runtime import provenance
from ghostjax.training import gan as gan_lib
from ghostjax.training import writers
from ghostjax.training import loop
from ghostjax.training.parallel import compile_step, data_mesh, host_copy, pmean_if, replicate
from ghostjax.training.state import TrainState

SCORERS = ('izi_f', 'd_logit', 'knn_d', 'ocsvm')


def check_config(config: ml_collections.ConfigDict, test: data.Split) -> None:
    """Raises ValueError for bad values before anything trains or compiles."""
    unknown = sorted(set(config.scorers) - set(SCORERS))
    if unknown or not config.scorers:
        raise ValueError(f'unknown scorers {unknown or "(none given)"}; expected some of '
                         f'{SCORERS}')
    for c in (*config.normal_classes, *config.more_seeds.classes):
        if not 0 <= c < test.num_classes:
            raise ValueError(f'normal class {c} is not a label of {test.name} (0 .. '
                             f'{test.num_classes - 1})')
        normal = int(np.sum(test.labels == c))
        if normal in (0, test.num_examples):
            raise ValueError(f'the {test.split} split must hold normal and anomalous images; '
                             f'for class {c} it has {normal} normal of {test.num_examples}')
    if loop.load_config_file(config.gan).conditional:
        raise ValueError(f'{config.gan} trains a conditional GAN; a one-class GAN has no '
                         'labels to condition on')
    for k in ('steps', 'batch_size', 'knn_k'):
        value = config.encoder[k] if k != 'knn_k' else config.knn_k
        if value < 1:
            raise ValueError(f'{k} must be >= 1, got {value}')


# --------------------------------------------------------------------------- the encoder


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


# --------------------------------------------------------------------------- the study


def gan_config(config: ml_collections.ConfigDict, normal: int, seed: int
               ) -> ml_collections.ConfigDict:
    c = loop.load_config_file(config.gan)
    c.seed = seed
    c.subset = ml_collections.ConfigDict({'classes': (normal,), 'per_class': 0})
    gan_lib.check_config(c)
    return c


def run_one(config: ml_collections.ConfigDict, normal: int, seed: int, workdir: str,
            test: data.Split) -> dict[str, Any] | None:
    """GAN, encoder and every scorer for normal class ``normal``; None when stopped."""
    train = subsets.of_classes(data.load(config.dataset, config.train_split,
                                         config.get('data_dir') or None), (normal,))
    gan_dir = os.path.join(workdir, 'gan')
    g_result = gan_lib.train_and_evaluate(gan_config(config, normal, seed), gan_dir)
    if 'stopped_at_step' in g_result:
        return None
    trained = train_encoder(config, gan_dir, train, os.path.join(workdir, 'encoder'), seed)
    if trained is None:
        return None
    encoder, e_vars, gan, e_seconds = trained
    scores, cost = score(config, encoder, e_vars, gan, train, test)
    is_anomaly = test.labels != normal
    np.savez_compressed(os.path.join(workdir, 'scores.npz'), labels=test.labels,
                        is_anomaly=is_anomaly, **scores)
    return {'normal_class': normal, 'seed': seed, 'train_examples': train.num_examples,
            'test_examples': test.num_examples, 'anomalous': int(is_anomaly.sum()),
            'scorers': {name: {'auroc': metrics.auroc(s, is_anomaly),
                               'auprc': metrics.average_precision(s, is_anomaly),
                               'ms_per_image': cost[name]} for name, s in scores.items()},
            'gan': config.gan, 'gan_steps': g_result['step'],
            'gan_train_wall_s': g_result['train_wall_s'],
            'encoder_steps': config.encoder.steps, 'encoder_train_wall_s': round(e_seconds, 1),
            'kappa': config.encoder.kappa, 'knn_k': config.knn_k,
            'ocsvm': config.ocsvm.to_dict()}


def run_study(config: ml_collections.ConfigDict, workdir: str) -> list[str]:
    """Every (normal class, seed) not yet done: seed 0 (``seeds``) of all
    ``normal_classes`` first, then ``more_seeds``. Returns the result paths."""
    test = data.load(config.dataset, config.test_split, config.get('data_dir') or None)
    check_config(config, test)
    todo = [(c, s) for s in config.seeds for c in config.normal_classes]
    todo += [(c, s) for s in config.more_seeds.seeds for c in config.more_seeds.classes
             if (c, s) not in todo]
    paths = [os.path.join(config.results_dir, f'anomaly_c{c}_s{s}.json') for c, s in todo]
    for i in loop.pending([(f'normal class {c}, seed {s}', p) for (c, s), p in zip(todo, paths)]):
        (normal, seed), path = todo[i], paths[i]
        result = run_one(config, normal, seed, os.path.join(workdir, f'c{normal}_s{seed}'),
                         test)
        if result is None:
            writers.say('stopped; run the study again to resume')
            break
        if jax.process_index() == 0:
            provenance.write_result(path, result)
            aurocs = ', '.join(f'{k} {v["auroc"]:.3f}' for k, v in result['scorers'].items())
            writers.say(f'class {normal} seed {seed}: AUROC {aurocs} -> {path}')
    return paths
