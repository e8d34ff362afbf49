"""GAN data augmentation for a classifier, and the Classification Accuracy Score (CAS).

* ``source_from_workdir`` turns a class-conditional ``train.gan`` run into a labelled
  ``SyntheticSource`` (EMA weights, optional truncation).
* ``extension`` makes a source the classifier's ``BatchExtension``: generated images join
  every training batch; ``extension_from_config`` builds it from a classifier config's
  ``synthetic`` block (``train.classifier`` does).
* ``classification_accuracy_score`` (Ravuri & Vinyals, NeurIPS 2019): a classifier trained on
  generated images only, as many as the real train split holds, tested on real images.

The augmentation study built on these is ``projects/augment``.
"""
from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections

from ghostjax import data
from ghostjax.applications.synthetic import SyntheticSource
from ghostjax.training import classifier
from ghostjax.training import gan as gan_lib
from ghostjax.training import writers


def source_from_workdir(gan_workdir: str, *, truncation: float | None = None, seed: int = 0,
                        mean: tuple[float, ...] | None = None,
                        std: tuple[float, ...] | None = None) -> SyntheticSource:
    """The latest checkpoint of a class-conditional ``train.gan`` run as a labelled source
    (EMA generator when the run keeps one); ``mean``/``std`` standardise as the classifier's
    preprocessing does."""
    if not os.path.isdir(os.path.join(gan_workdir, 'checkpoints')):
        raise FileNotFoundError(f'no train.gan checkpoints in {gan_workdir!r}')
    config, g_model, state, meta = gan_lib.restore(gan_workdir)
    if not config.conditional:
        raise ValueError(f'{gan_workdir!r} holds an unconditional GAN; labelled images need a '
                         'class-conditional generator (train.gan with config.conditional=True)')

    def generate(variables, z, labels):
        return g_model.apply(variables, z, labels, train=False)

    return SyntheticSource(generate, gan_lib.sampling_variables(config, state), g_model.z_dim,
                           meta['num_classes'], tuple(meta['image_shape']),
                           truncation=truncation, seed=seed, mean=mean, std=std)


def parse_truncation(value: float) -> float | None:
    """A config's truncation: 0 means none."""
    if value < 0:
        raise ValueError(f'synthetic.truncation must be >= 0 (0: no truncation), got {value}')
    return value or None


def extension(source: SyntheticSource, rows: int) -> classifier.BatchExtension:
    """``rows`` images of ``source`` added to every global training batch, drawn on device from
    the generator weights the step receives, per (rng, global row)."""
    def extend(batch, rng, variables, *, axis_name):
        local = rows // (1 if axis_name is None else jax.lax.psum(1, axis_name))
        fake = source.draw(rng, local, variables=variables, axis_name=axis_name)
        return {k: jnp.concatenate([batch[k], fake[k].astype(batch[k].dtype)])
                for k in ('image', 'label')}
    return classifier.BatchExtension(extend, source.variables, rows, source.check)


def synthetic_rows(config: ml_collections.ConfigDict) -> int:
    """Generated images per batch of a classifier config: ``synthetic.ratio`` of
    ``batch_size``; ValueError unless the ratio is in [0, 1)."""
    ratio = (config.get('synthetic') or {}).get('ratio', 0.0)
    if not 0 <= ratio < 1:
        raise ValueError(f'synthetic.ratio (the generated share of each batch) must be in '
                         f'[0, 1), got {ratio}')
    return round(ratio * config.batch_size)


def extension_from_config(config: ml_collections.ConfigDict
                          ) -> classifier.BatchExtension | None:
    """The generated images a classifier config's ``synthetic`` block (``gan_workdir``,
    ``ratio``, ``truncation``, ``seed``) asks for, standardised like the config's real ones;
    None when its ratio is 0."""
    source = source_from_config(config)
    return None if source is None else extension(source, synthetic_rows(config))


def source_from_config(config: ml_collections.ConfigDict) -> SyntheticSource | None:
    """The generator a classifier config's ``synthetic`` block asks for (None when its ratio is
    0), its images standardised like the config's real ones."""
    spec = config.get('synthetic') or {}
    classifier.check_config(config, devices=1, added_rows=synthetic_rows(config))
    if not spec.get('ratio', 0.0):
        return None
    if not spec.get('gan_workdir'):
        raise ValueError(f'synthetic.ratio={spec["ratio"]} needs synthetic.gan_workdir (a '
                         'class-conditional train.gan run)')
    pre = data.Preprocess.for_classifier(config.dataset, train=False, **config.get('input', {}))
    return source_from_workdir(spec['gan_workdir'], truncation=parse_truncation(spec.get(
        'truncation', 0.0)), seed=spec.get('seed', 0), mean=tuple(pre.mean), std=tuple(pre.std))


def classification_accuracy_score(gan_workdir: str | None, config: ml_collections.ConfigDict,
                                  workdir: str, truncation: float | None = None
                                  ) -> dict[str, Any]:
    """Trains ``config``'s classifier on generated images only, as many (class-balanced) as
    the config's real train split holds, and scores it on ``config.test_split`` (real).
    ``gan_workdir=None`` trains on the real split instead: the ceiling CAS is read against.
    Returns ``{'cas': test accuracy, ...}`` (written to ``{workdir}/cas.json``)."""
    if not config.get('test_split'):
        raise ValueError('CAS is scored on real test images: set config.test_split')
    if (config.get('synthetic') or {}).get('ratio') or (config.get('subset') or {}).get(
            'per_class'):
        raise ValueError('the CAS classifier trains on generated images alone: leave '
                         'config.synthetic.ratio and config.subset.per_class at 0')
    real = data.load(config.dataset, config.train_split, config.get('data_dir') or None)
    train_split = None
    if gan_workdir is not None:
        source = source_from_workdir(gan_workdir, truncation=truncation, seed=config.seed)
        source.check(real.image_shape, real.num_classes)
        writers.say(f'drawing {real.num_examples} images from {gan_workdir}')
        train_split = source.to_split(real.num_examples)
    result = classifier.train_and_evaluate(config, workdir, train_split=train_split)
    if 'stopped_at_step' in result:
        return result
    out = {'cas': result['test']['accuracy'], 'generator': gan_workdir or 'real data',
           'truncation': truncation, 'train_examples': result['train_examples'],
           'steps': result['step'], 'train_wall_s': result['train_wall_s'],
           'eval_split': result['split'], 'eval_accuracy': result['accuracy']}
    writers.write_json(os.path.join(workdir, 'cas.json'), out)
    return out
