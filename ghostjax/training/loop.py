"""The one loop skeleton under every trainer (classifier, GAN, compression fine-tuning).

``Run`` owns a run's bookkeeping: the Orbax checkpointer (resume, periodic and final saves,
refusing to save NaN/inf parameters), the TensorBoard writer, the progress bar, buffered
metrics with a non-finite stop, named evaluations, and SIGTERM/SIGINT turned into
save-and-exit. A trainer supplies only its wrapped step, its data and its evaluations::

    with loop.Run(workdir, mesh=data_mesh(), desc='train', ...) as run:
        state = run.resume(state)
        state, step = run.train(state, p_step, split, preprocess,
                                evals=[loop.Evaluation('eval', 500, score)], ...)

Every trainer's ``train_and_evaluate`` takes more ``evals``, so a caller adds an evaluation
without touching a trainer.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
from typing import Any, Callable, Iterator, Mapping, Sequence

import jax
import numpy as np

from ghostjax import data
from ghostjax.training import checkpoint as ckpt_lib
from ghostjax.training import writers
from ghostjax.training.parallel import batch_sharding, host_copy, replicate



@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A named evaluation: ``fn(step, state)`` (``state`` the device state, replicated over the
    run's mesh) after every ``every_steps``-th step's checkpoint, before the last step (0:
    never during training; a trainer runs its own final evaluations). The scalars it returns
    are written under ``{name}/``; None writes nothing (e.g. an image grid it saves itself).
    Every process calls it alike."""
    name: str
    every_steps: int
    fn: Callable[[int, Any], Mapping[str, float] | None]

    def __post_init__(self):
        if not isinstance(self.every_steps, int) or self.every_steps < 0:
            raise ValueError(f'evaluation {self.name!r}: every_steps must be an integer >= 0, '
                             f'got {self.every_steps!r}')


def train_steps(split: data.Split, *, start: int, total: int, global_batch: int, seed: int,
                preprocess: data.Preprocess, sharding: jax.sharding.Sharding | None,
                stop: ckpt_lib.StopSignal) -> Iterator[tuple[int, dict]]:
    """Yields ``(step, batch)`` from ``start`` to ``total``, epoch by epoch.

    Resuming at ``start`` skips the first ``start % steps_per_epoch`` batches of the epoch, so
    the data (shuffle and augmentation) continue exactly as in an uninterrupted run. Stops
    early once ``stop.requested`` (checked by every process alike: see ``StopSignal``).
    """
    steps_per_epoch = split.num_examples // global_batch
    step = start
    while step < total and not stop.requested:
        epoch, offset = divmod(step, steps_per_epoch)
        batches = data.make_batches(split, global_batch=global_batch, seed=seed, epoch=epoch,
                                    preprocess=preprocess, train=True, sharding=sharding)
        for batch in itertools.islice(batches, offset, None):
            yield step, batch
            step += 1
            if step >= total or stop.requested:
                return


class MetricLog:
    """Keeps per-step device metrics without host syncs; ``flush`` fetches them once, checks
    ``finite_keys`` (naming the first bad step), and writes means to TensorBoard / console and
    the progress bar (``postfix``: bar label -> metric name)."""

    def __init__(self, writer: writers.MetricWriter, progress: writers.Progress,
                 finite_keys: tuple[str, ...], postfix: Mapping[str, str],
                 extra: Callable[[int], dict] | None = None):
        self.writer, self.progress = writer, progress
        self.finite_keys, self.postfix, self.extra = finite_keys, postfix, extra
        self.history: list[tuple[int, Any]] = []

    def add(self, step: int, metrics: Any) -> None:
        self.history.append((step, metrics))

    def flush(self, step: int) -> None:
        if not self.history:
            return
        fetched = [(i, host_copy(m)) for i, m in self.history]
        self.history.clear()
        writers.check_finite(fetched, self.finite_keys)
        mean = {k: float(np.mean([m[k] for _, m in fetched])) for k in fetched[0][1]}
        if self.extra:
            mean.update(self.extra(step))
        mean['images_per_s'] = self.progress.update(
            step, {label: mean[k] for label, k in self.postfix.items()})
        self.writer.scalars(step, mean, 'train/')


def save_checkpoint(checkpointer: ckpt_lib.Checkpointer, step: int, state: Any, params: Any,
                    meta: Mapping[str, Any]) -> None:
    """Saves the host ``state`` unless ``params`` hold a NaN/inf (then raises, naming the step,
    so the last good checkpoint stays the latest). Every process calls it; Orbax writes once."""
    if not all(np.all(np.isfinite(x)) for x in jax.tree.leaves(params)):
        raise writers.NonFiniteLossError(step, 'parameter', float('nan'))
    checkpointer.save(step, state, {'step': step, **meta})


