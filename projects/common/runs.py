"""A study's runs, resumable: each run writes its result file when it finishes, and the study
skips every run whose result file exists, so a study spread over sessions continues by running
the same command again."""
from __future__ import annotations

import os
import runpy
from typing import Iterator, Sequence

import ml_collections

from ghostjax.runtime import allocator
from ghostjax.training import writers


def load_config_file(path: str) -> ml_collections.ConfigDict:
    """``get_config()`` of a config file, e.g. one a study config names."""
    if not os.path.exists(path):
        raise FileNotFoundError(f'no config file {path!r}')
    return runpy.run_path(path)['get_config']()


def pending(runs: Sequence[tuple[str, str]], max_runs: int | None = None) -> Iterator[int]:
    """The runs still to do: for ``runs`` = [(label, result path)], yields the index of each run
    whose result file does not exist yet, announcing it as ``[i/n] label``; a finished one is
    announced as done and skipped. The caller breaks out of the loop when a run stops early;
    asking for the next index means the last one finished (its freed memory goes back to the
    OS before the next starts), and after ``max_runs`` finished runs the generator says how
    many are left and ends."""
    if max_runs is not None and max_runs < 1:
        raise ValueError(f'max_runs must be at least 1 (or None for no limit), got {max_runs}')
    return _pending(runs, max_runs)


def _pending(runs: Sequence[tuple[str, str]], max_runs: int | None) -> Iterator[int]:
    todo = [not os.path.exists(path) for _, path in runs]
    finished = 0
    for i, (label, path) in enumerate(runs):
        tag = f'[{i + 1}/{len(runs)}] {label}'
        if not todo[i]:
            writers.say(f'{tag}: done ({path})')
            continue
        if finished == max_runs:
            writers.say(f'stopping after {finished} run(s) (max_runs); {sum(todo[i:])} left: '
                        'run the study again to continue')
            return
        writers.say(tag)
        yield i
        finished += 1
        allocator.release_freed_memory()
