"""The recipe study: arms set on the classifier, trained on train less validation, compared on
validation, resumable; the table picks the arm best on validation."""
import json

import pytest

from ghostjax.training import classifier
from projects.common import runs as runs_lib
from projects.common import tables
from projects.recipe import report
from projects.recipe import study as recipe_study


def study_config(**arms):
    s = runs_lib.load_config_file('projects/recipe/configs/study.py')
    if arms:
        s.arms = arms
        s.order = tuple(arms)
    return s


def test_every_arm_trains_on_train_less_validation_and_never_reads_test():
    s = study_config()
    assert s.order[0] == 'flips' and not s.arms['flips']  # the shipped recipe, unchanged
    for arm in s.order:
        c = recipe_study.arm_config(s, arm)
        assert (c.train_split, c.eval_split, c.test_split) == ('train', 'validation', '')
        assert (c.subset.per_class, c.subset.val_fraction) == (6000, 0.1)
    c = recipe_study.arm_config(s, 'flips_crops_ls')
    assert (c.input.crop_padding, c.label_smoothing) == (2, 0.1)
    merged = recipe_study.arm_config(study_config(m={'model': {'dropout': 0.1}}), 'm')
    assert (merged.model.dropout, merged.model.width) == (0.1, 1.0)  # the rest of model kept
    shipped = runs_lib.load_config_file(s.classifier)
    assert recipe_study.arm_config(s, 'flips').num_epochs == shipped.num_epochs


def test_bad_arms_are_refused():
    with pytest.raises(ValueError, match="arm 'x' sets 'learning_rat'"):
        recipe_study.arm_config(study_config(x={'learning_rat': 0.2}), 'x')
    with pytest.raises(ValueError, match="no arm 'y'"):
        recipe_study.arm_config(study_config(), 'y')
    s = study_config()
    s.order = ('flips',)
    with pytest.raises(ValueError, match='must list each of study.arms'):
        recipe_study.run_study(s, '/nonexistent')


def test_study_writes_each_arm_and_resumes(tmp_path, monkeypatch):
    seen = []

    def fake_train(config, workdir):  # the trainer itself is tested in tests/training
        seen.append((config.label_smoothing, config.eval_split))
        return {'accuracy': 0.9 + config.label_smoothing, 'loss': 0.3, 'examples': 6000,
                'train_examples': 54000, 'step': 2526, 'train_wall_s': 1.0}

    monkeypatch.setattr(classifier, 'train_and_evaluate', fake_train)
    s = study_config(a={}, b={'label_smoothing': 0.05})
    workdir = tmp_path / 'runs'
    paths = recipe_study.run_study(s, str(workdir), max_runs=1)
    assert seen == [(0.0, 'validation')]
    assert json.load(open(paths[0]))['result']['validation_accuracy'] == 0.9
    recipe_study.run_study(s, str(workdir))
    assert seen == [(0.0, 'validation'), (0.05, 'validation')]  # arm a was not run again
    (tmp_path / 'results').mkdir()  # published, as benchmarks.publish would
    (workdir / 'results').rename(tmp_path / 'results' / 'recipe')
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    table = report.recipe()
    assert '| b | flips, label smoothing 0.05 | 95.00 |' in table
    assert 'Best on validation: b (2 of the 4 arms run)' in table  # 'a' is not the shipped arm


def test_no_arm_no_table(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    assert 'No recipe arm has finished yet' in report.recipe()


def test_the_table_says_by_how_much_an_arm_beats_the_shipped_recipe(tmp_path, monkeypatch):
    (tmp_path / 'results' / 'recipe').mkdir(parents=True)
    for arm, acc in (('flips', 0.90), ('flips_ls', 0.92)):
        record = {'command': 'c', 'date': 'd', 'machine': 'm', 'jax': '0', 'result': {
            'arm': arm, 'settings': {'label_smoothing': 0.1} if arm == 'flips_ls' else {},
            'classifier': 'configs/ghostnet_fashion_mnist.py', 'val_fraction': 0.1, 'seed': 0,
            'validation_accuracy': acc, 'validation_loss': 0.3, 'validation_examples': 6000,
            'train_examples': 54000, 'steps': 2526, 'train_wall_s': 1.0}}
        (tmp_path / 'results' / 'recipe' / f'{arm}.json').write_text(json.dumps(record))
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    table = report.recipe()
    assert '| flips_ls | flips, label smoothing 0.1 | 92.00 | 0.3000 |' in table
    assert 'Best on validation: flips_ls, 2.00 points above the shipped flips (2 of the 4' in table
