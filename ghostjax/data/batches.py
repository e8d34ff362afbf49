"""Deterministic batches of a split for any number of devices and processes.

  split = data.load('fashion_mnist', 'train')              # prepares once, then reads
  for batch in data.make_batches(split, global_batch=256, seed=0, epoch=e,
                                 preprocess=data.Preprocess.for_classifier('fashion_mnist'),
                                 train=True, sharding=batch_sharding(mesh)):
      ...                                                  # {'image': [B, H, W, C], 'label'}
"""
from __future__ import annotations

import collections
from typing import Any, Iterator

import grain
import jax
import numpy as np

from ghostjax.data.preprocess import Preprocess
from ghostjax.data.sources import Split

def eval_batch_size(num_examples: int, max_batch: int, devices: int = 1) -> int:
    """The largest batch ``<= max_batch`` that divides ``num_examples`` and ``devices``, so that
    an evaluation scores every example (e.g. 200 validation images, at most 500 a batch: 200);
    ``max_batch`` when there is none (the remainder is then dropped)."""
    for size in range(min(max_batch, num_examples), 0, -1):
        if num_examples % size == 0 and size % devices == 0:
            return size
    return max_batch


def check_batch(global_batch: int, devices: int = 1) -> int:
    """Validates the global batch against the process count and the total ``devices`` it is
    split over; returns this process's batch size."""
    if global_batch <= 0:
        raise ValueError(f'the batch size must be positive, got {global_batch}')
    processes = jax.process_count()
    for count, what in ((devices, 'total device count'), (processes, 'process count')):
        if global_batch % count:
            raise ValueError(f'global batch {global_batch} is not divisible by the {what} '
                             f'{count} ({processes} processes, {devices} devices in all)')
    return global_batch // processes


def epoch_indices(num_examples: int, global_batch: int, seed: int, epoch: int,
                  shuffle: bool = True, process_index: int | None = None,
                  process_count: int | None = None) -> np.ndarray:
    """This host's example indices for each step of an epoch: ``[steps, global_batch / hosts]``.

    The permutation depends only on (seed, epoch); the remainder is dropped; host ``p`` takes
    the ``p``-th slice of every global batch.
    """
    p = jax.process_index() if process_index is None else process_index
    n_hosts = jax.process_count() if process_count is None else process_count
    order = (np.random.default_rng([seed, epoch]).permutation(num_examples) if shuffle
             else np.arange(num_examples))
    steps = num_examples // global_batch
    if steps == 0:
        raise ValueError(f'global batch {global_batch} exceeds the {num_examples} examples')
    host_batch = global_batch // n_hosts
    return order[:steps * global_batch].reshape(steps, n_hosts, host_batch)[:, p]


def make_batches(split: Split, *, global_batch: int, seed: int = 0, epoch: int = 0,
                 preprocess: Preprocess | None = None, train: bool = True,
                 shuffle: bool | None = None, sharding: jax.sharding.Sharding | None = None,
                 prefetch: int = 2, num_threads: int = 2) -> Iterator[dict[str, Any]]:
    """One epoch of batches ``{'image': float32 [B, H, W, C], 'label': int32 [B]}`` (plus the
    targets of a dense split, e.g. ``data.scenes.DenseSplit``).

    With ``sharding`` (e.g. ``state.batch_sharding(mesh)``), each batch is one global array of
    ``B = global_batch`` rows split over its devices, built from every process's slice;
    without, this process's ``B = global_batch / processes`` rows on its first device.
    Augmentation draws from a generator seeded by (seed, epoch, step), the same on every
    process, so an epoch is reproducible and independent of the process count.
    """
    check_batch(global_batch, len(sharding.device_set) if sharding is not None else 1)
    preprocess = preprocess or Preprocess()
    shuffle = train if shuffle is None else shuffle
    plan = epoch_indices(split.num_examples, global_batch, seed, epoch, shuffle)
    host = plan.shape[1]
    rows = slice(jax.process_index() * host, (jax.process_index() + 1) * host)

    def host_batch(indices):
        return split.read_batch(np.sort(indices) if split.images is None else indices)

    if split.images is not None:
        raw = (host_batch(i) for i in plan)
    else:
        raw = iter(grain.MapDataset.source(plan).map(host_batch).to_iter_dataset(
            grain.ReadOptions(num_threads=num_threads, prefetch_buffer_size=2 * num_threads)))
    batches = (preprocess.apply(b, np.random.default_rng([seed, epoch, step, 1]), train, rows,
                                global_batch) for step, b in enumerate(raw))
    return prefetch_to_device(batches, prefetch, sharding)


def prefetch_to_device(batches: Iterator[dict], size: int = 2,
                       sharding: jax.sharding.Sharding | None = None) -> Iterator[dict]:
    """Keeps ``size`` batches already transferred to the devices ahead of the consumer: as
    global arrays over ``sharding`` (this process's rows of each), else on the first local
    device."""
    def put(batch):
        if sharding is None:
            return jax.device_put(batch, jax.local_devices()[0])
        return jax.tree.map(lambda x: jax.make_array_from_process_local_data(
            sharding, x, (x.shape[0] * jax.process_count(), *x.shape[1:])), batch)

    queue = collections.deque()
    for batch in batches:
        queue.append(put(batch))
        if len(queue) > size:
            yield queue.popleft()
    while queue:
        yield queue.popleft()
