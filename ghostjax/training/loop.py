"""Bookkeeping both trainers share: resumable iteration over epochs, buffered metrics with
non-finite checks, and checkpoints of host copies of the state."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator, Mapping

import jax
import numpy as np

from ghostjax import data
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import logging as log_lib
from ghostjax.training.state import unreplicate


def host_copy(tree: Any, devices: int) -> Any:
    """A host (numpy) copy of ``tree``, taking device 0's replica when ``devices > 1``."""
    return jax.device_get(unreplicate(tree) if devices > 1 else tree)


def train_steps(split: data.Split, *, start: int, total: int, global_batch: int, seed: int,
                preprocess: data.Preprocess, layout: str,
                stop: ckpt_lib.StopSignal) -> Iterator[tuple[int, dict]]:
    """Yields ``(step, batch)`` from ``start`` to ``total``, epoch by epoch.

    Resuming at ``start`` skips the first ``start % steps_per_epoch`` batches of the epoch, so
    the data (shuffle and augmentation) continue exactly as in an uninterrupted run. Stops
    early once ``stop.requested``.
    """
    steps_per_epoch = split.num_examples // global_batch
    step = start
    while step < total and not stop.requested:
        epoch, offset = divmod(step, steps_per_epoch)
        batches = data.make_batches(split, global_batch=global_batch, seed=seed, epoch=epoch,
                                    preprocess=preprocess, train=True, layout=layout)
        for batch in itertools.islice(batches, offset, None):
            yield step, batch
            step += 1
            if step >= total or stop.requested:
                return


class MetricLog:
    """Keeps per-step device metrics without host syncs; ``flush`` fetches them once, checks
    ``finite_keys`` (naming the first bad step), and writes means to TensorBoard / console and
    the progress bar (``postfix``: bar label -> metric name)."""

    def __init__(self, writer: log_lib.MetricWriter, progress: log_lib.Progress, devices: int,
                 finite_keys: tuple[str, ...], postfix: Mapping[str, str],
                 extra: Callable[[int], dict] | None = None):
        self.writer, self.progress, self.devices = writer, progress, devices
        self.finite_keys, self.postfix, self.extra = finite_keys, postfix, extra
        self.history: list[tuple[int, Any]] = []

    def add(self, step: int, metrics: Any) -> None:
        self.history.append((step, metrics))

    def flush(self, step: int) -> None:
        if not self.history:
            return
        fetched = [(i, host_copy(m, self.devices)) for i, m in self.history]
        self.history.clear()
        log_lib.check_finite(fetched, self.finite_keys)
        mean = {k: float(np.mean([m[k] for _, m in fetched])) for k in fetched[0][1]}
        if self.extra:
            mean.update(self.extra(step))
        mean['images_per_s'] = self.progress.update(
            step, {label: mean[k] for label, k in self.postfix.items()})
        self.writer.scalars(step, mean, 'train/')


def save_checkpoint(checkpointer: ckpt_lib.Checkpointer, step: int, state: Any, params: Any,
                    meta: Mapping[str, Any]) -> None:
    """Saves the host ``state`` unless ``params`` hold a NaN/inf (then raises, naming the step,
    so the last good checkpoint stays the latest)."""
    if not all(np.all(np.isfinite(x)) for x in jax.tree.leaves(params)):
        raise log_lib.NonFiniteLossError(step, 'parameter', float('nan'))
    checkpointer.save(step, state, {'step': step, **meta})
