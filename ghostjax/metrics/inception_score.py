"""Inception Score (Salimans et al. 2016) from class probabilities."""
from __future__ import annotations

import numpy as np


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """(mean, std) over ``splits`` of ``exp(E_x KL(p(y|x) || p(y)))`` for ``probs [N, K]``.

    A perfect classifier on a class-balanced set gives K; a constant prediction gives 1.
    """
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or np.any(p < -1e-6) or not np.allclose(p.sum(1), 1, atol=1e-3):
        raise ValueError(f'expected class probabilities [N, K] summing to 1, got shape {p.shape}')
    if len(p) < splits:
        raise ValueError(f'{len(p)} samples cannot make {splits} splits')
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(0, keepdims=True)
        kl = np.sum(part * (np.log(np.clip(part, 1e-12, None)) -
                            np.log(np.clip(marginal, 1e-12, None))), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
