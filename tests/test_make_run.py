"""The README's two commands in order: `make run` writes only under its workdir, so the tracked
tree (results/ included) is as it was and `make test` after it sees the shipped tables."""
import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT, needs_fmnist

# make run's own command with a tiny budget; `-o` keeps make from reinstalling the venv.
TINY = ('--config.num_train_steps=2 --config.log_every_steps=1 --config.sample_every_steps=2 '
        '--config.checkpoint_every_steps=2 --config.num_grid=4 --config.eval.num_samples=200')


def _tracked_changes() -> str:
    return subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


@needs_fmnist
def test_make_run_writes_only_under_its_workdir(tmp_path):
    if subprocess.run(['git', 'rev-parse'], cwd=ROOT, capture_output=True).returncode:
        pytest.skip('not a git checkout')
    before = _tracked_changes()
    workdir = tmp_path / 'gan'
    proc = subprocess.run(['make', '-o', 'install', '-o', 'data', '-o', 'jemalloc', 'run',
                           f'PY={sys.executable}', f'RUN_WORKDIR={workdir}', f'RUN_FLAGS={TINY}'],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert _tracked_changes() == before  # results/ and every other tracked file untouched
    record = json.loads((workdir / 'result.json').read_text())
    assert record['command'].startswith('python -m train.gan --config ')
    assert record['commit'] and len(record['config_sha256']) == 16
    assert record['result']['step'] == 2 and record['result']['num_samples'] == 200
    assert (workdir / 'samples' / 'latest.png').exists()
    assert 'done: step 2' in proc.stdout and f'{workdir}/result.json' in proc.stdout
