"""GAN iteration time (D step then G step, Adam) of the Fashion-MNIST configs at one batch size,
JSON lines with medians (ours only; ``benchmarks.vs_torch`` compares with PyTorch).

  python -m benchmarks.gan_step [--batch 64] [--iters 10] [--configs ghostgan,dcgan28]
"""
import argparse
import json
import statistics
import time

from benchmarks.jax_workloads import gan_iteration
from configs import dcgan28_fashion_mnist, ghostgan_fashion_mnist

CONFIGS = {'ghostgan': ghostgan_fashion_mnist, 'dcgan28': dcgan28_fashion_mnist}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--configs', default='ghostgan,dcgan28')
    args = ap.parse_args()
    for name in args.configs.split(','):
        run = gan_iteration(CONFIGS[name].get_config(), 28, 1, args.batch)
        t0 = time.perf_counter()
        run()
        first = time.perf_counter() - t0
        times = []
        for _ in range(args.iters):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        ms = statistics.median(times) * 1e3
        print(json.dumps({'bench': 'gan_iteration', 'config': name, 'batch': args.batch,
                          'first_step_s': round(first, 1), 'median_ms': round(ms, 1),
                          'images_per_s': round(args.batch * 1e3 / ms)}), flush=True)


if __name__ == '__main__':
    main()
