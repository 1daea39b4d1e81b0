"""Full-text search on real databases: a SQLite file (FTS5) and a PostgreSQL server (tsvector).

Most tests run on both back ends (``db_url`` is parametrized, see ``tests/test_store.py``);
the query parser and snippets are pure and tested once. Multilingual tests use real English,
Malay and Chinese articles about one event from ``../shared/data/clustering``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from herald.store import browse
from herald.store import search as search_module
from herald.store.db import MIGRATIONS
from herald.store.search import (
    ArticleHit,
    SearchKind,
    StoryHit,
    count,
    entity_candidates,
    search,
)
from herald.store.search_text import (
    ParsedQuery,
    Term,
    fts5_expression,
    match_spans,
    parse_query,
    snippet,
    websearch_text,
)
from herald.store.store import ExtractionUpdate, NewEntry, Store
from herald.types import ExtractStatus, Sentence, SourceSpec, Writeup, WriteupStatus

NOW = datetime(2022, 9, 25, 12, 0, tzinfo=UTC)
HOSTILE = [
    '"',
    '""',
    '"unterminated phrase',
    "NEAR(",
    "NEAR(a b, 2)",
    "*",
    "a*",
    "-",
    "--",
    "-x",
    "'; drop table articles; --",
    "title: bank",
    "{title}: bank",
    "^bank",
    "(bank",
    "bank)",
    "AND",
    "OR",
    "or or",
    "NOT bank",
    "\\",
    "%",
    "_",
    "a\x00b",
    "bank " * 300,
    "新%坡",
    "新_坡",
]


class Seeder:
    """Adds sources, articles and stories through the Store API."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sources: dict[str, int] = {}
        self.n = 0

    def source(self, outlet: str) -> int:
        if outlet not in self.sources:
            slug = "".join(ch for ch in outlet.lower() if ch.isalnum()) or "x"
            spec = SourceSpec(url=f"https://{slug}.example/feed.xml", outlet=outlet)
            self.sources[outlet] = self.store.add_source(spec, NOW - timedelta(days=30)).id
        return self.sources[outlet]

    def article(
        self,
        title: str,
        summary: str = "",
        body: str = "",
        *,
        outlet: str = "Wire",
        hours: float = 1.0,
    ) -> int:
        self.n += 1
        url = f"https://news.example/a/{self.n}"
        published = NOW - timedelta(hours=hours)
        entry = NewEntry(f"g{self.n}", url, url, title, summary, "", published)
        self.store.add_entries(self.source(outlet), [entry], NOW, fetch_pages=False)
        article_id = next(a.id for a in self.store.unclustered_articles() if a.url == url)
        if body:
            update = ExtractionUpdate(article_id, ExtractStatus.OK, "", body, content_hash="h")
            self.store.save_extractions([update])
        return article_id

    def filler(self, n: int = 20) -> None:
        """Unrelated articles, so that BM25's inverse document frequencies are meaningful."""
        for i in range(n):
            self.article(f"Weather report {i}", f"Mild temperatures expected, day {i}.", hours=50)

    def story(self, title: str, article_ids: list[int], entities: tuple[str, ...] = ()) -> int:
        sid = self.store.create_story(title, NOW - timedelta(hours=2), NOW)
        self.store.assign_articles([(a, sid, None) for a in article_ids])
        self.store.save_story(
            sid, title=title, centroid=None, topic="world", entities=list(entities), now=NOW
        )
        return sid


@pytest.fixture()
def seeder(store: Store) -> Seeder:
    return Seeder(store)


def titles(hits: list[Any]) -> list[str]:
    return [h.title if isinstance(h, ArticleHit) else h.story.title for h in hits]


def article_hits(store: Store, q: str, limit: int = 20, offset: int = 0) -> list[ArticleHit]:
    hits = search(store, q, SearchKind.ARTICLES, limit, offset)
    assert all(isinstance(h, ArticleHit) for h in hits)
    return [h for h in hits if isinstance(h, ArticleHit)]


def story_hits(store: Store, q: str) -> list[StoryHit]:
    hits = search(store, q, SearchKind.STORIES)
    assert all(isinstance(h, StoryHit) for h in hits)
    return [h for h in hits if isinstance(h, StoryHit)]


