"""Near-duplicate detection on real news texts and lightly edited wire copies of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herald.extract import NearDuplicateIndex, fingerprint, hamming_distance, shingle_similarity
from herald.extract.dedupe import shingle_hashes, words


@pytest.fixture(scope="module")
def stories(shared_data: Path) -> list[list[str]]:
    """Real source articles grouped by story (Multi-News), texts of 150+ words only."""
    path = shared_data / "writing" / "multinews_validation_250.jsonl"
    grouped = []
    for line in path.read_text("utf-8").splitlines():
        documents = json.loads(line)["documents"]
        texts = [d["text"] for d in documents if d["text"] and len(d["text"].split()) >= 150]
        grouped.append(texts)
    return grouped


@pytest.fixture(scope="module")
def texts(stories: list[list[str]]) -> list[str]:
    return [text for story in stories for text in story]


def wire_copy(text: str) -> str:
    """What a second outlet does to an agency story: new dateline, two words changed,
    one sentence dropped, a credit line appended."""
    sentences = text.split(". ")
    if len(sentences) > 6:
        del sentences[len(sentences) // 2]
    edited = ". ".join(sentences).replace(" said ", " told reporters ", 2)
    return f"LONDON (Reuters) - {edited}\n\n(Reporting by Staff; Editing by Desk)"


def test_words_and_shingles() -> None:
    assert words("Élan, élan! Über-Cool 42") == ["élan", "élan", "über", "cool", "42"]
    assert len(shingle_hashes("one two three four five six")) == 2
    assert len(shingle_hashes("too short")) == 1
    assert len(shingle_hashes("  ...  ")) == 0


def test_similarity_of_a_real_text_and_its_wire_copy(texts: list[str]) -> None:
    original = texts[0]
    copy = wire_copy(original)
    assert shingle_similarity(original, original) == 1.0
    assert 0.8 <= shingle_similarity(original, copy) < 1.0
    assert shingle_similarity(original, texts[5]) < 0.1
    assert shingle_similarity("", original) == 0.0


def test_fingerprints_of_copies_are_close(texts: list[str]) -> None:
    original, other = texts[0], texts[7]
    assert len(fingerprint(original)) == 16
    assert fingerprint(original) == fingerprint(original.upper())  # case-folded
    assert hamming_distance(fingerprint(original), fingerprint(wire_copy(original))) <= 12
    assert hamming_distance(fingerprint(original), fingerprint(other)) > 20
    assert fingerprint("") == "0" * 16


def test_index_finds_wire_copies_of_real_articles(texts: list[str]) -> None:
    index: NearDuplicateIndex[int] = NearDuplicateIndex()
    for number, text in enumerate(texts):
        index.add(number, text)
    assert len(index) == len(texts)
    checked = found = 0
    for text in texts[:200]:
        copy = wire_copy(text)
        if shingle_similarity(text, copy) < 0.85:
            continue
        checked += 1
        match = index.find(copy, threshold=0.8)
        found += match is not None and shingle_similarity(texts[match], copy) >= 0.85
    assert checked >= 100
    assert found >= 0.98 * checked


def test_other_coverage_of_the_same_story_is_not_a_duplicate(stories: list[list[str]]) -> None:
    index: NearDuplicateIndex[tuple[int, int]] = NearDuplicateIndex()
    false_matches = 0
    for s, story in enumerate(stories):
        for d, text in enumerate(story):
            match = index.find(text, threshold=0.8)
            if match is not None and match[0] == s:
                false_matches += shingle_similarity(text, story[match[1]]) < 0.7
            index.add((s, d), text)
    assert false_matches == 0


def test_matches_are_ranked_and_keys_can_be_replaced_and_removed(texts: list[str]) -> None:
    index: NearDuplicateIndex[str] = NearDuplicateIndex()
    index.add("original", texts[1])
    index.add("copy", wire_copy(texts[1]))
    index.add("other", texts[2])
    ranked = index.matches(texts[1], threshold=0.5)
    assert [key for key, _ in ranked] == ["original", "copy"]
    assert ranked[0][1] == 1.0
    index.add("original", texts[3])  # re-adding a key replaces its text
    assert index.find(texts[1]) == "copy"
    index.remove("copy")
    index.remove("never added")
    assert index.find(texts[1]) is None
    assert "copy" not in index and "other" in index
    index.add("empty", "")
    assert "empty" not in index and index.find("") is None
