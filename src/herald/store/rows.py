"""Conversions between database rows and Herald's typed stage data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from herald.clock import to_utc
from herald.types import (
    Article,
    ArticleKind,
    Evidence,
    ExtractStatus,
    Sentence,
    Source,
    SourceRef,
    Story,
    Writeup,
    WriteupStatus,
)


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else to_utc(value)


def must_utc(value: datetime) -> datetime:
    return to_utc(value)


def source_from_row(row: Row[Any]) -> Source:
    m = row._mapping
    return Source(
        id=m["id"],
        url=m["url"],
        title=m["title"],
        outlet=m["outlet"],
        site_url=m["site_url"],
        country=m["country"],
        language=m["language"],
        category=m["category"],
        fetch_pages=bool(m["fetch_pages"]),
        paused=bool(m["paused"]),
        etag=m["etag"],
        last_modified=m["last_modified"],
        last_success=utc(m["last_success"]),
        last_error=m["last_error"],
        last_attempt=utc(m["last_attempt"]),
        next_attempt=utc(m["next_attempt"]),
        failures=m["failures"],
        created_at=must_utc(m["created_at"]),
    )


def article_from_row(row: Row[Any]) -> Article:
    m = row._mapping
    return Article(
        id=m["id"],
        source_id=m["source_id"],
        outlet=m["outlet_name"],
        url=m["url"],
        title=m["title"],
        text=m["text"],
        summary=m["summary"],
        author=m["author"],
        published=must_utc(m["published"]),
        language=m["language"],
        extract_status=ExtractStatus(m["extract_status"]),
        story_id=m["story_id"],
        duplicate_of=m["duplicate_of"],
        kind=ArticleKind(m["kind"]),
        section=m["section"],
    )


def story_from_row(row: Row[Any]) -> Story:
    m = row._mapping
    return Story(
        id=m["id"],
        title=m["title"],
        first_seen=must_utc(m["first_seen"]),
        last_seen=must_utc(m["last_seen"]),
        article_count=m["article_count"],
        outlet_count=m["outlet_count"],
        topic=m["topic"],
        entities=tuple(json.loads(m["entities"] or "[]")),
        trend_score=float(m["trend_score"]),
        trending=bool(m["trending"]),
        updated_at=must_utc(m["updated_at"]),
    )


def sentences_to_json(sentences: tuple[Sentence, ...]) -> str:
    return json.dumps(
        [
            {
                "text": s.text,
                "citations": list(s.citations),
                "paragraph": s.paragraph,
                "evidence": [
                    {
                        "citation": e.citation,
                        "article_id": e.article_id,
                        "passage": e.passage,
                        "score": e.score,
                    }
                    for e in s.evidence
                ],
            }
            for s in sentences
        ]
    )


def sentences_from_json(text: str) -> tuple[Sentence, ...]:
    return tuple(
        Sentence(
            text=s["text"],
            citations=tuple(s["citations"]),
            paragraph=s.get("paragraph", 0),
            evidence=tuple(Evidence(**e) for e in s.get("evidence", [])),
        )
        for s in json.loads(text or "[]")
    )


def sources_to_json(refs: tuple[SourceRef, ...]) -> str:
    return json.dumps(
        [
            {
                "index": r.index,
                "article_id": r.article_id,
                "outlet": r.outlet,
                "url": r.url,
                "title": r.title,
                "published": r.published.isoformat(),
            }
            for r in refs
        ]
    )


def sources_from_json(text: str) -> tuple[SourceRef, ...]:
    out = []
    for r in json.loads(text or "[]"):
        published = to_utc(datetime.fromisoformat(r["published"]))
        out.append(
            SourceRef(r["index"], r["article_id"], r["outlet"], r["url"], r["title"], published)
        )
    return tuple(out)


def writeup_from_row(row: Row[Any]) -> Writeup:
    m = row._mapping
    return Writeup(
        id=m["id"],
        story_id=m["story_id"],
        status=WriteupStatus(m["status"]),
        headline=m["headline"],
        summary=m["summary"],
        dateline=m["dateline"],
        sentences=sentences_from_json(m["sentences"]),
        key_points=tuple(json.loads(m["key_points"] or "[]")),
        sources=sources_from_json(m["sources"]),
        writer=m["writer"],
        reason=m["reason"],
        input_hash=m["input_hash"],
        created_at=must_utc(m["created_at"]),
        sensitive=bool(m["sensitive"]),
    )
