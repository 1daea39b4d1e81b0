"""Evaluate the verifier's support score on a Faithfulness pairs file.

Run ``python -m herald.eval.verify_eval FILE --output OUT [--threshold T]``. Writes
``{"id", "score", "supported"}`` per pair and prints balanced accuracy and ROC AUC, overall and
per origin.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from herald.nlp.embed import Embedder
from herald.verify.checker import score_pair

# Chosen on faithfulness/frank_valid.jsonl only: the threshold maximising balanced accuracy of
# score_pair there (reported as "best_threshold_here" by
# `python -m herald.eval.verify_eval .../frank_valid.jsonl --output OUT`), rounded.
THRESHOLD = 0.874


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


def run_verify_eval(
    path: str | Path, output_path: str | Path, embedder: Embedder, threshold: float | None = None
) -> dict[str, Any]:
    """Score every pair of ``path``; return overall and per-origin metrics."""
    cut = THRESHOLD if threshold is None else threshold
    rows = [
        json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line
    ]
    scores = [score_pair(r["document"], r["summary"], embedder) for r in rows]
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
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m herald.eval.verify_eval FILE --output OUT [--threshold T]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--output", required=True)
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args(argv)
    from herald.nlp.embed import MiniLMEmbedder

    print(
        json.dumps(
            run_verify_eval(args.file, args.output, MiniLMEmbedder(), args.threshold), indent=2
        )
    )


if __name__ == "__main__":
    main()
