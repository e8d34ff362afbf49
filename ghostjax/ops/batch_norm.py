"""Training-mode batch normalisation over the last axis of ``x [..., C]``.

Both forms compute flax's ``BatchNorm`` (fast variance ``E[x^2] - E[x]^2``, statistics in
float32, averaged over ``axis_name`` inside a mapped step). The fast form (``'auto'``
everywhere) has the textbook hand-written gradient, two reductions per channel; autodiff of
the reference form makes XLA read the activations three times.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from ghostjax.ops import policy


def batch_stats(x: jax.Array, axis_name: str | None) -> tuple[jax.Array, jax.Array]:
    """Per-channel mean and biased variance of ``x [..., C]`` (float32), over ``axis_name`` too."""
    axes = tuple(range(x.ndim - 1))
    mean, mean2 = jnp.mean(x, axes), jnp.mean(x * x, axes)
    if axis_name is not None:
        mean, mean2 = lax.pmean((mean, mean2), axis_name)
    return mean, jnp.maximum(mean2 - mean * mean, 0.0)


def _reference(x, scale, bias, epsilon, axis_name):
    xf = x.astype(jnp.float32)
    mean, var = batch_stats(xf, axis_name)
    y = ((xf - mean) * (lax.rsqrt(var + epsilon) * scale) + bias).astype(x.dtype)
    return y, mean, var


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _fast(x, scale, bias, epsilon, axis_name):
    return _fast_fwd(x, scale, bias, epsilon, axis_name)[0]


def _fast_fwd(x, scale, bias, epsilon, axis_name):
    xf = x.astype(jnp.float32)
    mean, var = batch_stats(xf, axis_name)
    inv = lax.rsqrt(var + epsilon)
    y = ((xf - mean) * (inv * scale) + bias).astype(x.dtype)
    return (y, mean, var), (x, mean, inv, scale)


def _fast_bwd(epsilon, axis_name, residuals, cotangents):
    x, mean, inv, scale = residuals
    gy, gmean, gvar = cotangents
    axes = tuple(range(x.ndim - 1))
    xf, gy = x.astype(jnp.float32), gy.astype(jnp.float32)
    xhat = (xf - mean) * inv
    dbias, dscale = jnp.sum(gy, axes), jnp.sum(gy * xhat, axes)
    n, total_bias, total_scale = x.size // x.shape[-1], dbias, dscale
    if axis_name is not None:  # the statistics, and so dx, span every device's batch
        total_bias, total_scale, gmean, gvar = lax.psum((dbias, dscale, gmean, gvar), axis_name)
        n = n * lax.psum(1, axis_name)
    dx = ((scale * inv) * (gy - total_bias / n - xhat * (total_scale / n))
          + gmean / n + gvar * (2.0 / n) * (xf - mean))
    return dx.astype(x.dtype), dscale, dbias


_fast.defvjp(_fast_fwd, _fast_bwd)


def batch_norm_train(x: jax.Array, scale: jax.Array, bias: jax.Array, epsilon: float,
                     axis_name: str | None = None, impl: str = 'auto'
                     ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(y, mean, var)``: ``x`` normalised by its batch statistics (which are returned for
    the running averages) times ``scale`` plus ``bias``."""
    fn = _fast if policy.use_fast(impl, True, 'batch_norm') else _reference
    return fn(x, scale, bias, epsilon, axis_name)


def batch_norm_eval(x: jax.Array, scale: jax.Array, bias: jax.Array, mean: jax.Array,
                    var: jax.Array, epsilon: float) -> jax.Array:
    """``x`` normalised by running statistics, in float32."""
    return (x.astype(jnp.float32) - mean) * (lax.rsqrt(var + epsilon) * scale) + bias
