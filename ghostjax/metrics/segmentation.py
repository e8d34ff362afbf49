"""Semantic segmentation metrics from a confusion matrix."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def confusion_matrix(predictions: jax.Array, labels: jax.Array, num_classes: int,
                     ignore_label: int = 255) -> jax.Array:
    """``[K, K]`` int32 counts, rows the true class and columns the predicted one, over the
    pixels of integer maps ``predictions`` and ``labels`` (any equal shapes) whose label is not
    ``ignore_label``. Additive, so batches are summed (and ``psum``-ed across devices)."""
    labels, predictions = labels.reshape(-1), predictions.reshape(-1)
    keep = (labels != ignore_label) & (labels >= 0) & (labels < num_classes)
    index = jnp.where(keep, labels * num_classes + predictions, num_classes * num_classes)
    counts = jnp.bincount(index, length=num_classes * num_classes + 1)[:-1]
    return counts.reshape(num_classes, num_classes).astype(jnp.int32)


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """``[K]`` IoU = TP / (TP + FP + FN); NaN for a class absent from labels and predictions."""
    confusion = np.asarray(confusion, np.float64)
    tp = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(confusion: np.ndarray, skip: tuple[int, ...] = ()) -> float:
    """Mean of the per-class IoUs over the classes present (labels or predictions), leaving
    out the classes ``skip`` (e.g. ``(0,)``: background); NaN when none is left."""
    iou = np.delete(iou_per_class(confusion), list(skip))
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float('nan')


def pixel_accuracy(confusion: np.ndarray) -> float:
    confusion = np.asarray(confusion, np.float64)
    return float(np.trace(confusion) / max(confusion.sum(), 1.0))
