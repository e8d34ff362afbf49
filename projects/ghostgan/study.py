"""A GAN study: several G/D pairs and seeds under one budget, each run resumable, each writing
its result file as soon as it finishes.

``run_study(study, pairs, workdir)`` trains pair ``p`` with seed ``s`` in
``{workdir}/{p}_s{s}`` (resuming from its checkpoints) with the study's step budget and
evaluation schedule, then writes ``{workdir}/results/{p}_s{s}.json``: the scores at every
evaluation (FID against step), the final scores, G and D parameters and MACs per image, and
the training time. A run whose result file exists is skipped, so a study spread over several
sessions is continued by running the same command again.
"""
from __future__ import annotations

import glob
import json
import os
import re
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import ml_collections

from ghostjax import data
from ghostjax.ops.counting import model_size
from ghostjax.runtime import provenance
from ghostjax.training import writers
from ghostjax.training.gan.step import check_config, create_models, input_pipeline
from ghostjax.training.gan.trainer import train_and_evaluate
from projects.common import runs as runs_lib

SCORES = ('fid', 'kid_mean', 'is_mean', 'precision', 'recall', 'class_kl', 'num_samples')


def load_pairs(study: ml_collections.ConfigDict) -> dict[str, ml_collections.ConfigDict]:
    """``study.pairs`` (name -> a ``train.gan`` config file) loaded, with the nested values of
    ``study.overrides[name]`` (if any) set on top, e.g. ``{'generator': {'kwargs':
    {'base_features': 16}}}`` for a narrower generator."""
    overrides = study.get('overrides') or {}
    unknown = sorted(set(overrides) - set(study.pairs))
    if unknown:
        raise ValueError(f'study.overrides names pairs {unknown} that study.pairs lacks; pairs: '
                         f'{sorted(study.pairs)}')
    pairs = {}
    for name, path in study.pairs.items():
        config = runs_lib.load_config_file(path)
        _merge(config, overrides.get(name, {}), f'pair {name!r}')
        pairs[name] = config
    return pairs


def _merge(config: ml_collections.ConfigDict, values: Mapping[str, Any], where: str) -> None:
    """Sets ``values`` into ``config`` recursively; a key the config lacks is an error except in a
    model's ``kwargs`` (constructor arguments the config may leave at their defaults)."""
    for key, value in values.items():
        if key not in config and not where.endswith('.kwargs'):
            raise ValueError(f'study.overrides: {where} has no field {key!r}; it has '
                             f'{sorted(config)}')
        if isinstance(value, (Mapping, ml_collections.ConfigDict)) and isinstance(
                config.get(key), ml_collections.ConfigDict):
            _merge(config[key], value, f'{where}.{key}')
        else:
            config[key] = value


def run_config(pair: ml_collections.ConfigDict, study: ml_collections.ConfigDict,
               seed: int) -> ml_collections.ConfigDict:
    """``pair``'s config with the study's seed, step budget and evaluation schedule."""
    c = ml_collections.ConfigDict(pair.to_dict())
    c.seed = seed
    c.num_train_steps = study.num_train_steps
    c.checkpoint_every_steps = study.eval_every_steps or study.num_train_steps
    c.sample_every_steps = study.eval_every_steps or study.num_train_steps
    c.eval.every_steps = study.eval_every_steps
    c.eval.num_samples = study.eval_num_samples
    c.eval.final_num_samples = study.final_num_samples
    c.eval.extractor_workdir = study.extractor_workdir
    check_config(c)
    return c


def sizes(config: ml_collections.ConfigDict) -> dict[str, int]:
    """Parameters and MACs per image of the config's G and D."""
    split = data.load(config.dataset, config.train_split, config.get('data_dir') or None)
    _, shape = input_pipeline(config, split)
    g, d = create_models(config, shape[0], shape[-1], split.num_classes)
    labels = {'labels': jnp.zeros((1,), jnp.int32)} if config.conditional else {}
    g_size = model_size(g, (1, g.z_dim), **labels)
    d_size = model_size(d, (1, *shape), **labels)
    return {'g_params': g_size['params'], 'g_macs': g_size['macs'],
            'd_params': d_size['params'], 'd_macs': d_size['macs']}


def extractor_accuracy(workdir: str) -> float | None:
    """The test accuracy the extractor's ``train.classifier`` run recorded, which names it."""
    path = os.path.join(workdir, 'eval.json')
    if not workdir or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f).get('accuracy')


def history(workdir: str) -> list[dict[str, Any]]:
    """The scores of every ``eval_step_*.json`` of a run, by step."""
    points = []
    for path in glob.glob(os.path.join(workdir, 'eval_step_*.json')):
        with open(path) as f:
            scores = json.load(f)
        points.append({'step': int(re.findall(r'\d+', os.path.basename(path))[0]),
                       **{k: scores[k] for k in SCORES if k in scores}})
    return sorted(points, key=lambda p: p['step'])


def run_study(study: ml_collections.ConfigDict, pairs: Mapping[str, ml_collections.ConfigDict],
              workdir: str, max_runs: int | None = None) -> list[str]:
    """Trains every (pair, seed) of ``study.seeds`` not yet done, or the first ``max_runs`` of
    them; returns the result paths of all runs, done or not. Between runs the memory the
    allocator kept is released (``runs.pending``), so the process does not grow run by run.
    """
    unknown = sorted(set(study.seeds) - set(pairs))
    if unknown:
        raise ValueError(f'study.seeds names pairs {unknown} that study.pairs lacks; pairs: '
                         f'{sorted(pairs)}')
    # Seed-major: one seed of every pair first, so a study cut short still compares all pairs.
    seeds = {name: tuple(study.seeds.get(name, (0,))) for name in pairs}
    runs = [(name, seed) for rank in range(max(map(len, seeds.values())))
            for name in pairs if rank < len(seeds[name]) for seed in [seeds[name][rank]]]
    configs = {(n, s): run_config(pairs[n], study, s) for n, s in runs}  # all checked first
    paths = [os.path.join(workdir, 'results', f'{name}_s{seed}.json') for name, seed in runs]
    for i in runs_lib.pending([(f'{n} seed {s}', p) for (n, s), p in zip(runs, paths)], max_runs):
        (name, seed), path = runs[i], paths[i]
        config = configs[name, seed]
        run_dir = os.path.join(workdir, f'{name}_s{seed}')
        result = train_and_evaluate(config, run_dir)
        if 'stopped_at_step' in result:
            writers.say(f'stopped at step {result["stopped_at_step"]}; run the study again to '
                        'resume')
            break
        if jax.process_index() == 0:
            provenance.write_result(path, {
                'pair': name, 'seed': seed, 'steps': config.num_train_steps,
                'batch_size': config.batch_size, 'generator': config.generator.to_dict(),
                'discriminator': config.discriminator.to_dict(), 'loss': config.loss,
                'diffaugment': config.diffaugment, 'eval_split': config.get('eval_split', 'test'),
                'extractor': study.extractor_workdir,
                'extractor_accuracy': extractor_accuracy(study.extractor_workdir),
                'final': {k: result[k] for k in SCORES if k in result},
                'history': history(run_dir), 'train_wall_s_last_session': result['train_wall_s'],
                'resumed_from_step': result['start_step'],
                **sizes(config)}, config=config)
            writers.say(f'{name} seed {seed} -> {path}')
    return paths
