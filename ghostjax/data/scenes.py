"""Fashion-MNIST scenes: an offline detection + segmentation dataset made deterministically
from the local Fashion-MNIST files, and the reader of TFDS detection datasets.

A scene is a ``size x size`` grey canvas holding 1-6 Fashion-MNIST items at random scales and
positions; later items occlude earlier ones. Each item's foreground is its pixels above
``FOREGROUND``; the segmentation mask is 0 for background and ``1 + class`` where an item is
visible; each box is the tight box of the item's *visible* pixels (as COCO boxes are). An item
left with under ``MIN_VISIBLE`` of its pixels gets no box and ``IGNORE`` in the mask.

Splits: 'train' from Fashion-MNIST train images 0-49,999, 'validation' from 50,000-59,999,
'test' from the test images. The TFDS builder stores the standard detection layout
(``image``, ``objects: {bbox, label}``, ``segmentation_mask``), so the same reader serves
``coco/2017`` or ``voc/2012`` where they are prepared.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image

from ghostjax.data import fashion_mnist
from ghostjax.data.preprocess import Preprocess
from ghostjax.data.sources import Split, default_data_dir, prepare

FOREGROUND = 32  # uint8 level above which an item pixel belongs to the item
MIN_VISIBLE = 0.3
IGNORE = 255  # the segmentation label of pixels no loss or metric counts
ITEM_SOURCES = {'train': ('train', 0, 50000), 'validation': ('train', 50000, 60000),
                'test': ('test', 0, 10000)}


@dataclasses.dataclass(frozen=True)
class SceneSpec:
    size: int = 128
    min_items: int = 1
    max_items: int = 6
    min_scale: float = 0.8  # item side = 28 * scale pixels
    max_scale: float = 2.2


def make_scene(rng: np.random.Generator, items: np.ndarray, labels: np.ndarray,
               spec: SceneSpec = SceneSpec()) -> dict[str, np.ndarray]:
    """One scene from the item pool ``items [N, 28, 28]`` uint8 / ``labels [N]``: ``{'image'
    [S, S, 1] uint8, 'mask' [S, S] uint8, 'boxes' [n, 4] float32 (x0, y0, x1, y1 pixels, x1/y1
    exclusive), 'labels' [n] int64}``."""
    s = spec.size
    canvas = np.zeros((s, s), np.uint8)
    owner = np.full((s, s), -1, np.int32)  # which item each pixel shows
    placed = []
    for k in range(rng.integers(spec.min_items, spec.max_items + 1)):
        i = rng.integers(len(items))
        side = int(round(28 * rng.uniform(spec.min_scale, spec.max_scale)))
        item = np.asarray(Image.fromarray(items[i]).resize((side, side), Image.BILINEAR))
        y, x = rng.integers(0, s - side + 1, 2)
        fg = item > FOREGROUND
        view = (slice(y, y + side), slice(x, x + side))
        canvas[view] = np.where(fg, item, canvas[view])
        owner[view] = np.where(fg, k, owner[view])
        placed.append((int(labels[i]), int(fg.sum())))
    boxes, kept, mask = [], [], np.zeros((s, s), np.uint8)
    for k, (label, pixels) in enumerate(placed):
        ys, xs = np.nonzero(owner == k)
        if pixels == 0 or len(ys) < MIN_VISIBLE * pixels:
            mask[ys, xs] = IGNORE  # a sliver of an occluded item: neither object nor background
            continue
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        kept.append(label)
        mask[owner == k] = label + 1
    return {'image': canvas[..., None], 'mask': mask,
            'boxes': np.asarray(boxes, np.float32).reshape(-1, 4),
            'labels': np.asarray(kept, np.int64)}


class FashionMnistScenes(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """``fashion_mnist_scenes``: detection boxes and semantic masks on Fashion-MNIST canvases."""
    name = 'fashion_mnist_scenes'
    VERSION = tfds.core.Version('1.0.0')
    SIZES = {'train': 8000, 'validation': 1000, 'test': 1000}

    def __init__(self, *, source_dir: str = fashion_mnist.DEBIAN_DIR,
                 sizes: dict[str, int] | None = None, spec: SceneSpec = SceneSpec(), **kwargs):
        self._source_dir, self._sizes, self._spec = source_dir, sizes or self.SIZES, spec
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        s = self._spec.size
        return self.dataset_info_from_configs(
            description='Fashion-MNIST items pasted on canvases, with boxes and semantic masks.',
            features=tfds.features.FeaturesDict({
                'image': tfds.features.Image(shape=(s, s, 1)),
                'objects': tfds.features.Sequence({
                    'bbox': tfds.features.BBoxFeature(),
                    'label': tfds.features.ClassLabel(names=fashion_mnist.CLASS_NAMES)}),
                'segmentation_mask': tfds.features.Image(shape=(s, s, 1)),
            }))

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing is downloaded
        # read and validate the source files before TFDS writes anything
        arrays = {s: fashion_mnist.read_split(s, self._source_dir) for s in ('train', 'test')}
        out = {}
        for split, n in self._sizes.items():
            source, lo, hi = ITEM_SOURCES[split]
            images, labels = arrays[source]
            out[split] = self._generate_examples(split, n, images[lo:hi, ..., 0], labels[lo:hi])
        return out

    def _generate_examples(self, split, n, items, labels):
        for i in range(n):
            rng = np.random.default_rng([list(ITEM_SOURCES).index(split), i])
            scene = make_scene(rng, items, labels, self._spec)
            s = self._spec.size
            bboxes = [tfds.features.BBox(ymin=b[1] / s, xmin=b[0] / s, ymax=b[3] / s,
                                         xmax=b[2] / s) for b in scene['boxes']]
            yield i, {'image': Image.fromarray(scene['image'][..., 0], mode='L'),
                      'objects': {'bbox': bboxes, 'label': scene['labels'].tolist()},
                      'segmentation_mask': Image.fromarray(scene['mask'], mode='L')}


# --------------------------------------------------------------------------- reading


@dataclasses.dataclass
class DenseSplit(Split):
    """An in-memory detection / segmentation split: ``images [N, S, S, C]`` uint8, ``boxes [N,
    M, 4]`` float32 pixels (x0, y0, x1, y1), ``box_labels [N, M]``, ``box_valid [N, M]`` (M: the
    most objects of any image), and ``masks [N, S, S]`` uint8 (None without segmentation);
    ``labels [N]`` is unused (0) by dense tasks. ``num_classes`` counts object classes."""
    boxes: np.ndarray | None = None
    box_labels: np.ndarray | None = None
    box_valid: np.ndarray | None = None
    masks: np.ndarray | None = None

    def read_batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """``{'image', 'boxes', 'box_labels', 'box_valid'}`` and ``'mask'`` with masks."""
        batch = {'image': self.images[indices], 'boxes': self.boxes[indices],
                 'box_labels': self.box_labels[indices], 'box_valid': self.box_valid[indices]}
        if self.masks is not None:
            batch['mask'] = self.masks[indices].astype(np.int32)
        return batch


@dataclasses.dataclass(frozen=True)
class DensePreprocess(Preprocess):
    """``Preprocess`` for images with boxes and masks: a random horizontal flip (``flip``,
    training only) moves them with the image; crops and resizing are not supported (the
    dataset is letterboxed to the model's size when read)."""

    def __post_init__(self):
        super().__post_init__()
        if self.crop_padding or self.image_size is not None:
            raise ValueError('DensePreprocess supports flips only: crop_padding must be 0 and '
                             f'image_size None, got {self.crop_padding} and {self.image_size}')

    def apply(self, batch, rng=None, train=False, rows=None, global_batch=None):
        out = dict(batch)
        image = batch['image']
        if train and self.flip:
            n = len(image) if global_batch is None else global_batch
            flip = rng.random(n)[slice(0, len(image)) if rows is None else rows] < 0.5
            w = image.shape[2]
            image = np.where(flip[:, None, None, None], image[:, :, ::-1], image)
            b = batch['boxes']
            mirrored = np.stack([w - b[..., 2], b[..., 1], w - b[..., 0], b[..., 3]], -1)
            out['boxes'] = np.where(flip[:, None, None], mirrored, b)
            if 'mask' in batch:
                out['mask'] = np.where(flip[:, None, None], batch['mask'][:, :, ::-1],
                                       batch['mask'])
        out['image'] = dataclasses.replace(self, flip=False)(image, rng, train, rows,
                                                             global_batch)
        return out


def check_targets(boxes: np.ndarray, labels: np.ndarray, valid: np.ndarray,
                  image_size: tuple[int, int], num_classes: int, where: str) -> None:
    """ValueError naming the first box outside the image, of non-positive size, or with a
    class id outside ``[0, num_classes)``."""
    h, w = image_size
    for i, j in zip(*np.nonzero(valid)):
        x0, y0, x1, y1 = boxes[i, j]
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise ValueError(f'{where}: box {j} of image {i} is {boxes[i, j].tolist()}; boxes '
                             f'must lie in the {w}x{h} image with positive size (x0 < x1, '
                             'y0 < y1)')
        if not 0 <= labels[i, j] < num_classes:
            raise ValueError(f'{where}: box {j} of image {i} has class {labels[i, j]}, '
                             f'outside [0, {num_classes})')


def from_examples(examples: list[dict], image_size: int, num_classes: int,
                  name: str, split: str) -> DenseSplit:
    """A ``DenseSplit`` from TFDS examples in the standard detection layout (numpy): ``image``
    [H, W, C], ``objects: {bbox [n, 4] normalised (ymin, xmin, ymax, xmax), label [n],
    is_crowd / is_difficult [n] (optional, such boxes are dropped)}``, optional
    ``segmentation_mask`` [H, W, 1]. Images are letterboxed to ``image_size`` (scaled to fit,
    padded right and bottom with 0; masks padded with 0, the background)."""
    n = len(examples)
    images, masks, boxes, labels = [], [], [], []
    for ex in examples:
        image = np.asarray(ex['image'])
        h, w = image.shape[:2]
        scale = image_size / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        images.append(_letterbox(image, nh, nw, image_size, Image.BILINEAR))
        if 'segmentation_mask' in ex:
            masks.append(_letterbox(np.asarray(ex['segmentation_mask']), nh, nw, image_size,
                                    Image.NEAREST)[..., 0])
        objects = ex.get('objects', {})
        b = np.asarray(objects.get('bbox', np.zeros((0, 4))), np.float32).reshape(-1, 4)
        keep = np.ones(len(b), bool)
        for flag in ('is_crowd', 'is_difficult'):
            if flag in objects:
                keep &= ~np.asarray(objects[flag], bool)
        # normalised (ymin, xmin, ymax, xmax) -> pixels (x0, y0, x1, y1) of the letterboxed image
        b = b[keep][:, [1, 0, 3, 2]] * np.asarray([nw, nh, nw, nh], np.float32)
        boxes.append(b)
        labels.append(np.asarray(objects.get('label', np.zeros(0)), np.int64)[keep])
    m = max([len(b) for b in boxes] + [1])
    out_boxes = np.zeros((n, m, 4), np.float32)
    out_labels = np.zeros((n, m), np.int32)
    valid = np.zeros((n, m), bool)
    for i, (b, lb) in enumerate(zip(boxes, labels)):
        out_boxes[i, :len(b)], out_labels[i, :len(b)], valid[i, :len(b)] = b, lb, True
    check_targets(out_boxes, out_labels, valid, (image_size, image_size), num_classes,
                  f'{name}[{split}]')
    stacked = np.stack(images) if images else np.zeros((0, image_size, image_size, 1), np.uint8)
    return DenseSplit(name, split, n, stacked.shape[1:], num_classes, stacked,
                      np.zeros(n, np.int32), boxes=out_boxes, box_labels=out_labels,
                      box_valid=valid, masks=np.stack(masks) if masks else None)


def _letterbox(image: np.ndarray, nh: int, nw: int, size: int, resample) -> np.ndarray:
    c = image.shape[-1]
    if image.shape[:2] != (nh, nw):
        squeezed = image[..., 0] if c == 1 else image
        image = np.asarray(Image.fromarray(squeezed).resize((nw, nh), resample)).reshape(
            nh, nw, c)
    out = np.zeros((size, size, c), image.dtype)
    out[:nh, :nw] = image
    return out


def builder(name: str, data_dir: str | None = None, **kwargs):
    """The TFDS builder of ``name``: this module's scenes builder for 'fashion_mnist_scenes'
    (keyword arguments: ``sizes``, ``spec``, ``source_dir``), TFDS's own otherwise."""
    data_dir = data_dir or default_data_dir()
    if name == FashionMnistScenes.name:
        return FashionMnistScenes(data_dir=data_dir, **kwargs)
    return tfds.builder(name, data_dir=data_dir, file_format='array_record')


def load_dense(name: str, split: str, image_size: int, data_dir: str | None = None,
               **builder_kwargs) -> DenseSplit:
    """Prepares (once; TFDS renames its output only on success, so a failed preparation leaves
    no dataset behind) and reads ``split`` of a detection dataset into memory."""
    b = prepare(name, data_dir, builder(name, data_dir, **builder_kwargs))
    source = b.as_data_source(split=split)
    labels = b.info.features['objects']['label']
    examples = [source[i] for i in range(len(source))]
    return from_examples(examples, image_size, labels.num_classes, name, split)
