"""Anomaly-detection metrics: AUROC and average precision (AUPRC) of scores where higher means
more anomalous. Both equal scikit-learn's ``roc_auc_score`` and ``average_precision_score``,
ties included."""
from __future__ import annotations

import numpy as np


def _check(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, np.float64).reshape(-1)
    is_anomaly = np.asarray(is_anomaly).reshape(-1).astype(bool)
    if scores.shape != is_anomaly.shape:
        raise ValueError(f'{scores.shape[0]} scores for {is_anomaly.shape[0]} labels')
    if not np.all(np.isfinite(scores)):
        raise ValueError(f'{np.sum(~np.isfinite(scores))} scores are NaN or infinite')
    positives = int(is_anomaly.sum())
    if positives in (0, len(is_anomaly)):
        raise ValueError(f'the test set needs normal and anomalous examples; it has '
                         f'{len(is_anomaly) - positives} normal and {positives} anomalous')
    return scores, is_anomaly


def auroc(scores: np.ndarray, is_anomaly: np.ndarray) -> float:
    """Area under the ROC curve: the probability that an anomaly scores above a normal
    example, ties counting one half (the Mann-Whitney U statistic over mid-ranks)."""
    scores, is_anomaly = _check(scores, is_anomaly)
    order = np.argsort(scores, kind='mergesort')
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # mid-ranks: every member of a group of tied scores gets the group's mean rank
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    n_pos = is_anomaly.sum()
    n_neg = len(scores) - n_pos
    return float((ranks[is_anomaly].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(scores: np.ndarray, is_anomaly: np.ndarray) -> float:
    """Area under the precision-recall curve as ``sum_n (R_n - R_{n-1}) P_n`` over the
    distinct score thresholds, from the highest down (anomalies are the positive class)."""
    scores, is_anomaly = _check(scores, is_anomaly)
    order = np.argsort(-scores, kind='mergesort')
    s, y = scores[order], is_anomaly[order]
    last = np.r_[s[1:] != s[:-1], True]  # the last index of each group of tied scores
    tp = np.cumsum(y)[last]
    predicted = (np.flatnonzero(last) + 1)
    precision, recall = tp / predicted, tp / y.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
