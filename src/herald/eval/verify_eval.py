"""Evaluate the verifier's support score on a Faithfulness pairs file.

Run ``python -m herald.eval.verify_eval FILE --output OUT [--threshold T] [--fit]``. Writes
``{"id", "score", "supported"}`` per pair and prints balanced accuracy and ROC AUC, overall and
per origin. ``--fit`` also fits the support model's logistic regression on FILE (the weights to
paste into :data:`herald.verify.support.WEIGHTS`) and reports its cross-validated balanced
accuracy: 5 folds grouped by source document (summaries of one document never straddle train
and test), threshold chosen on the training folds, repeated over 4 shuffles.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from herald.nlp.embed import Embedder
from herald.verify import support
from herald.verify.checker import pair_features

# Chosen on faithfulness/frank_valid.jsonl only: the threshold maximising balanced accuracy of
# the support model there (reported as "best_threshold_here" by
# `herald eval verify .../frank_valid.jsonl --output OUT`). In-sample, hence optimistic: the
# cross-validated estimate is what `--fit` reports.
THRESHOLD = support.THRESHOLD
# L2 penalty of the support model's logistic regression (on standardised features).
L2 = 1.0


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (probability a positive outranks a negative; ties count half)."""
    pairs = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2
        rank_sum += average_rank * sum(label for _, label in pairs[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def balanced_accuracy(predicted: Sequence[bool], labels: Sequence[int]) -> float:
    """Mean of recall on label 1 and recall on label 0 (a missing class is left out)."""
    recalls = []
    for target in (1, 0):
        hits = [p == bool(target) for p, y in zip(predicted, labels, strict=True) if y == target]
        if hits:
            recalls.append(sum(hits) / len(hits))
    return sum(recalls) / len(recalls) if recalls else float("nan")


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The threshold maximising balanced accuracy (midpoints between distinct scores)."""
    values = sorted(set(scores))
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(values)] or values
    return max(cuts, key=lambda t: balanced_accuracy([s >= t for s in scores], labels))


def _metrics(scores: Sequence[float], labels: Sequence[int], threshold: float) -> dict[str, float]:
    predicted = [s >= threshold for s in scores]
    return {
        "pairs": float(len(labels)),
        "balanced_accuracy": round(balanced_accuracy(predicted, labels), 4),
        "roc_auc": round(roc_auc(scores, labels), 4),
    }


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[int], l2: float = L2
) -> tuple[float, ...]:
    """Logistic regression with balanced class weights and an L2 penalty on standardised
    features (Newton steps); returns (intercept, *weights) in raw feature units."""
    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.c_[np.ones(len(x)), (x - mean) / scale]
    positive = min(max(float(y.mean()), 1e-9), 1 - 1e-9)
    weight = np.where(y == 1, 0.5 / positive, 0.5 / (1 - positive))
    penalty = l2 * np.diag(np.r_[0.0, np.ones(x.shape[1])])
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -50, 50)))
        gradient = z.T @ (weight * (p - y)) + penalty @ w
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    raw = w[1:] / scale
    return (float(w[0] - (raw * mean).sum()), *(float(v) for v in raw))


def cross_validate(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    groups: Sequence[str],
    folds: int = 5,
    repeats: int = 4,
) -> dict[str, float]:
    """Grouped k-fold balanced accuracy and ROC AUC of :func:`fit_logistic` (mean over
    ``repeats`` shuffles; each fold's threshold is chosen on its training folds)."""
    names = sorted(set(groups))
    accuracies: list[float] = []
    aucs: list[float] = []
    for repeat in range(repeats):
        order = np.random.default_rng(repeat).permutation(len(names))
        fold_of = {names[i]: k % folds for k, i in enumerate(order)}
        fold = [fold_of[g] for g in groups]
        scores = [0.0] * len(labels)
        predicted = [False] * len(labels)
        for k in range(folds):
            train = [i for i, f in enumerate(fold) if f != k]
            weights = fit_logistic([rows[i] for i in train], [labels[i] for i in train])
            train_scores = [support.support_probability(rows[i], weights) for i in train]
            cut = best_threshold(train_scores, [labels[i] for i in train])
            for i, f in enumerate(fold):
                if f == k:
                    scores[i] = support.support_probability(rows[i], weights)
                    predicted[i] = scores[i] >= cut
        accuracies.append(balanced_accuracy(predicted, labels))
        aucs.append(roc_auc(scores, labels))
    return {
        "folds": float(folds),
        "repeats": float(repeats),
        "balanced_accuracy": round(float(np.mean(accuracies)), 4),
        "balanced_accuracy_std": round(float(np.std(accuracies)), 4),
        "roc_auc": round(float(np.mean(aucs)), 4),
    }


def run_verify_eval(
    path: str | Path,
    output_path: str | Path,
    embedder: Embedder,
    threshold: float | None = None,
    fit: bool = False,
) -> dict[str, Any]:
    """Score every pair of ``path``; return overall and per-origin metrics (and, with ``fit``,
    the logistic weights fitted on ``path`` and their cross-validated accuracy)."""
    cut = THRESHOLD if threshold is None else threshold
    rows = [
        json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line
    ]
    values = [pair_features(r["document"], r["summary"], embedder) for r in rows]
    scores = [support.support_probability(v) for v in values]
    labels = [int(r["label"]) for r in rows]
    with Path(output_path).open("w", encoding="utf-8") as out:
        for row, value in zip(rows, scores, strict=True):
            record = {"id": row["id"], "score": round(value, 4), "supported": value >= cut}
            out.write(json.dumps(record) + "\n")
    result: dict[str, Any] = {"threshold": cut, **_metrics(scores, labels, cut)}
    result["best_threshold_here"] = round(best_threshold(scores, labels), 4)
    origins = sorted({str(r.get("origin", "")) for r in rows})
    result["origins"] = {
        o: _metrics(
            [s for s, r in zip(scores, rows, strict=True) if r.get("origin", "") == o],
            [y for y, r in zip(labels, rows, strict=True) if r.get("origin", "") == o],
            cut,
        )
        for o in origins
    }
    if fit:
        weights = fit_logistic(values, labels)
        fitted = [support.support_probability(v, weights) for v in values]
        result["fit"] = {
            "features": list(support.FEATURES),
            "weights": [round(w, 4) for w in weights],
            "in_sample_threshold": round(best_threshold(fitted, labels), 4),
            "cross_validation": cross_validate(values, labels, [r["document"] for r in rows]),
        }
    cleaned: dict[str, Any] = _finite(result)
    return cleaned


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m herald.eval.verify_eval FILE --output OUT [--threshold T] [--fit]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--output", required=True)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args(argv)
    from herald.nlp.embed import MiniLMEmbedder

    result = run_verify_eval(args.file, args.output, MiniLMEmbedder(), args.threshold, args.fit)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
