"""Full-text search over stories and articles, on SQLite (FTS5) and PostgreSQL (tsvector).

The indexes are built by migration 0004: FTS5 tables kept in step by triggers on SQLite; on
PostgreSQL, GIN indexes on ``to_tsvector('simple', ...)`` vectors (a stored generated column
for articles, expressions for stories). Hits are ranked by BM25 on SQLite and ``ts_rank`` on
PostgreSQL (titles weigh most), newest first among equals. See docs/search.md.

The reader's text never becomes SQL: it is parsed (``search_text.parse_query``), every term is
quoted in the FTS5 expression or the ``websearch_to_tsquery`` text, and that text is a bound
parameter. Terms in scripts written without spaces (Chinese, Japanese, Thai...) are matched as
substrings of titles and summaries, or of story titles and entities.

A story hit is always a live story: a match on a story that was merged away counts for the
story it was merged into. A pulled writeup's headline is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Select,
    and_,
    case,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)

from herald.store import rows
from herald.store.schema import articles, sources, stories
from herald.store.search_text import (
    ParsedQuery,
    Snippet,
    Term,
    fts5_column_phrase,
    fts5_expression,
    match_spans,
    parse_query,
    snippet,
    websearch_text,
)
from herald.store.store import OUTLET_NAME, Store
from herald.types import ArticleKind, Story, Writeup, WriteupStatus

MAX_MERGE_DEPTH = 20
COUNT_CAP = 1000

# The indexed vectors of migration 0004 (PostgreSQL answers from an expression index only when
# the query repeats its expression). Constant SQL: no value from a request ever goes in here.
ARTICLE_VECTOR: ColumnElement[Any] = literal_column("articles.search_vector")  # stored, generated
STORY_VECTOR: ColumnElement[Any] = literal_column(
    "(setweight(to_tsvector('simple'::regconfig, left(stories.title, 1000)), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, CAST(stories.entities AS jsonb)), 'B'))"
)
ENTITY_VECTOR: ColumnElement[Any] = literal_column(
    "to_tsvector('simple'::regconfig, CAST(stories.entities AS jsonb))"
)
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")

ARTICLES_FTS = table("articles_fts", column("rowid"))
STORIES_FTS = table("stories_fts", column("rowid"))
# BM25 column weights: (title, summary, text) and (title, entities).
ARTICLE_WEIGHTS = (10.0, 4.0, 1.0)
STORY_WEIGHTS = (3.0, 1.0)


class SearchKind(StrEnum):
    STORIES = "stories"
    ARTICLES = "articles"


@dataclass(frozen=True)
class StoryHit:
    """A live story that matches, with the headline Herald shows for it."""

    story: Story
    headline: str  # the published article's headline, else the story's working title
    summary: str  # the published article's summary, else ""
    written: bool
    pulled: bool
    outlets: tuple[str, ...]
    rank: float  # higher is better


@dataclass(frozen=True)
class ArticleHit:
    """A source article that matches, with a snippet of its text around the match."""

    id: int
    story_id: int | None
    title: str
    title_spans: tuple[tuple[int, int], ...]
    url: str
    outlet: str
    published: datetime
    snippet: Snippet
    rank: float  # higher is better
    kind: ArticleKind = ArticleKind.NEWS


SearchHit = StoryHit | ArticleHit


# --------------------------------------------------------------------------- public


def search(
    store: Store, query: str, kind: SearchKind, limit: int = 20, offset: int = 0
) -> list[SearchHit]:
    """Up to ``limit`` hits of ``kind`` after the first ``offset``, best first."""
    parsed = parse_query(query)
    if parsed.empty or limit <= 0:
        return []
    if kind is SearchKind.STORIES:
        return list(_story_hits(store, parsed, limit, offset))
    return list(_article_hits(store, parsed, limit, offset))


def count(store: Store, query: str, kind: SearchKind, cap: int = COUNT_CAP) -> int:
    """How many hits ``search`` has for the query, counting at most ``cap + 1``."""
    parsed = parse_query(query)
    if parsed.empty:
        return 0
    if kind is SearchKind.STORIES:
        found = _live_stories(store, parsed).order_by(None)
    else:
        found = _article_matches(store, parsed, ranked=False)
    stmt = select(func.count()).select_from(found.limit(cap + 1).subquery())
    with store.tx() as conn:
        return int(conn.execute(stmt).scalar_one())


def entity_candidates(store: Store, name: str, cap: int = COUNT_CAP) -> list[Story]:
    """Live stories whose entities hold the words of ``name`` in order, newest first.

    A prefilter from the index (at most ``cap``): callers keep the stories naming ``name``.
    """
    if not any(ch.isalnum() for ch in name):
        return []
    if store.dialect == "sqlite":
        source: FromClause = STORIES_FTS.join(stories, stories.c.id == STORIES_FTS.c.rowid)
        cond = _fts_match("stories_fts", fts5_column_phrase("entities", name))
    else:
        source = stories
        cond = ENTITY_VECTOR.op("@@")(func.phraseto_tsquery(SIMPLE, name))
    stmt = (
        select(stories)
        .select_from(source)
        .where(cond, stories.c.merged_into.is_(None), stories.c.article_count > 0)
        .order_by(stories.c.last_seen.desc(), stories.c.id.desc())
        .limit(cap)
    )
    with store.tx() as conn:
        return [rows.story_from_row(r) for r in conn.execute(stmt)]


# --------------------------------------------------------------------------- matching


def _fts_match(table_name: str, expression: str) -> ColumnElement[bool]:
    return literal_column(table_name).op("MATCH")(expression)


def _tsquery(parsed: ParsedQuery) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(SIMPLE, websearch_text(parsed))


def _rank_tsquery(parsed: ParsedQuery) -> ColumnElement[Any]:
    """The query without its exclusions: ``ts_rank`` scores a negation as no match at all."""
    groups = tuple(tuple(t for t in g if not t.negated) for g in parsed.groups)
    return _tsquery(ParsedQuery(groups, ()))


def _substring_conditions(
    terms: tuple[Term, ...], columns: tuple[ColumnElement[str], ...]
) -> list[ColumnElement[bool]]:
    out = []
    for term in terms:
        found = or_(*(c.icontains(term.text, autoescape=True) for c in columns))
        out.append(not_(found) if term.negated else found)
    return out


def _title_first(parsed: ParsedQuery, title: ColumnElement[str]) -> ColumnElement[float]:
    """Rank of substring-only matches: titles holding every term before the rest."""
    positive = [t for t in parsed.substrings if not t.negated]
    in_title = and_(*(title.icontains(t.text, autoescape=True) for t in positive))
    return case((in_title, 0.0), else_=1.0)


def _article_matches(store: Store, parsed: ParsedQuery, ranked: bool = True) -> Select[Any]:
    """(id, rank) of matching articles that are not copies; lower rank is better."""
    conds: list[ColumnElement[bool]] = [articles.c.duplicate_of.is_(None)]
    conds += _substring_conditions(parsed.substrings, (articles.c.title, articles.c.summary))
    source: FromClause = articles
    rank: ColumnElement[float]
    if not parsed.groups:
        rank = _title_first(parsed, articles.c.title)
    elif store.dialect == "sqlite":
        source = ARTICLES_FTS.join(articles, articles.c.id == ARTICLES_FTS.c.rowid)
        conds.append(_fts_match("articles_fts", fts5_expression(parsed)))
        rank = func.bm25(literal_column("articles_fts"), *ARTICLE_WEIGHTS, type_=Float)
    else:
        conds.append(ARTICLE_VECTOR.op("@@")(_tsquery(parsed)))
        scored = _rank_tsquery(parsed)
        rank = -func.ts_rank(ARTICLE_VECTOR, scored, literal_column("1"), type_=Float)
    columns = [articles.c.id, rank.label("rank")] if ranked else [articles.c.id]
    return select(*columns).select_from(source).where(*conds)


def _entity_text(store: Store) -> ColumnElement[str]:
    """A story's entities as readable text (the column holds JSON with escaped characters)."""
    if store.dialect == "sqlite":
        return literal_column("(SELECT group_concat(value, ' ') FROM json_each(stories.entities))")
    return literal_column("CAST(CAST(stories.entities AS jsonb) AS text)")


