"""Offline Fashion-MNIST for TFDS, from Debian's ``dataset-fashion-mnist`` IDX files.

The builder has TFDS's own name, version and features (``fashion_mnist`` 3.0.1: ``image``
uint8 [28, 28, 1], ``label`` 10 classes), so the prepared directory is indistinguishable from
a stock TFDS preparation and ``tfds.data_source('fashion_mnist')`` reads it. It only reads
local files: Debian re-gzipped them, so TFDS's registered checksums would not match, and
TFDS's installed files are left untouched.
"""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
CLASS_NAMES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
               'Sneaker', 'Bag', 'Ankle boot')
_FILES = {'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 60000),
          'test': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 10000)}


def local_files_present(directory: str = DEBIAN_DIR) -> bool:
    return all(os.path.exists(os.path.join(directory, f)) for im, lb, _ in _FILES.values()
               for f in (im, lb))


def read_idx(path: str) -> np.ndarray:
    """Reads one gzipped IDX file (uint8 data) into an array, checking its header and length."""
    try:
        with gzip.open(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f'{path} is not a readable gzip file ({e}); reinstall it with '
                         '`apt-get install --reinstall dataset-fashion-mnist`') from e
    if len(data) < 4 or data[:2] != b'\0\0' or data[2] != 0x08:
        raise ValueError(f'{path} is not an IDX file of uint8 data (header {data[:4]!r})')
    ndim = data[3]
    shape = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f'{path} is truncated or corrupt: header says shape {shape} '
                         f'({int(np.prod(shape))} bytes), found {len(body)} bytes')
    return np.frombuffer(body, np.uint8).reshape(shape)


def read_split(split: str, directory: str = DEBIAN_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images [N, 28, 28, 1] uint8, labels [N] int64) of 'train' or 'test'."""
    images_file, labels_file, n = _FILES[split]
    images = read_idx(os.path.join(directory, images_file))
    labels = read_idx(os.path.join(directory, labels_file))
    if images.shape != (n, 28, 28) or labels.shape != (n,) or labels.max() >= 10:
        raise ValueError(f'Fashion-MNIST {split} files in {directory} hold images {images.shape} '
                         f'and labels {labels.shape}; expected ({n}, 28, 28) and ({n},) in 0..9')
    return images[..., None], labels.astype(np.int64)


class FashionMnistLocal(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """TFDS's ``fashion_mnist`` built from local IDX files (``source_dir``)."""
    name = 'fashion_mnist'
    VERSION = tfds.core.Version('3.0.1')

    def __init__(self, *, source_dir: str = DEBIAN_DIR, **kwargs):
        self._source_dir = source_dir
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description='Fashion-MNIST (Xiao et al. 2017), prepared from local IDX files.',
            features=tfds.features.FeaturesDict({
                'image': tfds.features.Image(shape=(28, 28, 1)),
                'label': tfds.features.ClassLabel(names=CLASS_NAMES),
            }),
            supervised_keys=('image', 'label'),
            homepage='https://github.com/zalandoresearch/fashion-mnist',
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing is downloaded
        # Read and validate every file before TFDS starts writing anything.
        arrays = {s: read_split(s, self._source_dir) for s in _FILES}
        return {s: self._generate_examples(*arrays[s]) for s in _FILES}

    def _generate_examples(self, images, labels):
        # A PIL image takes TFDS's PIL PNG encoder; a numpy array would need TensorFlow.
        for i, (image, label) in enumerate(zip(images, labels)):
            yield i, {'image': Image.fromarray(image[..., 0], mode='L'), 'label': int(label)}
