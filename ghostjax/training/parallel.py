"""Data parallelism: the mesh, shardings, host copies, and the one place a step is wrapped
for any number of devices and processes.

A run is data-parallel over a 1-D mesh, axis ``'batch'``, of every device of every process
(``data_mesh``); one device is the mesh of one. A pure step ``f(state, batch, rng, *,
axis_name)`` is wrapped once by ``compile_step``::

    mesh = data_mesh()
    p_step = compile_step(train_step, mesh)       # jit(shard_map(...)) over the mesh
    state = replicate(state, mesh)                # every device holds the whole state
    state, metrics = p_step(state, batch, rng)    # batch: [B_global, ...] split over 'batch'

Inside, each device sees ``[B_global / devices, ...]`` and the step averages its gradients,
BatchNorm statistics and metrics with ``lax.pmean(..., axis_name)``. ``shard_map`` runs with
``check_vma=False``: with the default ``True`` the gradients of replicated parameters arrive
already summed over the devices and the ``pmean`` would not undo it (``docs/design.md``, "One
data-parallel path", says why this replaces the older per-device mapping).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = 'batch'


def pmean_if(tree: Any, axis_name: str | None) -> Any:
    """``lax.pmean`` over ``axis_name`` inside a wrapped step; the identity when a step is
    called directly (``axis_name=None``)."""
    return tree if axis_name is None else jax.lax.pmean(tree, axis_name)


def data_mesh(all_devices: bool = True, devices: Sequence[jax.Device] | None = None) -> Mesh:
    """The data-parallel mesh: every device of every process (``all_devices``), or the first
    local device alone (a single-process run only), or the ``devices`` given."""
    if devices is None:
        if not all_devices and jax.process_count() > 1:
            raise ValueError(f'a run of {jax.process_count()} processes must use all devices '
                             '(config.data_parallel=True)')
        devices = jax.devices() if all_devices else jax.local_devices()[:1]
    return Mesh(np.asarray(devices), (AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Leading (batch) axis split over the mesh."""
    return NamedSharding(mesh, PartitionSpec(AXIS))


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Global arrays holding ``tree`` (host or device values, the same on every process) whole
    on every device of ``mesh``."""
    sharding = NamedSharding(mesh, PartitionSpec())

    def put(x):
        if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            return jax.random.wrap_key_data(put(jax.random.key_data(x)),
                                            impl=jax.random.key_impl(x))
        x = np.asarray(host_copy(x))
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    return jax.tree.map(put, tree)


def host_copy(tree: Any) -> Any:
    """A host copy of ``tree``: numpy arrays (PRNG keys stay keys, on the default device); of a
    replicated global array, this process's replica."""
    def get(x):
        if not isinstance(x, jax.Array):
            return x
        if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            return jax.random.wrap_key_data(get(jax.random.key_data(x)),
                                            impl=jax.random.key_impl(x))
        if x.sharding.is_fully_replicated:
            return np.asarray(x.addressable_data(0))
        if not x.is_fully_addressable:
            raise ValueError(f'host_copy of an array of shape {x.shape} split over processes '
                             f'({x.sharding}); expected a replicated or a local array')
        return np.asarray(x)
    return jax.tree.map(get, tree)


def compile_step(step: Callable, mesh: Mesh, donate: bool = True,
                 batch_argnums: Sequence[int] = (1,)) -> Callable:
    """Wraps ``step(*args, axis_name=...)`` once over ``mesh``: the arguments at
    ``batch_argnums`` are split along their leading axis, the others (state, rng) replicated;
    every output must be replicated (pmean/psum it in the step). Donates argument 0."""
    body = functools.partial(step, axis_name=AXIS)

    def wrapped(*args):
        in_specs = tuple(PartitionSpec(AXIS) if i in batch_argnums else PartitionSpec()
                         for i in range(len(args)))
        return jax.shard_map(body, mesh=mesh, in_specs=in_specs, out_specs=PartitionSpec(),
                             check_vma=False)(*args)

    return jax.jit(wrapped, donate_argnums=(0,) if donate else ())


def global_draw(sample: Callable[[jax.Array, int], Any], key: jax.Array, local_n: int,
                axis_name: str | None) -> Any:
    """``sample(key, n)`` (arrays with a leading ``n``) drawn for the global batch inside a
    step wrapped over ``axis_name``, the same on every device; returns this device's
    ``local_n`` rows. Outside a wrapped step (``axis_name=None``): ``sample(key, local_n)``.
    So a step's random inputs do not depend on the device count."""
    if axis_name is None:
        return sample(key, local_n)
    n = jax.lax.psum(1, axis_name)
    start = jax.lax.axis_index(axis_name) * local_n
    return jax.tree.map(lambda full: jax.lax.dynamic_slice_in_dim(full, start, local_n),
                        sample(key, n * local_n))
