"""Depthwise convolution: grouped vs shifted (``ghostjax.ops.depthwise``), forward and forward+backward,
the GhostNet 1.0x small-stem training step on 28x28 with each, and the shifted form's kernel
gradient over every depthwise layer of the GhostNet 1.0x train step (224x224, batch 32) against
the forms it replaced. JSON lines, medians.

  python -m benchmarks.depthwise [--iters 10] [--only kernel_grad]
"""
import argparse
import functools
import json
import statistics
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax import lax

import ghostjax as gj
from ghostjax.nn import layers
from ghostjax.ops import depthwise as dw
from ghostjax.ops.depthwise import depthwise_conv_grouped, depthwise_conv_shifted
from ghostjax.training.classifier import create_train_state, train_step


def median_ms(fn, iters):
    jax.block_until_ready(fn())
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(times), 2)


def ghostnet_depthwise_layers(batch: int = 32, size: int = 224):
    """(input shape, kernel (kh, kw), strides) of every DepthwiseConv call in GhostNet 1.0x."""
    calls = []

    def record(next_fun, args, kwargs, context):
        if isinstance(context.module, layers.DepthwiseConv) and context.method_name == '__call__':
            m = context.module
            calls.append((args[0].shape, layers._pair(m.kernel_size), layers._pair(m.strides)))
        return next_fun(*args, **kwargs)

    with nn.intercept_methods(record):
        jax.eval_shape(lambda x: gj.GhostNet().init(jax.random.key(0), x, train=True),
                       jax.ShapeDtypeStruct((batch, size, size, 3), jnp.float32))
    return calls


def _per_tap_sums(x_pad, g, kernel_hw, strides):
    """The replaced form: k*k separate sums per batch chunk (XLA CPU copies out every tap)."""
    (kh, kw), (b, hp, wp, c), (ho, wo) = kernel_hw, x_pad.shape, g.shape[1:3]
    n = dw.batch_chunk(b, (hp * wp + ho * wo) * c, 1 << 18)

    def body(acc, chunk):
        xc, gc = chunk
        taps = [jnp.sum(dw.tap(xc, i, j, strides, (ho, wo)) * gc, axis=(0, 1, 2))
                for i in range(kh) for j in range(kw)]
        return acc + jnp.stack(taps), None

    chunks = (x_pad.reshape(b // n, n, hp, wp, c), g.reshape(b // n, n, ho, wo, c))
    return lax.scan(body, jnp.zeros((kh * kw, c), jnp.float32), chunks)[0]


def kernel_grad_forms(iters: int):
    """``ops.depthwise.kernel_grad`` (one variadic reduction per chunk) against the k*k separate sums
    it replaced and against itself without batch chunks, per GhostNet depthwise layer."""
    forms = {'variadic_chunked': dw.kernel_grad, 'per_tap_chunked': _per_tap_sums,
             'variadic_whole_batch': dw.sum_taps}
    totals = dict.fromkeys(forms, 0.0)
    for shape, (kh, kw), strides in ghostnet_depthwise_layers():
        b, h, w, c = shape
        pads = ((kh // 2, kh // 2), (kw // 2, kw // 2))  # DepthwiseConv's padding
        ho, wo = (dw.out_size(n, k, st, p)
                  for n, k, st, p in zip((h, w), (kh, kw), strides, pads))
        x_pad = jax.random.normal(jax.random.key(0), (b, h + sum(pads[0]), w + sum(pads[1]), c))
        g = jax.random.normal(jax.random.key(1), (b, ho, wo, c))
        row = {'bench': 'depthwise_kernel_grad', 'input': list(shape), 'kernel': kh,
               'stride': strides[0]}
        fns = {name: jax.jit(lambda x, g, f=f: f(x, g, (kh, kw), strides))
               for name, f in forms.items()}
        times = {name: [] for name in fns}
        for name, fn in fns.items():
            jax.block_until_ready(fn(x_pad, g))
        for _ in range(iters):  # the forms alternate, so drifts in machine speed hit all alike
            for name, fn in fns.items():
                t0 = time.perf_counter()
                jax.block_until_ready(fn(x_pad, g))
                times[name].append((time.perf_counter() - t0) * 1e3)
        for name, ts in times.items():
            row[f'{name}_ms'] = round(statistics.median(ts), 2)
            totals[name] += statistics.median(ts)
        print(json.dumps(row), flush=True)
    print(json.dumps({'bench': 'depthwise_kernel_grad_total', 'layers': 'GhostNet 1.0x, 224x224, '
                      'batch 32', **{f'{k}_ms': round(v, 1) for k, v in totals.items()}}),
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--only', choices=['kernel_grad'], default=None)
    args = ap.parse_args()
    kernel_grad_forms(args.iters)
    if args.only:
        return
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
        model = gj.GhostNet(num_classes=10, in_channels=1, stem_stride=1, impl=impl)
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
