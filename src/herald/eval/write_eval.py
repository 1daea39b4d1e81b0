"""Evaluate the writer on a Clusters file (multi-document summarisation): ROUGE and citations.

Run ``python -m herald.eval.write_eval FILE --output OUT [--words 250]``. Each story's article is
its sentences only (no dateline or labels) truncated to ``words`` words; ROUGE is the
``rouge-score`` package (F1, stemming; ROUGE-Lsum with one sentence per line). ``lead_rouge1``
is the ROUGE-1 F1 of the article's first sentence against the reference's first sentence.

As ``herald write`` does with the newest articles of its store, the sources are first cleared of
boilerplate (:mod:`herald.write.boilerplate`): sentences found in the documents of several of
the file's stories. Only the documents are read for that, never the references.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from herald.config import Settings
from herald.exceptions import ConfigError, WriteError
from herald.nlp import text as nlp
from herald.nlp.embed import Embedder
from herald.types import Draft
from herald.write.base import UNKNOWN_TIME, ComposerWriter, SourceDoc, Writer
from herald.write.boilerplate import Boilerplate, find_boilerplate
from herald.write.fallback import verified_draft


def read_clusters(path: str | Path) -> Iterator[dict[str, Any]]:
    """Stories of a Clusters JSONL file."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def story_sources(
    story: dict[str, Any], boilerplate: Boilerplate = Boilerplate()
) -> list[SourceDoc]:
    """The story's documents as SourceDocs, without ``boilerplate``; ``article_id`` is the
    0-based document index."""
    return [
        SourceDoc(
            article_id=i,
            outlet=doc.get("source") or "",
            url=doc.get("url") or "",
            title=doc.get("title") or "",
            text=boilerplate.strip(doc.get("text") or ""),
            published=_parse_time(doc.get("published")),
        )
        for i, doc in enumerate(story["documents"])
    ]


def file_boilerplate(path: str | Path) -> Boilerplate:
    """The boilerplate among the documents of every story of a Clusters file."""
    return find_boilerplate(
        [doc.get("text") or "" for doc in story["documents"]] for story in read_clusters(path)
    )


def _parse_time(value: str | None) -> datetime:
    if not value:
        return UNKNOWN_TIME
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return UNKNOWN_TIME


def truncated_sentences(draft: Draft, words: int) -> list[dict[str, Any]]:
    """Sentences with 0-based document citations, cut to ``words`` words in total."""
    index = {ref.index: ref.article_id for ref in draft.sources}
    out: list[dict[str, Any]] = []
    left = words
    for sentence in draft.sentences:
        if left <= 0:
            break
        parts = sentence.text.split()[:left]
        left -= len(parts)
        citations = sorted(index[c] for c in sentence.citations if c in index)
        out.append({"text": " ".join(parts), "citations": citations})
    return out


def run_write_eval(
    path: str | Path,
    output_path: str | Path,
    words: int,
    embedder: Embedder,
    writer: Writer | None = None,
    limit: int | None = None,
) -> dict[str, float]:
    """Write every story of ``path`` (the first ``limit``), save the articles to
    ``output_path``, return metrics.

    What is scored is what Herald would publish: the verifier's kept sentences of the
    accepted draft (an LLM ``writer`` first, the composer when it fails or is rejected, as in
    the pipeline); a story whose final draft is rejected publishes nothing and scores 0."""
    scorer = _rouge_scorer()
    settings = Settings(write_target_words=words, write_max_words=max(words + 150, 400))
    composer = ComposerWriter(embedder)
    totals: dict[str, list[float]] = {"rouge1": [], "rouge2": [], "rougeLsum": []}
    leads: list[float] = []
    cited = sentences = accepted = 0
    seconds = 0.0
    writers: Counter[str] = Counter()
    boilerplate = file_boilerplate(path)
    with Path(output_path).open("w", encoding="utf-8") as out:
        for n, story in enumerate(read_clusters(path)):
            if limit is not None and n >= limit:
                break
            sources = story_sources(story, boilerplate)
            start = time.perf_counter()
            row, ok = _write_one(story, sources, words, embedder, settings, writer, composer)
            seconds += time.perf_counter() - start
            writers[row.get("writer") or "none"] += 1
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            accepted += ok
            sentences += len(row["sentences"])
            cited += sum(bool(s["citations"]) for s in row["sentences"])
            _add_rouge(totals, scorer, story["reference"], row["sentences"])
            leads.append(lead_rouge1(scorer, story["reference"], row["sentences"]))
    stories = len(totals["rouge1"]) or 1
    metrics = {k: round(100 * sum(v) / stories, 2) for k, v in totals.items()}
    metrics |= {
        "lead_rouge1": round(100 * sum(leads) / stories, 2),
        "stories": float(len(totals["rouge1"])),
        "cited_share": round(cited / max(sentences, 1), 4),
        "accepted_share": round(accepted / stories, 4),
        "seconds_per_story": round(seconds / stories, 3),
        "boilerplate_sentences": float(len(boilerplate)),
    }
    metrics |= {f"written_by:{name}": float(count) for name, count in sorted(writers.items())}
    return metrics


def _write_one(
    story: dict[str, Any],
    sources: Sequence[SourceDoc],
    words: int,
    embedder: Embedder,
    settings: Settings,
    writer: Writer | None,
    composer: Writer,
) -> tuple[dict[str, Any], bool]:
    empty = {"id": story["id"], "headline": "", "article": "", "sentences": [], "writer": ""}
    try:
        checked = verified_draft(writer, composer, "", sources, settings, embedder)
    except WriteError:
        return empty, False
    if not checked.accepted:
        return empty, False
    draft = checked.draft
    sents = truncated_sentences(draft, words)
    article = "\n".join(s["text"] for s in sents)
    row = {
        "id": story["id"],
        "headline": draft.headline,
        "article": article,
        "sentences": sents,
        "writer": draft.writer,
    }
    return row, True


def _rouge_scorer() -> Any:
    try:
        from rouge_score import rouge_scorer
    except ImportError as e:  # pragma: no cover - dev dependency
        raise ConfigError("the write evaluation needs rouge-score (pip install herald[dev])") from e
    return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)


def _add_rouge(
    totals: dict[str, list[float]], scorer: Any, reference: str, sents: Sequence[dict[str, Any]]
) -> None:
    target = "\n".join(nlp.split_sentences(reference))
    prediction = "\n".join(s["text"] for s in sents)
    scores = scorer.score(target, prediction)
    for key, values in totals.items():
        values.append(scores[key].fmeasure)


def lead_rouge1(scorer: Any, reference: str, sents: Sequence[dict[str, Any]]) -> float:
    """ROUGE-1 F1 of the article's first sentence against the reference's first: whether the
    lead says what the reporter's own lead says (0 for a story with no article)."""
    firsts = nlp.split_sentences(reference.lstrip("–—- "))
    if not sents or not firsts:
        return 0.0
    return float(scorer.score(firsts[0], sents[0]["text"])["rouge1"].fmeasure)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m herald.eval.write_eval FILE --output OUT [--words N] [--limit N]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--output", required=True)
    parser.add_argument("--words", type=int, default=250)
    parser.add_argument("--limit", type=int, default=None, help="only the first N stories")
    args = parser.parse_args(argv)
    from herald.nlp.embed import MiniLMEmbedder

    metrics = run_write_eval(args.file, args.output, args.words, MiniLMEmbedder(), limit=args.limit)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
