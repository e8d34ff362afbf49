"""AUROC and average precision against scikit-learn (ties included) and closed forms, and the
test sets they refuse."""
import numpy as np
import pytest

from ghostjax.metrics import anomaly


@pytest.mark.parametrize('seed, ties', [(0, False), (1, True), (2, True)])
def test_matches_scikit_learn(seed, ties):
    metrics = pytest.importorskip('sklearn.metrics')
    rng = np.random.default_rng(seed)
    labels = rng.random(500) < 0.3
    scores = rng.normal(size=500) + labels
    if ties:
        scores = np.round(scores * 2) / 2  # a few distinct values: many ties
    assert anomaly.auroc(scores, labels) == pytest.approx(metrics.roc_auc_score(labels, scores),
                                                          abs=1e-12)
    assert anomaly.average_precision(scores, labels) == pytest.approx(
        metrics.average_precision_score(labels, scores), abs=1e-12)


def test_closed_forms():
    labels = np.array([0, 0, 1, 1])
    assert anomaly.auroc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    assert anomaly.auroc([0.9, 0.8, 0.2, 0.1], labels) == 0.0
    assert anomaly.auroc(np.zeros(4), labels) == 0.5  # one tie everywhere
    assert anomaly.average_precision([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    # ranked anomaly, normal, anomaly, normal: (1/2) * 1 + (1/2) * (2/3)
    assert anomaly.average_precision([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) == pytest.approx(5 / 6)


@pytest.mark.parametrize('scores, labels, match', [
    ([0.1, 0.2], [0, 0], 'has 2 normal and 0 anomalous'),
    ([0.1, 0.2], [1, 1], 'has 0 normal and 2 anomalous'),
    ([], [], 'has 0 normal and 0 anomalous'),
    ([0.1, 0.2, 0.3], [0, 1], '3 scores for 2 labels'),
    ([0.1, np.nan], [0, 1], '1 scores are NaN or infinite'),
])
def test_refuses_test_sets_without_both_kinds(scores, labels, match):
    for fn in (anomaly.auroc, anomaly.average_precision):
        with pytest.raises(ValueError, match=match):
            fn(scores, labels)
