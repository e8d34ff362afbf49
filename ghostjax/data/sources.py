"""Dataset sources: TFDS datasets without TensorFlow (prepared once, then read), an offline
Fashion-MNIST default, and in-memory splits.

Small datasets are read whole into memory with one batched read (one record at a time took
25-67 s per Fashion-MNIST epoch here; one batched read takes ~1-4 s); larger ones stream
from ``tfds.data_source`` through grain with threaded, batched reads (``batches``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import fcntl
import os
import re
from typing import Any

import jax
import numpy as np
import tensorflow_datasets as tfds

from ghostjax.data import fashion_mnist

IN_MEMORY_LIMIT_BYTES = 2 << 30


def default_data_dir() -> str:
    return os.path.expanduser(os.environ.get('TFDS_DATA_DIR', '~/tensorflow_datasets'))


@dataclasses.dataclass
class Split:
    """A dataset split with random access by batches of indices.

    ``images`` / ``labels`` are set when the split is in memory; otherwise ``source`` is a TFDS
    data source read by batched ``__getitems__``.
    """
    name: str
    split: str
    num_examples: int
    image_shape: tuple[int, int, int]
    num_classes: int
    images: np.ndarray | None = None
    labels: np.ndarray | None = None
    source: Any = None

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(uint8 images [N, H, W, C], int32 labels [N]) at ``indices``."""
        if self.images is not None:
            return self.images[indices], self.labels[indices]
        records = self.source.__getitems__([int(i) for i in indices])
        return (np.stack([r['image'] for r in records]),
                np.asarray([r.get('label', 0) for r in records], np.int32))

    def read_batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """The raw batch at ``indices``: ``{'image', 'label'}`` (a dense split adds its
        targets)."""
        images, labels = self.read(indices)
        return {'image': images, 'label': labels}


def _check_name(name: str) -> None:
    known = tfds.list_builders(with_community_datasets=False)
    if name not in known:
        close = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
        raise ValueError(f'unknown TFDS dataset {name!r}; close matches: {close or "none"} '
                         '(tfds.list_builders() lists all)')


def prepare(name: str, data_dir: str | None = None,
            builder: tfds.core.DatasetBuilder | None = None):
    """Prepares ``name`` as array_record in ``data_dir`` once and returns its TFDS builder.

    Fashion-MNIST is built from Debian's ``dataset-fashion-mnist`` files when they are present;
    otherwise (and for every other dataset) TFDS's own download is used, unless ``builder``
    (e.g. ``data.scenes``' builder; its errors pass through unchanged) is given. TFDS writes
    into an ``incomplete.*`` directory and renames it only on success, so a failed preparation
    never leaves a directory that a later run would take as complete. Processes that prepare
    the same dataset at once (the processes of a run on one host, parallel test workers) take
    turns on a lock file in ``data_dir``: one prepares, the others then find it prepared.
    """
    data_dir = data_dir or default_data_dir()
    own = builder is not None
    if not own:
        _check_name(name)
        builder = (fashion_mnist.FashionMnistLocal(data_dir=data_dir)
                   if name == 'fashion_mnist' and fashion_mnist.local_files_present() else
                   tfds.builder(name, data_dir=data_dir, file_format='array_record'))
    if builder.is_prepared():
        return builder
    with _exclusive(os.path.join(data_dir, f'.{name}.lock')):
        if builder.is_prepared():  # another process prepared it while this one waited
            return tfds.builder_from_directory(builder.data_dir)
        if jax.process_index() == 0:
            print(f'preparing {name} for TFDS in {data_dir} (once)', flush=True)
        tfds.disable_progress_bar()  # the line above says what happens; it takes seconds
        try:
            builder.download_and_prepare(file_format='array_record')
        except Exception as e:  # noqa: BLE001  (any download failure gets the same advice)
            if own:  # a given builder's errors say what is wrong themselves
                raise
            hint = ('install the offline copy with `apt-get install -y dataset-fashion-mnist`'
                    if name == 'fashion_mnist' else
                    'download it where a network is reachable, or place a prepared copy in '
                    f'{data_dir}')
            raise RuntimeError(f'could not prepare TFDS dataset {name!r} in {data_dir}: {e}. '
                               f'To get the data: {hint}') from e
    return builder


@contextlib.contextmanager
def _exclusive(path: str):
    """Holds an exclusive ``flock`` on ``path`` (created if missing) while the block runs."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def load(name: str, split: str, data_dir: str | None = None,
         in_memory: bool | None = None) -> Split:
    """Prepares (once) and opens ``split`` of TFDS dataset ``name`` with an ``image`` feature.

    ``in_memory=None`` reads the split into numpy when it takes under 2 GiB.
    """
    builder = prepare(name, data_dir)
    splits = list(builder.info.splits)
    base = re.split(r'[\[+]', split)[0]
    if base not in splits:
        close = difflib.get_close_matches(base, splits, n=3, cutoff=0.3)
        raise ValueError(f'unknown split {split!r} of {name!r}; available: {splits}'
                         f'{f", close matches: {close}" if close else ""}')
    features = builder.info.features
    shape = tuple(features['image'].shape)
    if None in shape:
        raise ValueError(f'{name} has variable image size {shape}; only fixed-size image '
                         'datasets are supported')
    num_classes = features['label'].num_classes if 'label' in features else 0
    source = tfds.data_source(name, split=split, data_dir=builder.data_dir.rsplit('/', 2)[0],
                              download=False)
    n = len(source)
    out = Split(name, split, n, shape, num_classes, source=source)
    if in_memory is None:
        in_memory = n * int(np.prod(shape)) < IN_MEMORY_LIMIT_BYTES
    if in_memory:
        out.images, out.labels = _cached_arrays(out, builder.data_dir)
        out.source = None
    return out


def _cached_arrays(split: Split, builder_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """The decoded split, cached as ``.npz`` beside the prepared dataset (decoding 60k PNGs
    takes ~12 s; loading the cache well under a second). Written to a temporary file, then
    renamed, so an interrupted write is never read back."""
    path = os.path.join(builder_dir, f'decoded-{re.sub(r"[^A-Za-z0-9_.-]", "_", split.split)}.npz')
    if os.path.exists(path):
        with np.load(path) as f:
            if len(f['labels']) == split.num_examples:
                return f['images'], f['labels']
    images, labels = split.read(np.arange(split.num_examples))
    tmp = f'{path}.tmp-{os.getpid()}.npz'
    np.savez(tmp, images=images, labels=labels)
    os.replace(tmp, path)
    return images, labels


def from_arrays(images: np.ndarray, labels: np.ndarray, num_classes: int,
                name: str = 'arrays', split: str = 'train') -> Split:
    """An in-memory split from uint8 images ``[N, H, W, C]`` and integer labels ``[N]``."""
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f'images must be uint8 [N, H, W, C], got {images.dtype} {images.shape}')
    if labels.shape != images.shape[:1]:
        raise ValueError(f'labels must have shape ({images.shape[0]},), got {labels.shape}')
    return Split(name, split, len(images), images.shape[1:], num_classes, images,
                 labels.astype(np.int32))
