"""Every results table in README.md, docs/ and the project READMEs is the rendering of its
results/*.json, and the project reports compute what their tables say."""
import json

import numpy as np
import pytest

from benchmarks import report
from projects.anomaly import report as anomaly_report
from projects.common import tables
from projects.ghostgan import report as ghostgan_report
from projects.scenes import report as scenes_report


def test_tables_match_their_result_files():
    for name in report.DOCS:
        path = report.ROOT / name
        text = path.read_text()
        assert report.BLOCK.search(text), f'{name} has no results table'
        assert report.render_doc(name) == text, f'{name}: run python -m benchmarks.report'


def _study_record(pair, seed, fid, is_, recall, g_macs, d_macs):
    final = {'fid': fid, 'kid_mean': 0.01, 'is_mean': is_, 'precision': 0.7, 'recall': recall,
             'class_kl': 0.02, 'num_samples': 10000}
    return {'command': 'python -m projects.ghostgan.main', 'machine': 'cpu', 'jax': '0', 'date': 'd',
            'result': {'pair': pair, 'seed': seed, 'steps': 100, 'batch_size': 64,
                       'final': final, 'history': [], 'g_macs': g_macs, 'd_macs': d_macs,
                       'extractor': 'assets/x', 'extractor_accuracy': 0.875,
                       'train_wall_s_last_session': 600.0}}


def _study_table(tmp_path, monkeypatch, runs):
    """The study table rendered from result files of ``runs`` = [(pair, seed, fid, ...)]."""
    study = tmp_path / 'results' / 'ghostgan_study'
    study.mkdir(parents=True)
    for run in runs:
        (study / f'{run[0]}_s{run[1]}.json').write_text(json.dumps(_study_record(*run)))
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    return ghostgan_report.ghostgan_study()


def test_study_table_reports_mean_std_over_seeds_and_the_targets(tmp_path, monkeypatch):
    table = _study_table(tmp_path, monkeypatch, [
        ('dcgan28', 0, 14.0, 5.0, 0.8, 50e6, 10e6), ('dcgan28', 1, 16.0, 5.0, 0.8, 50e6, 10e6),
        ('ghost_gd', 0, 16.5, 6.5, 0.7, 5e6, 6e6)])
    assert '| DCGAN-28 G + DCGAN-28 D | 2 | 15.0 ± 1.4 |' in table
    assert '| Ghost G + Ghost D | 1 | 16.5 |' in table
    assert '| 11.0M (18%) | - |' in table  # no step-time benchmark yet
    assert "the only all-Ghost pair run so far (Ghost G + Ghost D)" in table
    # 16.5 > 15 + 1.41
    assert "against 16.4, the baseline's mean + one seed-std (2 seeds): missed by 0.1" in table
    assert 'of the baseline\'s (at most 30%): met' in table
    assert 'IS 6.50 (at least 6.0): met' in table and 'recall 0.70 (at least 0.6): met' in table


def test_study_targets_name_the_pairs_compared_and_a_single_seed_baseline(tmp_path, monkeypatch):
    table = _study_table(tmp_path, monkeypatch, [
        ('dcgan28', 0, 14.0, 5.0, 0.8, 50e6, 10e6), ('ghost_gd', 0, 20.0, 4.0, 0.5, 5e6, 6e6),
        ('ghost_g_ghostnet_d', 0, 13.0, 4.0, 0.5, 5e6, 6e6)])
    assert 'the better of the two all-Ghost pairs (Ghost G + GhostNet D)' in table
    assert "FID 13.0 against the baseline's 14.0 (one baseline seed" in table
    assert 'so this verdict is provisional): met' in table
    assert 'seed-std (' not in table.split('Targets')[1]


def test_study_targets_say_by_how_much_and_what_the_best_pairs_reach(tmp_path, monkeypatch):
    table = _study_table(tmp_path, monkeypatch, [
        ('dcgan28', 0, 14.0, 5.0, 0.8, 50e6, 10e6), ('ghost_g', 0, 20.0, 5.5, 0.65, 5e6, 10e6),
        ('ghost_gd', 0, 30.0, 3.0, 0.2, 5e6, 6e6)])
    targets = ghostgan_report.ghostgan_targets()
    assert targets in table  # the README's line is the study table's
    assert 'provisional): missed by 16.0;' in targets
    assert 'IS 3.00 (at least 6.0): missed by 3.00;' in targets
    assert 'recall 0.20 (at least 0.6): missed by 0.40.' in targets
    assert 'the highest IS is 5.50 (Ghost G + DCGAN-28 D)' in targets
    assert 'recall reaches 0.6 for DCGAN-28 G + DCGAN-28 D and Ghost G + DCGAN-28 D.' in targets