def _story_matches(store: Store, parsed: ParsedQuery) -> Select[Any]:
    """(id, rank) of matching stories, merged-away ones included; lower rank is better."""
    conds = _substring_conditions(parsed.substrings, (stories.c.title, _entity_text(store)))
    source: FromClause = stories
    rank: ColumnElement[float]
    if not parsed.groups:
        rank = _title_first(parsed, stories.c.title)
    elif store.dialect == "sqlite":
        source = STORIES_FTS.join(stories, stories.c.id == STORIES_FTS.c.rowid)
        conds.append(_fts_match("stories_fts", fts5_expression(parsed)))
        rank = func.bm25(literal_column("stories_fts"), *STORY_WEIGHTS, type_=Float)
    else:
        conds.append(STORY_VECTOR.op("@@")(_tsquery(parsed)))
        rank = -func.ts_rank(STORY_VECTOR, _rank_tsquery(parsed), type_=Float)
    return select(stories.c.id, rank.label("rank")).select_from(source).where(*conds)


def _live_stories(store: Store, parsed: ParsedQuery) -> Select[Any]:
    """Matching live stories, best first: a merged story's match counts for its survivor."""
    hits = _story_matches(store, parsed).cte("hits")
    walk = select(
        hits.c.id.label("id"), hits.c.rank.label("rank"), literal_column("0").label("depth")
    ).cte("walk", recursive=True)
    step = (
        select(stories.c.merged_into, walk.c.rank, walk.c.depth + literal_column("1"))
        .select_from(walk.join(stories, stories.c.id == walk.c.id))
        .where(stories.c.merged_into.is_not(None), walk.c.depth < MAX_MERGE_DEPTH)
    )
    walk = walk.union_all(step)
    live = select(walk.c.id, func.min(walk.c.rank).label("rank")).group_by(walk.c.id).subquery()
    return (
        select(stories, live.c.rank)
        .join(live, live.c.id == stories.c.id)
        .where(stories.c.merged_into.is_(None), stories.c.article_count > 0)
        .order_by(live.c.rank, stories.c.last_seen.desc(), stories.c.id.desc())
    )


