"""Input pipeline: TFDS datasets (no TensorFlow), deterministic sharded batches, preprocessing.

Every training entry point reads data through ``make_batches``:

  split = load('fashion_mnist', 'train')                    # prepares once, then reads
  for batch in make_batches(split, global_batch=256, seed=0, epoch=e,
                            preprocess=Preprocess.for_classifier('fashion_mnist'), train=True,
                            layout='device'):              # {'image': [D, B/D, H, W, C], 'label'}
      ...

Small datasets are read whole into memory with one batched read (one record at a time took
25-67 s per Fashion-MNIST epoch here; one batched read takes ~1-4 s); larger ones stream
from ``tfds.data_source`` through grain with threaded, batched reads.
"""
from __future__ import annotations

import collections
import dataclasses
import difflib
import os
import re
from typing import Any, Iterator, Sequence

import grain
import jax
import numpy as np
import tensorflow_datasets as tfds

from ghostjax.data import fashion_mnist

# Channel mean / std of [0, 1] pixels, per dataset (classifier normalisation).
MEAN_STD = {
    'mnist': ((0.1307,), (0.3081,)),
    'fashion_mnist': ((0.2860,), (0.3530,)),
    'cifar10': ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    'imagenet2012': ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}
IN_MEMORY_LIMIT_BYTES = 2 << 30


def default_data_dir() -> str:
    return os.path.expanduser(os.environ.get('TFDS_DATA_DIR', '~/tensorflow_datasets'))


# --------------------------------------------------------------------------- sources


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
    never leaves a directory that a later run would take as complete.
    """
    data_dir = data_dir or default_data_dir()
    own = builder is not None
    if not own:
        _check_name(name)
        builder = (fashion_mnist.FashionMnistLocal(data_dir=data_dir)
                   if name == 'fashion_mnist' and fashion_mnist.local_files_present() else
                   tfds.builder(name, data_dir=data_dir, file_format='array_record'))
    if not builder.is_prepared():
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


# --------------------------------------------------------------------------- preprocessing


@dataclasses.dataclass(frozen=True)
class Preprocess:
    """Batch preprocessing of uint8 ``[B, H, W, C]`` images to float32.

    Attributes:
      scale: 'gan' maps pixels to [-1, 1]; 'standardize' to ``(x / 255 - mean) / std``.
      mean, std: per-channel statistics for 'standardize'.
      image_size: output spatial size; None keeps the input's.
      resize: 'pad' (zero-pad centred, e.g. 28 -> 32) or 'bilinear'.
      channels: output channels; 1 -> 3 repeats grayscale as RGB.
      crop_padding: random crop with this padding (training only; 0 disables).
      flip: random horizontal flip (training only).
    """
    scale: str = 'standardize'
    mean: Sequence[float] = (0.5,)
    std: Sequence[float] = (0.5,)
    image_size: int | None = None
    resize: str = 'pad'
    channels: int | None = None
    crop_padding: int = 0
    flip: bool = False

    def __post_init__(self):
        if self.scale not in ('gan', 'standardize'):
            raise ValueError(f"scale must be 'gan' or 'standardize', got {self.scale!r}")
        if self.resize not in ('pad', 'bilinear'):
            raise ValueError(f"resize must be 'pad' or 'bilinear', got {self.resize!r}")

    def apply(self, batch: dict[str, np.ndarray], rng: np.random.Generator | None = None,
              train: bool = False, rows: slice | None = None,
              global_batch: int | None = None) -> dict[str, np.ndarray]:
        """A raw batch preprocessed: its ``image`` by ``__call__``, other entries as they are."""
        return {**batch, 'image': self(batch['image'], rng, train, rows, global_batch)}

    @classmethod
    def for_classifier(cls, dataset: str, train: bool = True, **kwargs) -> 'Preprocess':
        mean, std = MEAN_STD.get(dataset, ((0.5,), (0.5,)))
        aug = dict(crop_padding=2 if dataset in ('mnist', 'fashion_mnist') else 4,
                   flip=dataset != 'mnist') if train else {}
        return cls('standardize', mean, std, **{**aug, **kwargs})

    @classmethod
    def for_gan(cls, **kwargs) -> 'Preprocess':
        return cls('gan', **kwargs)

    def __call__(self, images: np.ndarray, rng: np.random.Generator | None = None,
                 train: bool = False, rows: slice | None = None,
                 global_batch: int | None = None) -> np.ndarray:
        """``images``: uint8 ``[B, H, W, C]``. For training augmentation, ``images`` may be the
        ``rows`` of a global batch of ``global_batch``: the random draws are made for the whole
        global batch and sliced, so they do not depend on how it is split over processes."""
        if images.ndim != 4:
            raise ValueError(f'expected uint8 images [B, H, W, C], got shape {images.shape}')
        x = images
        rows = slice(0, len(x)) if rows is None else rows
        n = len(x) if global_batch is None else global_batch
        if self.image_size is not None and x.shape[1:3] != (self.image_size,) * 2:
            x = self._resize(x)
        if train and self.crop_padding > 0:
            x = _random_crop(x, self.crop_padding, rng.integers(0, 2 * self.crop_padding + 1,
                                                                (2, n))[:, rows])
        if train and self.flip:
            flip = rng.random(n)[rows] < 0.5
            x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
        x = x.astype(np.float32)
        if self.scale == 'gan':
            x = x * (2.0 / 255.0) - 1.0
        else:
            mean = np.asarray(self.mean, np.float32)
            std = np.asarray(self.std, np.float32)
            x = (x * (1.0 / 255.0) - mean) / std
        if self.channels is not None and x.shape[-1] != self.channels:
            if x.shape[-1] != 1:
                raise ValueError(f'cannot convert {x.shape[-1]} channels to {self.channels}')
            x = np.repeat(x, self.channels, axis=-1)
        return x

    def _resize(self, x: np.ndarray) -> np.ndarray:
        s, (h, w) = self.image_size, x.shape[1:3]
        if self.resize == 'pad':
            if h > s or w > s:
                raise ValueError(f"resize='pad' cannot shrink {h}x{w} images to {s}x{s}")
            top, left = (s - h) // 2, (s - w) // 2
            return np.pad(x, ((0, 0), (top, s - h - top), (left, s - w - left), (0, 0)))
        return np.asarray(_bilinear(x, s)).round().clip(0, 255).astype(np.uint8)


@jax.jit(static_argnames='size')
def _bilinear(x, size):
    return jax.image.resize(x.astype(np.float32), (x.shape[0], size, size, x.shape[3]), 'bilinear')


def _random_crop(x: np.ndarray, pad: int, offsets: np.ndarray) -> np.ndarray:
    """Crops of the ``pad``-padded images at ``offsets`` ``[2, B]`` (dy, dx)."""
    b, h, w, _ = x.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dy, dx = offsets
    rows = (dy[:, None] + np.arange(h))[:, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, :]
    return xp[np.arange(b)[:, None, None], rows, cols]


# --------------------------------------------------------------------------- batching


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
