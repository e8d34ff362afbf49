"""Wall time of a 10,000-sample FID/KID/IS/P-R evaluation on Fashion-MNIST with the domain
extractor, real statistics already cached (the normal case) and from scratch. JSON lines.

  python -m benchmarks.fid_speed --gan_workdir runs/gan --extractor assets/extractor_fashion_mnist
"""
import argparse
import json
import tempfile
import time

from ghostjax.training.gan import evaluate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--gan_workdir', default='runs/gan')
    ap.add_argument('--extractor', default='assets/extractor_fashion_mnist')
    ap.add_argument('--num_samples', type=int, default=10000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        for label in ('cold_cache', 'warm_cache'):
            t0 = time.perf_counter()
            m = evaluate(args.gan_workdir, args.extractor, args.num_samples, cache_dir=cache)
            print(json.dumps({'bench': 'fid', 'cache': label, 'num_samples': args.num_samples,
                              'wall_s': round(time.perf_counter() - t0, 1), 'fid': m['fid'],
                              'extractor': m['extractor']}), flush=True)


if __name__ == '__main__':
    main()
