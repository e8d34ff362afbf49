"""One side of a peer benchmark in its own process: builds a workload, times its first step
(compile + run), then runs one step per ``step`` line on stdin and answers with JSON lines.

  python -m benchmarks.worker --side jax|torch --workload ghostnet_train [--threads 2]

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
        from benchmarks.jax_workloads import WORKLOADS
        version = f'jax {jax.__version__} ({jax.default_backend()})'
    if args.workload not in WORKLOADS:
        raise SystemExit(f'unknown workload {args.workload!r}; expected one of {sorted(WORKLOADS)}')
    run = WORKLOADS[args.workload]()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    run()
    first = time.perf_counter() - t0
    reply = lambda **kw: print(json.dumps(kw), flush=True)
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
