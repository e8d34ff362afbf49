"""GAN studies: every (pair, seed) run once, its result file written as it finishes."""
import json
import os
import runpy

import ml_collections
import pytest

from projects.ghostgan.study import run_config, run_study
from tests.helpers import ROOT, needs_fmnist, tiny_gan_config


def _study(tmp_path, **kw):
    c = ml_collections.ConfigDict({
        'seeds': {'mlp_d': (0, 1), 'ghost_d': (0,)}, 'num_train_steps': 4, 'eval_every_steps': 2,
        'eval_num_samples': 100, 'final_num_samples': 200, 'extractor_workdir': '',})
    c.update(kw)
    return c


PAIRS = {'mlp_d': tiny_gan_config(),
         'ghost_d': tiny_gan_config(discriminator=ml_collections.ConfigDict(
             {'name': 'ghost', 'kwargs': {'base_features': 8, 'spectral_norm': True}}),
             loss='hinge', diffaugment='translation')}


@needs_fmnist
def test_study_writes_one_result_per_run_and_skips_finished_ones(tmp_path, capsys):
    paths = run_study(_study(tmp_path), PAIRS, str(tmp_path / 'runs'), max_runs=1)
    assert [os.path.exists(p) for p in paths] == [True, False, False]
    assert 'stopping after 1 run(s) (max_runs); 2 left' in capsys.readouterr().out
    assert run_study(_study(tmp_path), PAIRS, str(tmp_path / 'runs')) == paths
    # seed-major: every pair's first seed before any pair's second
    assert [os.path.basename(p) for p in paths] == ['mlp_d_s0.json', 'ghost_d_s0.json',
                                                    'mlp_d_s1.json']
    result = json.load(open(paths[1]))
    assert result['command'] and result['machine']
    r = result['result']
    assert (r['pair'], r['seed'], r['steps'], r['loss']) == ('ghost_d', 0, 4, 'hinge')
    assert r['discriminator']['name'] == 'ghost' and r['diffaugment'] == 'translation'
    assert min(r['g_params'], r['g_macs'], r['d_params'], r['d_macs']) > 0
    assert r['history'] == [] and r['final'] == {}  # no extractor: nothing scored
    mtimes = [os.path.getmtime(p) for p in paths]
    capsys.readouterr()
    assert run_study(_study(tmp_path), PAIRS, str(tmp_path / 'runs')) == paths
    assert [os.path.getmtime(p) for p in paths] == mtimes
    assert capsys.readouterr().out.count(': done (') == 3


def test_bad_study_fails_before_training(tmp_path):
    with pytest.raises(ValueError, match='max_runs must be at least 1.*got 0'):
        run_study(_study(tmp_path), PAIRS, str(tmp_path / 'runs'), max_runs=0)
    with pytest.raises(ValueError, match=r"study.seeds names pairs \['dcgan'\]"):
        run_study(_study(tmp_path, seeds={'dcgan': (0,)}), PAIRS, str(tmp_path / 'runs'))
    with pytest.raises(ValueError, match="unknown DiffAugment operation 'zoom'"):
        run_study(_study(tmp_path), {**PAIRS, 'mlp_d': tiny_gan_config(diffaugment='zoom')},
                  str(tmp_path / 'runs'))
    assert not os.path.exists(tmp_path / 'runs') and not os.path.exists(tmp_path / 'results')


def test_the_study_config_names_four_valid_pairs():
    study = runpy.run_path(os.path.join(ROOT, 'projects/ghostgan/configs/study.py'))[
        'get_config']()
    assert len(study.pairs) == 4 and set(study.seeds) == set(study.pairs)
    for name, path in study.pairs.items():
        config = run_config(runpy.run_path(os.path.join(ROOT, path))['get_config'](), study, 1)
        assert (config.seed, config.num_train_steps, config.eval.final_num_samples) == (
            1, 9370, 10000), name