def test_study_figures_are_drawn_from_the_result_files(tmp_path, monkeypatch):
    pytest.importorskip('matplotlib')
    from projects.ghostgan import figures
    for directory, runs in (('ghostgan_study', [('dcgan28', 0), ('dcgan28', 1), ('ghost_g', 0)]),
                            ('ghostgan_widths', [('ghost_g_w16', 0)])):
        (tmp_path / 'results' / directory).mkdir(parents=True)
        for pair, seed in runs:
            record = _study_record(pair, seed, 20.0, 4.0, 0.5, 5e6, 6e6)
            record['result']['history'] = [{'step': s, 'fid': 60.0 / (s / 1000) + seed}
                                           for s in (1000, 2000, 3000)]
            record['result']['generator'] = {'name': 'ghost', 'kwargs': {'base_features': 16}}
            (tmp_path / 'results' / directory / f'{pair}_s{seed}.json').write_text(
                json.dumps(record))
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    for draw in (figures.fid_vs_step, figures.compute_quality):
        path = tmp_path / f'{draw.__name__}.png'
        draw(str(path))
        assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_sweep_table_compares_generators_at_the_sweep_step_by_macs(tmp_path, monkeypatch):
    def write(directory, pair, g_macs, width, fid_at_3000):
        record = _study_record(pair, 0, 10.0, 4.0, 0.5, g_macs, 10e6)
        scores = {'kid_mean': 0.02, 'is_mean': 3.0, 'precision': 0.7, 'recall': 0.4,
                  'num_samples': 5000}
        record['result']['history'] = [{'step': 1000, 'fid': 99.0, **scores},
                                       {'step': 3000, 'fid': fid_at_3000, **scores}]
        record['result'].update(g_params=int(g_macs / 100),
                                generator={'name': 'ghost', 'kwargs': {'base_features': width}})
        (tmp_path / 'results' / directory).mkdir(parents=True, exist_ok=True)
        (tmp_path / 'results' / directory / f'{pair}_s0.json').write_text(json.dumps(record))

    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    write('ghostgan_study', 'dcgan28', 40e6, 0, 25.0)
    write('ghostgan_study', 'ghost_g', 10e6, 32, 35.0)
    assert 'no finished run' in ghostgan_report.ghostgan_widths()
    write('ghostgan_widths', 'ghost_g_w16', 2e6, 16, 45.0)
    lines = [line for line in ghostgan_report.ghostgan_widths().splitlines() if line.startswith('| ')]
    assert [line.split(' | ')[0] for line in lines[1:]] == [
        '| Ghost G, width 16', '| Ghost G, width 32', '| DCGAN-28 G']
    assert lines[1] == '| Ghost G, width 16 | 20,000 | 2.0M (5%) | 45.0 | 20.0 | 3.00 | 0.70 | 0.40 |'
    assert '| 40.0M (100%) | 25.0 |' in lines[3]


def _scenes_record(tasks, map50=None, miou=None):
    test = {'examples': 1000}
    if map50 is not None:
        test.update(map=map50 / 2, map50=map50, map_small=0.1, map_medium=0.2, map_large=0.3)
    if miou is not None:
        test.update(miou=miou, pixel_accuracy=0.9)
    return {'command': 'python -m train.dense_prediction', 'machine': 'cpu', 'jax': '0', 'date': 'd',
            'result': {'step': 2000, 'train_wall_s': 1200.0, 'tasks': tasks,
                       'reported_split': 'test', 'test': test, 'validation': test,
                       'model': {'params': 4_500_000, 'macs': 300_000_000}}}


def test_scenes_table_reports_test_scores_over_seeds_and_the_targets(tmp_path, monkeypatch):
    (tmp_path / 'results').mkdir()
    for name, record in (('scenes_detect', _scenes_record(['detect'], map50=0.8)),
                         ('scenes_detect_s1', _scenes_record(['detect'], map50=0.72)),
                         ('scenes_segment', _scenes_record(['segment'], miou=0.6))):
        (tmp_path / 'results' / f'{name}.json').write_text(json.dumps(record))
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    table = scenes_report.scenes()
    assert ('| detection only | 2 | 4.50M | 300M | 0.380 ± 0.028 | 0.760 ± 0.057 '
            '| 0.10 ± 0.00 / 0.20 ± 0.00 | - |') in table
    assert '| segmentation only | 1 | 4.50M | 300M | - | - | - | 0.600 | 0.900 | - | - |' in table
    assert 'multi-task' not in table  # not run yet
    assert 'mAP@.5 at least 0.75: best 0.760, met' in table
    assert 'mIoU at least 0.65: best 0.600, missed' in table
    assert '(3 runs)' in table


