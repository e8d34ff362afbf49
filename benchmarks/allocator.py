"""Per-step cost of the CPU allocator: the same JAX workload under the system malloc and under
retaining jemalloc (``ghostjax.runtime.allocator``), in alternating child processes. JSON lines with
the median step time and, per step, minor page faults and user / kernel CPU seconds.

  python -m benchmarks.allocator [--workloads ghostnet_train,dcgan64] [--rounds 2] [--steps 5]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from ghostjax.runtime import allocator


def child(workload: str, steps: int) -> dict:
    from benchmarks.jax_workloads import WORKLOADS
    run = WORKLOADS[workload]()
    run(), run()  # compile, then one warm step
    times = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(steps):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {'step_ms': round(statistics.median(times), 1),
            'minor_faults_per_step': (r1.ru_minflt - r0.ru_minflt) // steps,
            'kernel_s_per_step': round((r1.ru_stime - r0.ru_stime) / steps, 3),
            'user_s_per_step': round((r1.ru_utime - r0.ru_utime) / steps, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workloads', default='ghostnet_train,dcgan64')
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--child', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps)), flush=True)
        return
    jemalloc = allocator.required_jemalloc_env()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in args.workloads.split(','):
        for rnd in range(args.rounds):
            for malloc, extra in (('system', {}), ('jemalloc', jemalloc)):
                env = {k: v for k, v in os.environ.items() if k not in ('XLA_FLAGS', 'LD_PRELOAD')}
                out = subprocess.run([sys.executable, '-m', 'benchmarks.allocator', '--child', name,
                                      '--steps', str(args.steps)], env=dict(env, **extra),
                                     cwd=root, check=True, capture_output=True, text=True).stdout
                row = json.loads(out.strip().splitlines()[-1])
                print(json.dumps({'bench': 'allocator', 'workload': name, 'round': rnd,
                                  'malloc': malloc, **row}), flush=True)


if __name__ == '__main__':
    main()
