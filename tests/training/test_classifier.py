"""Classifier training: exact resume, checkpoints, stop signals, bad input."""
import json
import os
import signal
import subprocess
import sys

import chex
import jax
import numpy as np
import pytest
from jax.experimental import multihost_utils

from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import gan as gan_lib
from ghostjax.training import loop
from ghostjax.training import writers
from ghostjax.training.classifier import train_and_evaluate
from ghostjax.training.parallel import data_mesh
from tests.helpers import ROOT, needs_fmnist, tiny_config

def test_stop_signal_sets_flag_and_restores_handler():
    before = signal.getsignal(signal.SIGTERM)
    with ckpt_lib.StopSignal() as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested
    assert signal.getsignal(signal.SIGTERM) is before



def test_processes_agree_on_a_stop_at_the_agreement_step(monkeypatch):
    monkeypatch.setattr(jax, 'process_count', lambda: 2)
    # the other process received SIGTERM, this one did not
    monkeypatch.setattr(multihost_utils, 'process_allgather',
                        lambda flags: np.stack([flags, np.asarray([True])]))
    with ckpt_lib.StopSignal() as stop:
        assert not stop.requested
        stop.agree()
        assert stop.requested and not stop.received

def test_check_finite_names_the_first_bad_step():
    hist = [(4, {'loss': np.float32(1.0)}), (5, {'loss': np.float32(np.nan)}),
            (6, {'loss': np.float32(np.inf)})]
    with pytest.raises(writers.NonFiniteLossError, match='non-finite loss .* at step 5'):
        writers.check_finite(hist, ('loss',))


@needs_fmnist
def test_resumed_run_equals_uninterrupted_run(tmp_path, monkeypatch):
    config = tiny_config(checkpoints_to_keep=2)
    full = train_and_evaluate(config, str(tmp_path / 'full'))
    part = tmp_path / 'part'
    agreements = []

    def signal_at_second_agreement(stop):  # a SIGTERM arriving between steps 2 and 4
        agreements.append(stop)
        stop.received = len(agreements) >= 2

    with monkeypatch.context() as m:
        m.setattr(ckpt_lib.StopSignal, 'agree', signal_at_second_agreement)
        assert train_and_evaluate(config, str(part)) == {'stopped_at_step': 4}
    resumed = train_and_evaluate(config, str(part))
    assert resumed['step'] == 6
    assert resumed['accuracy'] == full['accuracy'] and resumed['loss'] == full['loss']
    template = jax.tree.map(np.asarray, _restore(tmp_path / 'full'))
    chex.assert_trees_all_equal(template, jax.tree.map(np.asarray, _restore(part)))
    on_disk = json.load(open(part / 'eval.json'))
    assert on_disk['accuracy'] == resumed['accuracy'] and on_disk['examples'] == 10000
    assert os.listdir(part / 'tensorboard')
    # keep the last k=2 of the saves at 3, 4 (the stop) and 6
    assert ckpt_lib.Checkpointer(str(part)).manager.all_steps() == [4, 6]


def _restore(workdir):
    mgr = ckpt_lib.Checkpointer(str(workdir))
    step = mgr.latest_step()
    import orbax.checkpoint as ocp
    state = mgr.manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore()))
    return state['state']['params']


@needs_fmnist
def test_incompatible_checkpoint_is_refused_and_kept(tmp_path):
    train_and_evaluate(tiny_config(num_train_steps=3), str(tmp_path))
    before = sorted(os.listdir(tmp_path / 'checkpoints'))
    bad = tiny_config()
    bad.model.width = 1.0
    with pytest.raises(ckpt_lib.IncompatibleCheckpointError, match='incompatible model: first mismatch'):
        train_and_evaluate(bad, str(tmp_path))
    assert sorted(os.listdir(tmp_path / 'checkpoints')) == before


