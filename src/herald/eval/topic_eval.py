"""Measure the story topic labels on real categorised headlines (the MIND news format).

Run ``python -m herald.eval.topic_eval NEWS.tsv`` (for example
``../shared/data/recommendation/mind_small_subset/news.tsv``). Each row's title is labelled
by :func:`herald.cluster.topics.topic_of_centroid` and compared with the topic its MIND
category maps to (``CATEGORY_TOPICS``); rows of categories with no counterpart in Herald's
taxonomy (food, travel, lifestyle, autos, weather, video, kids, and the mixed "news/us",
"offbeat", "opinion" subcategories) are not counted. MIND's "science and technology" counts
either label. Prints JSON: accuracy overall, on the file's even and odd rows (the prototypes
were written once, before either half was scored), per gold topic, and the confusions.

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

from herald.cluster.topics import topic_of_centroid
from herald.nlp.embed import Embedder

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


@dataclass(frozen=True)
class Labelled:
    """A headline and the topics that count as its right label."""

    title: str
    gold: tuple[str, ...]


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


def evaluate(rows: Sequence[Labelled], embedder: Embedder) -> dict[str, Any]:
    """Accuracy of the topic labels over ``rows``."""
    vectors = list(embedder.embed([r.title for r in rows])) if rows else []
    predicted = [topic_of_centroid(v, embedder) for v in vectors]
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
    parser.add_argument("news", type=Path, help="a MIND news.tsv")
    args = parser.parse_args(argv)
    from herald.nlp.embed import shared_embedder

    print(json.dumps(evaluate(read_news(args.news), shared_embedder()), indent=2))


if __name__ == "__main__":
    main()
