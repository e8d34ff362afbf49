"""The two kernel-gradient fast paths of ``ghostjax.ops.conv`` against the forms they replace, on
this model zoo's shapes. JSON lines, medians; the two forms alternate within one process.

* ``pointwise``: a 1x1 conv -> BatchNorm (train) -> ReLU, gradient w.r.t. input and kernel, in
  both forms of ``ops.pointwise_conv``: the 2-D matmul ``[N, I] @ [I, O]`` (fast) and XLA's
  convolution (reference). GhostNet 1.0x shapes at batch 32, 224x224.
* ``conv_transpose``: the kernel gradient of a stride-2 transposed conv, as
  ``conv_transpose_kernel_grad`` (one matmul per tap, the VJP of ``conv_transpose_phases``)
  and as XLA's gradient of the phase convolutions. DCGAN-64 / DCGAN-28 generator layers.

  python -m benchmarks.matmul_grads [--iters 7]
"""
import argparse
import json

import jax
import jax.numpy as jnp
from jax import lax

from benchmarks.depthwise import median_ms
from ghostjax.ops.conv import (conv_transpose_kernel_grad, phases_forward, pointwise_conv,
                               transpose_padding)

# (batch, size, in features, out features) of GhostNet 1.0x 1x1 convs at 224x224
POINTWISE = ((32, 112, 16, 24), (32, 56, 24, 36), (32, 28, 40, 120), (32, 14, 112, 336))
# name, batch, input size, in features, out features, kernel, padding as ConvTranspose takes it
# (PyTorch's ConvTranspose2d(4, 2, p=1) pads the dilated input by k - 1 - p = 2)
CONV_TRANSPOSE = (
    ('dcgan64 G 4x4 s2 4->8 512->256', 64, 4, 512, 256, 4, (2, 2)),
    ('dcgan64 G 4x4 s2 8->16 256->128', 64, 8, 256, 128, 4, (2, 2)),
    ('dcgan64 G 4x4 s2 16->32 128->64', 64, 16, 128, 64, 4, (2, 2)),
    ('dcgan28 G 5x5 s2 7->14 128->64', 256, 7, 128, 64, 5, 'SAME'),
)


def _bn_relu_loss(y):
    mean, var = jnp.mean(y, (0, 1, 2)), jnp.var(y, (0, 1, 2))
    return jnp.sum(jnp.maximum((y - mean) * lax.rsqrt(var + 1e-5), 0.0) ** 2)


def _alternate(fns, iters, rounds=3):
    """Best-of-rounds medians, the forms alternating round by round."""
    best = {name: float('inf') for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], median_ms(fn, iters))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iters', type=int, default=7)
    args = ap.parse_args()
    forms = {'matmul_2d': 'fast', 'xla_conv': 'reference'}
    for b, size, i, o in POINTWISE:
        x = jax.random.normal(jax.random.key(0), (b, size, size, i))
        k = jax.random.normal(jax.random.key(1), (1, 1, i, o))
        grads = {n: jax.jit(jax.grad(lambda x, k, u=u: _bn_relu_loss(pointwise_conv(x, k, u)),
                                     (0, 1)))
                 for n, u in forms.items()}
        ms = _alternate({n: (lambda g=g: g(x, k)) for n, g in grads.items()}, args.iters)
        print(json.dumps({'bench': 'matmul_grads', 'op': f'1x1 conv+BN+ReLU grad {b}x{size}x'
                          f'{size} {i}->{o}', **{f'{n}_ms': round(v, 1) for n, v in ms.items()},
                          'ratio': round(ms['matmul_2d'] / ms['xla_conv'], 2)}), flush=True)
    for name, b, size, i, o, kk, p in CONV_TRANSPOSE:
        pads = (transpose_padding(kk, 2, p),) * 2
        x = jax.random.normal(jax.random.key(0), (b, size, size, i))
        w = jax.random.normal(jax.random.key(1), (kk, kk, i, o)) * 0.05
        g = jax.random.normal(jax.random.key(2), phases_forward(x, w, (2, 2), pads).shape)
        per_tap = jax.jit(lambda x, g: conv_transpose_kernel_grad(x, g, (kk, kk), (2, 2), pads))
        xla = jax.jit(lambda x, w, g: jax.vjp(lambda w: phases_forward(x, w, (2, 2), pads),
                                              w)[1](g)[0])
        ms = _alternate({'per_tap_matmuls': lambda: per_tap(x, g),
                         'xla_phase_convs': lambda: xla(x, w, g)}, args.iters)
        print(json.dumps({'bench': 'matmul_grads', 'op': f'{name} kernel grad',
                          **{f'{n}_ms': round(v, 1) for n, v in ms.items()},
                          'ratio': round(ms['per_tap_matmuls'] / ms['xla_phase_convs'], 2)}),
              flush=True)


if __name__ == '__main__':
    main()
