"""Data pipeline: offline Fashion-MNIST preparation, sharded deterministic batches, preprocessing."""
import gzip
import os
import struct
import subprocess
import sys

import chex
import jax
import numpy as np
import pytest

from ghostjax import data
from ghostjax.data import fashion_mnist
from ghostjax.training.parallel import batch_sharding, data_mesh
from tests.helpers import needs_fmnist



@pytest.fixture(scope='session')
def fmnist_test():
    return data.load('fashion_mnist', 'test')


def _write_idx(path, array):
    header = struct.pack('>BBBB', 0, 0, 8, array.ndim) + struct.pack(f'>{array.ndim}I', *array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_idx_reader_rejects_truncated_and_non_gzip(tmp_path):
    good = tmp_path / 'a.gz'
    _write_idx(good, np.arange(24).reshape(2, 3, 4))
    np.testing.assert_array_equal(fashion_mnist.read_idx(str(good)), np.arange(24).reshape(2, 3, 4))
    raw = gzip.decompress(good.read_bytes())
    trunc = tmp_path / 'b.gz'
    trunc.write_bytes(gzip.compress(raw[:-5]))
    with pytest.raises(ValueError, match=r'truncated or corrupt: header says shape \(2, 3, 4\)'):
        fashion_mnist.read_idx(str(trunc))
    plain = tmp_path / 'c.gz'
    plain.write_bytes(raw)
    with pytest.raises(ValueError, match='not a readable gzip file'):
        fashion_mnist.read_idx(str(plain))


def test_corrupt_source_leaves_no_prepared_dataset(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'):
        _write_idx(src / name, np.zeros((10, 28, 28)))  # wrong number of images
    for name in ('train-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
        _write_idx(src / name, np.zeros((10,)))
    builder = fashion_mnist.FashionMnistLocal(source_dir=str(src), data_dir=str(tmp_path / 'out'))
    with pytest.raises(ValueError, match=r'expected \(60000, 28, 28\)'):
        builder.download_and_prepare(file_format='array_record')
    assert not builder.is_prepared()
    assert not os.path.exists(tmp_path / 'out' / 'fashion_mnist' / '3.0.1' / 'dataset_info.json')


@needs_fmnist
def test_prepared_fashion_mnist_equals_the_idx_files(fmnist_test):
    images, labels = fashion_mnist.read_split('test')
    assert fmnist_test.num_examples == 10000 and fmnist_test.num_classes == 10
    chex.assert_shape(fmnist_test.images, (10000, 28, 28, 1))
    assert fmnist_test.images.dtype == np.uint8
    # TFDS shuffles records when writing: compare as multisets of (image, label).
    key = lambda im, lb: sorted(hash(i.tobytes() + bytes([y])) for i, y in zip(im, lb))
    assert key(fmnist_test.images, fmnist_test.labels) == key(images, labels)


@needs_fmnist
def test_streamed_split_gives_the_same_batches_as_in_memory(fmnist_test):
    streamed = data.load('fashion_mnist', 'test', in_memory=False)
    assert streamed.images is None and streamed.source is not None
    pre = data.Preprocess.for_classifier('fashion_mnist')
    kw = dict(global_batch=64, seed=3, epoch=1, preprocess=pre, train=True)
    for a, b, _ in zip(data.make_batches(fmnist_test, **kw), data.make_batches(streamed, **kw),
                       range(3)):
        np.testing.assert_array_equal(np.sort(np.asarray(a['label'])), np.sort(np.asarray(b['label'])))


@needs_fmnist
def test_processes_preparing_at_once_take_turns(tmp_path):
    # Two processes load the same unprepared dataset at the same time: one prepares it, the
    # other waits on the lock and reads what the first wrote.
    code = ('import sys; from ghostjax import data; '
            's = data.load("fashion_mnist", "test", sys.argv[1]); print("examples", s.num_examples)')
    procs = [subprocess.Popen([sys.executable, '-c', code, str(tmp_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all('examples 10000' in out for out in outs), outs
    assert sum('preparing fashion_mnist' in out for out in outs) == 1, outs


def test_unknown_dataset_and_split_name_close_matches():
    with pytest.raises(ValueError, match=r"unknown TFDS dataset 'fashion_mnst'.*'fashion_mnist'"):
        data.prepare('fashion_mnst')
    if fashion_mnist.local_files_present():
        with pytest.raises(ValueError, match=r"unknown split 'tset'.*\['train', 'test'\].*'test'"):
            data.load('fashion_mnist', 'tset')


def test_epoch_indices_deterministic_sharded_drop_remainder():
    a = data.epoch_indices(103, 20, seed=1, epoch=0, process_index=0, process_count=1)
    chex.assert_shape(a, (5, 20))
    np.testing.assert_array_equal(a, data.epoch_indices(103, 20, 1, 0, process_index=0,
                                                        process_count=1))
    assert not np.array_equal(a, data.epoch_indices(103, 20, 1, 1, process_index=0,
                                                    process_count=1))
    hosts = [data.epoch_indices(103, 20, 1, 0, process_index=p, process_count=4) for p in range(4)]
    chex.assert_shape(hosts, [(5, 5)] * 4)
    np.testing.assert_array_equal(np.concatenate(hosts, axis=1), a)  # disjoint, same global batch
    assert len(np.unique(a)) == 100
    with pytest.raises(ValueError, match='global batch 200 exceeds the 103 examples'):
        data.epoch_indices(103, 200, 0, 0)


def test_batch_not_divisible_by_devices_names_both_numbers():
    assert data.check_batch(32, 4) == 32
    with pytest.raises(ValueError, match=r'global batch 30 is not divisible by the total device '
                                         r'count 4 \(1 processes, 4 devices in all\)'):
        data.check_batch(30, 4)
    for bad in (0, -8):
        with pytest.raises(ValueError, match=f'the batch size must be positive, got {bad}'):
            data.check_batch(bad)


def _toy(n=40):
    labels = np.arange(n) % 10
    images = np.broadcast_to(labels[:, None, None, None] * 20, (n, 28, 28, 1)).astype(np.uint8)
    return data.from_arrays(images, labels, 10)


@pytest.mark.parametrize('devices', [1, 4])
def test_make_batches_placement_alignment_and_reproducibility(devices):
    split = _toy()
    pre = data.Preprocess.for_gan(image_size=32, channels=3)
    sharding = batch_sharding(data_mesh(devices=jax.devices()[:devices]))
    batches = list(data.make_batches(split, global_batch=16, seed=0, epoch=2, preprocess=pre,
                                     sharding=sharding))
    assert len(batches) == 2
    b = batches[0]
    chex.assert_shape(b['image'], (16, 32, 32, 3))
    assert len(b['image'].sharding.device_set) == devices
    chex.assert_type([b['image'], b['label']], [np.float32, np.int32])
    assert isinstance(b['image'], jax.Array)
    images, labels = np.asarray(b['image']).reshape(-1, 32, 32, 3), np.asarray(b['label']).ravel()
    # every image still carries its own label's pixel value in the centre
    np.testing.assert_allclose(images[:, 16, 16, 0], labels * 20 * 2 / 255 - 1, atol=1e-6)
    again = next(data.make_batches(split, global_batch=16, seed=0, epoch=2, preprocess=pre,
                                   sharding=sharding))
    np.testing.assert_array_equal(again['image'], b['image'])


def test_preprocess_scaling_padding_channels():
    x = np.array([0, 255], np.uint8).reshape(2, 1, 1, 1).repeat(28, 1).repeat(28, 2)
    gan = data.Preprocess.for_gan()(x)
    np.testing.assert_array_equal(gan[:, 0, 0, 0], [-1.0, 1.0])
    std = data.Preprocess('standardize', (0.5,), (0.25,))(x)
    np.testing.assert_allclose(std[:, 0, 0, 0], [-2.0, 2.0])
    padded = data.Preprocess.for_gan(image_size=32, channels=3)(x)
    chex.assert_shape(padded, (2, 32, 32, 3))
    assert padded[1, 1, 1, 0] == -1.0 and padded[1, 2, 2, 0] == 1.0  # 2-pixel zero border
    resized = data.Preprocess.for_gan(image_size=56, resize='bilinear')(x)
    chex.assert_shape(resized, (2, 56, 56, 1))
    np.testing.assert_allclose(resized[1], 1.0)
    with pytest.raises(ValueError, match="cannot shrink 28x28 images to 16x16"):
        data.Preprocess(image_size=16)(x)
    with pytest.raises(ValueError, match=r'expected uint8 images \[B, H, W, C\]'):
        data.Preprocess()(x[0])


def test_random_crop_and_flip_are_seeded_and_only_in_training():
    x = np.random.default_rng(0).integers(0, 255, (8, 28, 28, 1), dtype=np.uint8)
    pre = data.Preprocess.for_classifier('fashion_mnist')
    assert pre.crop_padding == 2 and pre.flip
    a = pre(x, np.random.default_rng(1), train=True)
    np.testing.assert_array_equal(a, pre(x, np.random.default_rng(1), train=True))
    assert not np.array_equal(a, pre(x, np.random.default_rng(2), train=True))
    np.testing.assert_array_equal(pre(x, None, train=False),
                                  data.Preprocess.for_classifier('fashion_mnist', train=False)(x))
    # a crop is a shift: some 24x24 window of the padded input equals the centre of the output
    flip_only = data.Preprocess(flip=True)(x, np.random.default_rng(3), train=True)
    plain = data.Preprocess()(x)
    for f, p in zip(flip_only, plain):
        assert np.array_equal(f, p) or np.array_equal(f, p[:, ::-1])


def test_augmentation_does_not_depend_on_the_process_split():
    x = np.random.default_rng(0).integers(0, 255, (8, 28, 28, 1)).astype(np.uint8)
    pre = data.Preprocess.for_classifier('fashion_mnist', train=True)
    whole = pre(x, np.random.default_rng(5), train=True)
    halves = [pre(x[p * 4:(p + 1) * 4], np.random.default_rng(5), train=True,
                  rows=slice(p * 4, (p + 1) * 4), global_batch=8) for p in (0, 1)]
    np.testing.assert_array_equal(np.concatenate(halves), whole)
