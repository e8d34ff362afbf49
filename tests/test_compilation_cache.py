"""The entry points' persistent compilation cache: on by default under the user's cache
directory, off with ''; a compiled program lands in the directory named."""
import subprocess
import sys

from ghostjax.runtime import compilation_cache
from tests.helpers import ROOT

PROGRAM = '''
import sys, jax, jax.numpy as jnp
from ghostjax.runtime import compilation_cache
compilation_cache.enable(sys.argv[1], min_compile_s=0.0)
print(float(jax.jit(lambda x: jnp.sin(x) * 2)(jnp.ones(3)).sum()))
'''


def test_default_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv('GHOSTJAX_COMPILATION_CACHE', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    assert compilation_cache.default_dir() == str(tmp_path / 'ghostjax' / 'jax')
    monkeypatch.setenv('GHOSTJAX_COMPILATION_CACHE', '')
    assert compilation_cache.default_dir() == ''  # off


def test_a_compiled_program_is_written_to_the_cache(tmp_path):
    cache = tmp_path / 'cache'
    for _ in range(2):  # the second run reads what the first wrote
        out = subprocess.run([sys.executable, '-c', PROGRAM, str(cache)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
    assert any(cache.iterdir())
    off = subprocess.run([sys.executable, '-c', PROGRAM.replace('sys.argv[1]', "''"), 'x'],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert off.returncode == 0 and not (ROOT / 'x').exists()
