"""Shared fixtures of the web tests: a real SQLite Herald seeded through the Store API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from herald.app import Herald, make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.store.store import NewEntry
from herald.types import (
    Evidence,
    Sentence,
    SourceRef,
    SourceSpec,
    Writeup,
    WriteupStatus,
)
from herald.web.app import create_app

NOW = datetime(2024, 12, 29, 15, 0, tzinfo=UTC)
SCRIPT_TITLE = 'Festival lineup leaked <script>alert("x")</script> & more'


@dataclass(frozen=True)
class Seeded:
    """Ids of the seeded stories."""

    rates: int  # published, trending, business, 3 outlets
    chips: int  # published, not trending, technology, 2 outlets
    comet: int  # links only (one outlet), science
    festival: int  # no writeup, entertainment, a hostile source title


def _source(h: Herald, outlet: str) -> int:
    spec = SourceSpec(
        url=f"https://{outlet.lower().replace(' ', '')}.example/feed.xml", outlet=outlet
    )
    return h.store.add_source(spec, NOW - timedelta(days=10)).id


def _article(h: Herald, source_id: int, slug: str, title: str, summary: str, hours: float) -> None:
    url = f"https://news.example/{slug}"
    entry = NewEntry(slug, url, url, title, summary, "Staff", NOW - timedelta(hours=hours))
    h.store.add_entries(source_id, [entry], NOW, fetch_pages=False)


def _story(
    h: Herald, slugs: list[str], title: str, topic: str, entities: list[str], trend: float
) -> int:
    found = {a.url.rsplit("/", 1)[-1]: a for a in h.store.unclustered_articles()}
    members = [found[s] for s in slugs]
    sid = h.store.create_story(title, min(a.published for a in members), NOW)
    h.store.assign_articles([(a.id, sid, None) for a in members])
    h.store.save_story(sid, title=title, centroid=None, topic=topic, entities=entities, now=NOW)
    return sid


RATES_SENTENCES = [
    (
        "The European Central Bank lowered its deposit rate by a quarter point on Thursday, "
        "its fourth cut this year.",
        (1, 2),
        0,
    ),
    ("Policymakers said inflation was now close to the bank's 2% target.", (1,), 0),
    ("Analysts at several banks expect further cuts early next year.", (3,), 1),
]


def _rates_writeup(h: Herald, sid: int) -> Writeup:
    arts = {a.url.rsplit("/", 1)[-1]: a for a in h.store.story_articles(sid)}
    order = ["ecb-wire", "ecb-daily", "ecb-markets"]
    refs = tuple(
        SourceRef(i + 1, arts[s].id, arts[s].outlet, arts[s].url, arts[s].title, arts[s].published)
        for i, s in enumerate(order)
    )
    sentences = tuple(
        Sentence(
            text,
            cites,
            tuple(
                Evidence(c, refs[c - 1].article_id, f"Passage {c}: {text[:40]}", 0.8) for c in cites
            ),
            para,
        )
        for text, cites, para in RATES_SENTENCES
    )
    return Writeup(
        id=0,
        story_id=sid,
        status=WriteupStatus.PUBLISHED,
        headline="ECB cuts rates for the fourth time this year",
        summary="The European Central Bank lowered borrowing costs again as inflation eased.",
        dateline="December 29th 2024.",
        sentences=sentences,
        key_points=("Fourth cut of the year", "Inflation near target"),
        sources=refs,
        writer="composer",
        reason="",
        input_hash="abc",
        created_at=NOW - timedelta(hours=1),
    )


def _chips_writeup(h: Herald, sid: int) -> Writeup:
    arts = h.store.story_articles(sid)
    refs = tuple(
        SourceRef(i + 1, a.id, a.outlet, a.url, a.title, a.published) for i, a in enumerate(arts)
    )
    sentences = (
        Sentence(
            "A chipmaker unveiled a processor it says halves power use.",
            (1, 2),
            (Evidence(1, refs[0].article_id, "halves power use, the company said", 0.9),),
        ),
    )
    return Writeup(
        0,
        sid,
        WriteupStatus.PUBLISHED,
        "Chipmaker shows a processor that halves power use",
        "A new processor promises to use half the power of its predecessor.",
        "December 28th 2024.",
        sentences,
        (),
        refs,
        "composer",
        "",
        "def",
        NOW - timedelta(hours=20),
        sensitive=True,
    )


def seed(h: Herald) -> Seeded:
    wire, daily, markets, tech = (
        _source(h, n) for n in ("Wire Service", "Daily Ledger", "Markets Today", "Tech Weekly")
    )
    ecb = "The European Central Bank cut its deposit rate by 25 basis points on Thursday."
    _article(h, wire, "ecb-wire", "ECB cuts rates again", ecb, 3)
    _article(h, daily, "ecb-daily", "Central bank trims deposit rate", ecb, 2.5)
    _article(h, markets, "ecb-markets", "Markets cheer ECB move", ecb, 2)
    chip = "The company said its new processor halves power use compared with the last model."
    _article(h, tech, "chip-tech", "New processor halves power use", chip, 22)
    _article(h, wire, "chip-wire", "Chipmaker unveils efficient processor", chip, 21)
    comet = "Astronomers reported a faint new comet that may become visible next spring."
    _article(h, daily, "comet", "Astronomers spot a new comet", comet, 5)
    festival = "Organisers of a summer festival said a leaked lineup was not final."
    _article(h, markets, "festival", SCRIPT_TITLE, festival, 6)
    ids = Seeded(
        rates=_story(
            h,
            ["ecb-wire", "ecb-daily", "ecb-markets"],
            "ECB rate cut",
            "business",
            ["European Central Bank"],
            4.0,
        ),
        chips=_story(
            h, ["chip-tech", "chip-wire"], "Efficient processor", "technology", ["Chipmaker"], 0.5
        ),
        comet=_story(h, ["comet"], "New comet spotted", "science", ["NASA"], 0.2),
        festival=_story(h, ["festival"], SCRIPT_TITLE, "entertainment", [], 0.1),
    )
    h.store.save_trends(
        [
            (ids.rates, 4.0, True),
            (ids.chips, 0.5, False),
            (ids.comet, 0.2, False),
            (ids.festival, 0.1, False),
        ]
    )
    h.store.save_writeup(_rates_writeup(h, ids.rates))
    h.store.save_writeup(_chips_writeup(h, ids.chips))
    h.store.save_writeup(
        Writeup(
            0,
            ids.comet,
            WriteupStatus.LINKS_ONLY,
            "",
            "",
            "",
            (),
            (),
            (),
            "composer",
            "Only one publisher has covered this story so far.",
            "ghi",
            NOW,
        )
    )
    return ids


@pytest.fixture()
def herald(settings: Settings) -> Iterator[Herald]:
    h = make_herald(settings.with_overrides(secret_key="test-secret-key"), clock=FixedClock(NOW))
    yield h
    h.close()


@pytest.fixture()
def seeded(herald: Herald) -> Seeded:
    return seed(herald)


@pytest.fixture()
def client(herald: Herald, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(herald)) as c:
        yield c


def test_seed_builds_four_stories(herald: Herald, seeded: Seeded) -> None:
    stories = {s.id: s for s in herald.store.list_stories()}
    assert stories[seeded.rates].outlet_count == 3
    assert stories[seeded.rates].trending
    assert herald.store.get_writeup(seeded.festival) is None
