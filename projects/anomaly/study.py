"""The one-class anomaly-detection study: every (normal class, seed) of a config, resumable.

Each run trains the normal class's GAN, its encoder and every scorer of
``ghostjax.applications.anomaly``, then writes ``{workdir}/results/anomaly_c{c}_s{seed}.json``;
a finished run is skipped, so a study spread over sessions continues by running the same
command again.
"""
from __future__ import annotations

import os
from typing import Any

import jax
import ml_collections
import numpy as np

from ghostjax import data
from ghostjax.applications import anomaly
from ghostjax.data import subsets
from ghostjax.metrics import anomaly as metrics
from ghostjax.runtime import provenance
from ghostjax.training import gan as gan_lib
from ghostjax.training import writers
from projects.common import runs as runs_lib


def check_config(config: ml_collections.ConfigDict, test: data.Split) -> None:
    """Raises ValueError for bad values before anything trains or compiles."""
    unknown = sorted(set(config.scorers) - set(anomaly.SCORERS))
    if unknown or not config.scorers:
        raise ValueError(f'unknown scorers {unknown or "(none given)"}; expected some of '
                         f'{anomaly.SCORERS}')
    for c in (*config.normal_classes, *config.more_seeds.classes):
        if not 0 <= c < test.num_classes:
            raise ValueError(f'normal class {c} is not a label of {test.name} (0 .. '
                             f'{test.num_classes - 1})')
        normal = int(np.sum(test.labels == c))
        if normal in (0, test.num_examples):
            raise ValueError(f'the {test.split} split must hold normal and anomalous images; '
                             f'for class {c} it has {normal} normal of {test.num_examples}')
    if runs_lib.load_config_file(config.gan).conditional:
        raise ValueError(f'{config.gan} trains a conditional GAN; a one-class GAN has no '
                         'labels to condition on')
    for k in ('steps', 'batch_size', 'knn_k'):
        value = config.encoder[k] if k != 'knn_k' else config.knn_k
        if value < 1:
            raise ValueError(f'{k} must be >= 1, got {value}')


# --------------------------------------------------------------------------- the encoder


def gan_config(config: ml_collections.ConfigDict, normal: int, seed: int
               ) -> ml_collections.ConfigDict:
    c = runs_lib.load_config_file(config.gan)
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
    trained = anomaly.train_encoder(config, gan_dir, train, os.path.join(workdir, 'encoder'), seed)
    if trained is None:
        return None
    encoder, e_vars, gan, e_seconds = trained
    scores, cost = anomaly.score(config, encoder, e_vars, gan, train, test)
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
    paths = [os.path.join(workdir, 'results', f'anomaly_c{c}_s{s}.json') for c, s in todo]
    for i in runs_lib.pending([(f'normal class {c}, seed {s}', p) for (c, s), p in zip(todo, paths)]):
        (normal, seed), path = todo[i], paths[i]
        result = run_one(config, normal, seed, os.path.join(workdir, f'c{normal}_s{seed}'),
                         test)
        if result is None:
            writers.say('stopped; run the study again to resume')
            break
        if jax.process_index() == 0:
            provenance.write_result(path, result, config=config)
            aurocs = ', '.join(f'{k} {v["auroc"]:.3f}' for k, v in result['scorers'].items())
            writers.say(f'class {normal} seed {seed}: AUROC {aurocs} -> {path}')
    return paths
