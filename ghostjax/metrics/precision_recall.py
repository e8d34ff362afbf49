"""Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN feature manifolds."""
from __future__ import annotations

import numpy as np


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T, 0)


def _radii(x: np.ndarray, k: int, batch: int) -> np.ndarray:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    out = np.empty(len(x))
    for i in range(0, len(x), batch):
        d = _sq_dists(x[i:i + batch], x)
        out[i:i + batch] = np.sqrt(np.partition(d, k, axis=1)[:, k])  # index 0 is the point
    return out


def _coverage(query: np.ndarray, ref: np.ndarray, radii: np.ndarray, batch: int) -> float:
    """Fraction of ``query`` rows inside at least one ball ``(ref_j, radii_j)``."""
    inside = 0
    for i in range(0, len(query), batch):
        d = np.sqrt(_sq_dists(query[i:i + batch], ref))
        inside += int(np.sum(np.any(d <= radii[None], axis=1)))
    return inside / len(query)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3,
                     batch: int = 1024) -> tuple[float, float]:
    """(precision, recall): fakes inside the real manifold, reals inside the fake manifold."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if min(len(real), len(fake)) <= k:
        raise ValueError(f'precision/recall with k={k} needs more than {k} samples per set')
    precision = _coverage(fake, real, _radii(real, k, batch), batch)
    recall = _coverage(real, fake, _radii(fake, k, batch), batch)
    return precision, recall
