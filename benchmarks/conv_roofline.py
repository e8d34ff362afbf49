"""Where XLA's CPU time goes in the DCGANs: each conv layer's forward, input gradient and kernel
gradient (ms and GMAC/s) next to a large matmul, the machine's practical ceiling. JSON lines.

  python -m benchmarks.conv_roofline [--iters 7]
"""
import argparse
import json

import jax
import jax.numpy as jnp
from jax import lax

from benchmarks.depthwise import median_ms

# name, batch, input size, in features, out features, kernel, stride, padding
LAYERS = (
    ('dcgan28 G 5x5 s1 7x7 256->128', 256, 7, 256, 128, 5, 1, 2),
    ('dcgan28 D 5x5 s2 14->7 64->128', 256, 14, 64, 128, 5, 2, 2),
    ('dcgan64 D 4x4 s2 32->16 64->128', 64, 32, 64, 128, 4, 2, 1),
    ('dcgan64 D 4x4 s2 16->8 128->256', 64, 16, 128, 256, 4, 2, 1),
    ('dcgan64 D 4x4 s2 8->4 256->512', 64, 8, 256, 512, 4, 2, 1),
    ('dcgan64 G phase 2x2 s1 16x16 128->64', 64, 16, 128, 64, 2, 1, 0),
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iters', type=int, default=7)
    args = ap.parse_args()
    n = 4096
    a, b = (jax.random.normal(jax.random.key(i), (n, n)) for i in range(2))
    matmul = jax.jit(jnp.matmul)
    ms = median_ms(lambda: matmul(a, b), args.iters)
    print(json.dumps({'bench': 'conv_roofline', 'op': f'matmul {n}x{n}x{n}', 'ms': round(ms, 1),
                      'gmac_per_s': round(n ** 3 / ms / 1e6)}), flush=True)
    for name, bs, size, cin, cout, k, s, p in LAYERS:
        conv = lambda x, w: lax.conv_general_dilated(  # noqa: E731
            x, w, (s, s), ((p, p), (p, p)), dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
        x = jax.random.normal(jax.random.key(0), (bs, size, size, cin))
        w = jax.random.normal(jax.random.key(1), (k, k, cin, cout)) * 0.05
        g = jnp.ones_like(conv(x, w))
        gmac = g.size * cin * k * k / 1e9
        parts = {'forward': (jax.jit(conv), (x, w)),
                 'input_grad': (jax.jit(lambda x, w, g: jax.vjp(lambda x: conv(x, w), x)[1](g)[0]),
                                (x, w, g)),
                 'kernel_grad': (jax.jit(lambda x, w, g: jax.vjp(lambda w: conv(x, w), w)[1](g)[0]),
                                 (x, w, g))}
        row = {'bench': 'conv_roofline', 'op': name, 'batch': bs, 'gmac': round(gmac, 2)}
        for part, (fn, fn_args) in parts.items():
            ms = median_ms(lambda: fn(*fn_args), args.iters)
            row[f'{part}_ms'] = round(ms, 1)
            row[f'{part}_gmac_per_s'] = round(gmac / ms * 1e3)
        print(json.dumps(row), flush=True)


if __name__ == '__main__':
    main()
