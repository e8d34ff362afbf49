"""GAN data augmentation for a classifier, and the Classification Accuracy Score (CAS).

* ``source_from_workdir`` turns a class-conditional ``train.gan`` run into a labelled
  ``SyntheticSource`` (EMA weights, optional truncation); ``source_from_config`` does so for a
  classifier config's ``synthetic`` block, which ``train.classifier`` mixes into its batches.
* ``classification_accuracy_score`` (Ravuri & Vinyals, NeurIPS 2019): a classifier trained on
  generated images only, as many as the real train split holds, tested on real images.
* ``run_study``: for each labelled-subset size N and seed, a conditional GAN trained on the
  subset alone, then the same classifier on real data only and on real + synthetic for every
  (ratio, truncation) of a grid; the arm is chosen on the subset's validation part, and the
  test accuracies of the real-only and chosen arms are written to
  ``{results_dir}/augment_n{N}_s{seed}.json``. A finished (N, seed) is skipped, so a study
  spread over sessions continues by running the same command again.
"""
from __future__ import annotations

import os
from typing import Any

import jax
import ml_collections

from ghostjax import data
from ghostjax.data.synthetic import SyntheticSource
from ghostjax.runtime import provenance
from ghostjax.training import classifier
from ghostjax.training import gan as gan_lib
from ghostjax.training import writers
from ghostjax.training import loop


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


def _truncation(value: float) -> float | None:
    """A config's truncation: 0 means none."""
    if value < 0:
        raise ValueError(f'synthetic.truncation must be >= 0 (0: no truncation), got {value}')
    return value or None


