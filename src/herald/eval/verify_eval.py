"""Evaluate the verifier's support score on a Faithfulness pairs file.

Run ``python -m herald.eval.verify_eval FILE --output OUT [--threshold T] [--fit]``. Writes
``{"id", "score", "supported"}`` per pair and prints balanced accuracy and ROC AUC, overall and
per origin. ``--fit`` also fits the support model's logistic regression on FILE (the weights to
paste into :data:`herald.verify.support.WEIGHTS`) and reports its cross-validated balanced
accuracy: 5 folds grouped by source document (summaries of one document never straddle train
and test), threshold chosen on the training folds, repeated over 4 shuffles.

With a judge (``herald eval verify FILE --judge``, see :mod:`herald.verify.judge`), the pairs
the support model accepts are shown to the judge as Herald shows a draft's sentences: each
summary sentence with its best source passages (a sentence found verbatim needs no judge),
the pair vetoed when any sentence's ``p_yes`` is below the judge threshold. It reports, on the
same pairs, balanced accuracy and ROC AUC without and with the judge (the score with the judge
is the support score minus 1 for a vetoed pair), the judge's own AUC and balanced accuracy
among the accepted pairs (where a veto-only judge can help), and how often it failed.
``--limit N`` evaluates N pairs evenly spaced through FILE.
Each output line also carries the pair's support features (``"features"``), so a score can be
read back to what made it.
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

from herald.exceptions import LLMError
from herald.nlp.embed import Embedder
from herald.pipeline.progress import NoProgress, Progress
from herald.verify import support
from herald.verify.checker import best_passages, pair_features, passages, summary_sentences
from herald.verify.judge import PASSAGES, Judge

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
    judge: Judge | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Score every pair of ``path`` (or ``limit`` of them); return overall and per-origin
    metrics (with ``fit``, the logistic weights fitted on ``path`` and their cross-validated
    accuracy; with ``judge``, the metrics with and without it)."""
    cut = THRESHOLD if threshold is None else threshold
    rows = _spread(
        [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line],
        limit,
    )
    progress = progress or NoProgress()
    progress.start("Scoring pairs", len(rows))
    values = []
    for r in rows:
        values.append(pair_features(r["document"], r["summary"], embedder))
        progress.advance()
    progress.finish()
    scores = [support.support_probability(v) for v in values]
    labels = [int(r["label"]) for r in rows]
    judged = [
        _judge_pair(judge, r["document"], r["summary"], embedder)
        if judge is not None and s >= cut
        else _NOT_JUDGED
        for r, s in zip(rows, scores, strict=True)
    ]
    with Path(output_path).open("w", encoding="utf-8") as out:
        for row, value, (p_yes, error), found in zip(rows, scores, judged, values, strict=True):
            record: dict[str, Any] = {
                "id": row["id"],
                "score": round(value, 4),
                "supported": value >= cut,
                "features": dict(zip(support.FEATURES, (round(v, 4) for v in found), strict=True)),
            }
            if judge is not None:
                record |= {"judge_p_yes": p_yes, "judge_error": error}
            out.write(json.dumps(record) + "\n")
    result: dict[str, Any] = {"threshold": cut, **_metrics(scores, labels, cut)}
    if judge is not None:
        result["judge"] = judge_metrics(scores, judged, labels, cut, judge.threshold)
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
        fitted_cut = best_threshold(fitted, labels)
        result["fit"] = {
            "features": list(support.FEATURES),
            "weights": [round(w, 4) for w in weights],
            "in_sample_threshold": round(fitted_cut, 4),
            "in_sample": _metrics(fitted, labels, fitted_cut),
            "cross_validation": cross_validate(values, labels, [r["document"] for r in rows]),
        }
    cleaned: dict[str, Any] = _finite(result)
    return cleaned


_NOT_JUDGED: tuple[float | None, str] = (None, "")


def _spread(rows: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """``limit`` rows evenly spaced through ``rows`` (all of them without a limit)."""
    if limit is None or limit >= len(rows):
        return rows
    return [rows[i * len(rows) // limit] for i in range(max(0, limit))]


def _judge_pair(
    judge: Judge, document: str, summary: str, embedder: Embedder
) -> tuple[float | None, str]:
    """The lowest ``p_yes`` over the summary's sentences, or (None, why the judge failed)."""
    found = passages(document)
    lowest = 1.0
    for sentence in summary_sentences(summary) or [summary]:
        ranked = best_passages(sentence, found, embedder)
        if ranked and ranked[0][1] >= 1.0:
            continue  # verbatim in the source: Herald does not ask the judge either
        try:
            ruling = judge.rule(sentence, [p.text for p, _ in ranked[:PASSAGES]])
        except LLMError as e:
            return None, str(e)
        if ruling.p_yes is None:
            return None, f"no verdict: {ruling.answer!r}"
        lowest = min(lowest, ruling.p_yes)
    return lowest, ""


def judge_metrics(
    scores: Sequence[float],
    judged: Sequence[tuple[float | None, str]],
    labels: Sequence[int],
    cut: float,
    judge_cut: float,
) -> dict[str, Any]:
    """Without and with the judge on the same pairs, and the judge alone where it was asked
    (the pairs the support model accepts). A failed judge vetoes nothing, as in Herald."""
    p_values = [p for p, _ in judged]

    def combined(at: float) -> list[float]:
        vetoed = [p is not None and p < at for p in p_values]
        return [s - 1.0 if v else s for s, v in zip(scores, vetoed, strict=True)]

    asked = [i for i, s in enumerate(scores) if s >= cut]
    answered = [i for i in asked if p_values[i] is not None]
    judge_scores = [float(p_values[i] or 0.0) for i in answered]
    judge_labels = [labels[i] for i in answered]
    best = best_threshold(judge_scores, judge_labels) if judge_scores else judge_cut
    return {
        "judge_threshold": judge_cut,
        "without_judge": _metrics(scores, labels, cut),
        "with_judge": _metrics(combined(judge_cut), labels, cut),
        "asked_pairs": len(asked),
        "failures": sum(1 for i in asked if p_values[i] is None),
        "failure_examples": sorted({judged[i][1] for i in asked if p_values[i] is None})[:3],
        "vetoed": sum(1 for i in answered if float(p_values[i] or 0.0) < judge_cut),
        "judge_on_asked": _metrics(judge_scores, judge_labels, judge_cut),
        "best_judge_threshold_here": round(best, 4),
        "with_judge_at_best_threshold_here": _metrics(combined(best), labels, cut),
    }


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
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    from herald.nlp.embed import MiniLMEmbedder

    result = run_verify_eval(
        args.file, args.output, MiniLMEmbedder(), args.threshold, args.fit, limit=args.limit
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
