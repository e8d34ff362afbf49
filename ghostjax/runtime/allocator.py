"""CPU memory allocator for JAX processes: jemalloc that keeps freed memory.

XLA's CPU runtime allocates each step's temporaries afresh. Through glibc malloc, every large
buffer is a new ``mmap`` whose pages the kernel faults in and zeroes on first touch, every step:
a GhostNet 1.0x training step at batch 32, 224x224, takes ~430k page faults and ~0.7 s of
kernel time on 2 cores (step ~1.1 s). jemalloc configured never to give memory back reuses the
same pages, and the step drops to ~0.7 s (``python -m benchmarks.allocator``; README,
Performance). The allocator has to be chosen before the process starts (``LD_PRELOAD``), so
this module only builds the environment; ``python -m ghostjax.runtime.allocator`` prints it as
``NAME=value`` words for ``env`` (``make run`` does this), or nothing when jemalloc is absent
(Debian/Ubuntu: ``apt-get install libjemalloc2``).

A process that trains several models in turn (a study) calls ``release_freed_memory()`` between
them: a retaining jemalloc would otherwise keep what every run freed, and the process grows with
each run.
"""
from __future__ import annotations

import ctypes
import glob
import os

from absl import logging

# dirty/muzzy decay -1: never return freed pages to the OS; oversize_threshold 0: no separate
# eagerly-purged arena for big (> 8 MiB) allocations, which are exactly XLA's buffers.
JEMALLOC_CONF = 'dirty_decay_ms:-1,muzzy_decay_ms:-1,oversize_threshold:0'
JEMALLOC_GLOBS = ('/usr/lib/*-linux-gnu/libjemalloc.so.2', '/usr/lib64/libjemalloc.so.2',
                  '/usr/local/lib/libjemalloc.so.2')


def find_jemalloc() -> str | None:
    """Path of the system's ``libjemalloc.so.2``, or None."""
    for pattern in JEMALLOC_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def jemalloc_env(path: str | None = None) -> dict[str, str]:
    """Environment variables that make a new process allocate with retaining jemalloc; empty
    when no jemalloc is found. An ``LD_PRELOAD`` already set is kept after jemalloc."""
    path = path or find_jemalloc()
    if path is None:
        return {}
    preload = ':'.join(p for p in (path, os.environ.get('LD_PRELOAD', '')) if p)
    return {'LD_PRELOAD': preload, 'MALLOC_CONF': JEMALLOC_CONF}


def required_jemalloc_env() -> dict[str, str]:
    """``jemalloc_env()``, or FileNotFoundError saying where it looked and how to install it."""
    env = jemalloc_env()
    if not env:
        raise FileNotFoundError(f'no libjemalloc.so.2 in {JEMALLOC_GLOBS}; '
                                'apt-get install libjemalloc2 (or `make jemalloc`)')
    return env


def active() -> bool:
    """Whether this process was started with jemalloc preloaded."""
    return 'libjemalloc' in os.environ.get('LD_PRELOAD', '')


def resident_mb() -> float:
    """This process's resident memory now (not its peak), in MiB."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


# mallctl's index for "every arena" (jemalloc's MALLCTL_ARENAS_ALL).
_ALL_ARENAS = 4096


def release_freed_memory() -> None:
    """Gives the memory the allocator holds freed back to the OS: every jemalloc arena is purged
    when jemalloc is preloaded, glibc's heap is trimmed otherwise. Live memory is untouched."""
    libc = ctypes.CDLL(None)
    if active():
        rc = libc.mallctl(f'arena.{_ALL_ARENAS}.purge'.encode(), None, None, None,
                          ctypes.c_size_t(0))
        if rc:
            logging.warning('jemalloc mallctl arena purge returned error %d', rc)
    elif hasattr(libc, 'malloc_trim'):
        libc.malloc_trim(ctypes.c_size_t(0))


def hint(backend: str) -> str | None:
    """How to get the faster allocator, when running on CPU without it; else None."""
    if backend == 'cpu' and not active():
        return ('note: CPU run with the system malloc; start with `env $(python -m '
                'ghostjax.runtime.allocator) ...` (jemalloc; `make run` does) for faster steps')
    return None


def log_hint(backend: str) -> None:
    """Logs ``hint(backend)`` as a warning, when there is one."""
    if message := hint(backend):
        logging.warning(message)


if __name__ == '__main__':
    print(' '.join(f'{k}={v}' for k, v in jemalloc_env().items()))