def test_scenes_figure_is_drawn_from_a_runs_predictions(tmp_path):
    pytest.importorskip('matplotlib')
    from projects.scenes import figures
    rng = np.random.default_rng(0)
    boxes = np.array([[[10, 10, 40, 50], [60, 60, 100, 90]]] * 2, np.float32)
    np.savez(tmp_path / 'predictions.npz',
             true_image=rng.integers(0, 255, (2, 128, 128, 1), np.uint8), true_boxes=boxes,
             true_box_valid=np.array([[True, False]] * 2), boxes=boxes,
             scores=np.array([[0.9, 0.1]] * 2, np.float32), classes=np.array([[3, 9]] * 2),
             valid=np.ones((2, 2), bool), mask=rng.integers(0, 11, (2, 128, 128)))
    path = tmp_path / 'scenes.png'
    figures.scenes_predictions(str(tmp_path / 'predictions.npz'), str(path))
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_readme_anomaly_table_keeps_the_target_anchors_and_points_to_the_rest():
    full, brief = anomaly_report.anomaly(), anomaly_report.anomaly(brief=True)
    assert '| published: PANDA (ImageNet features) | 95.6 |' in full
    assert 'PANDA' not in brief
    for name in anomaly_report.README_ANCHORS:
        assert f'| published: {name} |' in brief
    assert 'The other 6 published anchors (86.6 to 95.6)' in brief
    assert full.split('| published:')[0] == brief.split('| published:')[0]  # same rows of ours


def test_study_memory_table_pairs_each_run_kept_and_released(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    assert 'Not measured yet' in ghostgan_report.study_memory()
    modes = {'keep': [{'run': 1, 'rss_mb_at_end': 5000, 'rss_mb_after_release': 5000},
                      {'run': 2, 'rss_mb_at_end': 6000, 'rss_mb_after_release': 6000}],
             'release': [{'run': 1, 'rss_mb_at_end': 4700, 'rss_mb_after_release': 900},
                         {'run': 2, 'rss_mb_at_end': 4100, 'rss_mb_after_release': 910}]}
    record = {'command': 'python -m benchmarks.study_memory', 'machine': 'cpu', 'jax': '0',
              'date': 'd', 'result': {'pair': 'ghost_g_ghostnet_d', 'steps': 100,
                                      'eval_samples': 5000, 'malloc': 'jemalloc', 'modes': modes}}
    (tmp_path / 'results').mkdir()
    (tmp_path / 'results' / 'study_memory.json').write_text(json.dumps(record))
    table = ghostgan_report.study_memory()
    assert '| 1 | 5,000 | 4,700 | 900 |' in table and '| 2 | 6,000 | 4,100 | 910 |' in table
    assert 'Ghost G + GhostNet D, one seed per run, 100 steps' in table


def test_first_step_table_judges_warm_and_the_named_cold_targets(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, 'ROOT', tmp_path)
    assert 'Not recorded yet' in report.first_step()
    row = lambda name, cold, warm: {'workload': name, 'cold_first_step_s': cold,
                                    'warm_first_step_s': warm, 'cold_build_s': 5.0,
                                    'warm_build_s': 4.0, 'cache_entries': 7, 'cache_mb': 1.5,
                                    'cold_stages_s': {'trace': 1.0, 'lower': 0.5, 'compile': 9.0},
                                    'warm_stages_s': {'trace': 0.25, 'lower': 0.5, 'compile': 0.75}}
    record = {'command': 'python -m benchmarks.first_step', 'machine': 'cpu', 'jax': '0',
              'date': 'd', 'result': {'allocator': 'jemalloc', 'cache_min_compile_s': 1.0,
                                      'rows': [row('ghostnet_train', 12.5, 2.0),
                                               row('dcgan28', 4.0, 3.5)]}}
    (tmp_path / 'results').mkdir()
    (tmp_path / 'results' / 'first_step.json').write_text(json.dumps(record))
    table = report.first_step()
    assert ('| ghostnet_train | 12.5 | 2.0 | 9.0 | 0.75 | 0.75 | 7 (1.5) | warm <= 3 s: met; '
            'cold <= 12 s: missed |') in table
    assert '| dcgan28 | 4.0 | 3.5 | 9.0 | 0.75 | 0.75 | 7 (1.5) | warm <= 3 s: missed |' in table
    assert 'in under 1 s are not cached' in table
    assert ('dcgan28, warm: 0.75 s to load its cached program, 0.75 s to trace and lower the '
            "step, and 2.00 s for the rest, the step's first run.") in table
    assert 'ghostnet_train, warm:' not in table  # met: nothing to explain
