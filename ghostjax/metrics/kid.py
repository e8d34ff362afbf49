"""Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD^2 with the cubic kernel."""
from __future__ import annotations

import numpy as np


def polynomial_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between ``x [m, d]`` and ``y [n, d]`` with ``k(a, b) = (a.b / d + 1)^3``."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    m, n, d = x.shape[0], y.shape[0], x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray, num_subsets: int = 100,
                              subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """(mean, std) of the unbiased MMD^2 over random subsets of both feature sets."""
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError(f'KID needs at least 2 samples per set, got {len(real)}, {len(fake)}')
    rng = np.random.default_rng(seed)
    vals = [polynomial_mmd2(real[rng.choice(len(real), size, replace=False)],
                            fake[rng.choice(len(fake), size, replace=False)])
            for _ in range(num_subsets)]
    return float(np.mean(vals)), float(np.std(vals))
