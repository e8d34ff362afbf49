"""Input-pipeline throughput: preprocessed images/s of one epoch, printed as JSON lines.

  python -m benchmarks.data_pipeline [--dataset fashion_mnist] [--batch 256] [--epochs 3]
"""
import argparse
import json
import statistics
import time

import jax

from ghostjax import data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dataset', default='fashion_mnist')
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--epochs', type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    split = data.load(args.dataset, 'train')
    load_s = time.perf_counter() - t0
    for mode, pre in (('classifier_train', data.Preprocess.for_classifier(args.dataset)),
                      ('gan_32x32x3', data.Preprocess.for_gan(image_size=32, channels=3))):
        rates = []
        for epoch in range(args.epochs):
            t0, n = time.perf_counter(), 0
            for batch in data.make_batches(split, global_batch=args.batch, epoch=epoch,
                                           preprocess=pre, train=True):
                n += batch['image'].shape[0]
            jax.block_until_ready(batch)
            rates.append(n / (time.perf_counter() - t0))
        print(json.dumps({'bench': 'data_pipeline', 'dataset': args.dataset, 'mode': mode,
                          'batch': args.batch, 'load_s': round(load_s, 2),
                          'median_images_per_s': round(statistics.median(rates)),
                          'epochs': args.epochs, 'backend': jax.default_backend()}))


if __name__ == '__main__':
    main()
