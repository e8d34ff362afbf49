"""GAN iteration time (D step then G step, Adam) for the configs' models, JSON lines, medians.

  python -m benchmarks.gan_step [--batch 64] [--iters 10] [--models ghost,dcgan28]
"""
import argparse
import functools
import json
import statistics
import time

import jax
import jax.numpy as jnp

from configs import ghostgan_fashion_mnist
from ghostjax.training import gan as gan_lib

PAIRS = {'ghost': ('ghost', 'ghost', {'base_features': 32}, {'base_features': 32}),
         'dcgan28': ('dcgan28', 'dcgan28', {}, {}), 'mlp': ('mlp', 'mlp', {}, {})}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--models', default='ghost,dcgan28')
    args = ap.parse_args()
    for name in args.models.split(','):
        g_name, d_name, g_kw, d_kw = PAIRS[name]
        config = ghostgan_fashion_mnist.get_config()
        config.generator.name, config.generator.kwargs = g_name, g_kw
        config.discriminator.name, config.discriminator.kwargs = d_name, d_kw
        g, d = gan_lib.create_models(config, 28, 1, 10)
        state = gan_lib.create_state(config, g, d, (28, 28, 1), jax.random.key(0))
        step = jax.jit(functools.partial(gan_lib.train_step,
                                         cfg=gan_lib.step_config(config, g.z_dim)),
                       donate_argnums=(0,))
        batch = {'image': jax.random.uniform(jax.random.key(1), (args.batch, 28, 28, 1),
                                             minval=-1, maxval=1),
                 'label': jnp.zeros((args.batch,), jnp.int32)}
        t0 = time.perf_counter()
        state, m = step(state, batch, jax.random.key(2))
        jax.block_until_ready(m)
        first = time.perf_counter() - t0
        times = []
        for i in range(args.iters):
            t0 = time.perf_counter()
            state, m = step(state, batch, jax.random.key(i))
            jax.block_until_ready(m)
            times.append(time.perf_counter() - t0)
        ms = statistics.median(times) * 1e3
        print(json.dumps({'bench': 'gan_iteration', 'models': name, 'batch': args.batch,
                          'first_step_s': round(first, 1), 'median_ms': round(ms, 1),
                          'images_per_s': round(args.batch * 1e3 / ms)}), flush=True)


if __name__ == '__main__':
    main()
