"""Clustering metrics: pairwise and B-cubed precision/recall/F1, adjusted Rand index.

All take two equally long sequences of labels (gold, predicted), one per item, and work
on the contingency table of the two labelings, so they run in time linear in the items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    """Precision, recall and their harmonic mean."""

    precision: float
    recall: float
    f1: float


def _prf(precision: float, recall: float) -> PRF:
    total = precision + recall
    return PRF(precision, recall, 2 * precision * recall / total if total else 0.0)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _tables(
    gold: Sequence[Hashable], predicted: Sequence[Hashable]
) -> tuple[Counter[tuple[Hashable, Hashable]], Counter[Hashable], Counter[Hashable]]:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predicted labels")
    return Counter(zip(gold, predicted, strict=True)), Counter(gold), Counter(predicted)


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> PRF:
    """Precision/recall/F1 over item pairs (a pair is positive when both share a story).

    With no positive pairs on a side (all singletons), that side's score is 1.0.
    """
    joint, gold_sizes, pred_sizes = _tables(gold, predicted)
    same = sum(_pairs(n) for n in joint.values())
    pred_pairs = sum(_pairs(n) for n in pred_sizes.values())
    gold_pairs = sum(_pairs(n) for n in gold_sizes.values())
    precision = same / pred_pairs if pred_pairs else 1.0
    recall = same / gold_pairs if gold_pairs else 1.0
    return _prf(precision, recall)


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> PRF:
    """B-cubed precision/recall/F1: per-item overlap of its two clusters, averaged."""
    joint, gold_sizes, pred_sizes = _tables(gold, predicted)
    if not gold:
        return PRF(1.0, 1.0, 1.0)
    precision = sum(n * n / pred_sizes[p] for (_, p), n in joint.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (g, _), n in joint.items()) / len(gold)
    return _prf(precision, recall)


def adjusted_rand_index(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Hubert and Arabie's adjusted Rand index (1 = identical, about 0 = chance)."""
    joint, gold_sizes, pred_sizes = _tables(gold, predicted)
    total = _pairs(len(gold))
    if total == 0:
        return 1.0
    index = sum(_pairs(n) for n in joint.values())
    gold_sum = sum(_pairs(n) for n in gold_sizes.values())
    pred_sum = sum(_pairs(n) for n in pred_sizes.values())
    expected = gold_sum * pred_sum / total
    maximum = (gold_sum + pred_sum) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def clustering_report(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> dict[str, float]:
    """All metrics as a flat dict of floats (for JSON)."""
    pair = pairwise(gold, predicted)
    cube = bcubed(gold, predicted)
    return {
        "pairwise_precision": pair.precision,
        "pairwise_recall": pair.recall,
        "pairwise_f1": pair.f1,
        "bcubed_precision": cube.precision,
        "bcubed_recall": cube.recall,
        "bcubed_f1": cube.f1,
        "ari": adjusted_rand_index(gold, predicted),
    }
