"""ghostjax.allocator: the environment that starts a process with retaining jemalloc."""
import os
import subprocess
import sys

import pytest

from ghostjax.runtime import allocator


def test_env_preloads_jemalloc_first_and_keeps_an_existing_preload(monkeypatch):
    monkeypatch.setenv('LD_PRELOAD', '/opt/other.so')
    env = allocator.jemalloc_env('/x/libjemalloc.so.2')
    assert env == {'LD_PRELOAD': '/x/libjemalloc.so.2:/opt/other.so',
                   'MALLOC_CONF': allocator.JEMALLOC_CONF}
    monkeypatch.delenv('LD_PRELOAD')
    assert allocator.jemalloc_env('/x/libjemalloc.so.2')['LD_PRELOAD'] == '/x/libjemalloc.so.2'


def test_no_jemalloc_means_empty_env_and_required_env_raises(monkeypatch, tmp_path):
    monkeypatch.setattr(allocator, 'JEMALLOC_GLOBS', (str(tmp_path / 'libjemalloc.so.2'),))
    assert allocator.find_jemalloc() is None
    assert allocator.jemalloc_env() == {}
    with pytest.raises(FileNotFoundError, match='libjemalloc2'):
        allocator.required_jemalloc_env()
    (tmp_path / 'libjemalloc.so.2').write_bytes(b'')
    assert allocator.find_jemalloc() == str(tmp_path / 'libjemalloc.so.2')


@pytest.mark.skipif(allocator.find_jemalloc() is None, reason='libjemalloc2 not installed')
def test_cli_env_starts_a_jax_process_on_jemalloc():
    """`env $(python -m ghostjax.allocator) python ...`, as `make run` does: the child maps
    jemalloc, knows it (allocator.active) and runs a jitted computation."""
    words = subprocess.run([sys.executable, '-m', 'ghostjax.runtime.allocator'], check=True,
                           capture_output=True, text=True).stdout.split()
    env = dict(os.environ, **dict(w.split('=', 1) for w in words))
    code = ('import jax, jax.numpy as jnp; from ghostjax.runtime import allocator; '
            'assert allocator.active(); '
            'assert "libjemalloc" in open("/proc/self/maps").read(); '
            'print(float(jax.jit(lambda x: (x * x).sum())(jnp.arange(4.0))))')
    out = subprocess.run([sys.executable, '-c', code], env=env, check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == '14.0'
