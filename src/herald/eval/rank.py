"""``herald eval rank``: score MIND impressions from click histories; AUC, MRR and nDCG.

Metrics follow the MIND evaluation script (Wu et al. 2020), per impression, then averaged:

* AUC: the probability that a clicked candidate outscores an unclicked one (ties count half);
* MRR: the mean over clicked candidates of ``1 / rank`` (MIND's definition, not the first
  click only);
* nDCG@k: DCG with gains ``2**label - 1`` and discounts ``1 / log2(rank + 1)`` over the top k,
  divided by the DCG of the ideal order.

Tied scores are ordered neither for nor against the clicks: MRR and nDCG are their expected
values over every order of the tied candidates (McSherry and Najork 2008), so a scorer that
ties everything gets the random-ranking value, not a lucky or unlucky one.

Only candidates with content in ``news.tsv`` can be scored; an impression is evaluated when it
keeps at least one clicked and one unclicked such candidate. The counts say how many were
evaluated and why the others were skipped. Every impression gets a line
``{"impression": id, "scores": [...]}`` in the output file, scores in candidate order, null
for candidates without content.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Group
from rich.table import Table
from rich.text import Text

from herald.nlp.embed import Embedder
from herald.pipeline.progress import NoProgress, Progress
from herald.rank.mind import (
    DEFAULT_WEIGHTS,
    FEATURES,
    HistoryPrior,
    Impression,
    MindScorer,
    combine,
    embed_news,
    needed_news,
    read_behaviors,
    read_news,
)

METRICS = ("auc", "mrr", "ndcg@5", "ndcg@10")

# Alternatives measured on every run next to the default (weights of ``FEATURES``).
VARIANTS: dict[str, dict[str, float]] = {
    "default": dict(DEFAULT_WEIGHTS),
    "profile only": {"profile": 1.0},
    "centroids only": {"centroids": 1.0},
    "nearest item only": {"nearest": 1.0},
    "profile + centroids": {"profile": 1.0, "centroids": 1.0},
    "subcategory only": {"subcategory": 1.0},
    "category only": {"category": 1.0},
    "entities only": {"entities": 1.0},
    "history popularity only": {"popularity": 1.0},
    "category prior only": {"category_prior": 1.0},
    "default without content": {
        k: v for k, v in DEFAULT_WEIGHTS.items() if k not in {"profile", "centroids"}
    },
    "default without labels": {
        k: v for k, v in DEFAULT_WEIGHTS.items() if k not in {"subcategory", "category"}
    },
    "default without popularity": {
        k: v for k, v in DEFAULT_WEIGHTS.items() if k not in {"popularity", "category_prior"}
    },
    "default + nearest item": {**DEFAULT_WEIGHTS, "nearest": 0.5},
}

# --------------------------------------------------------------------------- metrics


def _tie_groups(scores: NDArray[Any]) -> list[tuple[int, int, NDArray[np.intp]]]:
    """(first rank index, end index, members) of each group of equal scores, best first."""
    order = np.argsort(-scores, kind="stable")
    groups = []
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and scores[order[end]] == scores[order[start]]:
            end += 1
        groups.append((start, end, order[start:end]))
        start = end
    return groups


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """ROC AUC of one impression (ties count half); needs a clicked and an unclicked candidate."""
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=np.float64)
    pos, neg = s[y > 0], s[y <= 0]
    if not len(pos) or not len(neg):
        raise ValueError("AUC needs a clicked and an unclicked candidate")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins) / (len(pos) * len(neg))


def mrr(labels: Sequence[int], scores: Sequence[float]) -> float:
    """MIND's MRR: mean over clicked candidates of the expected ``1 / rank``."""
    y = np.asarray(labels, dtype=np.float64)
    if y.sum() <= 0:
        raise ValueError("MRR needs a clicked candidate")
    total = 0.0
    for start, end, members in _tie_groups(np.asarray(scores, dtype=np.float64)):
        reciprocal = float(np.mean(1.0 / np.arange(start + 1, end + 1)))
        total += reciprocal * float(y[members].sum())
    return total / float(y.sum())


