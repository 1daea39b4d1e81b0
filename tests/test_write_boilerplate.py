"""Boilerplate (sentences shared by unrelated stories) never reaches a writer: the rule, on real
Multi-News sources (whose pages carry a web archive's notice), and through ``herald write`` on
a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

from herald.app import make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.eval.write_eval import file_boilerplate, story_sources
from herald.nlp.embed import MiniLMEmbedder
from herald.pipeline.write_step import source_docs, store_boilerplate, write
from herald.write.boilerplate import Boilerplate, find_boilerplate, sentence_key
from herald.write.candidates import candidates
from herald.write.composer import compose
from tests.support.multinews import story_texts
from tests.test_web_seed import NOW, _article, _source, _story

PROMPT = "You can unsubscribe at any time from the newsletters you receive."
NOTICE = (
    "Starting in 1996, Alexa Internet has been donating their crawl data to the Internet Archive."
)


def test_the_key_ignores_case_punctuation_and_spacing() -> None:
    assert sentence_key("Please  try again LATER!") == sentence_key("please try again later.")
    assert sentence_key("It’s 5:30 p.m.") == "it s 5 30 p m"


def test_a_sentence_is_boilerplate_in_three_stories_not_in_two_nor_in_one_story_many_times() -> (
    None
):
    wire = "The central bank raised its main interest rate by a quarter point on Tuesday."
    stories = [
        [f"Story one opens here today. {PROMPT}", f"{wire} More on story one.", wire],
        [f"Story two is different entirely. {PROMPT} Thank you for reading."],
        [f"{PROMPT.upper()} Story three reports a flood.", "Thank you for reading."],
        [wire, wire, wire],
    ]
    found = find_boilerplate(stories)
    assert PROMPT in found and PROMPT.lower() in found
    assert "Thank you for reading." not in found  # two stories only
    assert wire not in found  # wire copy: many articles, one or two stories
    assert find_boilerplate([["Go on."]] * 5).keys == frozenset()  # too short to mean anything
    assert len(find_boilerplate(stories, min_stories=2)) == 3


def test_strip_removes_only_the_boilerplate_and_keeps_paragraphs() -> None:
    found = Boilerplate(frozenset({sentence_key(PROMPT)}))
    text = f"First paragraph of news. {PROMPT} Second sentence.\n\n{PROMPT}\n\nLast paragraph."
    assert found.strip(text) == "First paragraph of news. Second sentence.\n\nLast paragraph."
    untouched = "Nothing to remove here.\n\nNor here."
    assert found.strip(untouched) is untouched
    assert Boilerplate().strip(text) is text


def test_real_multinews_sources_lose_the_archive_notice_the_composer_used_to_publish(
    shared_data: Path,
) -> None:
    path = shared_data / "writing" / "multinews_validation_250.jsonl"
    boilerplate = file_boilerplate(path)
    assert NOTICE in boilerplate and "Please try again later." in boilerplate
    assert 10 <= len(boilerplate) <= 60
    story = next(
        json.loads(line)
        for line in path.read_text("utf-8").splitlines()
        if json.loads(line)["id"] == "multinews-validation-10"
    )
    # The notice was a usable sentence to the composer (it once published it) and is no more.
    assert any(NOTICE in c.text for c in candidates(story_sources(story)))
    assert all(NOTICE not in c.text for c in candidates(story_sources(story, boilerplate)))
    after = compose("", story_sources(story, boilerplate), MiniLMEmbedder())
    assert all(s.text not in boilerplate for s in after.sentences)
    assert all(NOTICE not in d.text for d in story_sources(story, boilerplate))


def test_herald_write_finds_the_boilerplate_in_its_store_and_keeps_it_out(
    settings: Settings, shared_data: Path
) -> None:
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        stories: list[int] = []
        for n, story in enumerate(
            ("multinews-validation-57", "multinews-validation-12", "multinews-validation-30")
        ):
            slugs = []
            for i, text in enumerate(story_texts(shared_data, story)[:3]):
                slug = f"s{n}a{i}"
                _article(
                    h,
                    _source(h, f"Outlet {n}-{i}"),
                    slug,
                    f"Story {n} ({i})",
                    f"{text}\n\n{PROMPT}",
                    2 + i,
                )
                slugs.append(slug)
            stories.append(_story(h, slugs, f"Story {n}", "business", [], 1.0))
        assert PROMPT in store_boilerplate(h)
        articles = h.store.story_articles(stories[0])
        assert any(PROMPT in a.body for a in articles)
        assert all(PROMPT not in d.text for d in source_docs(articles, store_boilerplate(h)))

        report = write(h, story_ids=stories[:1])
        assert report.published == 1
        writeup = h.store.get_writeup(stories[0])
        assert writeup is not None and writeup.sentences
        for sentence in writeup.sentences:
            assert "unsubscribe" not in sentence.text
            assert all("unsubscribe" not in e.passage for e in sentence.evidence)
    finally:
        h.close()
