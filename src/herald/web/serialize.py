"""JSON shapes of the API: plain dicts built from typed stage data."""

from __future__ import annotations

from typing import Any

from herald.rank.topics import topic_name
from herald.types import Article, FeedCard, Sentence, SourceRef, Story, Writeup
from herald.web.security import safe_url
from herald.web.views import is_article, links_reason


def story_json(story: Story, outlets: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "topic": story.topic,
        "topic_name": topic_name(story.topic),
        "entities": list(story.entities),
        "first_seen": story.first_seen.isoformat(),
        "last_seen": story.last_seen.isoformat(),
        "article_count": story.article_count,
        "outlet_count": story.outlet_count,
        "outlets": list(outlets),
        "trend_score": story.trend_score,
        "trending": story.trending,
        "url": f"/stories/{story.id}",
    }


def sentence_json(s: Sentence) -> dict[str, Any]:
    return {
        "text": s.text,
        "paragraph": s.paragraph,
        "citations": list(s.citations),
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


def source_json(r: SourceRef) -> dict[str, Any]:
    return {
        "index": r.index,
        "article_id": r.article_id,
        "outlet": r.outlet,
        "url": safe_url(r.url),
        "title": r.title,
        "published": r.published.isoformat(),
    }


def writeup_json(w: Writeup) -> dict[str, Any]:
    article = is_article(w)
    return {
        "status": w.status.value,
        "headline": w.headline if article else "",
        "summary": w.summary if article else "",
        "dateline": w.dateline,
        "sentences": [sentence_json(s) for s in w.sentences] if article else [],
        "key_points": list(w.key_points) if article else [],
        "sources": [source_json(r) for r in w.sources],
        "writer": w.writer,
        "reason": w.reason if article else links_reason(w),
        "sensitive": w.sensitive,
        "created_at": w.created_at.isoformat(),
    }


def article_json(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "outlet": a.outlet,
        "title": a.title,
        "url": safe_url(a.url),
        "published": a.published.isoformat(),
        "kind": a.kind.value,
    }


def card_json(card: FeedCard) -> dict[str, Any]:
    w = card.writeup
    article = is_article(w)
    return {
        "story": story_json(card.story, card.outlets),
        "headline": w.headline if w is not None and article else card.story.title,
        "working_title": not article,
        "summary": w.summary if w is not None and article else links_reason(w, card.outlet_count),
        "score": card.score,
        "reason": card.reason,
        "labels": list(card.labels),
    }