# --------------------------------------------------------------------------- query parsing


def test_parse_query_follows_websearch_syntax() -> None:
    q = parse_query('rate cut or "central bank" -ecb')
    assert q.groups == (
        (Term("rate"), Term("cut")),
        (Term("central bank"), Term("ecb", negated=True)),
    )
    assert q.substrings == ()
    assert fts5_expression(q) == '("rate" AND "cut") OR ("central bank" NOT "ecb")'
    assert websearch_text(q) == '"rate" "cut" or "central bank" -"ecb"'


def test_parse_query_drops_syntax_and_empty_terms() -> None:
    assert parse_query("'; drop table articles; --").groups == (
        (Term("drop"), Term("table"), Term("articles;")),
    )
    for raw in ['"', "*", "-", "or", "-bank", "()", "   "]:
        assert parse_query(raw).empty, raw
    assert fts5_expression(parse_query('say "hi')) == '("say" AND "hi")'
    assert parse_query('a"b').groups == ((Term("ab"),),)


def test_unspaced_scripts_become_substrings() -> None:
    q = parse_query("新加坡 covid -委内瑞拉")
    assert q.groups == ((Term("covid"),),)
    assert q.substrings == (Term("新加坡"), Term("委内瑞拉", negated=True))
    assert not parse_query("新加坡").empty


def test_snippets_fold_case_and_accents_and_keep_offsets() -> None:
    q = parse_query("cafe naive 加坡")
    source = "A CAFÉ for the naïve in 新加坡 today"
    spans = match_spans(source, q)
    assert [source[s:e] for s, e in spans] == ["CAFÉ", "naïve", "加坡"]
    long = "word " * 100 + "the café opened " + "word " * 100
    found = snippet(["no match here", long], q, width=80)
    assert found.text.startswith("…") and found.text.endswith("…")
    assert [found.text[s:e] for s, e in found.spans] == ["café"]
    assert "".join(t for t, _ in found.segments()) == found.text
    assert snippet(["", "plain text"], ParsedQuery((), ())).text == "plain text"


# --------------------------------------------------------------------------- migration