def dcg(labels: Sequence[float], scores: Sequence[float], k: int) -> float:
    """Expected DCG@k (gains ``2**label - 1``) over the orders of tied scores."""
    y = np.asarray(labels, dtype=np.float64)
    total = 0.0
    for start, end, members in _tie_groups(np.asarray(scores, dtype=np.float64)):
        if start >= k:
            break
        ranks = np.arange(start, end)
        discount = float(np.where(ranks < k, 1.0 / np.log2(ranks + 2), 0.0).mean())
        total += discount * float((2.0 ** y[members] - 1).sum())
    return total


def ndcg(labels: Sequence[float], scores: Sequence[float], k: int) -> float:
    """nDCG@k: DCG of the scores over DCG of the ideal order."""
    ideal = dcg(labels, [float(v) for v in labels], k)
    if ideal <= 0:
        raise ValueError("nDCG needs a clicked candidate")
    return dcg(labels, scores, k) / ideal


def impression_metrics(labels: Sequence[int], scores: Sequence[float]) -> dict[str, float]:
    """The four metrics of one impression."""
    return {
        "auc": auc(labels, scores),
        "mrr": mrr(labels, scores),
        "ndcg@5": ndcg(labels, scores, 5),
        "ndcg@10": ndcg(labels, scores, 10),
    }


