"""benchmarks.first_step: a cold and a warm worker process share one compilation cache."""
import json
import subprocess
import sys

from projects.common.tables import ROOT


def _run(*args):
    return subprocess.run([sys.executable, '-m', 'benchmarks.first_step', *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_cold_run_fills_the_cache_the_warm_run_reads(tmp_path):
    out = tmp_path / 'first_step.json'
    done = _run('--workloads', 'matmul', '--allocator', 'system', '--cache_min_compile_s', '0',
                '--out', str(out))
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    assert record['command'].startswith('python -m benchmarks.first_step')
    (row,) = record['result']['rows']
    assert row['workload'] == 'matmul'
    assert row['cache_entries'] > 0  # the cold process wrote its compiled programs
    for phase in ('cold', 'warm'):
        assert row[f'{phase}_first_step_s'] > 0 and row[f'{phase}_peak_rss_mb'] > 0
        assert set(row[f'{phase}_stages_s']) == {'trace', 'lower', 'compile'}
    assert f'wrote {out}' in done.stdout


def test_unknown_workload_is_named():
    done = _run('--workloads', 'matmul,ghostnet_trian')
    assert done.returncode != 0
    assert "unknown workloads ['ghostnet_trian']" in done.stderr
