"""One side of a peer benchmark in its own process: builds a workload, times its first step
(compile + run), then runs one step per ``step`` line on stdin and answers with JSON lines.

  python -m benchmarks.worker --side jax|torch --workload ghostnet_train [--threads 2]
      [--compilation_cache DIR [--cache_min_compile_s 1.0]]

``--compilation_cache`` (JAX side) turns on JAX's persistent compilation cache in ``DIR``, as
the entry points do (``ghostjax.runtime.compilation_cache``). ``--stages`` (JAX side) times
the step's trace, lowering and compilation (or cache load) one by one, ahead of time, and runs
no step.

The torch side imports only torch/timm, so it runs in the peers venv.
"""
import argparse
import json
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--side', choices=('jax', 'torch'), required=True)
    ap.add_argument('--workload', required=True)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--compilation_cache', default='')
    ap.add_argument('--cache_min_compile_s', type=float, default=1.0)
    ap.add_argument('--stages', action='store_true')
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.side == 'torch':
        import torch
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        from benchmarks.torch_workloads import WORKLOADS
        version = f'torch {torch.__version__}'
    else:
        import jax

        from ghostjax.runtime import compilation_cache
        compilation_cache.enable(args.compilation_cache, args.cache_min_compile_s)  # before any compile
        from benchmarks.jax_workloads import WORKLOADS
        version = f'jax {jax.__version__} ({jax.default_backend()})'
    if args.workload not in WORKLOADS:
        raise SystemExit(f'unknown workload {args.workload!r}; expected one of {sorted(WORKLOADS)}')
    run = WORKLOADS[args.workload]()
    build = time.perf_counter() - t0
    reply = lambda **kw: print(json.dumps(kw), flush=True)
    if args.stages:
        if not hasattr(run, 'stages'):
            raise SystemExit(f'workload {args.workload!r} has no stages to time')
        reply(event='ready', version=version, build_s=round(build, 2), first_step_s=None,
              stages_s={k: round(v, 2) for k, v in run.stages().items()})
        sys.exit(0)
    t0 = time.perf_counter()
    run()
    first = time.perf_counter() - t0
    reply(event='ready', version=version, build_s=round(build, 2), first_step_s=round(first, 2),
          macs=getattr(run, 'macs', None))
    for line in sys.stdin:
        if line.strip() == 'step':
            t0 = time.perf_counter()
            run()
            reply(ms=(time.perf_counter() - t0) * 1e3)
        else:
            break
    reply(event='done', peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == '__main__':
    main()
