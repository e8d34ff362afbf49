"""Labelled subsets for low-data studies: N images per class of a train split, chosen by seed,
with a validation split carved out of those N (the test split is never touched)."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ghostjax.data.sources import Split, from_arrays


def stratified_indices(labels: np.ndarray, per_class: int, seed: int, num_classes: int,
                       val_per_class: int = 0, classes: Sequence[int] | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices into ``labels``: ``per_class`` examples of every class (of
    ``classes``, default all ``num_classes``), ``val_per_class`` of them held out for
    validation. Sorted; a different ``seed`` draws a different subset, the same seed the same
    one."""
    if not 0 <= val_per_class < per_class:
        raise ValueError(f'val_per_class must be in [0, per_class={per_class}), '
                         f'got {val_per_class}')
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in (range(num_classes) if classes is None else classes):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise ValueError(f'class {c} has {len(members)} examples, fewer than the '
                             f'{per_class} per class asked for')
        chosen = rng.permutation(members)[:per_class]
        val.append(chosen[:val_per_class])
        train.append(chosen[val_per_class:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def labelled_subset(split: Split, per_class: int, seed: int, val_fraction: float = 0.2,
                    classes: Sequence[int] | None = None) -> tuple[Split, Split]:
    """In-memory (train, validation) splits holding ``per_class`` examples of each class of
    ``split`` (of ``classes``, default all): ``round(per_class * val_fraction)`` per class for
    validation, the rest for training."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f'val_fraction must be in [0, 1), got {val_fraction}')
    labels = split.labels if split.labels is not None else split.read(
        np.arange(split.num_examples))[1]
    train, val = stratified_indices(labels, per_class, seed, split.num_classes,
                                    round(per_class * val_fraction), classes)
    name = f'{split.split}[{per_class}/class, seed {seed}]'
    return tuple(from_arrays(*split.read(idx), split.num_classes, split.name, f'{name}:{part}')
                 for idx, part in ((train, 'train'), (val, 'validation')))


def of_classes(split: Split, classes: Sequence[int]) -> Split:
    """The examples of ``split`` whose label is in ``classes`` (in memory, order kept), e.g. the
    normal class of a one-class anomaly-detection run."""
    bad = [c for c in classes if not 0 <= c < split.num_classes]
    if bad or not classes:
        raise ValueError(f'classes must be labels of {split.name} (0 .. '
                         f'{split.num_classes - 1}), got {tuple(classes)}')
    labels = split.labels if split.labels is not None else split.read(
        np.arange(split.num_examples))[1]
    keep = np.flatnonzero(np.isin(labels, classes))
    return from_arrays(*split.read(keep), split.num_classes, split.name,
                       f'{split.split}[classes {",".join(map(str, classes))}]')


def select(split: Split, subset: Mapping[str, Any] | None) -> tuple[Split, Split | None]:
    """A trainer's view of a config's ``subset`` block ``{classes, per_class, seed,
    val_fraction}``: the examples of ``classes`` (absent or empty: all), then, when
    ``per_class`` > 0, ``labelled_subset``'s (train, validation); else ``(split, None)``."""
    subset = subset or {}
    classes = tuple(subset.get('classes') or ())
    if classes:
        split = of_classes(split, classes)
    per_class = subset.get('per_class') or 0
    if not isinstance(per_class, int) or per_class < 0:
        raise ValueError(f'subset.per_class must be an integer >= 0 (0: the whole split), '
                         f'got {per_class!r}')
    if not per_class:
        return split, None
    return labelled_subset(split, per_class, subset.get('seed', 0),
                           subset.get('val_fraction', 0.2), classes or None)