@needs_fmnist
def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    config = tiny_config(learning_rate=1e12, num_train_steps=12, checkpoint_every_steps=1,
                         log_every_steps=1, warmup_epochs=0.0, schedule='constant')
    with pytest.raises(writers.NonFiniteLossError, match=r'non-finite .* at step \d+') as err:
        train_and_evaluate(config, str(tmp_path))
    last = ckpt_lib.Checkpointer(str(tmp_path)).latest_step()
    assert last is not None and last <= err.value.step
    params = _restore(tmp_path)
    assert all(np.all(np.isfinite(np.asarray(p))) for p in jax.tree.leaves(params))


def test_unknown_config_key_lists_valid_keys(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-m', 'train.classifier', '--config', 'configs/ghostnet_fashion_mnist.py',
         f'--workdir={tmp_path}', '--config.batch_sise=64'],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode != 0
    assert 'batch_sise' in proc.stderr and 'batch_size' in proc.stderr
    assert not os.path.exists(tmp_path / 'checkpoints')


@pytest.mark.parametrize('field,value,match', [
    ('optimizer', 'lion', "optimizer must be 'sgd' or 'adamw', got 'lion'"),
    ('schedule', 'linear', "schedule must be 'cosine' or 'constant'"),
])
def test_bad_config_values(tmp_path, field, value, match):
    config = tiny_config()
    config[field] = value
    with pytest.raises(ValueError, match=match):
        train_and_evaluate(config, str(tmp_path))


@needs_fmnist
def test_corrupt_checkpoint_names_step_and_workdir_and_overwrites_nothing(tmp_path):
    train_and_evaluate(tiny_config(num_train_steps=3), str(tmp_path))
    step_dir = tmp_path / 'checkpoints' / '3'
    damaged = [p for p in step_dir.rglob('*') if p.is_file() and p.suffix in ('', '.json')
               and p.stat().st_size > 0]
    for p in damaged:
        p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2])
    before = {p: p.read_bytes() for p in step_dir.rglob('*') if p.is_file()}
    with pytest.raises(ckpt_lib.CorruptCheckpointError,
                       match=rf'checkpoint step 3 in .*{tmp_path.name}.* is unreadable'):
        train_and_evaluate(tiny_config(), str(tmp_path))
    assert {p: p.read_bytes() for p in step_dir.rglob('*') if p.is_file()} == before


def test_restore_of_a_directory_without_a_run_names_the_trainer(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'{tmp_path} holds no train.gan run'):
        gan_lib.restore(str(tmp_path))


def test_a_study_adds_an_evaluation_without_touching_the_trainer(tmp_path, monkeypatch):
    written = []
    monkeypatch.setattr(writers.MetricWriter, 'scalars',
                        lambda self, step, scalars, prefix='': written.append((prefix, step)))
    seen = []

    def probe(step, state):
        seen.append((step, int(state.step)))
        return {'value': float(step)}

    train_and_evaluate(tiny_config(), str(tmp_path), evals=[loop.Evaluation('probe', 2, probe)])
    assert seen == [(2, 2), (4, 4)]  # the last step is the trainer's own final evaluation
    assert [s for p, s in written if p == 'probe/'] == [2, 4]
    assert json.load(open(tmp_path / 'config.json'))['num_train_steps'] == 6  # the Run wrote it


def test_bad_evaluations_are_refused():
    with pytest.raises(ValueError, match="evaluation 'x': every_steps must be an integer >= 0"):
        loop.Evaluation('x', -1, lambda step, state: None)
    run = loop.Run(None, mesh=data_mesh(all_devices=False), desc='t', finite_keys=(),
                   postfix={}, params_of=lambda s: s)
    with pytest.raises(ValueError, match=r"names must be distinct, got \['a', 'a'\]"):
        run.train(None, None, None, None, total=1, global_batch=1, seed=0, rng=None,
                  log_every=1, checkpoint_every=1,
                  evals=[loop.Evaluation('a', 1, print), loop.Evaluation('a', 2, print)])