def _alembic(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_migration_indexes_existing_rows_and_downgrades(db_url: str) -> None:
    s = Store(db_url)
    try:
        s.migrate()  # rows are added through today's Store, then the index is taken away
        seeder = Seeder(s)
        first = seeder.article("Typhoon nears Luzon", "Residents evacuated.")
        seeder.story("Typhoon season", [first], ("Philippine Atmospheric Agency",))
        _alembic(s.engine, "downgrade", "0003")
        found = inspect(s.engine)
        names = set(found.get_table_names())
        names |= {i["name"] or "" for t in ("articles", "stories") for i in found.get_indexes(t)}
        assert not {n for n in names if "fts" in n or n.endswith("_search")}
        s.migrate()  # 0004 indexes the rows that were already there
        assert titles(article_hits(s, "luzon")) == ["Typhoon nears Luzon"]
        assert titles(story_hits(s, "atmospheric")) == ["Typhoon season"]
        seeder.article("Typhoon reaches Taiwan", "Ferries halted.")  # and keeps up after
        assert titles(article_hits(s, "typhoon")) == [
            "Typhoon reaches Taiwan",
            "Typhoon nears Luzon",
        ]
    finally:
        s.close()


# --------------------------------------------------------------------------- ranking


def test_title_matches_rank_above_body_matches(store: Store, seeder: Seeder) -> None:
    seeder.filler()
    seeder.article("Markets steady", "Traders waited.", "Later the volcano was mentioned.", hours=1)
    seeder.article("Volcano erupts near Grindavik", "Lava reached the road.", hours=5)
    seeder.article("Flights resume", "The volcano ash cloud has cleared.", hours=2)
    hits = article_hits(store, "volcano")
    assert titles(hits) == ["Volcano erupts near Grindavik", "Flights resume", "Markets steady"]
    assert hits[0].rank > hits[1].rank > hits[2].rank
    assert [hits[0].title[s:e] for s, e in hits[0].title_spans] == ["Volcano"]
    assert [h.snippet.text[s:e] for h in hits[1:] for s, e in h.snippet.spans] == [
        "volcano",
        "volcano",
    ]


def test_recency_breaks_ties(store: Store, seeder: Seeder) -> None:
    seeder.filler()
    wire = "Central bank holds rates steady"
    older = seeder.article(wire, "The bank kept rates on hold.", outlet="Wire", hours=6)
    newer = seeder.article(wire, "The bank kept rates on hold.", outlet="Daily", hours=1)
    hits = article_hits(store, "bank rates")
    assert [h.id for h in hits] == [newer, older]
    assert hits[0].rank == pytest.approx(hits[1].rank)
    assert [h.outlet for h in hits] == ["Daily", "Wire"]


def test_copies_of_other_articles_are_not_listed(store: Store, seeder: Seeder) -> None:
    original = seeder.article("Harbour bridge reopens", "Traffic flows again.")
    copy = seeder.article("Harbour bridge reopens", "Traffic flows again.", outlet="Mirror")
    update = ExtractionUpdate(copy, ExtractStatus.OK, "", "", duplicate_of=original)
    store.save_extractions([update])
    assert [h.id for h in article_hits(store, "harbour")] == [original]


def test_operators_agree_on_both_databases(store: Store, seeder: Seeder) -> None:
    seeder.filler()
    seeder.article("Rate cut in Frankfurt", "The central bank acted.", hours=1)
    seeder.article("Bank strike ends", "Central workers returned.", hours=2)
    seeder.article("Comet seen over Chile", "Astronomers were delighted.", hours=3)
    assert titles(article_hits(store, '"central bank"')) == ["Rate cut in Frankfurt"]
    assert titles(article_hits(store, "bank -strike")) == ["Rate cut in Frankfurt"]
    assert sorted(titles(article_hits(store, "frankfurt or comet"))) == [
        "Comet seen over Chile",
        "Rate cut in Frankfurt",
    ]
    assert sorted(titles(article_hits(store, "strike or comet chile"))) == [
        "Bank strike ends",
        "Comet seen over Chile",
    ]
    assert article_hits(store, "-bank") == []


def test_pages_are_disjoint_and_counted(store: Store, seeder: Seeder) -> None:
    seeder.filler(5)
    ids = [seeder.article(f"Election update {i}", "Polls closed.", hours=i) for i in range(25)]
    pages = [article_hits(store, "election", 10, offset) for offset in (0, 10, 20)]
    assert [len(p) for p in pages] == [10, 10, 5]
    found = [h.id for p in pages for h in p]
    assert sorted(found) == sorted(ids) and len(set(found)) == 25
    assert found == sorted(ids)  # equal ranks: newest (lowest hours, first added) first
    assert count(store, "election", SearchKind.ARTICLES) == 25
    assert count(store, "election", SearchKind.ARTICLES, cap=10) == 11
    assert count(store, '"', SearchKind.ARTICLES) == 0


# --------------------------------------------------------------------------- languages


def _mmds_rows(shared_data: Path, story: str) -> list[dict[str, Any]]:
    path = shared_data / "clustering" / "mmds2025_dev.jsonl"
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r for r in rows if r["story"] == story]


