"""A study's resumable loop over its runs: which runs it hands out, and when it stops."""
import pytest

from projects.common import runs as runs_lib


def _runs(tmp_path, done):
    """Four runs whose result files exist for the indices in ``done``."""
    runs = [(f'run {i}', str(tmp_path / f'r{i}.json')) for i in range(4)]
    for i in done:
        (tmp_path / f'r{i}.json').write_text('{}')
    return runs


def test_pending_skips_finished_runs_and_stops_after_max_runs(tmp_path, capsys):
    runs = _runs(tmp_path, done=[1])
    assert list(runs_lib.pending(runs)) == [0, 2, 3]
    capsys.readouterr()
    assert list(runs_lib.pending(runs, max_runs=2)) == [0, 2]
    out = capsys.readouterr().out
    assert '[2/4] run 1: done (' in out and '[3/4] run 2' in out
    assert 'stopping after 2 run(s) (max_runs); 1 left' in out and '[4/4]' not in out
    assert list(runs_lib.pending(runs, max_runs=3)) == [0, 2, 3]  # nothing left: no stop message
    assert 'stopping' not in capsys.readouterr().out


def test_pending_releases_freed_memory_after_each_finished_run(tmp_path, monkeypatch):
    releases = []
    monkeypatch.setattr(runs_lib.allocator, 'release_freed_memory', lambda: releases.append(1))
    todo = runs_lib.pending(_runs(tmp_path, done=[1]))
    assert next(todo) == 0 and not releases  # run 0 in progress
    assert next(todo) == 2 and len(releases) == 1  # run 0 finished, before run 2 starts
    for _ in todo:
        pass
    assert len(releases) == 3


def test_pending_refuses_a_limit_below_one_when_called(tmp_path):
    with pytest.raises(ValueError, match='max_runs must be at least 1.*got 0'):
        runs_lib.pending(_runs(tmp_path, done=[]), max_runs=0)
