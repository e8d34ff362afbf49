"""Shared assertions, markers and tiny configs."""
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import ghost_g_dcgan28_d_fashion_mnist, ghostnet_fashion_mnist

ROOT = pathlib.Path(__file__).resolve().parents[1]  # the repository
# Tests that read Fashion-MNIST (they train): skipped without it, and 'slow' (conftest.py).
needs_fmnist = pytest.mark.needs_fmnist
TINY_STAGES = (((3, 16, 16, 0.0, 1),), ((3, 48, 24, 0.0, 2),), ((5, 72, 40, 0.25, 2),))


def assert_trees_close(a, b, rtol: float = 1e-5) -> None:
    """Every leaf of ``a`` and ``b`` agrees to ``rtol`` relative to the scale of the whole tree.

    Per-leaf relative error is ill-posed for entries that are 0 in exact arithmetic (running
    means after a zero-mean BN, the bias of a BN feeding another BN): there summation order
    alone decides the digits.
    """
    scale = max(float(jnp.max(jnp.abs(x))) for x in jax.tree.leaves(a))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * scale)


def tiny_config(**overrides):
    """A GhostNet classifier config that trains in seconds (6 steps, checkpoint at 3)."""
    c = ghostnet_fashion_mnist.get_config()
    c.model.width = 0.5
    c.model.stages = TINY_STAGES
    c.batch_size = 16
    c.eval_batch_size = 1000
    c.num_epochs = 1
    c.num_train_steps = 6
    c.log_every_steps = 2
    c.checkpoint_every_steps = 3
    c.data_parallel = False
    for k, v in overrides.items():
        c[k] = v
    return c


def tiny_gan_config(**kw):
    """A Ghost-G / MLP-D GAN config that trains in seconds (6 steps, checkpoint at 3)."""
    c = ghost_g_dcgan28_d_fashion_mnist.get_config()
    c.generator.kwargs = {'base_features': 8}
    c.discriminator.name = 'mlp'
    c.discriminator.kwargs = {'hidden': 32}
    c.batch_size = 16
    c.num_train_steps = 6
    c.log_every_steps = 2
    c.sample_every_steps = 3
    c.checkpoint_every_steps = 3
    c.num_grid = 16
    c.data_parallel = False
    c.eval.extractor_workdir = ''  # metrics have their own tests
    for k, v in kw.items():
        c[k] = v
    return c


def sgd_gan_config(**kw):
    """``tiny_gan_config`` with plain SGD at a small rate, for comparing runs across device
    topologies to 1e-5. Adam turns the float noise of exactly-zero gradients (a BN bias feeding
    another BN) into +-lr steps, and at SGD rates of 0.01 and more this tiny GAN amplifies the
    all-reduce's summation-order noise 100x per step (1 vs 4 devices in one process alike)."""
    return tiny_gan_config(**{'optimizer': 'sgd', 'b1': 0.5, 'g_learning_rate': 0.002,
                              'd_learning_rate': 0.002, **kw})
