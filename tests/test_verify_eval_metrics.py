"""Metrics of the verifier evaluation."""

from __future__ import annotations

import math

import pytest

from herald.eval.verify_eval import balanced_accuracy, best_threshold, roc_auc


def test_roc_auc() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert roc_auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    assert roc_auc([1.0, 0.0], [1, 0]) == pytest.approx(1.0)
    assert math.isnan(roc_auc([0.1, 0.2], [1, 1]))


def test_balanced_accuracy_and_threshold() -> None:
    labels = [1, 1, 1, 0]
    assert balanced_accuracy([True, True, True, True], labels) == pytest.approx(0.5)
    assert balanced_accuracy([True, True, False, False], labels) == pytest.approx((2 / 3 + 1) / 2)
    assert best_threshold([0.9, 0.8, 0.7, 0.2], labels) == pytest.approx(0.45)
