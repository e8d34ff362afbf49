"""Metrics to TensorBoard event files and the console, and a progress bar with images/s."""
from __future__ import annotations

import json
import os
import time
from typing import Mapping

from absl import logging
import jax
import numpy as np
from tensorboardX import SummaryWriter
from tqdm import tqdm


class MetricWriter:
    """Writes scalars (and images) to TensorBoard event files in ``workdir`` and the log."""

    def __init__(self, workdir: str, enabled: bool | None = None):
        enabled = jax.process_index() == 0 if enabled is None else enabled
        self._tb = None
        if enabled:
            self._tb = SummaryWriter(os.path.join(workdir, 'tensorboard'))

    def scalars(self, step: int, scalars: Mapping[str, float], prefix: str = '') -> None:
        """Numbers, and lists of numbers as ``name/i`` (e.g. a class histogram)."""
        flat = {}
        for k, v in scalars.items():
            if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float)) for x in v):
                flat.update({f'{k}/{i}': x for i, x in enumerate(v)})
            else:
                flat[k] = v
        scalars = {f'{prefix}{k}': float(v) for k, v in flat.items()
                   if isinstance(v, (int, float, np.number, np.ndarray, jax.Array))}
        logging.info('step %d: %s', step, ', '.join(f'{k}={v:.5g}' for k, v in scalars.items()))
        if self._tb:
            for k, v in scalars.items():
                self._tb.add_scalar(k, v, step)

    def image(self, step: int, name: str, image: np.ndarray) -> None:
        """``image``: [H, W, C] uint8."""
        if self._tb:
            self._tb.add_image(name, image, step, dataformats='HWC')

    def flush(self) -> None:
        if self._tb:
            self._tb.flush()

    def close(self) -> None:
        if self._tb:
            self._tb.close()


class Progress:
    """tqdm bar over steps showing loss-like postfix values, images/s and the ETA."""

    def __init__(self, total: int, initial: int, images_per_step: int, desc: str):
        self.bar = tqdm(total=total, initial=initial, desc=desc, unit='step', dynamic_ncols=True,
                        disable=jax.process_index() != 0, mininterval=2.0)
        self.images_per_step = images_per_step
        self._t, self._step = time.perf_counter(), initial

    def update(self, step: int, postfix: Mapping[str, float]) -> float:
        now = time.perf_counter()
        rate = (step - self._step) * self.images_per_step / max(now - self._t, 1e-9)
        self._t, self._step = now, step
        self.bar.set_postfix({**{k: f'{float(v):.4g}' for k, v in postfix.items()},
                              'img/s': f'{rate:.0f}'}, refresh=False)
        self.bar.update(step - self.bar.n)
        return rate

    def close(self) -> None:
        self.bar.close()


def say(message: str) -> None:
    """One line for the user on the console (process 0), printed above any progress bar;
    library logs go through absl and are hidden unless ``--verbosity`` asks for them."""
    if jax.process_index() == 0:
        tqdm.write(message)


def write_json(path: str, obj: Mapping) -> None:
    """Writes ``obj`` to ``path`` atomically, from process 0 only."""
    if jax.process_index() != 0:
        return
    with open(path + '.tmp', 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=float)
    os.replace(path + '.tmp', path)


class NonFiniteLossError(FloatingPointError):
    """A training loss became NaN or inf; carries the step it happened at."""

    def __init__(self, step: int, name: str, value: float):
        self.step = step
        super().__init__(f'non-finite {name} ({value}) at step {step}; stopping. The last good '
                         'checkpoint is kept intact.')


def check_finite(history: list[tuple[int, Mapping[str, np.ndarray]]],
                 keys: tuple[str, ...]) -> None:
    """Raises NonFiniteLossError for the first step in ``history`` with a non-finite metric."""
    for step, metrics in history:
        for k in keys:
            v = np.asarray(metrics[k])
            if not np.all(np.isfinite(v)):
                raise NonFiniteLossError(step, k, float(v.ravel()[~np.isfinite(v.ravel())][0]))
