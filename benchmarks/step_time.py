"""Training-step time of several configs at their batch sizes: medians over interleaved rounds,
one JSON file.

  # every G/D pair of a GAN study (D step then G step, as train.gan runs them)
  python -m benchmarks.step_time --study projects/ghostgan/configs/study.py \
      --out runs/ghostgan_study_step_time.json
  # dense-prediction configs (train.dense_prediction's step, wrapped as the trainer wraps it)
  python -m benchmarks.step_time --dense projects/scenes/configs/multitask.py \
      projects/scenes/configs/detect.py projects/scenes/configs/segment.py \
      --out runs/scenes_step_time.json

Run it alone on the machine: a training job sharing the cores makes every number meaningless.
"""
import argparse
import os
import runpy
import statistics
import time

from benchmarks.jax_workloads import dense_step, gan_iteration
from ghostjax.runtime import provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(path: str):
    return runpy.run_path(os.path.join(ROOT, path))['get_config']()


def workloads(args) -> dict[str, tuple[str, object]]:
    """``{name: (config path, config)}`` of the study's pairs or of the dense configs."""
    if args.study:
        study = _config(args.study)
        return {name: (path, _config(path)) for name, path in study.pairs.items()}
    return {os.path.splitext(os.path.basename(p))[0]: (p, _config(p)) for p in args.dense}


def main():
    ap = argparse.ArgumentParser()
    kind = ap.add_mutually_exclusive_group(required=True)
    kind.add_argument('--study', help='a GAN study config: times each of its pairs')
    kind.add_argument('--dense', nargs='+', help='train.dense_prediction config files')
    ap.add_argument('--out', required=True, help='the result JSON file')
    ap.add_argument('--iters', type=int, default=20, help='timed rounds (each config once a round)')
    ap.add_argument('--warmup', type=int, default=3)
    args = ap.parse_args()
    runs, rows = {}, {}
    for name, (path, config) in workloads(args).items():
        run = dense_step(config) if args.dense else gan_iteration(config, 28, 1, config.batch_size)
        t0 = time.perf_counter()
        run()
        rows[name] = {'name': name, 'config': path, 'batch': config.batch_size,
                      'first_step_s': round(time.perf_counter() - t0, 1), 'macs': run.macs}
        for _ in range(args.warmup):
            run()
        runs[name] = (run, [])
        print(f'{name}: compiled in {rows[name]["first_step_s"]} s', flush=True)
    for _ in range(args.iters):  # interleaved, so a slow spell of the machine hits every config
        for run, times in runs.values():
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    for name, (_, times) in runs.items():
        ms = statistics.median(times) * 1e3
        rows[name].update(median_ms=round(ms, 1), steps_per_s=round(1e3 / ms, 2),
                          images_per_s=round(rows[name]['batch'] * 1e3 / ms))
        print(f'{name}: {ms:.1f} ms per step', flush=True)
    provenance.write_result(args.out, {'iters': args.iters, 'warmup': args.warmup,
                                       'rows': list(rows.values())})
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
