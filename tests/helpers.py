"""Shared assertions."""
import jax
import jax.numpy as jnp
import numpy as np


def assert_trees_close(a, b, rtol: float = 1e-5) -> None:
    """Every leaf of ``a`` and ``b`` agrees to ``rtol`` relative to the scale of the whole tree.

    Per-leaf relative error is ill-posed for entries that are 0 in exact arithmetic (running
    means after a zero-mean BN, the bias of a BN feeding another BN): there summation order
    alone decides the digits.
    """
    scale = max(float(jnp.max(jnp.abs(x))) for x in jax.tree.leaves(a))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * scale)
