"""GhostNet for dense prediction: one backbone, a Ghost FPN, and any of three task heads.

``GhostNetDense(tasks=('detect',))`` is a detector, ``('segment',)`` a segmenter and
``('classify', 'detect', 'segment')`` the multi-task model sharing one backbone. Outputs:

- 'classify': multi-label logits ``[B, num_classes]`` (which classes the image holds);
- 'detect': the FCOS head's ``{'logits', 'distances', 'centerness'}`` over the points of
  ``points(image_size, strides)``;
- 'segment': logits ``[B, H, W, num_classes + 1]`` (class 0 is background).

``fcos_targets`` assigns ground truth to points and ``decode`` turns head outputs into a fixed
number of boxes per image with a validity mask; both run under ``jit``.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ghostjax.models.ghostnet import GHOSTNET_STAGES, GhostNet, total_stride
from ghostjax.nn.dense_prediction import FCOSHead, GhostFPN, SegmentationHead
from ghostjax.nn.layers import Dtype, Layers
from ghostjax.ops import boxes as box_ops

TASKS = ('classify', 'detect', 'segment')


class GhostNetDense(nn.Module):
    """GhostNet backbone + Ghost FPN + task heads. Input ``[B, H, W, in_channels]`` with H and W
    multiples of 32 (the backbone's total stride).

    Attributes:
      num_classes: object classes (detection, classification; segmentation adds background).
      tasks: a non-empty subset of ``TASKS``.
      width: the backbone's channel multiplier (1.0: GhostNet 1.0x).
      strides: the pyramid levels of the detection head (FPN outputs, a subset of 8, 16, 32).
      seg_strides: the levels the segmentation head fuses (may include 4).
      fpn_features / head_depth: neck width and the detection towers' depth.
      stages: the backbone's bottleneck table (``GhostNet.stages``; the paper's by default);
        it must reach stride 32.
      freeze_backbone: the backbone's BatchNorm keeps its running statistics in training (the
        optimizer leaves its weights alone: ``training.dense_prediction.optimizer``).
    """
    num_classes: int
    tasks: Sequence[str] = ('detect',)
    width: float = 1.0
    in_channels: int = 3
    strides: Sequence[int] = (8, 16, 32)
    seg_strides: Sequence[int] = (4, 8, 16, 32)
    fpn_features: int = 64
    head_depth: int = 2
    stages: tuple = GHOSTNET_STAGES
    freeze_backbone: bool = False
    impl: str = 'auto'
    dtype: Dtype = jnp.float32
    bn_axis_name: str | None = None

    def check(self, image_shape: Sequence[int]) -> None:
        """ValueError for a bad task list, level or image shape (before anything compiles)."""
        unknown = sorted(set(self.tasks) - set(TASKS))
        if not self.tasks or unknown:
            raise ValueError(f'tasks must be a non-empty subset of {TASKS}, got {self.tasks}')
        if self.num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {self.num_classes}')
        for name, levels in (('strides', self.strides), ('seg_strides', self.seg_strides)):
            bad = sorted(set(levels) - {4, 8, 16, 32})
            if bad or not levels:
                raise ValueError(f'{name} {tuple(levels)}: the GhostNet backbone produces feature '
                                 f'levels 4, 8, 16 and 32 only')
        stride = total_stride(self.stages)
        if stride != 32:
            raise ValueError(f'the backbone stage table reaches stride {stride}; the dense heads '
                             'need the feature levels 4, 8, 16 and 32')
        h, w, c = image_shape
        if h % 32 or w % 32:
            raise ValueError(f'image size {h}x{w} is not a multiple of 32, the GhostNet '
                             'backbone\'s total stride; pad or resize the images')
        if c != self.in_channels:
            raise ValueError(f'images have {c} channels, the model takes {self.in_channels}')

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> dict[str, jax.Array]:
        self.check(x.shape[1:])
        ly = Layers(self.dtype, self.impl, self.bn_axis_name)
        backbone = GhostNet(width=self.width, in_channels=self.in_channels, impl=self.impl,
                            dtype=self.dtype, bn_axis_name=self.bn_axis_name,
                            stages=self.stages, name='backbone')
        pyramid = backbone(x, train and not self.freeze_backbone, output='features')
        levels = sorted(set(self.strides) | (set(self.seg_strides) if 'segment' in self.tasks
                                             else set()))
        fused = GhostFPN(self.fpn_features, levels, ly, name='fpn')(pyramid, train)
        out = {}
        if 'classify' in self.tasks:
            pooled = jnp.mean(pyramid[32], axis=(1, 2))
            out['classify'] = nn.Dense(self.num_classes, dtype=self.dtype, name='classify')(
                pooled).astype(jnp.float32)
        if 'detect' in self.tasks:
            out['detect'] = FCOSHead(self.num_classes, tuple(self.strides), self.fpn_features,
                                     self.head_depth, layers=ly, name='detect')(
                {s: fused[s] for s in self.strides}, train)
        if 'segment' in self.tasks:
            out['segment'] = SegmentationHead(self.num_classes + 1, tuple(x.shape[1:3]),
                                              self.fpn_features, ly, name='segment')(
                {s: fused[s] for s in self.seg_strides}, train)
        return out


def points(image_size: tuple[int, int], strides: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The FCOS head's points: centres ``[P, 2]`` (x, y, in pixels) of every cell of every level
    (row-major per level, levels in ``strides`` order) and each point's stride ``[P]``."""
    centres, point_strides = [], []
    for s in strides:
        ys, xs = np.meshgrid(np.arange(image_size[0] // s), np.arange(image_size[1] // s),
                             indexing='ij')
        centres.append(np.stack([xs.ravel(), ys.ravel()], -1) * s + s // 2)
        point_strides.append(np.full(xs.size, s))
    return (np.concatenate(centres).astype(np.float32),
            np.concatenate(point_strides).astype(np.float32))


def size_ranges(strides: Sequence[int]) -> np.ndarray:
    """``[L, 2]`` FCOS scale ranges: a level takes the boxes whose largest distance from the
    point lies in (lo, hi]; level ``s`` gets ``(4 s, 8 s]``, the first from 0, the last to inf
    (FCOS's 64/128/256/512 for strides 8..128)."""
    lo = [0.0] + [8.0 * s for s in strides[:-1]]
    hi = [8.0 * s for s in strides[:-1]] + [np.inf]
    return np.stack([lo, hi], -1).astype(np.float32)


def fcos_targets(gt_boxes: jax.Array, gt_labels: jax.Array, gt_valid: jax.Array,
                 centres: jax.Array, point_strides: jax.Array, ranges: jax.Array,
                 radius: float = 1.5) -> dict[str, jax.Array]:
    """One image's FCOS targets. ``gt_boxes [M, 4]`` (x0, y0, x1, y1 pixels), ``gt_labels [M]``,
    ``gt_valid [M]``; ``centres [P, 2]``, ``point_strides [P]``, ``ranges [P, 2]``.

    A point is positive for a box when it lies inside the box and within ``radius`` strides of
    its centre (FCOS's centre sampling) and the box's size fits the point's level; of several
    such boxes it takes the smallest. Returns ``{'labels' [P] (-1: background), 'boxes' [P, 4],
    'centerness' [P]}``.
    """
    ltrb = box_ops.to_distances(centres[:, None, :], gt_boxes[None, :, :])  # [P, M, 4]
    inside = jnp.min(ltrb, -1) > 0
    centre = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
    reach = radius * point_strides[:, None]
    near = jnp.all(jnp.abs(centres[:, None, :] - centre[None]) < reach[..., None], -1)
    extent = jnp.max(ltrb, -1)
    fits = (extent > ranges[:, :1]) & (extent <= ranges[:, 1:])
    ok = inside & near & fits & gt_valid[None, :]
    areas = jnp.where(ok, box_ops.area(gt_boxes)[None, :], jnp.inf)
    best = jnp.argmin(areas, -1)
    positive = jnp.any(ok, -1)
    d = jnp.take_along_axis(ltrb, best[:, None, None], 1)[:, 0]
    lr, tb = d[:, 0::2], d[:, 1::2]
    ctr = jnp.sqrt(jnp.clip(lr.min(-1) / jnp.maximum(lr.max(-1), 1e-6), 0) *
                   jnp.clip(tb.min(-1) / jnp.maximum(tb.max(-1), 1e-6), 0))
    return {'labels': jnp.where(positive, gt_labels[best], -1), 'boxes': gt_boxes[best],
            'centerness': jnp.where(positive, ctr, 0.0)}


def decode(head: dict[str, jax.Array], centres: jax.Array, image_size: tuple[int, int], *,
           pre_nms: int = 200, max_detections: int = 50, iou_threshold: float = 0.6,
           score_threshold: float = 0.05) -> dict[str, jax.Array]:
    """Detections from the FCOS head's batched outputs: score ``sqrt(p_class * p_centerness)``,
    the ``pre_nms`` best (point, class) pairs, per-class NMS. Returns ``{'boxes' [B, D, 4],
    'scores' [B, D], 'classes' [B, D], 'valid' [B, D]}`` with ``D = max_detections``."""
    centres = jnp.asarray(centres)

    def one(logits, distances, centerness):
        scores = jnp.sqrt(jax.nn.sigmoid(logits) * jax.nn.sigmoid(centerness)[:, None])
        k = logits.shape[-1]
        top, flat = jax.lax.top_k(scores.reshape(-1), min(pre_nms, scores.size))
        point, cls = flat // k, flat % k
        bxs = box_ops.clip(box_ops.from_distances(centres[point], distances[point]), *image_size)
        keep, valid = box_ops.batched_nms(bxs, top, cls, iou_threshold=iou_threshold,
                                          max_outputs=max_detections,
                                          score_threshold=score_threshold)
        return {'boxes': bxs[keep], 'scores': jnp.where(valid, top[keep], 0.0),
                'classes': cls[keep], 'valid': valid}
    return jax.vmap(one)(head['logits'], head['distances'], head['centerness'])
