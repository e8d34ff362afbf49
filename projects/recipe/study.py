"""The recipe study: the same classifier under one budget with a few recipe changes (arms),
trained on the train split less a held-out validation part and compared there.

``run_study(study, workdir)`` trains each arm in ``{workdir}/{arm}`` (resuming from its
checkpoints) and writes ``{workdir}/results/{arm}.json`` (validation accuracy and loss, the
arm's settings, training time) when it finishes; a finished arm is skipped.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import jax
import ml_collections

from ghostjax.runtime import provenance
from ghostjax.training import classifier
from projects.common import runs as runs_lib


def arm_config(study: ml_collections.ConfigDict, arm: str) -> ml_collections.ConfigDict:
    """The classifier config of ``arm``: its values set on the study's classifier, trained on
    ``per_class`` images of each class of the train split less ``val_fraction`` of them,
    evaluated on that held-out part."""
    if arm not in study.arms:
        raise ValueError(f'no arm {arm!r}; the study has {sorted(study.arms)}')
    c = runs_lib.load_config_file(study.classifier)
    _set(c, study.arms[arm], f'arm {arm!r}')
    c.seed = study.seed
    c.subset = ml_collections.ConfigDict({'per_class': study.per_class, 'seed': study.seed,
                                          'val_fraction': study.val_fraction})
    c.eval_split, c.test_split = 'validation', ''  # the test split is not read
    classifier.check_config(c, devices=1)
    return c


def _set(config: ml_collections.ConfigDict, values: Mapping[str, Any], where: str) -> None:
    for key, value in values.items():
        if key not in config:
            raise ValueError(f'{where} sets {key!r}, which the classifier config lacks; it has '
                             f'{sorted(config)}')
        if isinstance(value, (Mapping, ml_collections.ConfigDict)):  # merged, not replaced
            _set(config[key], value, f'{where}.{key}')
        else:
            config[key] = value


def run_study(study: ml_collections.ConfigDict, workdir: str,
              max_runs: int | None = None) -> list[str]:
    """Trains every arm not yet done (or the first ``max_runs``); returns every arm's result
    path, done or not."""
    names = list(study.order)
    if sorted(names) != sorted(study.arms):
        raise ValueError(f'study.order {names} must list each of study.arms {sorted(study.arms)} '
                         'once')
    configs = {arm: arm_config(study, arm) for arm in names}  # all checked before training
    paths = [os.path.join(workdir, 'results', f'{arm}.json') for arm in names]
    for i in runs_lib.pending(list(zip(names, paths)), max_runs):
        arm = names[i]
        result = classifier.train_and_evaluate(configs[arm], os.path.join(workdir, arm))
        if 'stopped_at_step' in result:
            break
        if jax.process_index() == 0:
            provenance.write_result(paths[i], {
                'arm': arm, 'settings': study.arms[arm].to_dict(),
                'classifier': study.classifier, 'val_fraction': study.val_fraction,
                'seed': study.seed, 'validation_accuracy': result['accuracy'],
                'validation_loss': result['loss'], 'validation_examples': result['examples'],
                'train_examples': result['train_examples'], 'steps': result['step'],
                'train_wall_s': result['train_wall_s']}, config=configs[arm])
    return paths
