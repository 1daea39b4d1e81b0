"""Evaluate story clustering on an Articles JSONL file (see shared/data/FORMATS.md).

Articles are clustered online in publication order (file order when a file has no times),
without looking at the gold ``story`` field; predictions are written one ``{"id", "story"}``
per line and the metrics are returned (and printed by ``python -m``)::

    python -m herald.eval.cluster_eval FILE --predictions OUT [--catch-all STORY]

``--catch-all`` names gold stories that gather unrelated articles (mmds2025's
``mmds-dev-166``): the metrics are then also given with those articles as singletons
(``*_catch_all_singletons``), since no clusterer can or should group unrelated articles.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from herald.clock import parse_iso
from herald.cluster.online import ClusterItem, MemberLoader, OnlineClusterer, embedding_text
from herald.eval.metrics import clustering_report
from herald.nlp.embed import Embedder

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EvalArticle:
    """One line of an Articles file."""

    id: str
    title: str
    text: str
    outlet: str
    published: datetime | None
    language: str
    story: str
    category: str = ""
    url: str = ""


def read_articles(path: str | Path) -> list[EvalArticle]:
    """Read an Articles JSONL file."""
    out: list[EvalArticle] = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(_article(json.loads(line)))
    return out


def _article(row: dict[str, Any]) -> EvalArticle:
    return EvalArticle(
        id=str(row["id"]),
        title=row.get("title") or "",
        text=row.get("text") or "",
        outlet=row.get("source") or "",
        published=parse_iso(row.get("published")),
        language=row.get("language") or "",
        story=str(row.get("story") or ""),
        category=row.get("category") or "",
        url=row.get("url") or "",
    )


def in_time_order(articles: Sequence[EvalArticle]) -> list[EvalArticle]:
    """Sorted by publication time when every article has one, else in file order."""
    if articles and all(a.published is not None for a in articles):
        return sorted(articles, key=lambda a: a.published or EPOCH)
    return list(articles)


def to_items(articles: Sequence[EvalArticle], embedder: Embedder | None) -> list[ClusterItem]:
    """Cluster items for ``articles``, embedded in one batch when an embedder is given."""
    vectors = None
    if embedder is not None:
        vectors = embedder.embed([embedding_text(a.title, a.text) for a in articles])
    return [
        ClusterItem(
            id=a.id,
            title=a.title,
            text=a.text,
            outlet=a.outlet,
            published=a.published or EPOCH,
            language=a.language,
            embedding=None if vectors is None else vectors[i],
        )
        for i, a in enumerate(articles)
    ]


def cluster_articles(
    articles: Sequence[EvalArticle],
    embedder: Embedder | None,
    clusterer: OnlineClusterer | None = None,
) -> dict[str, str]:
    """Article id -> predicted story key, clustering in order (stories can merge and split)."""
    items = to_items(articles, embedder)
    clusterer = clusterer or OnlineClusterer(load_members=member_loader(items))
    for item in items:
        clusterer.add(item)
    return {str(m): str(s.key) for s in clusterer.stories() for m in s.members}


def member_loader(items: Sequence[ClusterItem]) -> MemberLoader:
    """Looks up cluster items by id (what a storage shell reads back from its database)."""
    by_id = {item.id: item for item in items}
    return lambda ids: [by_id[i] for i in ids]


def run_cluster_eval(
    path: str | Path,
    predictions_path: str | Path | None,
    embedder: Embedder | None,
    *,
    catch_all: Collection[str] = (),
    clusterer: OnlineClusterer | None = None,
) -> dict[str, Any]:
    """Cluster ``path``, write predictions, and return the metrics as a JSON-ready dict."""
    articles = in_time_order(read_articles(path))
    started = time.perf_counter()
    predicted = cluster_articles(articles, embedder, clusterer)
    seconds = time.perf_counter() - started
    if predictions_path is not None:
        _write_predictions(predictions_path, articles, predicted)
    gold = [a.story for a in articles]
    labels = [predicted[a.id] for a in articles]
    result: dict[str, Any] = {"file": str(path), "articles": len(articles)}
    result.update(clustering_report(gold, labels))
    if any(a.story in catch_all for a in articles):
        singled = [f"{a.story}#{a.id}" if a.story in catch_all else a.story for a in articles]
        for name, value in clustering_report(singled, labels).items():
            result[f"{name}_catch_all_singletons"] = value
    result["gold_stories"] = len(set(gold))
    result["predicted_stories"] = len(set(labels))
    result["seconds"] = round(seconds, 3)
    result["articles_per_second"] = round(len(articles) / max(seconds, 1e-9), 1)
    return result


def _write_predictions(
    path: str | Path, articles: Sequence[EvalArticle], predicted: dict[str, str]
) -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for article in articles:
            fh.write(json.dumps({"id": article.id, "story": predicted[article.id]}) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("file")
    parser.add_argument("--predictions", default=None)
    parser.add_argument("--catch-all", action="append", default=[])
    args = parser.parse_args(argv)
    from herald.nlp.embed import MiniLMEmbedder

    result = run_cluster_eval(
        args.file, args.predictions, MiniLMEmbedder(), catch_all=args.catch_all
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