class Run:
    """Bookkeeping of one training run in ``workdir`` (None: console only, nothing written),
    data-parallel over ``mesh`` (``state.data_mesh()``). Every process of a multi-process run
    runs it alike; the console, TensorBoard and JSON come from process 0 only.

    ``finite_keys``: metrics that stop the run when NaN/inf; ``postfix``: progress-bar label ->
    metric; ``params_of(host_state)``: the parameters checked before each save; ``meta``: JSON
    saved with every checkpoint; ``extra(step)``: more scalars for each metrics flush;
    ``config``: the run's configuration, written to ``{workdir}/config.json`` (what restoring
    a run rebuilds its models from).
    """

    def __init__(self, workdir: str | None, *, mesh: jax.sharding.Mesh, desc: str,
                 finite_keys: tuple[str, ...], postfix: Mapping[str, str],
                 params_of: Callable[[Any], Any], meta: Mapping[str, Any] | None = None,
                 keep: int = 3, extra: Callable[[int], dict] | None = None,
                 config: Mapping[str, Any] | None = None):
        self.workdir, self.mesh, self.desc = workdir, mesh, desc
        self.finite_keys, self.postfix, self.params_of = finite_keys, postfix, params_of
        self.meta, self.extra = dict(meta or {}), extra
        self.checkpointer = ckpt_lib.Checkpointer(workdir, keep=keep) if workdir else None
        self.writer = writers.MetricWriter(workdir) if workdir else writers.MetricWriter(
            '', enabled=False)
        self.progress: writers.Progress | None = None
        self.log: MetricLog | None = None
        self.stopped = False
        self.config = config

    def __enter__(self) -> 'Run':
        if self.workdir and self.config is not None:
            os.makedirs(self.workdir, exist_ok=True)
            writers.write_json(os.path.join(self.workdir, 'config.json'), dict(self.config))
        return self

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.close()
        self.writer.close()
        if self.checkpointer:
            self.checkpointer.close()

    def resume(self, template: Any) -> Any:
        """The latest checkpoint's state, or ``template`` when there is none (or no workdir)."""
        return self.checkpointer.resume(template) if self.checkpointer else template

    def save(self, step: int, state: Any) -> None:
        """Flushes the metrics and checkpoints ``state`` (device state, replicated)."""
        self.log.flush(step)
        if self.checkpointer and self.checkpointer.latest_step() != step:
            host = host_copy(state)
            save_checkpoint(self.checkpointer, step, host, self.params_of(host), self.meta)
            writers.say(f'checkpoint step {step} -> {os.path.join(self.workdir, "checkpoints")}')

    def evaluate(self, evaluation: Evaluation, step: int, state: Any
                 ) -> Mapping[str, float] | None:
        """Runs ``evaluation`` now and writes its scalars under ``{name}/``."""
        scores = evaluation.fn(step, state)
        if scores:
            self.writer.scalars(step, scores, f'{evaluation.name}/')
        return scores

    def train(self, state: Any, p_step: Callable, split: data.Split,
              preprocess: data.Preprocess, *, total: int, global_batch: int, seed: int,
              rng: jax.Array, log_every: int, checkpoint_every: int,
              evals: Sequence[Evaluation] = ()) -> tuple[Any, int]:
        """Runs ``p_step(state, batch, fold_in(rng, step))`` from the state's step to ``total``
        (``state.step`` is read before placing: a host state); returns the device state and
        the last step. Saves every ``checkpoint_every`` steps and at the end, runs ``evals``
        on their schedules; on a stop signal saves and sets ``self.stopped``."""
        names = [e.name for e in evals]
        if len(set(names)) != len(names):
            raise ValueError(f'evaluation names must be distinct, got {names}')
        start = int(state.step)
        state, rng = replicate((state, rng), self.mesh)
        sharding = batch_sharding(self.mesh)
        self.progress = writers.Progress(total, start, global_batch, self.desc)
        self.log = MetricLog(self.writer, self.progress, self.finite_keys, self.postfix,
                             self.extra)
        step = start
        with ckpt_lib.StopSignal() as stop:
            for i, batch in train_steps(split, start=start, total=total,
                                        global_batch=global_batch, seed=seed,
                                        preprocess=preprocess, sharding=sharding, stop=stop):
                state, metrics = p_step(state, batch, jax.random.fold_in(rng, i))
                self.log.add(i, metrics)
                step = i + 1
                if step % log_every == 0:
                    self.log.flush(step)
                    stop.agree()
                if step % checkpoint_every == 0 or step == total:
                    self.save(step, state)
                for evaluation in evals:
                    every = evaluation.every_steps
                    if every and step % every == 0 and step < total:
                        self.evaluate(evaluation, step, state)
            if stop.requested:
                writers.say(f'stop requested: saving step {step} and exiting')
                self.stopped = True
        self.save(step, state)
        return state, step
