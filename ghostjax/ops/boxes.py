"""Axis-aligned boxes ``[..., 4]`` as ``(x0, y0, x1, y1)`` in pixels, and a jit-able NMS.

Everything is shape-static: NMS returns a fixed number of indices with a validity mask, so
detection decoding runs inside ``jit`` on any batch.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

EPS = 1e-7


def area(boxes: jax.Array) -> jax.Array:
    """``[...]`` areas (0 for empty or inverted boxes)."""
    return (jnp.maximum(boxes[..., 2] - boxes[..., 0], 0.0) *
            jnp.maximum(boxes[..., 3] - boxes[..., 1], 0.0))


def _intersection(a: jax.Array, b: jax.Array) -> jax.Array:
    wh = jnp.maximum(jnp.minimum(a[..., 2:], b[..., 2:]) - jnp.maximum(a[..., :2], b[..., :2]),
                     0.0)
    return wh[..., 0] * wh[..., 1]


def iou(a: jax.Array, b: jax.Array) -> jax.Array:
    """Elementwise IoU of broadcastable ``a [..., 4]`` and ``b [..., 4]``."""
    inter = _intersection(a, b)
    return inter / jnp.maximum(area(a) + area(b) - inter, EPS)


def pairwise_iou(a: jax.Array, b: jax.Array) -> jax.Array:
    """``[N, M]`` IoU of every box of ``a [N, 4]`` with every box of ``b [M, 4]``."""
    return iou(a[:, None, :], b[None, :, :])


def giou(a: jax.Array, b: jax.Array) -> jax.Array:
    """Elementwise generalized IoU (Rezatofighi et al. 2019): IoU minus the share of the
    smallest enclosing box that the union leaves empty; in [-1, 1]."""
    inter = _intersection(a, b)
    union = area(a) + area(b) - inter
    hull = area(jnp.concatenate([jnp.minimum(a[..., :2], b[..., :2]),
                                 jnp.maximum(a[..., 2:], b[..., 2:])], -1))
    return inter / jnp.maximum(union, EPS) - (hull - union) / jnp.maximum(hull, EPS)


def from_distances(points: jax.Array, ltrb: jax.Array) -> jax.Array:
    """Boxes from ``points [..., 2]`` (x, y) and distances ``[..., 4]`` to the left, top, right
    and bottom sides (FCOS's regression target)."""
    return jnp.concatenate([points - ltrb[..., :2], points + ltrb[..., 2:]], -1)


def to_distances(points: jax.Array, boxes: jax.Array) -> jax.Array:
    """The inverse of ``from_distances``: ``[..., 4]`` (left, top, right, bottom)."""
    return jnp.concatenate([points - boxes[..., :2], boxes[..., 2:] - points], -1)


def clip(boxes: jax.Array, height: int, width: int) -> jax.Array:
    return jnp.clip(boxes, 0.0, jnp.asarray([width, height, width, height], boxes.dtype))


def nms(boxes: jax.Array, scores: jax.Array, *, iou_threshold: float, max_outputs: int,
        score_threshold: float = -jnp.inf) -> tuple[jax.Array, jax.Array]:
    """Greedy non-maximum suppression of ``boxes [N, 4]`` by ``scores [N]``.

    Returns ``(indices [max_outputs], valid [max_outputs])``: kept boxes in descending score,
    padded with index 0 and ``valid = False``. Boxes scoring at most ``score_threshold`` are
    never kept. Exact greedy NMS (the torchvision rule: suppress when IoU > threshold), as an
    ``O(N^2)`` matrix and a scan over the sorted boxes: meant for the few hundred candidates
    left after a top-k.
    """
    n = boxes.shape[0]
    order = jnp.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    overlaps = pairwise_iou(boxes, boxes) > iou_threshold
    alive = scores > score_threshold

    def visit(keep, i):
        # box i survives if no kept box before it overlaps it too much
        suppressed = jnp.any(keep & overlaps[i] & (jnp.arange(n) < i))
        return keep.at[i].set(alive[i] & ~suppressed), None

    keep, _ = jax.lax.scan(visit, jnp.zeros(n, bool), jnp.arange(n))
    # stable: kept boxes first, in score order
    rank = jnp.argsort(~keep, stable=True)[:max_outputs]
    if max_outputs > n:
        rank = jnp.pad(rank, (0, max_outputs - n))
    valid = keep[rank] & (jnp.arange(max_outputs) < n)
    return jnp.where(valid, order[rank], 0), valid


def batched_nms(boxes: jax.Array, scores: jax.Array, classes: jax.Array, *,
                iou_threshold: float, max_outputs: int,
                score_threshold: float = -jnp.inf) -> tuple[jax.Array, jax.Array]:
    """Per-class NMS of one image's ``boxes [N, 4]`` (boxes of different ``classes [N]`` never
    suppress each other): the boxes are shifted apart by class before one ``nms``."""
    offset = classes.astype(boxes.dtype)[:, None] * (jnp.max(boxes) + 1.0)
    return nms(boxes + offset, scores, iou_threshold=iou_threshold, max_outputs=max_outputs,
               score_threshold=score_threshold)
