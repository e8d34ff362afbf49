"""COCO-style detection metrics, computed by pycocotools (the field's reference implementation)
from arrays in memory: nothing is written to disk or downloaded."""
from __future__ import annotations

import contextlib
import io
from typing import Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

# COCOeval.stats order (iouType 'bbox').
STATS = ('map', 'map50', 'map75', 'map_small', 'map_medium', 'map_large',
         'ar1', 'ar10', 'ar100', 'ar_small', 'ar_medium', 'ar_large')


def _xywh(b: np.ndarray) -> list[float]:
    return [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]


def coco_map(gt_boxes: Sequence[np.ndarray], gt_labels: Sequence[np.ndarray],
             det_boxes: Sequence[np.ndarray], det_scores: Sequence[np.ndarray],
             det_labels: Sequence[np.ndarray], num_classes: int) -> dict[str, float]:
    """COCO box AP/AR over images: per image ``gt_boxes [M, 4]`` (x0, y0, x1, y1 pixels) and
    ``gt_labels [M]`` (only real boxes, no padding), detections ``[D, 4]``, ``[D]``, ``[D]``.

    Returns ``STATS`` (``map`` is AP@[.5:.95], ``map50`` AP@.5; a size class with no ground truth
    is NaN, as pycocotools' -1). No detection at all gives 0 AP.
    """
    if not len(gt_boxes) == len(gt_labels) == len(det_boxes) == len(det_scores) == len(
            det_labels):
        raise ValueError('coco_map needs the same number of images in every argument, got '
                         f'{[len(a) for a in (gt_boxes, gt_labels, det_boxes, det_scores)]}')
    images, annotations, results = [], [], []
    for i, (gb, gl, db, ds, dl) in enumerate(zip(gt_boxes, gt_labels, det_boxes, det_scores,
                                                 det_labels)):
        images.append({'id': i})
        for b, c in zip(np.asarray(gb), np.asarray(gl)):
            if not 0 <= int(c) < num_classes:
                raise ValueError(f'ground-truth class {int(c)} of image {i} is outside '
                                 f'[0, {num_classes})')
            xywh = _xywh(b)
            annotations.append({'id': len(annotations) + 1, 'image_id': i, 'category_id': int(c),
                                'bbox': xywh, 'area': xywh[2] * xywh[3], 'iscrowd': 0})
        results += [{'image_id': i, 'category_id': int(c), 'bbox': _xywh(b), 'score': float(s)}
                    for b, s, c in zip(np.asarray(db), np.asarray(ds), np.asarray(dl))]
    if not annotations:
        raise ValueError('coco_map needs at least one ground-truth box')
    if not results:
        return {k: 0.0 for k in STATS}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt = COCO()
        gt.dataset = {'images': images, 'annotations': annotations,
                      'categories': [{'id': c} for c in range(num_classes)]}
        gt.createIndex()
        evaluator = COCOeval(gt, gt.loadRes(results), 'bbox')
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {k: (float(v) if v >= 0 else float('nan')) for k, v in zip(STATS, evaluator.stats)}
