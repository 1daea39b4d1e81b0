"""Topics and working titles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from herald.cluster.topics import TOPICS, clean_title, topic_for, working_title
from herald.eval.topic_eval import evaluate, read_news
from herald.nlp.embed import MiniLMEmbedder
from herald.rank.topics import TOPICS as FEED_TOPICS


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_taxonomy_is_fixed() -> None:
    assert list(TOPICS) == [
        "world",
        "politics",
        "business",
        "technology",
        "science",
        "health",
        "sports",
        "entertainment",
        "crime",
    ]


@pytest.mark.parametrize(
    ("titles", "topic"),
    [
        (
            ["Men's Wearhouse to buy Jos. A. Bank for $1.8 billion", "UniCredit posts Q4 loss"],
            "business",
        ),
        (["Apple releases iOS 7.1 with CarPlay", "Google launches add-ons for Docs"], "technology"),
        (["Stacy Keibler marries in surprise wedding", "'True Detective' finale"], "entertainment"),
        (["Real Madrid beat Barcelona in the cup final", "Nadal wins the tennis open"], "sports"),
        # the demo's story was labelled "health" by three prototypes per topic
        (["Man charged with 1st-degree murder in Wayne State officer's death"], "crime"),
        (["Jury finds Oscar Pistorius guilty of culpable homicide"], "crime"),
    ],
)
def test_topic_for_real_headlines(titles: list[str], topic: str, embedder: MiniLMEmbedder) -> None:
    assert topic_for(titles, embedder) == topic


def test_the_feed_and_the_labeller_share_one_taxonomy() -> None:
    assert tuple(TOPICS) == FEED_TOPICS


def test_labels_on_real_categorised_headlines(embedder: MiniLMEmbedder, shared_data: Path) -> None:
    # MIND's own categories (a sample of the shared file): the labels mostly agree
    rows = read_news(shared_data / "recommendation" / "mind_small_subset" / "news.tsv")
    assert len(rows) > 1000 and {g for r in rows for g in r.gold} == set(TOPICS)
    report = evaluate(rows[::10], embedder)
    assert report["headlines"] == len(rows[::10])
    assert report["accuracy"] > 0.7


def test_clean_title() -> None:
    assert clean_title("Stacy Keibler Gets Married in Surprise Wedding - Us Weekly") == (
        "Stacy Keibler Gets Married in Surprise Wedding"
    )
    assert clean_title("UPDATE 2-Snowden: Proposed NSA reforms vindicate me") == (
        "Snowden: Proposed NSA reforms vindicate me"
    )
    assert clean_title("MILEY CYRUS PERFORMS IN UNDERWEAR") == "Miley cyrus performs in underwear"
    assert clean_title("McDonald's sales fall, hampered again by bad  ...") == (
        "McDonald's sales fall, hampered again by bad…"  # cut short by its feed, and says so
    )


def test_a_wire_dateline_leaves_a_title_that_is_its_first_sentence() -> None:
    # the demo's stories were titled with their datelines
    assert clean_title("NEW YORK (AP) — A 6-week-old baby died Thursday") == (
        "A 6-week-old baby died Thursday"
    )
    assert clean_title("KATHMANDU, Nepal (AP) — A Swiss climber who found the bodies of a…") == (
        "A Swiss climber who found the bodies of a…"
    )
    crayola = "NEW YORK, May 18 (UPI) -- Art supply company Crayola is warning against following…"
    assert clean_title(crayola) == "Art supply company Crayola is warning against following…"
    assert clean_title("WASHINGTON — Rep. Ted Poe called today for the removal of a judge") == (
        "Rep. Ted Poe called today for the removal of a judge"
    )
    assert clean_title("NASA — Artemis launch delayed") == "NASA — Artemis launch delayed"


def test_working_title_prefers_a_whole_headline_to_one_cut_short() -> None:
    titles = [
        "McDonald's US sales fall 1.4 per cent in February, hampered again by bad  ...",
        "McDonald's Blames Weak Sales On Weather",
    ]
    assert working_title(titles, None) == "McDonald's Blames Weak Sales On Weather"
    assert working_title(titles[:1], None) == (
        "McDonald's US sales fall 1.4 per cent in February, hampered again by bad…"
    )


def test_working_title_is_the_most_central(embedder: MiniLMEmbedder) -> None:
    titles = [
        "Stacy Keibler marries tech entrepreneur Jared Pobre - E! Online",
        "Stacy Keibler gets married to Jared Pobre in surprise wedding",
        "Who is Jared Pobre?",
    ]
    title = working_title(titles, embedder.embed(titles))
    assert title in {clean_title(t) for t in titles[:2]}


def test_working_title_is_written_like_most_headlines() -> None:
    english = ["Hurricane Fiona heads to Bermuda", "Fiona nears Bermuda after Puerto Rico"]
    chinese = "飓风菲奥娜前往百慕大，波多黎各多达8人死亡"
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]], dtype=np.float32)
    # the Chinese headline is the most central, but most headlines are English
    assert working_title([*english, chinese], vectors) == english[0]
    assert working_title([chinese, chinese + "！", english[0]], vectors) == chinese
    assert working_title([english[0], chinese], None) == english[0]  # a tie: English


def test_a_story_with_english_coverage_has_an_english_working_title() -> None:
    # an MMDS story covered in Malay twice and in English once: Herald's pages are English
    malay = [
        "Ibu dengan skizofrenia terlepas hukuman mati; tikam anak perempuan 8 tahun",
        "Wanita hidap skizofrenia terlepas tuduhan bunuh anak",
    ]
    english = "Woman with schizophrenia who killed 8-year-old daughter acquitted"
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
    titles = [*malay, english]
    assert working_title(titles, vectors) == malay[0]  # no languages known: the most central
    assert working_title(titles, vectors, [False, False, True]) == english
    assert working_title(titles, vectors, [False, False, False]) == malay[0]


def test_working_title_without_embeddings() -> None:
    assert working_title(["A - X", "B story here", "B story here"], None) == "B story here"
    assert working_title([], np.zeros((0, 384), dtype=np.float32)) == ""
