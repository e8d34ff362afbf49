"""The GAN-augmentation study and the Classification Accuracy Score, resumable.

* ``run_study``: for each labelled-subset size N and seed, a conditional GAN trained on the
  subset alone, then the same classifier on real data only and on real + synthetic for every
  (ratio, truncation) of a grid; the arm is chosen on the subset's validation part, and the
  test accuracies of the real-only and chosen arms are written to
  ``{workdir}/results/augment_n{N}_s{seed}.json``.
* ``run_cas``: the CAS of each conditional GAN of ``study.cas.gans`` and the real-data ceiling,
  ``{workdir}/results/cas_{name}_s{seed}.json``.

A finished run is skipped, so a study spread over sessions continues by running the same
command again.
"""
from __future__ import annotations

import os

import jax
import ml_collections

from ghostjax.applications import augment
from ghostjax.runtime import provenance
from ghostjax.training import classifier
from ghostjax.training import gan as gan_lib
from ghostjax.training import writers
from projects.common import runs as runs_lib


def arms(study: ml_collections.ConfigDict) -> dict[str, tuple[float, float]]:
    """name -> (ratio, truncation; 0 = none) of every real + synthetic arm of the grid."""
    out = {}
    for ratio in study.ratios:
        if not 0 < ratio < 1:
            raise ValueError(f'study.ratios must lie in (0, 1), got {ratio}')
        for trunc in study.truncations:
            augment.parse_truncation(trunc)
            out[f'r{ratio:g}_t{trunc:g}'] = (ratio, trunc)
    return out


def gan_config(study: ml_collections.ConfigDict, per_class: int, seed: int
               ) -> ml_collections.ConfigDict:
    c = runs_lib.load_config_file(study.gan)
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
    c = runs_lib.load_config_file(study.classifier)
    c.seed = seed
    c.eval_split, c.test_split = 'validation', study.test_split
    c.subset = ml_collections.ConfigDict({'per_class': per_class, 'seed': seed,
                                          'val_fraction': study.val_fraction})
    c.synthetic = ml_collections.ConfigDict({'gan_workdir': gan_workdir, 'ratio': ratio,
                                             'truncation': truncation, 'seed': seed})
    classifier.check_config(c, devices=1, added_rows=augment.synthetic_rows(c))
    return c


def run_study(study: ml_collections.ConfigDict, workdir: str) -> list[str]:
    """Runs every (N, seed) of the study not yet done; returns the result paths."""
    grid = arms(study)
    for per_class in study.per_class:  # every config checked before anything trains
        for seed in study.seeds:
            gan_config(study, per_class, seed)
            classifier_config(study, per_class, seed)
    todo = [(n, s) for n in study.per_class for s in study.seeds]
    paths = [os.path.join(workdir, 'results', f'augment_n{n}_s{s}.json') for n, s in todo]
    for i in runs_lib.pending([(f'N={n} per class, seed {s}', p) for (n, s), p in zip(todo, paths)]):
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
                                                   augment.extension_from_config(config))
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
                'gain': scores[chosen]['test_accuracy'] - scores['real']['test_accuracy']},
                config=study)
            writers.say(f'N={per_class} seed {seed} -> {path}')
    return paths


def run_cas(study: ml_collections.ConfigDict, workdir: str) -> list[str]:
    """The CAS of every generator in ``study.cas.gans`` (name -> a conditional ``train.gan``
    config, trained on the full train split) and the real-data ceiling, same classifier."""
    entries = {'real': None, **study.cas.gans}
    for name, gan_path in entries.items():  # every GAN config checked before anything trains
        if gan_path is not None and not runs_lib.load_config_file(gan_path).conditional:
            raise ValueError(f'study.cas.gans[{name!r}] = {gan_path!r} trains an unconditional '
                             'GAN; CAS needs a class-conditional generator')
    todo = [(name, seed) for name in entries for seed in study.cas.seeds]
    paths = [os.path.join(workdir, 'results', f'cas_{n}_s{s}.json') for n, s in todo]
    for i in runs_lib.pending([(f'CAS {n} seed {s}', p) for (n, s), p in zip(todo, paths)]):
        (name, seed), path, gan_path = todo[i], paths[i], entries[todo[i][0]]
        gan_dir = None
        config = runs_lib.load_config_file(study.cas.classifier)
        config.seed, config.test_split = seed, study.test_split
        if gan_path is not None:
            g_config = runs_lib.load_config_file(gan_path)
            g_config.seed = seed
            gan_dir = os.path.join(workdir, f'cas_{name}_s{seed}', 'gan')
            writers.say('GAN')
            if 'stopped_at_step' in gan_lib.train_and_evaluate(g_config, gan_dir):
                return paths
        writers.say('classifier')
        result = augment.classification_accuracy_score(
            gan_dir, config, os.path.join(workdir, f'cas_{name}_s{seed}', 'classifier'))
        if 'stopped_at_step' in result:
            return paths
        if jax.process_index() == 0:
            provenance.write_result(path, {'name': name, 'seed': seed, 'gan': gan_path,
                                           'classifier': study.cas.classifier, **result},
                                    config=study)
            writers.say(f'CAS {name} seed {seed} -> {path}')
    return paths
