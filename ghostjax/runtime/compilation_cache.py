"""JAX's persistent compilation cache for the entry points: a repeated or resumed run loads
its compiled programs from disk instead of compiling them again.

The cache is keyed by the program, the JAX/XLA version and the device, so a changed model or
another machine compiles afresh; entries are only written for programs that took at least
``min_compile_s`` to compile.
"""
from __future__ import annotations

import os

import jax


def default_dir() -> str:
    """``$GHOSTJAX_COMPILATION_CACHE`` if set (``''``: off), else
    ``$XDG_CACHE_HOME/ghostjax/jax`` (``~/.cache/ghostjax/jax``)."""
    if 'GHOSTJAX_COMPILATION_CACHE' in os.environ:
        return os.environ['GHOSTJAX_COMPILATION_CACHE']
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'ghostjax', 'jax')


def enable(directory: str, min_compile_s: float = 1.0) -> None:
    """Caches compiled programs in ``directory`` (created if needed); ``''`` leaves the cache
    off. Call before the first compilation."""
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    jax.config.update('jax_compilation_cache_dir', directory)
    jax.config.update('jax_persistent_cache_min_compile_time_secs', min_compile_s)
