"""Classifier training: pmap == jit, exact resume, checkpoints, bad input."""
import functools
import json
import os
import signal
import subprocess
import sys

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import ghostjax as gj
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import gan as gan_lib
from ghostjax.training import logging as log_lib
from ghostjax.training.classifier import create_train_state, train_and_evaluate, train_step
from ghostjax.training.state import compile_step, replicate, unreplicate
from tests.helpers import ROOT, TINY_STAGES, assert_trees_close, needs_fmnist, tiny_config

def test_pmap_step_equals_single_device_step():
    n = jax.local_device_count()
    x = jax.random.normal(jax.random.key(0), (4 * n, 16, 16, 1))
    labels = jnp.arange(4 * n) % 10
    tx = optax.sgd(0.1, momentum=0.9)
    states, metrics = {}, {}
    for devices in (1, n):
        model = gj.GhostNet(width=0.5, num_classes=10, dropout=0.0, in_channels=1, stem_stride=1,
                            stages=TINY_STAGES, bn_axis_name='batch' if devices > 1 else None)
        state = create_train_state(jax.random.key(1), model, (16, 16, 1), tx)
        step = compile_step(functools.partial(train_step, label_smoothing=0.1), devices,
                            donate=False)
        batch, rng = {'image': x, 'label': labels}, jax.random.key(2)
        if devices > 1:
            state, rng = replicate(state), replicate(rng)
            batch = jax.tree.map(lambda a: a.reshape(n, 4, *a.shape[1:]), batch)
        for _ in range(2):  # the second step also checks the synced BN statistics and momentum
            state, m = step(state, batch, rng)
        states[devices] = unreplicate(state) if devices > 1 else state
        metrics[devices] = jax.tree.map(lambda a: a[0], m) if devices > 1 else m
    for part in ('params', 'batch_stats', 'opt_state'):
        assert_trees_close(getattr(states[1], part), getattr(states[n], part))
    np.testing.assert_allclose(metrics[1]['loss'], metrics[n]['loss'], rtol=1e-5)


def test_stop_signal_sets_flag_and_restores_handler():
    before = signal.getsignal(signal.SIGTERM)
    with ckpt_lib.StopSignal() as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested
    assert signal.getsignal(signal.SIGTERM) is before


def test_check_finite_names_the_first_bad_step():
    hist = [(4, {'loss': np.float32(1.0)}), (5, {'loss': np.float32(np.nan)}),
            (6, {'loss': np.float32(np.inf)})]
    with pytest.raises(log_lib.NonFiniteLossError, match='non-finite loss .* at step 5'):
        log_lib.check_finite(hist, ('loss',))


@needs_fmnist
def test_resumed_run_equals_uninterrupted_run(tmp_path):
    full = train_and_evaluate(tiny_config(), str(tmp_path / 'full'))
    part = tmp_path / 'part'
    first = train_and_evaluate(tiny_config(num_train_steps=3), str(part))
    assert first['step'] == 3
    resumed = train_and_evaluate(tiny_config(), str(part))
    assert resumed['step'] == 6
    assert resumed['accuracy'] == full['accuracy'] and resumed['loss'] == full['loss']
    template = jax.tree.map(np.asarray, _restore(tmp_path / 'full'))
    chex.assert_trees_all_equal(template, jax.tree.map(np.asarray, _restore(part)))
    on_disk = json.load(open(part / 'eval.json'))
    assert on_disk['accuracy'] == resumed['accuracy'] and on_disk['examples'] == 10000
    assert os.listdir(part / 'tensorboard')
    # keep the last k: checkpoint_every=3 over 6 steps leaves steps 3 and 6
    assert ckpt_lib.Checkpointer(str(part)).manager.all_steps() == [3, 6]


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
    with pytest.raises(log_lib.NonFiniteLossError, match=r'non-finite .* at step \d+') as err:
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
    ('batch_size', 30, 'global batch 30 is not divisible'),
])
def test_bad_config_values(tmp_path, field, value, match, monkeypatch):
    monkeypatch.setattr(jax, 'process_count', lambda: 4 if field == 'batch_size' else 1)
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
