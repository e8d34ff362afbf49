"""Fréchet distance and streaming feature statistics (float64)."""
from __future__ import annotations

import os
import warnings

import numpy as np


class RunningStats:
    """Mean and covariance of features ``[N, D]`` accumulated batch by batch in float64, so a
    50k-sample FID never holds all features: memory is O(D^2)."""

    def __init__(self, dim: int):
        self.n = 0
        self.sum = np.zeros(dim, np.float64)
        self.outer = np.zeros((dim, dim), np.float64)

    def update(self, features: np.ndarray) -> None:
        f = np.asarray(features, np.float64)
        if f.ndim != 2 or f.shape[1] != self.sum.shape[0]:
            raise ValueError(f'expected features [N, {self.sum.shape[0]}], got {f.shape}')
        self.n += f.shape[0]
        self.sum += f.sum(0)
        self.outer += f.T @ f

    @property
    def mean(self) -> np.ndarray:
        return self.sum / self.n

    @property
    def cov(self) -> np.ndarray:
        if self.n < 2:
            raise ValueError(f'covariance needs at least 2 samples, got {self.n}')
        mu = self.mean
        return (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)

    def save(self, path: str) -> None:
        """Writes ``mu``, ``sigma``, ``n`` to ``path`` (atomic: temporary file, then rename)."""
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        tmp = f'{path}.tmp-{os.getpid()}.npz'
        np.savez(tmp, mu=self.mean, sigma=self.cov, n=self.n)
        os.replace(tmp, path)


def _trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """``Tr sqrt(S1 S2)`` for PSD ``S1, S2``: the eigenvalues of ``S1 S2`` are those of the
    symmetric ``sqrt(S1) S2 sqrt(S1)``, so two symmetric eigendecompositions replace the general
    matrix square root. Exact for singular covariances too (no eps fallback needed)."""
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ s2 @ root
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     num_samples: int | None = None) -> float:
    """``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2))`` in float64: the quantity pytorch-fid
    computes, with the trace of the square root taken from eigenvalues.

    ``num_samples`` (the smaller sample count) warns when it does not exceed the feature
    dimension: the covariance is then singular and the estimate strongly biased upwards.
    """
    mu1, mu2 = np.atleast_1d(np.float64(mu1)), np.atleast_1d(np.float64(mu2))
    s1, s2 = np.atleast_2d(np.float64(sigma1)), np.atleast_2d(np.float64(sigma2))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != mu1.shape * 2:
        raise ValueError(f'mismatched statistics: mu {mu1.shape} vs {mu2.shape}, sigma '
                         f'{s1.shape} vs {s2.shape}')
    if num_samples is not None and num_samples <= mu1.shape[0]:
        warnings.warn(f'{num_samples} samples for {mu1.shape[0]}-d features: the covariance is '
                      'singular; FID is biased upwards', stacklevel=2)
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2)
                 - 2 * _trace_sqrt_product(s1, s2))