def _articles(store: Store, parsed: ParsedQuery) -> Select[Any]:
    hits = _article_matches(store, parsed).subquery()
    return (
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.title,
            articles.c.url,
            articles.c.summary,
            articles.c.text,
            articles.c.published,
            articles.c.kind,
            OUTLET_NAME,
            hits.c.rank,
        )
        .join(hits, hits.c.id == articles.c.id)
        .join(sources, sources.c.id == articles.c.source_id)
        .order_by(hits.c.rank, articles.c.published.desc(), articles.c.id.desc())
    )


# --------------------------------------------------------------------------- hits


def _story_hits(store: Store, parsed: ParsedQuery, limit: int, offset: int) -> list[StoryHit]:
    stmt = _live_stories(store, parsed).limit(limit).offset(offset)
    with store.tx() as conn:
        found = [(rows.story_from_row(r), float(r.rank)) for r in conn.execute(stmt)]
    ids = [s.id for s, _ in found]
    writeups = store.writeups_for(ids)
    outlets = store.story_outlets(ids)
    return [_story_hit(s, writeups.get(s.id), outlets.get(s.id, []), r) for s, r in found]


def _story_hit(story: Story, writeup: Writeup | None, outlets: list[str], rank: float) -> StoryHit:
    written = (
        writeup is not None
        and writeup.status is WriteupStatus.PUBLISHED
        and bool(writeup.sentences)
    )
    return StoryHit(
        story=story,
        headline=writeup.headline if writeup is not None and written else story.title,
        summary=writeup.summary if writeup is not None and written else "",
        written=written,
        pulled=writeup is not None and writeup.status is WriteupStatus.PULLED,
        outlets=tuple(outlets),
        rank=0.0 - rank,
    )


def _article_hits(store: Store, parsed: ParsedQuery, limit: int, offset: int) -> list[ArticleHit]:
    stmt = _articles(store, parsed).limit(limit).offset(offset)
    with store.tx() as conn:
        found = list(conn.execute(stmt))
    return [
        ArticleHit(
            id=r.id,
            story_id=r.story_id,
            title=r.title,
            title_spans=tuple(match_spans(r.title, parsed)),
            url=r.url,
            outlet=r.outlet_name,
            published=rows.must_utc(r.published),
            snippet=snippet([r.summary, r.text], parsed),
            rank=0.0 - float(r.rank),
            kind=ArticleKind(r.kind),
        )
        for r in found
    ]
