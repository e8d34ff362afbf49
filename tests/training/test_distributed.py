"""Multi-process runs with JAX's own distributed runtime: real processes, 2 CPU devices each."""
import os
import socket
import subprocess
import sys
import time

import orbax.checkpoint as ocp
import pytest

from ghostjax import data
from ghostjax.runtime import distributed
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import classifier, gan
from tests.helpers import ROOT, assert_trees_close, needs_fmnist, sgd_gan_config, tiny_config

WORKER = 'tests.training.distributed_worker'
DEATH_NOTICE = 'JAX distributed service detected fatal errors'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _env(cache_dir=None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != 'XLA_FLAGS'}
    if cache_dir:  # the restarted processes reuse the first ones' compiled steps
        env['JAX_COMPILATION_CACHE_DIR'] = str(cache_dir)
    return {**env, 'PYTHONPATH': ROOT, 'JAX_PLATFORMS': 'cpu'}


def _run_processes(workdir, tasks: str, die: bool = False, timeout: float = 150):
    """Starts 2 worker processes; returns [(exit code, seconds until exit, output)] per process.
    Every process is killed at ``timeout``: a hang fails the test instead of the suite."""
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, '-m', WORKER, str(workdir), str(i), '2', str(port),
                               tasks] + (['--die'] if die else []), cwd=ROOT,
                              env=_env(os.path.join(workdir, 'jax_cache')),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in range(2)]
    start, ended = time.monotonic(), {}
    while len(ended) < 2 and time.monotonic() - start < timeout:
        for i, p in enumerate(procs):
            if i not in ended and p.poll() is not None:
                ended[i] = time.monotonic() - start
        time.sleep(0.2)
    for p in procs:
        if p.poll() is None:
            p.kill()
    return [(p.wait(), ended.get(i, float('inf')), p.stdout.read()) for i, p in enumerate(procs)]


def _checkpoint(workdir) -> tuple[int, dict]:
    """(step, state as a dict of numpy arrays) of the latest checkpoint, read without a model."""
    checkpointer = ckpt_lib.Checkpointer(str(workdir))
    step = checkpointer.latest_step()
    state = checkpointer.manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore()))['state']
    checkpointer.close()
    return step, state


@needs_fmnist
def test_two_processes_equal_one_and_resume_after_a_killed_process(tmp_path):
    for split in ('train', 'test'):
        data.load('fashion_mnist', split)  # prepared once here, not by two processes at once
    run = tmp_path / 'run'

    # 2 processes x 2 devices: the classifier, then the GAN until process 1 dies (SIGKILL)
    # right after the GAN's step-3 checkpoint
    (rc0, t0, out0), (rc1, t1, out1) = _run_processes(run, 'classifier,gan', die=True)
    assert rc1 == -9, out1
    assert rc0 != 0 and DEATH_NOTICE in out0, out0
    assert t0 - t1 < 60, f'process 0 stopped {t0 - t1:.0f} s after process 1 died'
    assert ckpt_lib.Checkpointer(str(run / 'gan')).manager.all_steps() == [3]
    written = os.listdir(run / 'cls' / 'checkpoints' / '6' / 'state')
    assert 'ocdbt.process_0' in written and 'ocdbt.process_1' not in written  # written once

    # restarting both processes resumes the GAN from step 3 and finishes it
    (rc0, _, out0), (rc1, _, out1) = _run_processes(run, 'gan')
    assert rc0 == 0 and rc1 == 0, out0 + out1
    assert 'resumed from step 3' in out0 and 'resumed from step 3' not in out1  # console: p0

    # the same configs, uninterrupted, on 1 process x 4 devices (this one)
    classifier.train_and_evaluate(tiny_config(data_parallel=True), str(tmp_path / 'cls'))
    gan.train_and_evaluate(sgd_gan_config(data_parallel=True), str(tmp_path / 'gan'))
    parts = {'cls': lambda s: (s['params'], s['batch_stats']),
             'gan': lambda s: (s['g']['params'], s['g']['batch_stats'], s['d']['params'],
                               s['ema_params'])}
    for name in ('cls', 'gan'):
        (step2, two), (step1, one) = _checkpoint(run / name), _checkpoint(tmp_path / name)
        assert step2 == step1 == 6
        for a, b in zip(parts[name](two), parts[name](one), strict=True):
            assert_trees_close(a, b)


@pytest.mark.parametrize('args,match', [
    ((None, 2, None), r'--num_processes=2 needs --process_id \(0 .. 1\)'),
    (('127.0.0.1:1234', 2, 2), 'must be in 0 .. 1 for --num_processes=2, got 2'),
    (('127.0.0.1:1234', 2, -1), 'must be in 0 .. 1 for --num_processes=2, got -1'),
    ((None, None, 1), '--process_id=1 needs --num_processes > 1'),
    ((None, 0, None), '--num_processes must be >= 1, got 0'),
    ((None, 2, 0), '--num_processes=2 needs --coordinator_address'),
    (('localhost', 2, 0), "must be 'host:port', got 'localhost'"),
])
def test_inconsistent_flags_are_refused(args, match, monkeypatch):
    monkeypatch.delenv('JAX_COORDINATOR_ADDRESS', raising=False)
    with pytest.raises(ValueError, match=match):
        distributed.check_args(*args)


def test_single_process_needs_no_coordinator():
    assert distributed.initialize(num_processes=1) == distributed.Topology(0, 1, None)
    assert distributed.initialize() == distributed.Topology(0, 1, None)  # no cluster here


def test_unreachable_coordinator_fails_in_bounded_time_and_writes_nothing(tmp_path):
    workdir = tmp_path / 'never'
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, '-m', 'train.classifier', '--config', 'configs/ghostnet_fashion_mnist.py',
         '--workdir', str(workdir), f'--coordinator_address=127.0.0.1:{_free_port()}',
         '--num_processes=2', '--process_id=1', '--distributed_timeout_s=3'],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=90)
    assert done.returncode == 1
    assert 'error: process 1 could not join the run at coordinator 127.0.0.1:' in done.stderr
    assert time.monotonic() - start < 60
    assert not workdir.exists()
