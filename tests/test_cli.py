"""The entry points under ``train/`` as a user meets them: bad input gets one clear line."""
import subprocess
import sys

from tests.helpers import ROOT


def _run(*args, timeout=120):
    return subprocess.run([sys.executable, '-m', *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_unknown_gan_config_key_lists_the_valid_keys(tmp_path):
    proc = _run('train.gan', '--config', 'configs/ghost_g_dcgan28_d_fashion_mnist.py',
                f'--workdir={tmp_path}', '--config.not_a_key=1')
    assert proc.returncode != 0
    assert "has no config key 'not_a_key'" in proc.stderr
    assert 'Valid keys: b1, b2, batch_size' in proc.stderr
    assert 'Traceback' not in proc.stderr and not list(tmp_path.iterdir())


def test_misspelt_nested_key_gets_a_close_match(tmp_path):
    proc = _run('train.gan', '--config', 'configs/ghost_g_dcgan28_d_fashion_mnist.py',
                f'--workdir={tmp_path}', '--config.eval.num_sample=5')
    assert "Did you mean 'num_samples'? Valid keys under config.eval" in proc.stderr


def test_evaluate_on_a_directory_without_a_gan_run(tmp_path):
    proc = _run('train.evaluate', f'--workdir={tmp_path}')
    assert proc.returncode != 0
    assert f'error: {tmp_path} holds no train.gan run' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_non_positive_batch_size_says_so_before_anything_is_written(tmp_path):
    proc = _run('train.classifier', '--config', 'configs/ghostnet_fashion_mnist.py',
                f'--workdir={tmp_path}', '--config.batch_size=0')
    assert proc.returncode != 0
    assert 'error: the batch size must be positive, got 0' in proc.stderr
    assert not (tmp_path / 'checkpoints').exists()


ENTRY_POINTS = ('train.gan', 'train.classifier', 'train.dense_prediction', 'train.compress',
                'train.evaluate', 'projects.ghostgan.main', 'projects.augment.main',
                'projects.anomaly.main')


def test_help_lists_every_flag_an_entry_point_takes():
    for module in ENTRY_POINTS:
        out = _run(module, '--help').stdout
        for flag in ('--workdir', '--coordinator_address', '--num_processes', '--process_id'):
            assert flag in out, f'{module} --help does not list {flag}'


def test_a_flag_no_entry_point_honours_is_an_error(tmp_path):
    proc = _run('train.gan', '--config', 'configs/ghost_g_dcgan28_d_fashion_mnist.py',
                f'--workdir={tmp_path}', '--results=results/x.json')
    assert proc.returncode != 0 and "Unknown command line flag 'results'" in proc.stderr
    assert not list(tmp_path.iterdir())
