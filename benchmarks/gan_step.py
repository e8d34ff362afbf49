"""GAN iteration time (D step then G step, as ``train.gan`` runs them) of every G/D pair of a
study config at its batch size: medians over interleaved rounds, one JSON file.

  python -m benchmarks.gan_step --study configs/ghostgan_study_fashion_mnist.py \
      --out results/ghostgan_study_step_time.json [--iters 20]

Run it alone on the machine: a training job sharing the cores makes every number meaningless.
"""
import argparse
import os
import runpy
import statistics
import time

from benchmarks.jax_workloads import gan_iteration
from ghostjax.runtime import provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--study', default='configs/ghostgan_study_fashion_mnist.py')
    ap.add_argument('--out', default='results/ghostgan_study_step_time.json')
    ap.add_argument('--iters', type=int, default=20, help='timed rounds (each pair once a round)')
    ap.add_argument('--warmup', type=int, default=3)
    args = ap.parse_args()
    study = runpy.run_path(args.study)['get_config']()
    runs, rows = {}, {}
    for name, path in study.pairs.items():
        config = runpy.run_path(os.path.join(ROOT, path))['get_config']()
        run = gan_iteration(config, 28, 1, config.batch_size)
        t0 = time.perf_counter()
        run()
        rows[name] = {'pair': name, 'config': path, 'batch': config.batch_size,
                      'first_step_s': round(time.perf_counter() - t0, 1), 'macs': run.macs}
        for _ in range(args.warmup):
            run()
        runs[name] = (run, [])
        print(f'{name}: compiled in {rows[name]["first_step_s"]} s', flush=True)
    for _ in range(args.iters):  # interleaved, so a slow spell of the machine hits every pair
        for run, times in runs.values():
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    for name, (_, times) in runs.items():
        ms = statistics.median(times) * 1e3
        rows[name].update(median_ms=round(ms, 1), steps_per_s=round(1e3 / ms, 2),
                          images_per_s=round(rows[name]['batch'] * 1e3 / ms))
        print(f'{name}: {ms:.1f} ms per iteration', flush=True)
    provenance.write_result(args.out, {'iters': args.iters, 'warmup': args.warmup,
                                       'rows': list(rows.values())})
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