def test_english_malay_and_chinese_articles(
    store: Store, seeder: Seeder, shared_data: Path
) -> None:
    seeder.filler()
    rows = _mmds_rows(shared_data, "mmds-dev-4")  # "Fat Leonard" caught in Venezuela
    assert len(rows) == 6
    ids = {r["id"]: seeder.article(r["title"], r["text"][:200], r["text"]) for r in rows}
    malay = {ids["mmds-dev-19"], ids["mmds-dev-20"]}
    chinese = {ids["mmds-dev-21"], ids["mmds-dev-22"]}
    english = {ids["mmds-dev-27"], ids["mmds-dev-28"]}

    assert {h.id for h in article_hits(store, "ditahan")} == malay
    assert {h.id for h in article_hits(store, "ahli perniagaan")} == malay
    assert {h.id for h in article_hits(store, "fugitive")} == english
    assert malay | english <= {h.id for h in article_hits(store, '"fat leonard"')}
    # Chinese: substrings of titles and summaries, wherever the word falls in a run.
    assert {h.id for h in article_hits(store, "委内瑞拉")} == chinese
    assert {h.id for h in article_hits(store, "胖子伦纳德")} == chinese
    assert {h.id for h in article_hits(store, "委内瑞拉 -贿赂案")} == {ids["mmds-dev-21"]}
    hit = next(h for h in article_hits(store, "法兰西斯") if h.id == ids["mmds-dev-21"])
    assert "法兰西斯" in [hit.snippet.text[s:e] for s, e in hit.snippet.spans]

    story = seeder.story(
        rows[0]["title"], list(ids.values()), ["Leonard Glenn Francis", "委内瑞拉"]
    )
    assert [h.story.id for h in story_hits(store, "委内瑞拉")] == [story]
    assert [h.story.id for h in story_hits(store, "glenn francis")] == [story]


def test_diacritics(store: Store, seeder: Seeder) -> None:
    seeder.article("Café culture in São Paulo", "Naïve questions answered.")
    assert titles(article_hits(store, "café")) == ["Café culture in São Paulo"]
    assert titles(article_hits(store, "CAFÉ são")) == ["Café culture in São Paulo"]
    folded = titles(article_hits(store, "cafe sao"))
    # FTS5's remove_diacritics folds accents; PostgreSQL's 'simple' configuration does not.
    assert folded == (["Café culture in São Paulo"] if store.dialect == "sqlite" else [])


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("kind", list(SearchKind))
def test_hostile_queries_never_break_the_query(
    store: Store, seeder: Seeder, kind: SearchKind
) -> None:
    seeder.filler(3)
    near = seeder.article("Protest near the bank", "Crowds near the central bank.")
    seeder.story("Protest near the bank", [near], ["Central Bank"])
    seeder.article("新加坡科学家开发出检测试剂盒", "新加坡的一个科学家团队")
    for q in HOSTILE:
        found = search(store, q, kind)
        assert count(store, q, kind) >= len(found)
    assert count(store, "NEAR(", kind) == 1
    assert search(store, "新%坡", kind) == [] and search(store, "新_坡", kind) == []
    with store.tx() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 5


# --------------------------------------------------------------------------- index upkeep


def test_index_follows_article_updates_and_deletes(store: Store, seeder: Seeder) -> None:
    seeder.filler(3)
    first = seeder.article("Council meeting", "Agenda published.", outlet="Gazette")
    assert article_hits(store, "zoning") == []
    store.save_extractions([ExtractionUpdate(first, ExtractStatus.OK, "", "A zoning vote.")])
    assert [h.id for h in article_hits(store, "zoning")] == [first]
    store.save_extractions([ExtractionUpdate(first, ExtractStatus.OK, "", "A budget vote.")])
    assert article_hits(store, "zoning") == []
    assert [h.id for h in article_hits(store, "budget")] == [first]
    store.remove_source(seeder.sources["Gazette"])
    assert article_hits(store, "budget") == [] and article_hits(store, "council") == []


def test_index_follows_story_titles_and_entities(store: Store, seeder: Seeder) -> None:
    a = seeder.article("Storm warning issued", "Winds expected.")
    sid = seeder.story("Storm warning issued", [a], ["Met Office"])
    assert [h.story.id for h in story_hits(store, "met office")] == [sid]
    store.save_story(
        sid,
        title="Storm Babet floods towns",
        centroid=None,
        topic="world",
        entities=["Environment Agency"],
        now=NOW,
    )
    assert story_hits(store, "warning") == [] and story_hits(store, "met office") == []
    assert [h.story.id for h in story_hits(store, "babet")] == [sid]
    assert [h.story.id for h in story_hits(store, "environment agency")] == [sid]


