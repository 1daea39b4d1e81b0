"""The news half of the benchmark seed: sources, stories, articles and writeups as rows.

See ``herald.bench.seed`` for what the data looks like. Rows are plain dicts keyed by column
name, ids assigned from 1; writeup JSON goes through the store's own serializers, so it has
exactly the shape ``Store.save_writeup`` writes.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from herald.bench.seed_text import TextPool, entity_pool, story_title
from herald.packs.packs import list_packs
from herald.rank.topics import TOPICS
from herald.store import rows as store_rows
from herald.types import Evidence, Sentence, SourceRef, SourceSpec, WriteupStatus
from herald.write.dateline import dateline

__all__ = ["Catalog", "NewsPlan", "plan_news"]

Row = dict[str, object]
WINDOW = timedelta(days=3) - timedelta(minutes=5)
DIMENSIONS = 384
TOPIC_WEIGHTS = (1.6, 1.4, 1.3, 1.1, 0.7, 0.8, 1.2, 0.9, 0.8)  # as TOPICS
PUBLISHED_SHARE = 0.8  # of stories with two or more outlets
LINKS_ONLY_SHARE = 0.7  # of single-outlet stories (the rest are not written yet)
PULLED_SHARE = 0.004
SENSITIVE_SHARE = 0.03
MAX_REFS = 6
ONE_OUTLET = "Only one publisher has covered this story so far."
WITHDRAWN = "Herald withdrew this article: a cited report was corrected by its outlet."
UNVERIFIED = "The draft was not published: too many sentences lacked support in the sources."


@dataclass
class Catalog:
    """What the readers' half needs to know about the news: topics, entities, outlets."""

    story_first_seen: list[datetime] = field(default_factory=list)  # index = story id - 1
    by_topic: dict[str, list[int]] = field(default_factory=dict)
    entities: dict[str, list[str]] = field(default_factory=dict)  # per topic, prominent first
    outlets: list[str] = field(default_factory=list)  # most prolific first


@dataclass
class NewsPlan:
    sources: list[Row]
    stories: list[Row]
    articles: list[Row]
    writeups: list[Row]
    catalog: Catalog


@dataclass
class _Story:
    id: int
    topic: str
    entities: list[str]
    title: str
    first_seen: datetime
    last_seen: datetime
    size: int
    members: list[Row] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)  # the outlet of each member


def plan_news(
    rng: random.Random, now: datetime, n_stories: int, n_articles: int, n_sources: int, seed: int
) -> NewsPlan:
    specs = pick_sources(rng, n_sources)
    source_rows = [_source_row(i + 1, s, now) for i, s in enumerate(specs)]
    outlets = [s.outlet or s.title or s.url for s in specs]
    entities = entity_pool(rng)
    pool = TextPool.build(rng, entities)
    plans = _plan_stories(rng, now, n_stories, n_articles, entities)
    article_rows = _plan_articles(rng, now, plans, specs, outlets, pool)
    centroids = _centroids(seed, [p.topic for p in plans])
    mean_size = n_articles / n_stories
    story_rows = [_story_row(p, centroids[i], mean_size, now) for i, p in enumerate(plans)]
    writeup_rows = _plan_writeups(rng, now, plans, pool)
    catalog = _catalog(plans, entities, outlets)
    return NewsPlan(source_rows, story_rows, article_rows, writeup_rows, catalog)


