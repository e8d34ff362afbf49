"""ghostjax.runtime.allocator: the environment that starts a process with retaining jemalloc, and the
release of its freed memory between a study's runs."""
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
    """`env $(python -m ghostjax.runtime.allocator) python ...`, as `make run` does: the child maps
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


def _released(code: str, env: dict[str, str]) -> None:
    """Runs ``code`` in a fresh process with ``env``; it must print ok."""
    out = subprocess.run([sys.executable, '-c', code], env=env, check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == 'ok'


@pytest.mark.skipif(allocator.find_jemalloc() is None, reason='libjemalloc2 not installed')
def test_release_gives_retained_jemalloc_memory_back_and_keeps_live_arrays():
    """Under the retaining jemalloc, hundreds of MB of freed arrays stay resident until
    released; the release returns most of them and leaves a live array intact."""
    _released("""
import numpy as np
from ghostjax.runtime import allocator
assert allocator.active()
keep = np.arange(1 << 20, dtype=np.float64)
blocks = [np.ones((5 + i % 7) << 17) for i in range(60)]
freed = sum(b.nbytes for b in blocks) / 2**20
del blocks
before = allocator.resident_mb()
allocator.release_freed_memory()
assert before - allocator.resident_mb() > 0.8 * freed, (before, freed)
assert keep[-1] == (1 << 20) - 1
print('ok')
""", dict(os.environ, **allocator.jemalloc_env()))


def test_release_trims_the_glibc_heap_without_jemalloc():
    """With the system malloc, small blocks freed below a live one stay in the heap until
    ``malloc_trim``; the release returns most of them."""
    env = {k: v for k, v in os.environ.items() if k not in ('LD_PRELOAD', 'MALLOC_CONF')}
    _released("""
from ghostjax.runtime import allocator
assert not allocator.active()
blocks = [bytearray(2048) for _ in range(100_000)]
pin = bytearray(2048)
del blocks
before = allocator.resident_mb()
allocator.release_freed_memory()
assert before - allocator.resident_mb() > 100, before
assert len(pin) == 2048
print('ok')
""", env)