def test_merged_stories_show_the_live_story(store: Store, seeder: Seeder) -> None:
    seeder.filler(3)
    a = seeder.article("Volcano erupts in Iceland", "Lava flows.")
    b = seeder.article("Grindavik evacuated", "Residents leave.")
    c = seeder.article("Blue Lagoon closes", "Tourists turned away.")
    live = seeder.story("Volcano erupts in Iceland", [a])
    middle = seeder.story("Grindavik evacuated", [b], ["Grindavik"])
    oldest = seeder.story("Blue Lagoon closes", [c])
    store.merge_stories(oldest, middle, NOW)
    store.merge_stories(middle, live, NOW)
    for q in ("grindavik", "lagoon", "volcano", "grindavik or lagoon or volcano"):
        hits = story_hits(store, q)
        assert [h.story.id for h in hits] == [live], q
        assert hits[0].story.article_count == 3
        assert count(store, q, SearchKind.STORIES) == 1
    assert {h.story_id for h in article_hits(store, "lagoon or grindavik")} == {live}


def _writeup(story_id: int, status: WriteupStatus, sentences: tuple[Sentence, ...]) -> Writeup:
    return Writeup(
        id=0,
        story_id=story_id,
        status=status,
        headline="Minister quits after row",
        summary="The minister left after a row over the budget.",
        dateline="",
        sentences=sentences,
        key_points=(),
        sources=(),
        writer="composer",
        reason="Herald withdrew this article: wrong." if status is WriteupStatus.PULLED else "",
        input_hash="h",
        created_at=NOW,
    )


def test_pulled_writeups_never_show_their_headline(store: Store, seeder: Seeder) -> None:
    a = seeder.article("Minister resigns", "The minister stepped down.")
    sid = seeder.story("Minister resigns", [a])
    sentences = (Sentence("The minister resigned on Monday.", (1,)),)
    store.save_writeup(_writeup(sid, WriteupStatus.PUBLISHED, sentences))
    [hit] = story_hits(store, "minister")
    assert (hit.headline, hit.written, hit.pulled) == ("Minister quits after row", True, False)
    assert hit.summary.startswith("The minister left")
    store.save_writeup(_writeup(sid, WriteupStatus.PULLED, sentences))
    [hit] = story_hits(store, "minister")
    assert (hit.headline, hit.summary, hit.written, hit.pulled) == (
        "Minister resigns",
        "",
        False,
        True,
    )


# --------------------------------------------------------------------------- entities


def test_entity_pages_list_exact_names_only(store: Store, seeder: Seeder) -> None:
    ids = [seeder.article(f"Bank news {i}", "Rates.", hours=i) for i in range(3)]
    ecb = seeder.story("ECB cuts", [ids[0]], ["European Central Bank", "Frankfurt"])
    fed = seeder.story("Fed holds", [ids[1]], ["Central Bank"])
    seeder.story("Markets", [ids[2]], ["Central Banking Weekly"])
    assert {s.id for s in entity_candidates(store, "central bank")} == {ecb, fed}
    page = browse.entity_stories(store, "central  BANK", 10, 0)
    assert [s.id for s in page.stories] == [fed] and page.total == 1
    assert browse.entity_display_name(page.stories, "central bank") == "Central Bank"
    assert browse.entity_stories(store, "!!!", 10, 0).total == 0


@pytest.mark.postgres
def test_postgres_answers_from_the_indexes(request: pytest.FixtureRequest) -> None:
    store = Store(request.getfixturevalue("postgres_url"))
    store.migrate()
    seeder = Seeder(store)
    seeder.story("Storm", [seeder.article("Storm", "Wind.")], ("Met Office",))
    parsed = parse_query("storm")
    plans = {
        "ix_articles_search": search_module._articles(store, parsed),
        "ix_stories_search": search_module._live_stories(store, parsed),
    }
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            for index, stmt in plans.items():
                compiled = stmt.compile(store.engine)
                plan = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
                assert index in "\n".join(plan.scalars()), index
            entity = conn.execute(
                text(
                    "EXPLAIN SELECT id FROM stories WHERE to_tsvector('simple'::regconfig, "
                    "CAST(stories.entities AS jsonb)) @@ phraseto_tsquery('simple', 'met office')"
                )
            ).scalars()
            assert "ix_stories_entities_search" in "\n".join(entity)
    finally:
        store.close()
