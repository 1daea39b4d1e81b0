"""Measure the story topic labels on real categorised headlines.

Run ``python -m herald.eval.topic_eval FILE``, where FILE is either

* a MIND ``news.tsv`` (for example ``../shared/data/recommendation/mind_small_subset/news.tsv``):
  each row's title is labelled by :func:`herald.cluster.topics.topic_of_centroid` and
  compared with the topic its MIND category maps to (``CATEGORY_TOPICS``); rows of categories
  with no counterpart in Herald's taxonomy (food, travel, lifestyle, autos, weather, video,
  kids, and the mixed "news/us", "offbeat", "opinion" subcategories) are not counted; or
* an Articles ``.jsonl`` whose lines carry a ``category`` (the UCI News Aggregator's
  business, science-technology, entertainment, health: ``../shared/data/clustering/
  uci_headlines_dev.jsonl``): each headline is labelled with the sections of its address
  (:mod:`herald.cluster.sections`) as the pipeline labels a one-article story, and each gold
  story from the centroid of its headlines and its articles' sections, as the pipeline
  labels a story; both are also scored without the sections.

A "science and technology" category counts either label. Prints JSON: accuracy overall, on
the file's even and odd rows (the prototypes were written once, before either half was
scored), per gold topic, and the confusions.

A story is labelled from the centroid of its headlines and leads, so a one-headline label
is the hard case: a story's label is usually better than this.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from herald.cluster.sections import section_shares, section_topics
from herald.cluster.topics import topic_of_centroid
from herald.eval import cluster_eval
from herald.nlp.embed import Embedder, Vectors

# (category, subcategory or "" for any) -> the topics that count as right
CATEGORY_TOPICS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sports", ""): ("sports",),
    ("finance", ""): ("business",),
    ("health", ""): ("health",),
    ("entertainment", ""): ("entertainment",),
    ("movies", ""): ("entertainment",),
    ("music", ""): ("entertainment",),
    ("tv", ""): ("entertainment",),
    ("news", "newspolitics"): ("politics",),
    ("news", "elections-2020-us"): ("politics",),
    ("news", "newsworld"): ("world",),
    ("news", "newscrime"): ("crime",),
    ("news", "newsscienceandtechnology"): ("science", "technology"),
}
# The UCI News Aggregator's categories (an Articles file's ``category``).
ARTICLE_CATEGORY_TOPICS: dict[str, tuple[str, ...]] = {
    "business": ("business",),
    "science-technology": ("science", "technology"),
    "entertainment": ("entertainment",),
    "health": ("health",),
}


@dataclass(frozen=True)
class Labelled:
    """A headline and the topics that count as its right label."""

    title: str
    gold: tuple[str, ...]
    filed: frozenset[str] = frozenset()  # the topics of its address's sections
    story: str = ""


def read_news(path: str | Path) -> list[Labelled]:
    """The rows of a MIND ``news.tsv`` whose category maps to Herald's taxonomy."""
    rows: list[Labelled] = []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 4:
                continue
            gold = CATEGORY_TOPICS.get((row[1], "")) or CATEGORY_TOPICS.get((row[1], row[2]))
            if gold and row[3].strip():
                rows.append(Labelled(row[3].strip(), gold))
    return rows


def read_articles(path: str | Path) -> list[Labelled]:
    """The lines of an Articles file whose ``category`` maps to Herald's taxonomy."""
    return [
        Labelled(a.title.strip(), gold, section_topics([a.url]), a.story)
        for a in cluster_eval.read_articles(path)
        if (gold := ARTICLE_CATEGORY_TOPICS.get(a.category)) and a.title.strip()
    ]


def read_labelled(path: str | Path) -> list[Labelled]:
    """A MIND news.tsv, or an Articles .jsonl with categories."""
    return read_articles(path) if str(path).endswith(".jsonl") else read_news(path)


def evaluate(rows: Sequence[Labelled], embedder: Embedder) -> dict[str, Any]:
    """Accuracy of the topic labels over ``rows`` (and of their stories' labels, when the
    rows name their stories)."""
    vectors = embedder.embed([r.title for r in rows]) if rows else np.zeros((0, 1), np.float32)
    predicted = [
        topic_of_centroid(v, embedder, section_shares([r.filed]))
        for v, r in zip(vectors, rows, strict=True)
    ]
    report = _scored(rows, predicted)
    if any(r.filed for r in rows):
        plain = [topic_of_centroid(v, embedder) for v in vectors]
        report["accuracy_without_sections"] = _share(
            [p in r.gold for p, r in zip(plain, rows, strict=True)]
        )
        report["headlines_with_sections"] = sum(bool(r.filed) for r in rows)
    if any(r.story for r in rows):
        report["stories"] = _stories(rows, vectors, embedder)
    return report


def _stories(rows: Sequence[Labelled], vectors: Vectors, embedder: Embedder) -> dict[str, Any]:
    """Each gold story labelled from its headlines' centroid, with and without sections."""
    members: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        members.setdefault(r.story, []).append(i)
    right = plain = 0
    for ids in members.values():
        centroid = vectors[ids].mean(axis=0)
        gold = rows[ids[0]].gold
        shares = section_shares([rows[i].filed for i in ids])
        right += topic_of_centroid(centroid, embedder, shares) in gold
        plain += topic_of_centroid(centroid, embedder) in gold
    n = len(members)
    return {
        "stories": n,
        "accuracy": round(right / n, 4),
        "accuracy_without_sections": round(plain / n, 4),
    }


def _scored(rows: Sequence[Labelled], predicted: Sequence[str]) -> dict[str, Any]:
    right = [p in r.gold for p, r in zip(predicted, rows, strict=True)]
    per: Counter[str] = Counter()
    good: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for p, r, ok in zip(predicted, rows, right, strict=True):
        name = "|".join(r.gold)
        per[name] += 1
        good[name] += ok
        if not ok:
            confusions[(name, p)] += 1
    return {
        "headlines": len(rows),
        "accuracy": _share(right),
        "accuracy_even_rows": _share(right[0::2]),
        "accuracy_odd_rows": _share(right[1::2]),
        "per_topic": {
            k: {"headlines": n, "accuracy": round(good[k] / n, 4)} for k, n in per.items()
        },
        "top_confusions": [
            {"gold": g, "predicted": p, "headlines": n} for (g, p), n in confusions.most_common(8)
        ],
    }


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: print the JSON report for one news file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "news", type=Path, help="a MIND news.tsv, or an Articles .jsonl with categories"
    )
    args = parser.parse_args(argv)
    from herald.nlp.embed import shared_embedder

    print(json.dumps(evaluate(read_labelled(args.news), shared_embedder()), indent=2))


if __name__ == "__main__":
    main()
