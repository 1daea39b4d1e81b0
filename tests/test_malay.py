"""Malay and Indonesian glosses into English (herald.nlp.malay) and what they do for
clustering."""

from __future__ import annotations

from pathlib import Path

import pytest

from herald.cluster import online
from herald.nlp import malay
from tests.support.mmds import clustered_keys, story_rows

SAMPLE = """\
# a comment
bebas\tfree
bebas\tacquitted
selamat\tsafe
bunuh\tkill
mati\tdead
negara\tcountry
muda\tyoung
rumah sakit\thospital
mahkamah\tcourt
kanak\tchildren
"""


def _glossary() -> malay.MalayGlossary:
    return malay.MalayGlossary(malay.parse_entries(SAMPLE.splitlines()))


def test_entries_keep_the_first_sense_and_roots_of_two_words() -> None:
    entries = malay.parse_entries(SAMPLE.splitlines())
    assert entries["bebas"] == "free"
    assert entries["rumah sakit"] == "hospital"
    assert "# a comment" not in entries


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("dibebaskan", "bebas"),  # di- ... -kan
        ("menyelamatkan", "selamat"),  # meny- restores its s
        ("pembunuhan", "bunuh"),  # pem- ... -an
        ("kematiannya", "mati"),  # ke- ... -an, and the particle -nya
        ("negara-negara", "negara"),  # reduplication
        ("kanak-kanak", "kanak"),
    ],
)
def test_derived_words_reduce_to_their_roots(word: str, root: str) -> None:
    assert root in list(malay.roots(word))
    assert _glossary().word(word) == _glossary().entries[root]


def test_gloss_keeps_names_and_numbers_and_leaves_out_unknown_words() -> None:
    text = "Mahkamah membebaskan 2 lelaki di Bermuda, kata Ahmad di rumah sakit"
    # "Bermuda" is a name, not "ber-" + "muda" (young); "lelaki", "kata" are not in the sample
    assert _glossary().gloss(text) == "court free 2 Bermuda Ahmad hospital"


def test_the_bundled_glossary_reads_real_headlines() -> None:
    found = malay.malay_glossary()
    assert len(found) > 1000
    for line in malay.DATA_FILE.read_text(encoding="utf-8").splitlines():
        assert line.startswith("#") or len(line.split("\t")) == 2, line
    assert found.gloss("Parlimen Indonesia lulus RUU perlindungan data peribadi") == (
        "parliament Indonesia pass bill protection personal data"
    )
    assert found.gloss("Dua diberi vaksin Covid-19 yang tidak dicairkan") == (
        "two give vaccine Covid-19 dilute"
    )


def test_only_malay_or_indonesian_text_is_glossed_as_malay() -> None:
    assert isinstance(
        online._glossary_for("Lelaki dipenjara seumur hidup", "Mahkamah Tinggi hari ini..."),
        malay.MalayGlossary,
    )
    for title in ("Dan Brown to release a new book in the spring", "Di Maria joins United"):
        assert online._glossary_for(title, "The author said on Monday that the book...") is None


@pytest.mark.slow
@pytest.mark.parametrize("story", ["mmds-dev-25", "mmds-dev-50"])
def test_malay_and_english_coverage_of_one_story_meet(shared_data: Path, story: str) -> None:
    """Indonesia's data protection law (one Malay, two English articles), and a mother with
    schizophrenia acquitted of killing her daughter (two Malay, three English): each was two
    stories before the Malay articles were glossed."""
    rows = story_rows(shared_data, story)
    glossed = [online._glossary_for(r["title"], r["text"]) for r in rows]
    assert {isinstance(g, malay.MalayGlossary) for g in glossed} == {True, False}
    assert len(clustered_keys(rows)) == 1
