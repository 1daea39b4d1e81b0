"""Reports, corrections and related stories against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from herald.exceptions import NotFoundError, StorageError
from herald.rank.feed import rank_feed
from herald.store import newsroom
from herald.store.newsroom import Cap
from herald.store.schema import login_attempts
from herald.store.store import NewEntry, Store
from herald.types import (
    CorrectionAction,
    Evidence,
    ReportKind,
    ReportStatus,
    Sentence,
    SourceRef,
    SourceSpec,
    Writeup,
    WriteupStatus,
)

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
SENTENCES = [
    ("The council approved the new bridge on Monday after a long debate.", (1, 2), 0),
    ("Construction is expected to cost 40 million euros.", (2,), 0),
    ("Opponents said the river crossing would harm a protected wetland.", (3,), 1),
]


@dataclass(frozen=True)
class Seeded:
    bridge: int  # a published article, three sentences, three sources
    links: int  # links only
    reader: int


def _story(store: Store, slug: str, outlets: list[str], entities: list[str], hours: float) -> int:
    for outlet in outlets:
        src = store.add_source(
            SourceSpec(url=f"https://{outlet}.example/{slug}.xml", outlet=outlet), NOW
        )
        url = f"https://{outlet}.example/{slug}"
        entry = NewEntry(
            url, url, url, f"{slug} by {outlet}", f"{slug} text", "", NOW - timedelta(hours=hours)
        )
        store.add_entries(src.id, [entry], NOW, fetch_pages=False)
    members = [a for a in store.unclustered_articles() if slug in a.url]
    sid = store.create_story(slug.title(), min(a.published for a in members), NOW)
    store.assign_articles([(a.id, sid, None) for a in members])
    store.save_story(
        sid, title=slug.title(), centroid=None, topic="world", entities=entities, now=NOW
    )
    return sid


def _writeup(store: Store, sid: int) -> Writeup:
    arts = store.story_articles(sid)
    refs = tuple(
        SourceRef(i + 1, a.id, a.outlet, a.url, a.title, a.published) for i, a in enumerate(arts)
    )
    sentences = tuple(
        Sentence(
            text,
            cites,
            tuple(
                Evidence(c, refs[c - 1].article_id, f"passage {c} for {text[:20]}", 0.8)
                for c in cites
            ),
            para,
        )
        for text, cites, para in SENTENCES
    )
    return Writeup(
        0,
        sid,
        WriteupStatus.PUBLISHED,
        "Council approves bridge",
        "The council approved the new bridge on Monday after a long debate.",
        "March 4th 2025.",
        sentences,
        (
            "Council approved the new bridge on Monday",
            "Opponents said the crossing would harm a wetland.",
        ),
        refs,
        "composer",
        "3 of 3 sentences supported",
        "hash-1",
        NOW - timedelta(hours=1),
    )


@pytest.fixture()
def seeded(store: Store) -> Seeded:
    bridge = _story(store, "bridge", ["alpha", "beta", "gamma"], ["City Council", "Rhine"], 3)
    store.save_writeup(_writeup(store, bridge))
    links = _story(store, "storm", ["delta"], ["Rhine"], 2)
    reader = store.create_reader(NOW).id
    return Seeded(bridge, links, reader)


def test_file_report_records_kind_note_and_reader(store: Store, seeded: Seeded) -> None:
    report = newsroom.file_report(
        store,
        seeded.bridge,
        ReportKind.FACTUAL,
        "  The cost is\r\n 45 million.\x00 ",
        NOW,
        reader_id=seeded.reader,
    )
    assert report is not None
    assert report.kind is ReportKind.FACTUAL and report.status is ReportStatus.OPEN
    assert report.note == "The cost is\n 45 million."
    assert report.reader_id == seeded.reader and report.created_at == NOW
    assert newsroom.get_report(store, report.id) == report
    anonymous = newsroom.file_report(store, seeded.bridge, ReportKind.OTHER, "", NOW)
    assert anonymous is not None and anonymous.reader_id is None
    with pytest.raises(StorageError, match="2000"):
        newsroom.file_report(store, seeded.bridge, ReportKind.OTHER, "x" * 2001, NOW)
    with pytest.raises(NotFoundError):
        newsroom.file_report(store, 9999, ReportKind.OTHER, "", NOW)


def test_report_caps_are_counted_in_the_database(store: Store, seeded: Seeded) -> None:
    caps = [Cap("reader:1", 2, timedelta(hours=1)), Cap("ip:abc", 3, timedelta(hours=1))]
    kinds = [ReportKind.FACTUAL, ReportKind.OUTDATED, ReportKind.MISLEADING]
    filed = [newsroom.file_report(store, seeded.bridge, k, "", NOW, caps=caps) for k in kinds]
    assert [r is not None for r in filed] == [True, True, False]
    # A second Store on the same database (another process) sees the same counts.
    other = Store(store.url)
    try:
        assert (
            newsroom.file_report(other, seeded.bridge, ReportKind.OTHER, "", NOW, caps=caps) is None
        )
        other_reader = [Cap("reader:2", 2, timedelta(hours=1)), caps[1]]
        assert newsroom.file_report(
            other, seeded.bridge, ReportKind.OTHER, "", NOW, caps=other_reader
        )
        assert not newsroom.file_report(
            other, seeded.bridge, ReportKind.OTHER, "", NOW, caps=other_reader
        )
    finally:
        other.close()
    later = NOW + timedelta(hours=1, minutes=1)
    assert newsroom.file_report(store, seeded.bridge, ReportKind.OTHER, "", later, caps=caps)
    # old cap rows are pruned
    much_later = NOW + timedelta(days=3)
    newsroom.file_report(store, seeded.bridge, ReportKind.OTHER, "", much_later, caps=caps)
    with store.tx() as conn:
        left = conn.execute(select(func.count()).select_from(login_attempts)).scalar_one()
    assert left == 2


def test_open_reports_group_by_story_oldest_first(store: Store, seeded: Seeded) -> None:
    newsroom.file_report(store, seeded.links, ReportKind.OUTDATED, "old", NOW - timedelta(hours=2))
    newsroom.file_report(store, seeded.bridge, ReportKind.FACTUAL, "a", NOW - timedelta(hours=1))
    newsroom.file_report(store, seeded.bridge, ReportKind.MISLEADING, "b", NOW)
    found = newsroom.open_reports(store)
    assert [g.story.id for g in found] == [seeded.links, seeded.bridge]
    assert found[0].writeup is None
    bridge = found[1]
    assert bridge.writeup is not None and bridge.writeup.headline == "Council approves bridge"
    assert [r.note for r in bridge.reports] == ["a", "b"]


def test_pull_withdraws_the_article_and_resolves_reports(store: Store, seeded: Seeded) -> None:
    first = newsroom.file_report(store, seeded.bridge, ReportKind.FACTUAL, "", NOW)
    second = newsroom.file_report(store, seeded.bridge, ReportKind.MISLEADING, "", NOW)
    assert first and second
    with pytest.raises(StorageError, match="note is required"):
        newsroom.pull_story(store, seeded.bridge, "  ", NOW)
    later = NOW + timedelta(minutes=5)
    correction = newsroom.pull_story(store, seeded.bridge, "The cost figure was wrong.", later)
    assert correction.action is CorrectionAction.PULLED
    assert correction.report_id == first.id and correction.created_at == later
    writeup = store.get_writeup(seeded.bridge)
    assert writeup is not None and writeup.status is WriteupStatus.PULLED
    assert writeup.reason == "Herald withdrew this article: The cost figure was wrong."
    assert len(writeup.sentences) == 3  # kept for the record, never shown
    assert newsroom.get_report(store, second.id).status is ReportStatus.RESOLVED
    assert newsroom.get_report(store, second.id).resolved_at == later
    assert newsroom.open_reports(store) == []
    with pytest.raises(StorageError, match="already pulled"):
        newsroom.pull_story(store, seeded.bridge, "again", later)
    # The feed never shows a pulled story.
    found = store.list_stories()
    cards = rank_feed(found, store.writeups_for([s.id for s in found]), {}, None, NOW, limit=10)
    assert seeded.bridge not in [c.story.id for c in cards]
    assert seeded.links in [c.story.id for c in cards]


def test_pull_a_story_without_a_writeup(store: Store, seeded: Seeded) -> None:
    newsroom.pull_story(store, seeded.links, "Duplicate of another story.", NOW)
    writeup = store.get_writeup(seeded.links)
    assert writeup is not None and writeup.status is WriteupStatus.PULLED
    assert writeup.headline == "Storm" and writeup.sentences == ()


def test_correct_removes_sentences_and_renumbers_citations(store: Store, seeded: Seeded) -> None:
    report = newsroom.file_report(store, seeded.bridge, ReportKind.FACTUAL, "", NOW)
    assert report
    before = store.get_writeup(seeded.bridge)
    assert before is not None
    correction = newsroom.correct_story(
        store,
        seeded.bridge,
        "Removed a wrong cost figure.",
        NOW,
        remove=[1],
        report_ids=[report.id],
    )
    assert correction.action is CorrectionAction.CORRECTED and correction.report_id == report.id
    after = store.get_writeup(seeded.bridge)
    assert after is not None and after.status is WriteupStatus.PUBLISHED
    assert [s.text for s in after.sentences] == [SENTENCES[0][0], SENTENCES[2][0]]
    assert after.input_hash == "hash-1"  # not queued for rewriting
    # Sources 1..3 are all still cited: numbers unchanged.
    assert [s.citations for s in after.sentences] == [(1, 2), (3,)]
    assert after.sources == before.sources
    # Removing the only sentence citing source 1... sources renumber to stay 1..n.
    newsroom.correct_story(store, seeded.bridge, "Removed the lead.", NOW, remove=[0])
    last = store.get_writeup(seeded.bridge)
    assert last is not None
    assert [s.citations for s in last.sentences] == [(1,)]
    assert [e.citation for e in last.sentences[0].evidence] == [1]
    assert [r.index for r in last.sources] == [1]
    assert last.sources[0].article_id == before.sources[2].article_id
    assert last.sentences[0].evidence[0].article_id == before.sources[2].article_id
    assert last.summary == SENTENCES[2][0]  # a new lead, a new summary
    assert last.key_points == ("Opponents said the crossing would harm a wetland.",)
    assert newsroom.get_report(store, report.id).status is ReportStatus.RESOLVED


def test_correct_refuses_what_it_cannot_do(store: Store, seeded: Seeded) -> None:
    def correct(story: int, **kw: object) -> None:
        newsroom.correct_story(store, story, "note", NOW, **kw)  # type: ignore[arg-type]

    with pytest.raises(StorageError, match="pull it instead"):
        correct(seeded.bridge, remove=[0, 1, 2])
    with pytest.raises(StorageError, match="no such sentence"):
        correct(seeded.bridge, remove=[7])
    with pytest.raises(StorageError, match="choose sentences"):
        correct(seeded.bridge)
    with pytest.raises(StorageError, match="only a published article"):
        correct(seeded.links, remove=[0])
    other = newsroom.file_report(store, seeded.links, ReportKind.OTHER, "", NOW)
    assert other
    with pytest.raises(StorageError, match="not open reports of this story"):
        correct(seeded.bridge, remove=[0], report_ids=[other.id])
    writeup = store.get_writeup(seeded.bridge)
    assert writeup is not None and len(writeup.sentences) == 3  # nothing half-done
    assert newsroom.list_corrections(store, public=False) == []


def test_rewrite_requeues_the_story_for_the_write_stage(store: Store, seeded: Seeded) -> None:
    newsroom.correct_story(
        store, seeded.bridge, "Rewritten from updated sources.", NOW, rewrite=True
    )
    writeup = store.get_writeup(seeded.bridge)
    assert writeup is not None and len(writeup.sentences) == 3
    assert store.writeup_hashes()[seeded.bridge] != "hash-1"


def test_dismiss_closes_reports_and_stays_private(store: Store, seeded: Seeded) -> None:
    a = newsroom.file_report(store, seeded.bridge, ReportKind.OTHER, "spam", NOW)
    b = newsroom.file_report(store, seeded.links, ReportKind.OTHER, "", NOW)
    assert a and b
    with pytest.raises(StorageError, match="one story at a time"):
        newsroom.dismiss_reports(store, [a.id, b.id], "no", NOW)
    with pytest.raises(NotFoundError):
        newsroom.dismiss_reports(store, [9999], "no", NOW)
    decision = newsroom.dismiss_reports(store, [a.id], "Not an error.", NOW)
    assert decision.action is CorrectionAction.DISMISSED and decision.story_id == seeded.bridge
    assert newsroom.get_report(store, a.id).status is ReportStatus.DISMISSED
    with pytest.raises(StorageError, match="not open"):
        newsroom.dismiss_reports(store, [a.id], "again", NOW)
    assert newsroom.list_corrections(store) == []
    assert newsroom.count_corrections(store) == 0
    assert [c.action for c in newsroom.list_corrections(store, public=False)] == [
        CorrectionAction.DISMISSED
    ]
    writeup = store.get_writeup(seeded.bridge)
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED


def test_corrections_list_newest_first_with_headlines(store: Store, seeded: Seeded) -> None:
    newsroom.correct_story(store, seeded.bridge, "Fixed.", NOW, remove=[1])
    newsroom.pull_story(store, seeded.links, "Withdrawn.", NOW + timedelta(hours=1))
    listed = newsroom.list_corrections(store)
    assert [(c.story_id, c.action, c.headline) for c in listed] == [
        (seeded.links, CorrectionAction.PULLED, "Storm"),
        (seeded.bridge, CorrectionAction.CORRECTED, "Council approves bridge"),
    ]
    assert listed[0].created_at == NOW + timedelta(hours=1)
    assert newsroom.count_corrections(store) == 2
    assert [c.note for c in newsroom.list_corrections(store, limit=1, offset=1)] == ["Fixed."]
    assert [c.note for c in newsroom.story_corrections(store, seeded.bridge)] == ["Fixed."]


def _vector(*values: float) -> bytes:
    v = np.zeros(8, dtype=np.float32)
    v[: len(values)] = values
    return (v / np.linalg.norm(v)).astype(np.float32).tobytes()


def test_related_stories_by_entities_and_centroids(store: Store, seeded: Seeded) -> None:
    near = _story(store, "tunnel", ["eta"], ["Transport Ministry"], 4)
    far = _story(store, "football", ["theta"], ["Rhine Stars"], 4)
    old = _story(store, "archive", ["iota"], ["City Council"], 24 * 20)
    for sid, vec in (
        (seeded.bridge, _vector(1, 0.2)),
        (near, _vector(1, 0.3)),
        (far, _vector(0, 0, 1)),
    ):
        story = store.get_story(sid)
        store.save_story(
            sid, title=story.title, centroid=vec, topic="world", entities=story.entities, now=NOW
        )
    bridge = store.get_story(seeded.bridge)
    centroid = newsroom.story_centroid(store, seeded.bridge)
    assert centroid is not None
    found = newsroom.related_stories(store, bridge, centroid, NOW - timedelta(days=7))
    ids = [r.story.id for r in found]
    assert ids == [near, seeded.links]  # close centroid; the shared entity "rhine"
    assert found[1].shared_entities == ("rhine",) and found[1].headline == "Storm"
    assert old not in ids and far not in ids and seeded.bridge not in ids
    # Pulled stories are never related.
    newsroom.pull_story(store, seeded.links, "Withdrawn.", NOW)
    again = newsroom.related_stories(store, bridge, centroid, NOW - timedelta(days=7))
    assert [r.story.id for r in again] == [near]
    # Without a centroid, entities alone.
    assert newsroom.related_stories(store, bridge, None, NOW - timedelta(days=7)) == []


def test_cli_lists_pulls_and_dismisses(
    store: Store, seeded: Seeded, db_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from herald.cli import app

    env = {"HERALD_DATA_DIR": str(tmp_path / "cli"), "HERALD_DATABASE_URL": db_url}

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    bridge = newsroom.file_report(store, seeded.bridge, ReportKind.FACTUAL, "Wrong cost.", NOW)
    storm = newsroom.file_report(store, seeded.links, ReportKind.OTHER, "", NOW)
    assert bridge and storm
    listed = json.loads(run("reports", "list", "--json"))
    assert [(g["story_id"], [r["id"] for r in g["reports"]]) for g in listed] == [
        (seeded.bridge, [bridge.id]),
        (seeded.links, [storm.id]),
    ]
    assert "Wrong cost." in run("reports", "list")
    assert "--note" in run("reports", "pull", str(seeded.bridge), code=2)
    assert f"Pulled story {seeded.bridge}" in run(
        "reports", "pull", str(seeded.bridge), "--note", "The cost was wrong."
    )
    assert "already pulled" in run("reports", "pull", str(seeded.bridge), "--note", "x", code=1)
    assert f"Dismissed report {storm.id}" in run(
        "reports", "dismiss", str(storm.id), "--note", "Not a problem."
    )
    assert json.loads(run("reports", "list", "--json")) == []
    writeup = store.get_writeup(seeded.bridge)
    assert writeup is not None and writeup.status is WriteupStatus.PULLED
    assert [c.note for c in newsroom.list_corrections(store)] == ["The cost was wrong."]


def test_related_stories_match_entities_whatever_their_spelling(
    store: Store, seeded: Seeded
) -> None:
    first = _story(store, "lake", ["kappa"], ["Zürich  Council"], 2)
    second = _story(store, "ferry", ["lambda"], ["zürich council", "Ferries"], 2)
    found = newsroom.related_to(store, store.get_story(first))
    assert [(r.story.id, r.shared_entities) for r in found] == [(second, ("zürich council",))]
