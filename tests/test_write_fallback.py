"""The write step with an LLM writer on an OpenAI-compatible endpoint (a real HTTP server on
loopback answering like a model): a good answer is published, a failing server or an answer
the verifier rejects ends in the composer's article with the reason noted, and sensitive
stories never go to the LLM. Stories are real Multi-News source articles."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from herald.app import Herald, make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.write_step import write
from herald.types import WriteupStatus
from tests.support.httpserver import LocalServer, Request, Response
from tests.support.multinews import story_texts
from tests.test_web_seed import NOW, _article, _source, _story

MCRIB = "multinews-validation-57"
DEATH = "multinews-validation-111"


def _seed(h: Herald, shared_data: Path, story_id: str, title: str) -> int:
    texts = story_texts(shared_data, story_id)
    outlets = [f"Outlet {story_id[-3:]} {i}" for i in range(len(texts))]
    return _seed_texts(h, list(zip(outlets, texts, strict=True)), story_id, title)


def _seed_texts(h: Herald, sources: list[tuple[str, str]], slug: str, title: str) -> int:
    """A story of one article per (outlet, text), two hours old and older."""
    slugs = []
    for i, (outlet, text) in enumerate(sources):
        _article(h, _source(h, outlet), f"{slug}-{i}", f"{title} ({i})", text, 2 + i)
        slugs.append(f"{slug}-{i}")
    return _story(h, slugs, title, "business", [], 1.0)


def _passages(request: Request) -> dict[int, str]:
    prompt = json.loads(request.body)["messages"][-1]["content"]
    block = prompt.split("<<<PASSAGES", 1)[1].split("PASSAGES>>>", 1)[0]
    found = re.findall(r"^\[(\d+)\] \([^)]*\) (.+)$", block, flags=re.M)
    return {int(n): text for n, text in found}


def _answer(text: str) -> Response:
    body = {
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
    }
    return Response(body=json.dumps(body), content_type="application/json")


def copying_model(request: Request) -> Response:
    """A model that reports faithfully: the first two sentences of each passage, cited."""
    lines = []
    for n, text in _passages(request).items():
        sentences = re.split(r"(?<=[.!?])\s+", text)
        lines.append(" ".join(f"{s} [{n}]" for s in sentences[:2] if len(s.split()) > 5))
    article = "\n".join(line for line in lines if line)
    return _answer(
        f"HEADLINE: McDonald's brings back a new McRib\nSUMMARY: x [1]\nARTICLE:\n{article}"
    )


def inventing_model(request: Request) -> Response:
    """A model that makes things up (numbers, names, quotes no source has)."""
    article = (
        'The mayor of Springfield, Joe Quimby, said "this is the end of an era" on Monday. [1]\n'
        "More than 4,500,000 people signed a petition in 17 countries. [2]\n"
        "Analysts at Zorblatt Capital expect shares to rise 312% by 2031. [1][2]"
    )
    return _answer(f"HEADLINE: Made up\nSUMMARY: Made up. [1]\nARTICLE:\n{article}")


@pytest.fixture()
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def _herald(settings: Settings, server: LocalServer) -> Herald:
    configured = settings.with_overrides(
        writer="openai", llm_base_url=server.url("/v1"), llm_model="test", llm_retries=0
    )
    return make_herald(configured, clock=FixedClock(NOW))


def _run(
    settings: Settings,
    server: LocalServer,
    shared_data: Path,
    model: Callable[[Request], Response],
    story_id: str = MCRIB,
    title: str = "McRib returns",
) -> tuple[str, list[str], int]:
    server.route("/v1/chat/completions", handler=model)
    h = _herald(settings, server)
    try:
        sid = _seed(h, shared_data, story_id, title)
        report = write(h, story_ids=[sid])
        writeup = h.store.get_writeup(sid)
    finally:
        h.close()
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED
    assert all(s.citations and s.evidence for s in writeup.sentences)
    return writeup.writer, report.notes, len(server.requests_to("/v1/chat/completions"))


def test_a_faithful_llm_article_is_published(
    settings: Settings, server: LocalServer, shared_data: Path
) -> None:
    writer, notes, calls = _run(settings, server, shared_data, copying_model)
    assert writer == "llm:test:article_v2"
    assert notes == [] and calls == 1


def test_a_failing_server_ends_in_the_composer_article(
    settings: Settings, server: LocalServer, shared_data: Path
) -> None:
    writer, notes, calls = _run(
        settings, server, shared_data, lambda _: Response(body="boom", status=500)
    )
    assert writer.startswith("composer")
    assert calls == 1
    assert len(notes) == 1 and "failed, composer used instead" in notes[0]
    assert "HTTP 500" in notes[0]


def test_a_made_up_article_is_rejected_and_the_composer_writes(
    settings: Settings, server: LocalServer, shared_data: Path
) -> None:
    writer, notes, _ = _run(settings, server, shared_data, inventing_model)
    assert writer.startswith("composer")
    assert len(notes) == 1 and "rejected by the verifier, composer used instead" in notes[0]


def test_a_sensitive_story_never_goes_to_the_llm(
    settings: Settings, server: LocalServer, shared_data: Path
) -> None:
    writer, notes, calls = _run(
        settings, server, shared_data, copying_model, DEATH, "LFO singer Devin Lima dies at 41"
    )
    assert writer.startswith("composer")
    assert calls == 0
    assert notes and "sensitive" in notes[0]


def test_an_article_citing_one_publisher_is_not_published(
    settings: Settings, shared_data: Path
) -> None:
    # two publishers cover the story, but one of them only comments: its column gives the
    # composer no sentence, and an article from one publisher's reporting is not Herald's
    column = (
        "McDonald's brought back its McRib this week, and the results are ridiculous. "
        "The sandwich is wildly entertaining to look at and pretty bad to eat, frankly. "
        "Worse, the sauce is sweeter than ever and the bun is as forgettable as the last one. "
        "The whole campaign is cleverly built around fans who will buy anything it sells. "
        "Surely nobody outside of Austria needed a McRibster with bacon and pepper-Jack cheese."
    )
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        report = story_texts(shared_data, MCRIB)[0]
        sources = [("Reporting Daily", report), ("Opinion Weekly", column)]
        sid = _seed_texts(h, sources, "mcrib", "McRib returns")
        result = write(h, story_ids=[sid])
        writeup = h.store.get_writeup(sid)
    finally:
        h.close()
    assert writeup is not None and writeup.status is WriteupStatus.LINKS_ONLY
    assert "two independent publishers" in writeup.reason
    assert any("cites one publisher only" in n for n in result.notes)
