"""Orbax checkpointing with automatic resume, a compatibility check, and clean SIGTERM stops."""
from __future__ import annotations

import contextlib
import json
import os
import signal
from typing import Any, Callable, Iterator

import flax
import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
from jax.experimental import multihost_utils

from ghostjax.training import writers


class IncompatibleCheckpointError(ValueError):
    """The workdir holds a checkpoint whose tree or shapes differ from the model being trained."""


class CorruptCheckpointError(ValueError):
    """A checkpoint's files cannot be read (truncated or damaged)."""


def _signature(tree: Any) -> dict[str, tuple[int, ...]]:
    flat = flax.traverse_util.flatten_dict(flax.serialization.to_state_dict(tree), sep='/')
    return {k: tuple(np.shape(v)) for k, v in flat.items()}


class Checkpointer:
    """Keeps the last ``keep`` checkpoints of a train state (plus JSON metadata) in
    ``{workdir}/checkpoints``; ``restore`` resumes from the latest one."""

    def __init__(self, workdir: str, keep: int = 3):
        self.directory = os.path.abspath(os.path.join(workdir, 'checkpoints'))
        self.manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True))

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def save(self, step: int, state: Any, meta: dict | None = None) -> None:
        """Saves host-side ``state`` (unreplicated) at ``step``; waits until it is on disk."""
        meta = {**(meta or {}), 'signature': _signature(state)}
        self.manager.save(step, args=ocp.args.Composite(
            state=ocp.args.StandardSave(jax.device_get(state)),
            meta=ocp.args.JsonSave(json.loads(json.dumps(meta, default=list)))), force=True)
        self.manager.wait_until_finished()

    def meta(self, step: int | None = None) -> dict:
        """The JSON metadata saved with ``step`` (default latest)."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f'no checkpoint in {self.directory}')
        with self._readable(step):
            return self.manager.restore(step, args=ocp.args.Composite(
                meta=ocp.args.JsonRestore()))['meta']

    @contextlib.contextmanager
    def _readable(self, step: int) -> Iterator[None]:
        """Turns a read failure of checkpoint ``step`` into a CorruptCheckpointError that
        names it; nothing on disk is changed."""
        try:
            yield
        except Exception as error:  # orbax raises JSON, tensorstore and OS errors alike
            raise CorruptCheckpointError(
                f'checkpoint step {step} in {self.directory} is unreadable '
                f'({type(error).__name__}: {error}). Nothing was overwritten; remove '
                f'{os.path.join(self.directory, str(step))} to resume from an earlier '
                'checkpoint, or use another --workdir.') from error

    def restore(self, template: Any, step: int | None = None) -> tuple[Any, dict] | None:
        """(state, meta) from ``step`` (default latest), or None when there is no checkpoint.

        Raises IncompatibleCheckpointError, naming the first differing variable, when the
        checkpoint was written by a different model; nothing on disk is touched.
        """
        step = self.latest_step() if step is None else step
        if step is None:
            return None
        meta = self.meta(step)
        saved = {k: tuple(v) for k, v in meta['signature'].items()}
        expected = _signature(template)
        if saved != expected:
            diff = sorted(set(saved) ^ set(expected)) or [
                k for k in sorted(expected) if saved[k] != expected[k]]
            first = diff[0]
            raise IncompatibleCheckpointError(
                f'{self.directory} holds a checkpoint (step {step}) of an incompatible model: '
                f'first mismatch at {first!r}: checkpoint {saved.get(first, "absent")}, model '
                f'{expected.get(first, "absent")}. Use another --workdir or remove it.')
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, jax.device_get(template))
        with self._readable(step):
            state = self.manager.restore(step, args=ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract)))['state']
        return state, meta

    def resume(self, template: Any) -> Any:
        """The latest checkpoint's state, or ``template`` itself when there is none yet."""
        restored = self.restore(template)
        if restored is None:
            return template
        writers.say(f'resumed from step {restored[1]["step"]} ({self.directory})')
        return restored[0]

    def close(self) -> None:
        self.manager.close()


def restore_run(workdir: str, trainer: str,
                build_template: Callable[[ml_collections.ConfigDict, dict], Any],
                step: int | None = None) -> tuple[ml_collections.ConfigDict, Any, dict]:
    """(config, state, checkpoint metadata) of the ``trainer`` run (e.g. ``'train.gan'``) in
    ``workdir`` at ``step`` (default latest). ``build_template(config, meta)`` makes the state
    the checkpoint restores into; it is only traced (``jax.eval_shape``), never run, so a
    restore compiles nothing."""
    path = os.path.join(workdir, 'config.json')
    if not os.path.exists(path):
        raise FileNotFoundError(f'{workdir} holds no {trainer} run (no config.json); train one '
                                f'with `python -m {trainer} --config ... --workdir {workdir}`')
    with open(path) as f:
        config = ml_collections.ConfigDict(json.load(f))
    checkpointer = Checkpointer(workdir)
    try:
        meta = checkpointer.meta(step)
        template = jax.eval_shape(lambda: build_template(config, meta))
        state, _ = checkpointer.restore(template, step)
    finally:
        checkpointer.close()
    return config, state, meta


class StopSignal:
    """Turns SIGTERM / SIGINT into a flag the training loop checks, so it can save and exit.

    In a multi-process run the processes must stop at the same step (or the others would wait
    in a collective): there ``requested`` changes only at ``agree()``, which every process calls
    at the same steps and which sets it when any process received a signal.
    """

    def __init__(self):
        self.received = False
        self._agreed = False
        self._previous = {}

    @property
    def requested(self) -> bool:
        return self.received if jax.process_count() == 1 else self._agreed

    def agree(self) -> None:
        if jax.process_count() > 1:
            flags = multihost_utils.process_allgather(np.asarray([self.received]))
            self._agreed = bool(np.any(flags))

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        del frame
        self.received = True

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