def pick_sources(rng: random.Random, n: int) -> list[SourceSpec]:
    """``n`` distinct feeds from the bundled packs (those naming a country first, half)."""
    every = sorted(
        {s.url: s for p in list_packs() for s in p.sources}.values(), key=lambda s: s.url
    )
    with_country = [s for s in every if s.country]
    rest = [s for s in every if not s.country]
    half = min(len(with_country), n // 2)
    picked = rng.sample(with_country, half) + rng.sample(rest, min(len(rest), n - half))
    return picked[:n]


def _source_row(source_id: int, s: SourceSpec, now: datetime) -> Row:
    return {
        "id": source_id,
        "url": s.url,
        "title": s.title,
        "outlet": s.outlet,
        "site_url": s.site_url,
        "country": s.country,
        "language": s.language,
        "category": s.category,
        "fetch_pages": s.fetch_pages,
        "paused": False,
        "failures": 0,
        "last_success": now - timedelta(minutes=15),
        "last_attempt": now - timedelta(minutes=15),
        "next_attempt": now + timedelta(minutes=15),
        "created_at": now - timedelta(days=60),
    }


# --------------------------------------------------------------------------- stories


def _sizes(rng: random.Random, n_stories: int, n_articles: int) -> list[int]:
    """Articles per story: at least one each, the rest spread with a heavy (lognormal) tail."""
    weights = list(itertools.accumulate(rng.lognormvariate(0.0, 1.6) for _ in range(n_stories)))
    extra = Counter(rng.choices(range(n_stories), cum_weights=weights, k=n_articles - n_stories))
    return [1 + extra[i] for i in range(n_stories)]


def _zipf(n: int, s: float = 1.0) -> list[float]:
    """Cumulative Zipf weights of ``n`` ranks."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** s for rank in range(n)))


def _plan_stories(
    rng: random.Random, now: datetime, n: int, n_articles: int, entities: dict[str, list[str]]
) -> list[_Story]:
    sizes = _sizes(rng, n, n_articles)
    topic_weights = list(itertools.accumulate(TOPIC_WEIGHTS))
    entity_weights = _zipf(len(next(iter(entities.values()))))
    plans = []
    for i, size in enumerate(sizes):
        topic = rng.choices(TOPICS, cum_weights=topic_weights)[0]
        names = rng.choices(entities[topic], cum_weights=entity_weights, k=rng.randint(1, 4))
        if rng.random() < 0.2:
            other = rng.choice(TOPICS)
            names.append(rng.choices(entities[other], cum_weights=entity_weights)[0])
        unique = list(dict.fromkeys(names))
        last_seen = now - WINDOW * rng.random()
        hours = min(rng.expovariate(1 / 6) * math.log2(size), 60)  # 0 for a single article
        plans.append(
            _Story(
                id=i + 1,
                topic=topic,
                entities=unique,
                title=story_title(rng, topic, unique),
                first_seen=last_seen - timedelta(hours=hours),
                last_seen=last_seen,
                size=size,
            )
        )
    return plans


def _centroids(seed: int, topics: list[str]) -> NDArray[np.float32]:
    """Unit float32 vectors, each near its topic's random direction (cosine about 0.75)."""
    gen = np.random.default_rng(seed)
    bases = gen.standard_normal((len(TOPICS), DIMENSIONS)).astype(np.float32)
    bases /= np.linalg.norm(bases, axis=1, keepdims=True)
    index = np.array([TOPICS.index(t) for t in topics])
    noise = gen.standard_normal((len(topics), DIMENSIONS)).astype(np.float32)
    noise *= 0.9 / math.sqrt(DIMENSIONS)
    vectors = bases[index] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    out: NDArray[np.float32] = vectors.astype(np.float32)
    return out


def _trend(story: _Story, mean_size: float, outlets: int, now: datetime) -> tuple[float, bool]:
    age_hours = (now - story.last_seen).total_seconds() / 3600
    score = (story.size / mean_size) * math.exp(-age_hours / 12) * 1.5
    score = round(score, 4)
    return score, score >= 1.0 and outlets >= 2


def _story_row(p: _Story, centroid: NDArray[np.float32], mean_size: float, now: datetime) -> Row:
    outlets = len(set(p.outlets))
    score, trending = _trend(p, mean_size, outlets, now)
    return {
        "id": p.id,
        "title": p.title,
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
        "article_count": len(p.members),
        "outlet_count": outlets,
        "topic": p.topic,
        "entities": json.dumps(p.entities),
        "centroid": centroid.tobytes(),
        "trend_score": score,
        "trending": trending,
        "merged_into": None,
        "updated_at": p.last_seen,
    }


# --------------------------------------------------------------------------- articles


def _plan_articles(
    rng: random.Random,
    now: datetime,
    plans: list[_Story],
    specs: list[SourceSpec],
    outlets: list[str],
    pool: TextPool,
) -> list[Row]:
    cum = _zipf(len(specs), 0.9)
    out: list[Row] = []
    for p in plans:
        picks = rng.choices(range(len(specs)), cum_weights=cum, k=p.size)
        span = (p.last_seen - p.first_seen).total_seconds()
        for j, source in enumerate(picks):
            if j == 0:
                published = p.first_seen
            elif j == p.size - 1:
                published = p.last_seen
            else:
                published = p.first_seen + timedelta(seconds=span * rng.random())
            row = _article_row(
                rng, now, len(out) + 1, p, specs[source], source + 1, published, pool
            )
            p.members.append(row)
            p.outlets.append(outlets[source])
            out.append(row)
    return out


def _article_row(
    rng: random.Random,
    now: datetime,
    article_id: int,
    story: _Story,
    spec: SourceSpec,
    source_id: int,
    published: datetime,
    pool: TextPool,
) -> Row:
    title = story.title if rng.random() < 0.3 else story_title(rng, story.topic, story.entities)
    lead = f"{title}. {pool.pick(rng, story.topic)}"
    site = spec.site_url.rstrip("/") or spec.url.rsplit("/", 1)[0]
    url = f"{site}/{published:%Y/%m/%d}/story-{article_id}"
    return {
        "id": article_id,
        "source_id": source_id,
        "guid": url,
        "url": url,
        "canonical_url": url,
        "title": title,
        "summary": lead,
        "author": "Staff",
        "image_url": "",
        "published": published,
        "ingested_at": min(published + timedelta(minutes=rng.randint(2, 20)), now),
        "text": pool.body(rng, story.topic, lead, rng.randint(8, 14)),
        "language": spec.language or "en",
        "extract_status": "ok",
        "extract_reason": "",
        "content_hash": f"{rng.getrandbits(256):064x}",
        "duplicate_of": None,
        "embedding": None,
        "story_id": story.id,
    }


# --------------------------------------------------------------------------- writeups


def _plan_writeups(
    rng: random.Random, now: datetime, plans: list[_Story], pool: TextPool
) -> list[Row]:
    out: list[Row] = []
    for p in plans:
        outlets = len(set(p.outlets))
        roll = rng.random()
        if outlets >= 2 and roll < PUBLISHED_SHARE:
            row = _published(rng, now, p, pool)
        elif outlets >= 2:
            row = _links_only(rng, now, p, UNVERIFIED)
        elif roll < LINKS_ONLY_SHARE:
            row = _links_only(rng, now, p, ONE_OUTLET)
        else:
            continue
        row["id"] = len(out) + 1
        out.append(row)
    return out


def _refs(p: _Story) -> tuple[SourceRef, ...]:
    """Up to ``MAX_REFS`` members from distinct outlets, the story's first article first."""
    seen: set[str] = set()
    refs: list[SourceRef] = []
    for member, outlet in zip(p.members, p.outlets, strict=True):
        if outlet in seen:
            continue
        seen.add(outlet)
        published = member["published"]
        assert isinstance(published, datetime)
        refs.append(
            SourceRef(
                len(refs) + 1,
                int(str(member["id"])),
                outlet,
                str(member["url"]),
                str(member["title"]),
                published,
            )
        )
        if len(refs) == MAX_REFS:
            break
    return tuple(refs)


def _sentences(
    rng: random.Random, p: _Story, refs: tuple[SourceRef, ...], pool: TextPool
) -> tuple[Sentence, ...]:
    out = []
    for i in range(rng.randint(8, 12)):
        cites = sorted(set(rng.choices(range(1, len(refs) + 1), k=rng.randint(1, 2))))
        evidence = tuple(
            Evidence(
                c, refs[c - 1].article_id, pool.pick(rng, p.topic), round(rng.uniform(0.5, 0.95), 3)
            )
            for c in cites
        )
        out.append(Sentence(pool.pick(rng, p.topic), tuple(cites), evidence, i // 3))
    return tuple(out)


def _written_at(rng: random.Random, now: datetime, p: _Story) -> datetime:
    return min(p.last_seen + timedelta(minutes=rng.randint(3, 30)), now)


def _published(rng: random.Random, now: datetime, p: _Story, pool: TextPool) -> Row:
    refs = _refs(p)
    pulled = rng.random() < PULLED_SHARE
    status = WriteupStatus.PULLED if pulled else WriteupStatus.PUBLISHED
    return {
        "story_id": p.id,
        "status": status.value,
        "headline": story_title(rng, p.topic, p.entities),
        "summary": pool.pick(rng, p.topic),
        "dateline": dateline(p.first_seen),
        "sentences": store_rows.sentences_to_json(_sentences(rng, p, refs, pool)),
        "key_points": json.dumps([pool.pick(rng, p.topic) for _ in range(rng.randint(2, 4))]),
        "sources": store_rows.sources_to_json(refs),
        "writer": "composer",
        "reason": WITHDRAWN if pulled else "",
        "input_hash": f"{rng.getrandbits(256):064x}",
        "sensitive": rng.random() < SENSITIVE_SHARE,
        "created_at": _written_at(rng, now, p),
    }


def _links_only(rng: random.Random, now: datetime, p: _Story, reason: str) -> Row:
    return {
        "story_id": p.id,
        "status": WriteupStatus.LINKS_ONLY.value,
        "headline": "",
        "summary": "",
        "dateline": "",
        "sentences": "[]",
        "key_points": "[]",
        "sources": "[]",
        "writer": "composer",
        "reason": reason,
        "input_hash": f"{rng.getrandbits(256):064x}",
        "sensitive": False,
        "created_at": _written_at(rng, now, p),
    }


def _catalog(plans: list[_Story], entities: dict[str, list[str]], outlets: list[str]) -> Catalog:
    by_topic: dict[str, list[int]] = {t: [] for t in TOPICS}
    for p in plans:
        by_topic[p.topic].append(p.id)
    return Catalog(
        story_first_seen=[p.first_seen for p in plans],
        by_topic=by_topic,
        entities=entities,
        outlets=list(dict.fromkeys(outlets)),
    )
