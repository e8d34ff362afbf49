"""Cold and warm first step: how long a workload's first step takes (compile + one run) in a
new process with an empty compilation cache (cold), and in a second new process that finds
the first one's cache entries (warm), as a repeated or resumed run of an entry point does.

  python -m benchmarks.first_step
      [--workloads ghostnet_train,ghostnet_infer,dcgan28,ghost_g_dcgan28_d,ghost_g_ghost_d,
                   ghost_g_ghostnet_d]
      [--allocator jemalloc|system] [--out runs/first_step/first_step.json]

Each process is a ``benchmarks.worker`` (one host device, as a user runs it) with JAX's
persistent cache in a fresh temporary directory at the entry points' threshold (programs that
compile in under ``--cache_min_compile_s`` are not cached, and compile again when warm).
``build`` is the time to build the workload before its first step (imports, model, state).
Two more processes time the step's stages ahead of time (``benchmarks.worker --stages``):
trace, lower and compile on the warm cache (compile is then a cache load) and on an empty one.
Run it alone on the machine: it times. ``python -m benchmarks.publish`` copies the record into
``results/``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from benchmarks.jax_workloads import WORKLOADS
from benchmarks.vs_torch import Worker
from ghostjax.runtime import allocator
from ghostjax.runtime.provenance import cpu_name, write_result

DEFAULT = ('ghostnet_train,ghostnet_infer,dcgan28,ghost_g_dcgan28_d,ghost_g_ghost_d,'
           'ghost_g_ghostnet_d')


def cache_files(directory: str) -> tuple[int, float]:
    """Number and total size in MB of the files under ``directory``."""
    paths = [os.path.join(d, f) for d, _, files in os.walk(directory) for f in files]
    return len(paths), sum(map(os.path.getsize, paths)) / 2**20


def measure(workload: str, extra_env: dict[str, str], min_compile_s: float) -> dict:
    """``workload``'s first step in a cold and then a warm process on one fresh cache, and the
    step's trace / lower / compile seconds ahead of time on that warm cache and on another
    empty one (where compile is a full compilation)."""
    caches = [tempfile.mkdtemp(prefix='ghostjax-first-step-') for _ in range(2)]
    try:
        row = {'workload': workload}
        for phase, cache, stages in (('cold', caches[0], False), ('warm', caches[0], False),
                                     ('warm', caches[0], True), ('cold', caches[1], True)):
            args = ('--compilation_cache', cache, '--cache_min_compile_s', str(min_compile_s),
                    *(('--stages',) if stages else ()))
            worker = Worker(sys.executable, 'jax', workload, os.cpu_count() or 1, extra_env, args)
            if stages:
                worker.proc.wait()
                row[f'{phase}_stages_s'] = worker.ready['stages_s']
                continue
            done = worker.close()
            row[f'{phase}_first_step_s'] = worker.ready['first_step_s']
            row[f'{phase}_build_s'] = worker.ready['build_s']
            row[f'{phase}_peak_rss_mb'] = done['peak_rss_mb']
            if phase == 'cold':
                count, size = cache_files(cache)
                row['cache_entries'], row['cache_mb'] = count, round(size, 2)
        row['version'] = worker.ready['version']
        return row
    finally:
        for cache in caches:
            shutil.rmtree(cache, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--workloads', default=DEFAULT)
    ap.add_argument('--allocator', choices=('system', 'jemalloc'), default='jemalloc',
                    help="malloc of the workers (jemalloc: as `make run` runs)")
    ap.add_argument('--cache_min_compile_s', type=float, default=1.0,
                    help="the entry points' threshold (ghostjax.runtime.compilation_cache)")
    ap.add_argument('--out', default='runs/first_step/first_step.json')
    args = ap.parse_args()
    extra_env = allocator.required_jemalloc_env() if args.allocator == 'jemalloc' else {}
    names = args.workloads.split(',')
    if unknown := [n for n in names if n not in WORKLOADS]:
        raise SystemExit(f'unknown workloads {unknown}; expected some of {sorted(WORKLOADS)}')
    rows = []
    for name in names:
        rows.append(measure(name, extra_env, args.cache_min_compile_s))
        r = rows[-1]
        print(f"{name}: first step cold {r['cold_first_step_s']} s, warm "
              f"{r['warm_first_step_s']} s ({r['cache_entries']} programs, "
              f"{r['cache_mb']} MB cached); compile cold {r['cold_stages_s']['compile']} s, "
              f"warm (cache load) {r['warm_stages_s']['compile']} s", flush=True)
    write_result(args.out, {'rows': rows, 'allocator': args.allocator,
                            'cache_min_compile_s': args.cache_min_compile_s,
                            'machine': f'{cpu_name()}, {os.cpu_count()} cores'})
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