def source_from_config(config: ml_collections.ConfigDict) -> SyntheticSource | None:
    """The generator a classifier config's ``synthetic`` block asks for (None when its ratio is
    0), its images standardised like the config's real ones."""
    spec = config.get('synthetic') or {}
    classifier.check_config(config, devices=1)
    if not spec.get('ratio', 0.0):
        return None
    if not spec.get('gan_workdir'):
        raise ValueError(f'synthetic.ratio={spec["ratio"]} needs synthetic.gan_workdir (a '
                         'class-conditional train.gan run)')
    pre = data.Preprocess.for_classifier(config.dataset, train=False, **config.get('input', {}))
    return source_from_workdir(spec['gan_workdir'], truncation=_truncation(spec.get(
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


# --------------------------------------------------------------------------- the study


def arms(study: ml_collections.ConfigDict) -> dict[str, tuple[float, float]]:
    """name -> (ratio, truncation; 0 = none) of every real + synthetic arm of the grid."""
    out = {}
    for ratio in study.ratios:
        if not 0 < ratio < 1:
            raise ValueError(f'study.ratios must lie in (0, 1), got {ratio}')
        for trunc in study.truncations:
            _truncation(trunc)
            out[f'r{ratio:g}_t{trunc:g}'] = (ratio, trunc)
    return out


def gan_config(study: ml_collections.ConfigDict, per_class: int, seed: int
               ) -> ml_collections.ConfigDict:
    c = loop.load_config_file(study.gan)
    if not c.conditional:
        raise ValueError(f'study.gan {study.gan!r} trains an unconditional GAN; augmentation '
                         'needs labelled images (config.conditional=True)')
    c.seed = seed
    c.subset = ml_collections.ConfigDict({'per_class': per_class, 'seed': seed,
                                          'val_fraction': study.val_fraction})
    gan_lib.check_config(c)
    return c


def classifier_config(study: ml_collections.ConfigDict, per_class: int, seed: int,
                      gan_workdir: str = '', ratio: float = 0.0, truncation: float = 0.0
                      ) -> ml_collections.ConfigDict:
    c = loop.load_config_file(study.classifier)
    c.seed = seed
    c.eval_split, c.test_split = 'validation', study.test_split
    c.subset = ml_collections.ConfigDict({'per_class': per_class, 'seed': seed,
                                          'val_fraction': study.val_fraction})
    c.synthetic = ml_collections.ConfigDict({'gan_workdir': gan_workdir, 'ratio': ratio,
                                             'truncation': truncation, 'seed': seed})
    classifier.check_config(c, devices=1)
    return c


def run_study(study: ml_collections.ConfigDict, workdir: str) -> list[str]:
    """Runs every (N, seed) of the study not yet done; returns the result paths."""
    grid = arms(study)
    for per_class in study.per_class:  # every config checked before anything trains
        for seed in study.seeds:
            gan_config(study, per_class, seed)
            classifier_config(study, per_class, seed)
    todo = [(n, s) for n in study.per_class for s in study.seeds]
    paths = [os.path.join(study.results_dir, f'augment_n{n}_s{s}.json') for n, s in todo]
    for i in loop.pending([(f'N={n} per class, seed {s}', p) for (n, s), p in zip(todo, paths)]):
        (per_class, seed), path = todo[i], paths[i]
        name = f'augment_n{per_class}_s{seed}'
        run_dir = os.path.join(workdir, name)
        gan_dir = os.path.join(run_dir, 'gan')
        gan_result = gan_lib.train_and_evaluate(gan_config(study, per_class, seed), gan_dir)
        if 'stopped_at_step' in gan_result:
            return paths
        scores = {}
        for arm, (ratio, trunc) in {'real': (0.0, 0.0), **grid}.items():
            writers.say(f'classifier {arm}')
            config = classifier_config(study, per_class, seed, gan_dir if ratio else '', ratio,
                                       trunc)
            result = classifier.train_and_evaluate(config, os.path.join(run_dir, arm),
                                                   synthetic=source_from_config(config))
            if 'stopped_at_step' in result:
                return paths
            scores[arm] = {'ratio': ratio, 'truncation': trunc,
                           'validation_accuracy': result['accuracy'],
                           'test_accuracy': result['test']['accuracy'],
                           'train_wall_s': result['train_wall_s']}
        chosen = max(grid, key=lambda a: scores[a]['validation_accuracy'])
        if jax.process_index() == 0:
            provenance.write_result(path, {
                'per_class': per_class, 'seed': seed, 'val_fraction': study.val_fraction,
                'train_examples': gan_result['train_examples'],
                'classifier': study.classifier, 'gan': study.gan,
                'gan_steps': gan_result['step'], 'gan_train_wall_s': gan_result['train_wall_s'],
                'arms': scores, 'chosen': chosen,
                'real_test_accuracy': scores['real']['test_accuracy'],
                'augmented_test_accuracy': scores[chosen]['test_accuracy'],
                'gain': scores[chosen]['test_accuracy'] - scores['real']['test_accuracy']})
            writers.say(f'N={per_class} seed {seed} -> {path}')
    return paths


def run_cas(study: ml_collections.ConfigDict, workdir: str) -> list[str]:
    """The CAS of every generator in ``study.cas.gans`` (name -> a conditional ``train.gan``
    config, trained on the full train split) and the real-data ceiling, same classifier."""
    entries = {'real': None, **study.cas.gans}
    for name, gan_path in entries.items():  # every GAN config checked before anything trains
        if gan_path is not None and not loop.load_config_file(gan_path).conditional:
            raise ValueError(f'study.cas.gans[{name!r}] = {gan_path!r} trains an unconditional '
                             'GAN; CAS needs a class-conditional generator')
    todo = [(name, seed) for name in entries for seed in study.cas.seeds]
    paths = [os.path.join(study.results_dir, f'cas_{n}_s{s}.json') for n, s in todo]
    for i in loop.pending([(f'CAS {n} seed {s}', p) for (n, s), p in zip(todo, paths)]):
        (name, seed), path, gan_path = todo[i], paths[i], entries[todo[i][0]]
        gan_dir = None
        config = loop.load_config_file(study.cas.classifier)
        config.seed, config.test_split = seed, study.test_split
        if gan_path is not None:
            g_config = loop.load_config_file(gan_path)
            g_config.seed = seed
            gan_dir = os.path.join(workdir, f'cas_{name}_s{seed}', 'gan')
            writers.say('GAN')
            if 'stopped_at_step' in gan_lib.train_and_evaluate(g_config, gan_dir):
                return paths
        writers.say('classifier')
        result = classification_accuracy_score(
            gan_dir, config, os.path.join(workdir, f'cas_{name}_s{seed}', 'classifier'))
        if 'stopped_at_step' in result:
            return paths
        if jax.process_index() == 0:
            provenance.write_result(path, {'name': name, 'seed': seed, 'gan': gan_path,
                                           'classifier': study.cas.classifier, **result})
            writers.say(f'CAS {name} seed {seed} -> {path}')
    return paths
