"""Depthwise convolution: grouped vs shifted (``ghostjax.layers``), forward and forward+backward,
and the GhostNet 1.0x small-stem training step on 28x28 with each. JSON lines, medians.

  python -m benchmarks.depthwise [--iters 10]
"""
import argparse
import functools
import json
import statistics
import time

import jax
import jax.numpy as jnp
import optax

import ghostjax as gj
from ghostjax.layers import depthwise_conv_grouped, depthwise_conv_shifted
from ghostjax.training.classifier import create_train_state, train_step


def median_ms(fn, iters):
    jax.block_until_ready(fn())
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(times), 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iters', type=int, default=10)
    args = ap.parse_args()
    impls = {'grouped': depthwise_conv_grouped, 'shifted': depthwise_conv_shifted}
    for shape, k, s in (((64, 28, 28, 32), 3, 1), ((128, 28, 28, 48), 3, 1),
                        ((128, 14, 14, 72), 5, 2), ((128, 7, 7, 240), 3, 1)):
        x = jax.random.normal(jax.random.key(0), shape)
        w = jax.random.normal(jax.random.key(1), (k, k, 1, shape[-1]))
        pad = ((k // 2, k // 2),) * 2
        row = {'bench': 'depthwise', 'shape': list(shape), 'kernel': k, 'stride': s}
        for name, f in impls.items():
            fwd = jax.jit(lambda x, w, f=f: f(x, w, (s, s), pad))
            grad = jax.jit(jax.grad(lambda x, w, f=f: jnp.sum(f(x, w, (s, s), pad) ** 2),
                                    argnums=(0, 1)))
            row[f'{name}_fwd_ms'] = median_ms(lambda: fwd(x, w), args.iters)
            row[f'{name}_fwd_bwd_ms'] = median_ms(lambda: grad(x, w), args.iters)
        print(json.dumps(row), flush=True)
    batch = {'image': jnp.ones((128, 28, 28, 1)), 'label': jnp.zeros((128,), jnp.int32)}
    for impl in ('grouped', 'shifted'):
        model = gj.GhostNet(num_classes=10, in_channels=1, stem_stride=1, depthwise_impl=impl)
        state = create_train_state(jax.random.key(0), model, (28, 28, 1), optax.sgd(0.1, 0.9))
        step = jax.jit(functools.partial(train_step, label_smoothing=0.1))
        t0 = time.perf_counter()
        jax.block_until_ready(step(state, batch, jax.random.key(1)))
        compile_s = time.perf_counter() - t0
        ms = median_ms(lambda: step(state, batch, jax.random.key(1)), max(3, args.iters // 2))
        print(json.dumps({'bench': 'ghostnet_train_step', 'input': [128, 28, 28, 1],
                          'depthwise_impl': impl, 'first_step_s': round(compile_s, 1),
                          'median_step_ms': ms, 'images_per_s': round(128e3 / ms)}), flush=True)


if __name__ == '__main__':
    main()