def summarize(rows: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """Mean of each metric over impressions, with its standard error."""
    out: dict[str, Any] = {"impressions": len(rows)}
    for name in METRICS:
        values = [r[name] for r in rows]
        out[name] = round(statistics.fmean(values), 4) if values else None
        spread = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
        out[f"{name}_se"] = round(spread, 4) if spread is not None else None
    return out


# --------------------------------------------------------------------------- impressions


@dataclass(frozen=True)
class Evaluable:
    """The part of an impression that can be scored: candidates with content, their labels,
    the history with content, and why the impression is not evaluated ("" when it is)."""

    candidates: tuple[str, ...]
    labels: tuple[int, ...]
    history: tuple[str, ...]
    skipped: str


def evaluable(impression: Impression, scorer: MindScorer) -> Evaluable:
    """The scoreable part of ``impression`` and whether it is evaluated."""
    pairs = zip(impression.candidates, impression.labels, strict=True)
    kept = [(c, y) for c, y in pairs if scorer.known(c)]
    history = tuple(h for h in impression.history if scorer.known(h))
    return Evaluable(
        tuple(c for c, _ in kept), tuple(y for _, y in kept), history, _skip_reason(kept)
    )


def _skip_reason(kept: Sequence[tuple[str, int]]) -> str:
    if not kept:
        return "no candidate has content"
    if not any(y for _, y in kept):
        return "no clicked candidate has content"
    if all(y for _, y in kept):
        return "no unclicked candidate has content"
    return ""


# --------------------------------------------------------------------------- run


def run_rank_eval(
    behaviors_path: str | Path,
    news_path: str | Path,
    output_path: str | Path | None,
    embedder: Embedder,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Score every impression, write the output file, return the metrics as a JSON-ready dict."""
    progress = progress or NoProgress()
    began = time.perf_counter()
    news = read_news(news_path)
    impressions = read_behaviors(behaviors_path)
    vectors = embed_news(news, embedder, progress, ids=needed_news(impressions))
    scorer = MindScorer(news, vectors, HistoryPrior.of(impressions, news))
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    warm: list[dict[str, float]] = []
    cold: list[dict[str, float]] = []
    skipped: Counter[str] = Counter()
    progress.start("Scoring impressions", len(impressions))
    with _open_output(output_path) as out:
        for imp in impressions:
            found = evaluable(imp, scorer)
            parts = scorer.features(found.history, found.candidates) if found.candidates else {}
            default = iter(combine(parts, DEFAULT_WEIGHTS).tolist() if parts else [])
            scores = [next(default) if scorer.known(c) else None for c in imp.candidates]
            _write_line(out, imp.id, scores)
            if found.skipped:
                skipped[found.skipped] += 1
            else:
                for name, weights in VARIANTS.items():
                    row = impression_metrics(found.labels, combine(parts, weights).tolist())
                    rows[name].append(row)
                (warm if found.history else cold).append(rows["default"][-1])
            progress.advance()
    progress.finish()
    return _report(
        behaviors_path,
        news_path,
        output_path,
        impressions,
        news,
        rows,
        warm,
        cold,
        skipped,
        time.perf_counter() - began,
    )


def _report(
    behaviors_path: str | Path,
    news_path: str | Path,
    output_path: str | Path | None,
    impressions: Sequence[Impression],
    news: Mapping[str, Any],
    rows: Mapping[str, Sequence[Mapping[str, float]]],
    warm: Sequence[Mapping[str, float]],
    cold: Sequence[Mapping[str, float]],
    skipped: Counter[str],
    seconds: float,
) -> dict[str, Any]:
    default = summarize(rows["default"])
    return {
        "behaviors": str(behaviors_path),
        "news": str(news_path),
        "output": None if output_path is None else str(output_path),
        "news_items": len(news),
        "impressions": len(impressions),
        "evaluated": len(rows["default"]),
        "evaluated_with_history_content": len(warm),
        "evaluated_without_history_content": len(cold),
        "skipped": dict(sorted(skipped.items())),
        **{name: default[name] for name in METRICS},
        "metrics": default,
        "with_history_content": summarize(warm),
        "without_history_content": summarize(cold),
        "weights": dict(DEFAULT_WEIGHTS),
        "features": dict(FEATURES),
        "variants": {name: summarize(found) for name, found in rows.items()},
        "seconds": round(seconds, 2),
    }


class _NoFile:
    def write(self, text: str) -> int:
        return len(text)

    def __enter__(self) -> _NoFile:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _open_output(path: str | Path | None) -> Any:
    return _NoFile() if path is None else Path(path).open("w", encoding="utf-8")


def _write_line(out: Any, impression: str, scores: Sequence[float | None]) -> None:
    shown = [None if s is None else round(float(s), 6) for s in scores]
    out.write(json.dumps({"impression": impression, "scores": shown}) + "\n")


# --------------------------------------------------------------------------- table


def rank_table(result: Mapping[str, Any]) -> Group:
    """The report as rich tables: counts, the default scorer, then every variant."""
    skipped = ", ".join(f"{n} {why}" for why, n in result["skipped"].items()) or "none"
    lines = Text(
        f"{result['impressions']} impressions, {result['evaluated']} evaluated "
        f"({result['evaluated_with_history_content']} with history content, "
        f"{result['evaluated_without_history_content']} without); skipped: {skipped}.\n"
        f"Scores written to {result['output']}."
    )
    main = Table("impressions", "n", *METRICS, title="MIND ranking (mean ± standard error)")
    for label, key in (
        ("evaluated", "metrics"),
        ("with history content", "with_history_content"),
        ("without history content", "without_history_content"),
    ):
        main.add_row(label, *_cells(result[key]))
    variants = Table("variant", "n", *METRICS, title="Variants (same impressions)")
    for name, found in result["variants"].items():
        variants.add_row(name, *_cells(found))
    return Group(lines, main, variants)


def _cells(found: Mapping[str, Any]) -> list[str]:
    cells = [str(found["impressions"])]
    for name in METRICS:
        value, spread = found[name], found[f"{name}_se"]
        if value is None:
            cells.append("-")
        else:
            cells.append(f"{value:.3f}" + (f"±{spread:.3f}" if spread is not None else ""))
    return cells
