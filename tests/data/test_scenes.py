"""Fashion-MNIST scenes and the TFDS detection-layout reader."""
import glob
import gzip
import os
import shutil

import numpy as np
import pytest

from ghostjax.data import fashion_mnist, scenes
from tests.helpers import needs_fmnist

SIZES = {'train': 6, 'validation': 4, 'test': 4}


def _pool(n=50, seed=0):
    rng = np.random.default_rng(seed)
    items = np.zeros((n, 28, 28), np.uint8)
    items[:, 4:24, 6:22] = rng.integers(100, 255, (n, 20, 16))  # a solid 16x20 item
    return items, rng.integers(0, 10, n)


def test_scene_boxes_and_mask_describe_the_visible_items():
    items, labels = _pool()
    for seed in range(20):
        scene = scenes.make_scene(np.random.default_rng(seed), items, labels)
        image, mask = scene['image'][..., 0], scene['mask']
        assert image.shape == mask.shape == (128, 128)
        assert np.array_equal(mask > 0, image > scenes.FOREGROUND)
        assert 1 <= len(scene['boxes']) <= 6
        for (x0, y0, x1, y1), label in zip(scene['boxes'].astype(int), scene['labels']):
            inside = mask[y0:y1, x0:x1] == label + 1
            # the box is tight: its border rows and columns touch the item
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()


def test_scenes_are_deterministic():
    items, labels = _pool()
    a, b = (scenes.make_scene(np.random.default_rng([1, 7]), items, labels) for _ in range(2))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def _coco_like(h, w, boxes, labels, crowd):
    return {'image': np.full((h, w, 3), 200, np.uint8),
            'objects': {'bbox': np.asarray(boxes, np.float32), 'label': np.asarray(labels),
                        'is_crowd': np.asarray(crowd)}}


def test_tfds_detection_layout_is_letterboxed_into_pixel_boxes():
    # a 100x200 image (H x W) into 64: scale 0.32 -> 32x64, padded at the bottom
    ex = _coco_like(100, 200, [[0.1, 0.25, 0.5, 0.75], [0.0, 0.0, 1.0, 1.0]], [3, 1],
                    [False, True])
    split = scenes.from_examples([ex, _coco_like(64, 64, [], [], [])], 64, 5, 'coco', 'val')
    assert split.images.shape == (2, 64, 64, 3) and split.masks is None
    np.testing.assert_allclose(split.boxes[0, 0], [16.0, 3.2, 48.0, 16.0], atol=1e-4)
    assert split.box_labels[0, 0] == 3
    assert split.box_valid.tolist() == [[True], [False]]  # the crowd box is dropped
    assert (split.images[0, 32:] == 0).all() and (split.images[0, :32] == 200).all()


def test_bad_targets_are_refused():
    with pytest.raises(ValueError, match=r'box 0 of image 0 is .*positive size'):
        scenes.from_examples([_coco_like(32, 32, [[0.5, 0.5, 0.5, 0.9]], [1], [False])], 32, 5,
                             'x', 'train')
    with pytest.raises(ValueError, match=r'class 7, outside \[0, 5\)'):
        scenes.from_examples([_coco_like(32, 32, [[0.1, 0.1, 0.5, 0.5]], [7], [False])], 32, 5,
                             'x', 'train')


@needs_fmnist
def test_builder_prepares_all_splits_from_the_local_files(tmp_path):
    split = scenes.load_dense('fashion_mnist_scenes', 'validation', 128, str(tmp_path),
                              sizes=SIZES)
    assert split.num_examples == 4 and split.num_classes == 10
    assert split.masks.shape == (4, 128, 128) and split.box_valid.any(1).all()
    again = scenes.load_dense('fashion_mnist_scenes', 'validation', 128, str(tmp_path),
                              sizes=SIZES)
    np.testing.assert_array_equal(split.images, again.images)
    np.testing.assert_array_equal(split.boxes, again.boxes)


@needs_fmnist
def test_a_truncated_source_file_leaves_no_dataset(tmp_path):
    source = tmp_path / 'source'
    shutil.copytree(fashion_mnist.DEBIAN_DIR, source)
    path = source / 't10k-images-idx3-ubyte.gz'
    with gzip.open(path, 'rb') as f:
        head = f.read(10000)
    with gzip.open(path, 'wb') as f:
        f.write(head)
    with pytest.raises(ValueError, match='truncated or corrupt'):
        scenes.load_dense('fashion_mnist_scenes', 'test', 128, str(tmp_path / 'tfds'),
                          sizes=SIZES, source_dir=str(source))
    prepared = glob.glob(str(tmp_path / 'tfds' / 'fashion_mnist_scenes' / '*' / '*.json'))
    assert not prepared, prepared
    assert not any('incomplete' not in p and os.path.isdir(p) for p in glob.glob(
        str(tmp_path / 'tfds' / 'fashion_mnist_scenes' / '*')))


def test_dense_flip_moves_boxes_and_masks_with_the_image():
    items, labels = _pool()
    scene = scenes.make_scene(np.random.default_rng(3), items, labels, scenes.SceneSpec(size=64))
    k = len(scene['boxes'])
    batch = {'image': scene['image'][None], 'mask': scene['mask'][None].astype(np.int32),
             'boxes': scene['boxes'][None], 'box_labels': scene['labels'][None, :k],
             'box_valid': np.ones((1, k), bool)}
    pre = scenes.DensePreprocess(scale='gan', flip=True)
    flipped = next(pre.apply(batch, np.random.default_rng(s), train=True) for s in range(50)
                   if np.random.default_rng(s).random(1)[0] < 0.5)
    np.testing.assert_array_equal(flipped['mask'][0], batch['mask'][0][:, ::-1])
    np.testing.assert_allclose(flipped['image'][0], pre(batch['image'][:, :, ::-1])[0])
    for (x0, y0, x1, y1), label in zip(flipped['boxes'][0], scene['labels']):
        inside = flipped['mask'][0][int(y0):int(y1), int(x0):int(x1)] == label + 1
        assert inside[:, 0].any() and inside[:, -1].any()  # still tight after mirroring
    kept = pre.apply(batch, None, train=False)
    np.testing.assert_array_equal(kept['boxes'], batch['boxes'])
    with pytest.raises(ValueError, match='supports flips only'):
        scenes.DensePreprocess(crop_padding=2)
