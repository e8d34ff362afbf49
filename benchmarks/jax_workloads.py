"""This project's side of the peer benchmarks: each workload is built once and returns a
zero-argument callable that runs one step to completion (blocking on its outputs). Its ``macs``
attribute is the step's work: conv and matmul multiply-accumulates counted from the step's
jaxpr (``ghostjax.count_macs``; the hand-written depthwise backward is elementwise code and not
counted).

The work mirrors ``torch_workloads.py`` exactly: same shapes, batch, optimizer and schedule.
"""
from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from configs import (dcgan28_fashion_mnist, dcgan64_celeba, ghost_g_dcgan28_d_fashion_mnist,
                     ghost_g_ghost_d_fashion_mnist, ghost_g_ghostnet_d_fashion_mnist)
from ghostjax.data import scenes
from ghostjax.ops.counting import count_macs
from ghostjax.models.ghostnet import GhostNet
from ghostjax.training import classifier, dense_prediction
from ghostjax.training import gan as gan_lib
from ghostjax.training.parallel import batch_sharding, compile_step, data_mesh, replicate


def _ghostnet(train: bool):
    model = GhostNet(width=1.0, num_classes=1000)
    x = jax.random.normal(jax.random.key(0), (32, 224, 224, 3))
    tx = optax.chain(optax.add_decayed_weights(1e-4), optax.sgd(0.01, momentum=0.9))
    state = classifier.create_train_state(jax.random.key(1), model, (224, 224, 3), tx)
    if not train:
        def infer_fn(s, x):
            return s.apply_fn({'params': s.params, 'batch_stats': s.batch_stats}, x)
        infer = jax.jit(infer_fn)
        return _with_macs(lambda: infer(state, x).block_until_ready(), infer_fn, state, x,
                          jitted=infer)
    batch = {'image': x, 'label': jax.random.randint(jax.random.key(2), (32,), 0, 1000)}
    step = jax.jit(classifier.train_step, donate_argnums=(0,))
    box = [state]

    def run():
        box[0], metrics = step(box[0], batch, jax.random.key(3))
        jax.block_until_ready(metrics)
    return _with_macs(run, classifier.train_step, state, batch, jax.random.key(3),
                      jitted=step)


def _with_macs(run, fn, *args, jitted=None):
    """``run`` with ``run.macs``, the MACs of ``fn(*args)`` (traced, not run), and, given the
    ``jitted`` function ``run`` calls, ``run.compiled_text()``: the optimized HLO that runs, and
    ``run.stages()``: the seconds its trace, lowering and compilation take."""
    run.macs = count_macs(fn, *args)
    if jitted is not None:
        specs = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype)
                             if hasattr(x, 'shape') else x, args)
        run.compiled_text = lambda: jitted.lower(*specs).compile().as_text()
        run.stages = lambda: _stage_times(jitted, specs)
    return run


def _stage_times(jitted, specs) -> dict[str, float]:
    """Seconds to trace, lower and compile ``jitted`` on ``specs`` (ahead of time; compile is
    a load when the persistent compilation cache holds the program)."""
    t0 = time.perf_counter()
    traced = jitted.trace(*specs)
    t1 = time.perf_counter()
    lowered = traced.lower()
    t2 = time.perf_counter()
    lowered.compile()
    t3 = time.perf_counter()
    return {'trace': t1 - t0, 'lower': t2 - t1, 'compile': t3 - t2}


def _matmul(n: int = 4096):
    """``[n, n] @ [n, n]`` in float32: the machine's practical compute ceiling."""
    a, b = (jax.random.normal(jax.random.key(i), (n, n)) for i in range(2))
    matmul = jax.jit(jnp.matmul)
    return _with_macs(lambda: matmul(a, b).block_until_ready(), jnp.matmul, a, b,
                      jitted=matmul)


def gan_iteration(config, resolution: int, channels: int, batch_size: int):
    """One jitted ``gan.train_step`` of ``config`` on a fixed random batch."""
    g, d = gan_lib.create_models(config, resolution, channels, 10)
    shape = (resolution, resolution, channels)
    state = gan_lib.create_state(config, g, d, shape, jax.random.key(0))
    step_fn = functools.partial(gan_lib.train_step, cfg=gan_lib.step_config(config, g.z_dim))
    step = jax.jit(step_fn, donate_argnums=(0,))
    batch = {'image': jax.random.uniform(jax.random.key(1), (batch_size, *shape), minval=-1,
                                         maxval=1),
             'label': jnp.zeros((batch_size,), jnp.int32)}
    box, count = [state], [0]

    def run():
        count[0] += 1
        box[0], metrics = step(box[0], batch, jax.random.key(count[0]))
        jax.block_until_ready(metrics)
    return _with_macs(run, step_fn, state, batch, jax.random.key(0), jitted=step)


def dense_step(config):
    """One ``dense_prediction.train_step`` of ``config`` on its first training batch, wrapped as the
    trainer wraps it (``compile_step`` over every local device)."""
    split = scenes.load_dense(config.dataset, split=config.train_split,
                              image_size=config.image_size,
                              data_dir=config.get('data_dir') or None,
                              **config.get('dataset_kwargs', {}))
    batch = scenes.DensePreprocess(**config.input).apply(
        split.read_batch(np.arange(config.batch_size)))
    shape = batch['image'].shape[1:]
    model = dense_prediction.create_model(config, split.num_classes, shape[-1], 'batch')
    tx, _ = dense_prediction.optimizer(config, config.num_train_steps)
    state = dense_prediction.create_state(config, model, shape, tx, jax.random.key(0))
    cfg = dense_prediction.step_config(config, model, split.num_classes, shape[:2])
    step_fn = functools.partial(dense_prediction.train_step, cfg=cfg)
    mesh = data_mesh(all_devices=True)
    step = compile_step(step_fn, mesh)
    box = [replicate(state, mesh)]
    batch = jax.device_put(batch, batch_sharding(mesh))
    rng = replicate(jax.random.key(1), mesh)

    def run():
        box[0], metrics = step(box[0], batch, rng)
        jax.block_until_ready(metrics)
    # counted outside shard_map: the same step on a model whose BN needs no mesh axis
    plain = dense_prediction.create_model(config, split.num_classes, shape[-1])
    return _with_macs(run, step_fn, state.replace(apply_fn=plain.apply), batch,
                      jax.random.key(1))


def _dcgan(resolution: int, batch_size: int):
    module = dcgan64_celeba if resolution == 64 else dcgan28_fashion_mnist
    config = module.get_config()
    config.ema_decay = 0.0  # the PyTorch example keeps no EMA
    return gan_iteration(config, resolution, 3 if resolution == 64 else 1, batch_size)


WORKLOADS = {
    'matmul': _matmul,
    'ghostnet_infer': lambda: _ghostnet(train=False),
    'ghostnet_train': lambda: _ghostnet(train=True),
    'dcgan64': lambda: _dcgan(64, 64),
    'dcgan28': lambda: _dcgan(28, 256),
    'ghost_g_dcgan28_d': lambda: gan_iteration(ghost_g_dcgan28_d_fashion_mnist.get_config(),
                                               28, 1, 64),
    'ghost_g_ghost_d': lambda: gan_iteration(ghost_g_ghost_d_fashion_mnist.get_config(),
                                             28, 1, 64),
    'ghost_g_ghostnet_d': lambda: gan_iteration(ghost_g_ghostnet_d_fashion_mnist.get_config(),
                                                28, 1, 64),
}
