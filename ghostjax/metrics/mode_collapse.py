"""Mode-collapse view: the class histogram of generated images under a domain classifier, and
its KL divergence to the data's class histogram. A generator that drops or over-produces
classes shows it here even when its diversity scalar looks healthy."""
from __future__ import annotations

import numpy as np


def class_histogram(probs: np.ndarray, num_classes: int) -> np.ndarray:
    """Fraction of images per predicted class (argmax of ``probs`` ``[N, num_classes]``)."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != num_classes or len(probs) == 0:
        raise ValueError(f'expected class probabilities [N > 0, {num_classes}], got shape '
                         f'{probs.shape}')
    return np.bincount(np.argmax(probs, axis=1), minlength=num_classes) / len(probs)


def label_histogram(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Fraction of examples per label."""
    labels = np.asarray(labels)
    if len(labels) == 0 or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'expected labels in [0, {num_classes}), got {len(labels)} labels in '
                         f'[{labels.min() if len(labels) else None}, '
                         f'{labels.max() if len(labels) else None}]')
    return np.bincount(labels, minlength=num_classes) / len(labels)


def histogram_kl(generated: np.ndarray, data: np.ndarray, eps: float = 1e-6) -> float:
    """KL(generated || data) in nats; ``eps`` keeps a class the generator never makes finite
    (log 0 terms vanish), and one the data never has large rather than infinite."""
    p = np.asarray(generated, np.float64) + eps
    q = np.asarray(data, np.float64) + eps
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))
