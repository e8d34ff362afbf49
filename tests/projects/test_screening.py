"""The Ghost-GAN recipe screening: every recipe on every pair, the pairs under one recipe equal
in everything but their models, FID against the training split, a pair's recipe chosen only
once all its recipes have run."""
import json

import pytest

from projects.common import tables
from projects.ghostgan import recipes
from projects.ghostgan import report as ghostgan_report
from projects.ghostgan.configs import screening
from projects.ghostgan.study import load_pairs, run_config


@pytest.fixture(scope='module')
def runs():
    study = screening.get_config()
    return study, {name: run_config(config, study, 0)
                   for name, config in load_pairs(study).items()}


def test_every_recipe_on_every_pair_recipe_major(runs):
    study, configs = runs
    names = list(configs)
    assert len(names) == len(recipes.RECIPES) * len(recipes.PAIRS) == 20
    assert [recipes.split_name(n)[1] for n in names[:5]] == ['a'] * 5
    for name, c in configs.items():
        assert (c.num_train_steps, c.seed, c.eval_split, c.eval.num_samples) == (
            2000, 0, 'train', 5000), name


def test_pairs_under_one_recipe_differ_in_their_models_alone(runs):
    _, configs = runs
    for recipe in recipes.RECIPES:
        rest = [{k: v for k, v in c.to_dict().items() if k not in ('generator', 'discriminator')}
                for name, c in configs.items() if recipes.split_name(name)[1] == recipe]
        assert all(r == rest[0] for r in rest), recipe


def test_recipes_set_what_they_name(runs):
    _, c = runs
    a, d = c['a__ghost_g_ghost_d'], c['d__ghost_g_ghost_d']
    assert (a.loss, a.d_learning_rate, a.b1, a.diffaugment) == ('ns', 2e-4, 0.5, '')
    assert a.discriminator.to_dict() == {'name': 'ghost', 'kwargs': {'spectral_norm': False}}
    assert (d.loss, d.d_learning_rate, d.g_learning_rate, d.b1, d.b2, d.diffaugment) == (
        'hinge', 4e-4, 1e-4, 0.0, 0.9, 'translation')
    assert d.discriminator.kwargs.to_dict() == {'spectral_norm': True, 'depthwise_sn': 'per_filter'}
    b = c['b__dcgan28_g_dcgan28_d']
    assert b.discriminator.to_dict() == {'name': 'dcgan28', 'kwargs': {'spectral_norm': True}}
    assert b.generator.name == 'dcgan28' and c['c__ghost_g_ghostnet_d'].generator.name == 'ghost'
    assert c['c__dcgan28_g_ghost_d'].discriminator.name == 'ghost'


def test_unknown_recipe_or_discriminator_is_named():
    with pytest.raises(ValueError, match=r"unknown recipe 'e'; expected one of \['a', 'b', 'c', 'd'\]"):
        recipes.overrides('e', 'ghost_d')
    with pytest.raises(ValueError, match=r"unknown discriminator 'ghost'; expected one of"):
        recipes.overrides('a', 'ghost')
    with pytest.raises(ValueError, match="'ghost_g_ghost_d' is no screening run name"):
        recipes.split_name('ghost_g_ghost_d')
    assert recipes.split_name('c__ghost_g_ghost_d') == ('ghost_g_ghost_d', 'c')


def _record(name, fid):
    return {'command': 'python -m projects.ghostgan.main', 'machine': 'cpu', 'jax': '0',
            'date': 'd', 'result': {'pair': name, 'seed': 0, 'steps': 2000, 'batch_size': 64,
                                    'eval_split': 'train', 'extractor': 'assets/x',
                                    'final': {'fid': fid, 'recall': 0.5, 'num_samples': 5000}}}


def test_a_pair_gets_its_lowest_fid_recipe_once_every_recipe_ran(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    assert 'No screening run has finished yet' in ghostgan_report.ghostgan_screening()
    out = tmp_path / 'results' / 'ghostgan_screening'
    out.mkdir(parents=True)
    fids = {'ghost_g_ghost_d': {'a': 40.0, 'b': 35.5, 'c': 30.25, 'd': 33.0},
            'dcgan28_g_dcgan28_d': {'a': 12.0, 'b': 14.0}}
    for pair, by_recipe in fids.items():
        for recipe, fid in by_recipe.items():
            name = f'{recipe}__{pair}'
            (out / f'{name}_s0.json').write_text(json.dumps(_record(name, fid)))
    assert ghostgan_report.chosen_recipes() == {'ghost_g_ghost_d': 'c'}
    table = ghostgan_report.ghostgan_screening()
    assert ('| Ghost G + Ghost D | 40.0 (0.50) | 35.5 (0.50) | **30.2** (0.50) | 33.0 (0.50) '
            '| c |') in table
    assert ('| DCGAN-28 G + DCGAN-28 D | 12.0 (0.50) | 14.0 (0.50) | - | - '
            '| pending (2 of 4 recipes run) |') in table
    assert "against the train split's statistics" in table
