"""Clustering metrics on hand-computable cases."""

from __future__ import annotations

import pytest

from herald.eval.metrics import adjusted_rand_index, bcubed, clustering_report, pairwise


def test_perfect_clustering_scores_one() -> None:
    gold = ["a", "a", "b", "b", "c"]
    predicted = [1, 1, 2, 2, 3]
    report = clustering_report(gold, predicted)
    assert all(value == pytest.approx(1.0) for value in report.values())


def test_pairwise_by_hand() -> None:
    # gold pairs: (0,1) (0,2) (1,2) (3,4) = 4; predicted pairs: (0,1) (2,3) (2,4) (3,4) = 4
    gold = ["a", "a", "a", "b", "b"]
    predicted = [1, 1, 2, 2, 2]
    result = pairwise(gold, predicted)
    assert result.precision == pytest.approx(2 / 4)  # (0,1) and (3,4) are right
    assert result.recall == pytest.approx(2 / 4)
    assert result.f1 == pytest.approx(0.5)


def test_bcubed_by_hand() -> None:
    gold = ["a", "a", "a", "b", "b"]
    predicted = [1, 1, 2, 2, 2]
    result = bcubed(gold, predicted)
    # precision per item: 1, 1, 1/3, 2/3, 2/3 ; recall per item: 2/3, 2/3, 1/3, 1, 1
    assert result.precision == pytest.approx((1 + 1 + 1 / 3 + 2 / 3 + 2 / 3) / 5)
    assert result.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)


def test_all_in_one_cluster() -> None:
    gold = ["a", "a", "b", "b"]
    predicted = [0, 0, 0, 0]
    assert pairwise(gold, predicted).precision == pytest.approx(2 / 6)
    assert pairwise(gold, predicted).recall == pytest.approx(1.0)
    assert bcubed(gold, predicted).precision == pytest.approx(0.5)
    assert adjusted_rand_index(gold, predicted) == pytest.approx(0.0)


def test_ari_by_hand() -> None:
    # contingency [[2,0],[1,1]]: index 1, gold sum 2, predicted sum 3, total 6
    gold = ["a", "a", "b", "b"]
    predicted = [1, 1, 1, 2]
    expected = 2 * 3 / 6
    assert adjusted_rand_index(gold, predicted) == pytest.approx(
        (1 - expected) / ((2 + 3) / 2 - expected)
    )


def test_ari_is_symmetric_and_label_free() -> None:
    gold = ["x", "x", "y", "y", "z", "z", "z"]
    predicted = ["p", "q", "q", "q", "r", "r", "p"]
    renamed = [{"p": 7, "q": 8, "r": 9}[p] for p in predicted]
    assert adjusted_rand_index(gold, predicted) == pytest.approx(
        adjusted_rand_index(predicted, gold)
    )
    assert adjusted_rand_index(gold, predicted) == pytest.approx(adjusted_rand_index(gold, renamed))


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        pairwise(["a"], [1, 2])
