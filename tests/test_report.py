"""Every results table in README.md and docs/ is the rendering of its results/*.json."""
import json

import pytest

from benchmarks import report


def test_tables_match_their_result_files():
    for name in report.DOCS:
        path = report.ROOT / name
        text = path.read_text()
        assert report.BLOCK.search(text), f'{name} has no results table'
        assert report.render(text) == text, f'{name}: run python -m benchmarks.report'


def _study_record(pair, seed, fid, is_, recall, g_macs, d_macs):
    final = {'fid': fid, 'kid_mean': 0.01, 'is_mean': is_, 'precision': 0.7, 'recall': recall,
             'class_kl': 0.02, 'num_samples': 10000}
    return {'command': 'python -m train.gan_study', 'machine': 'cpu', 'jax': '0', 'date': 'd',
            'result': {'pair': pair, 'seed': seed, 'steps': 100, 'batch_size': 64,
                       'final': final, 'history': [], 'g_macs': g_macs, 'd_macs': d_macs,
                       'extractor': 'assets/x', 'extractor_accuracy': 0.875,
                       'train_wall_s_last_session': 600.0}}


def test_study_table_reports_mean_std_over_seeds_and_the_targets(tmp_path, monkeypatch):
    study = tmp_path / 'results' / 'ghostgan_study'
    study.mkdir(parents=True)
    runs = [('dcgan28', 0, 14.0, 5.0, 0.8, 50e6, 10e6), ('dcgan28', 1, 16.0, 5.0, 0.8, 50e6, 10e6),
            ('ghost_gd', 0, 16.5, 6.5, 0.7, 5e6, 6e6)]
    for run in runs:
        (study / f'{run[0]}_s{run[1]}.json').write_text(json.dumps(_study_record(*run)))
    monkeypatch.setattr(report, 'ROOT', tmp_path)
    table = report.ghostgan_study()
    assert '| DCGAN-28 G + DCGAN-28 D | 2 | 15.0 ± 1.4 |' in table
    assert '| Ghost G + Ghost D | 1 | 16.5 |' in table
    assert '| 11.0M (18%) | - |' in table  # no step-time benchmark yet
    assert "baseline's mean + std 16.4: missed" in table  # 16.5 > 15 + 1.41
    assert 'of the baseline\'s (at most 30%): met' in table
    assert 'IS 6.50 (at least 6.0): met' in table and 'recall 0.70 (at least 0.6): met' in table


def test_study_figures_are_drawn_from_the_result_files(tmp_path, monkeypatch):
    figures = pytest.importorskip('benchmarks.figures')
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
    monkeypatch.setattr(report, 'ROOT', tmp_path)
    for draw in (figures.fid_vs_step, figures.compute_quality):
        path = tmp_path / f'{draw.__name__}.png'
        draw(str(path))
        assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
