"""Entity and term extraction on real headlines."""

from __future__ import annotations

from herald.cluster.entities import (
    capitalised_names,
    entities,
    guess_latin_language,
    terms,
    top_entities,
)


def test_names_acronyms_and_numbers() -> None:
    found = entities("Malaysian fugitive 'Fat Leonard' caught in Venezuela, NASA says 1.4 per cent")
    assert "fat leonard" in found
    assert "venezuela" in found
    assert "nasa" in found
    assert "1.4%" in found


def test_possessives_split_names() -> None:
    assert entities("The Fed's Charles Plosser sees high bar") == ["fed", "charles plosser"]


def test_title_case_headlines_count_word_by_word() -> None:
    found = entities("McDonald's Blames Weak Sales On Weather")
    assert "weather" in found and "blames weak sales on weather" not in found


def test_terms_drop_stopwords_and_keep_numbers() -> None:
    assert terms("The sales of McDonald's fall 1.4 per cent") == [
        "sales",
        "mcdonald",
        "fall",
        "1.4",
        "cent",
    ]


def test_cjk_text_gives_bigrams() -> None:
    assert terms("飓风菲奥娜") == ["飓风", "风菲", "菲奥", "奥娜"]


def test_language_guess() -> None:
    assert guess_latin_language("Empat maut taufan landa Jepun dan di Tokyo yang") == "ms"
    assert guess_latin_language("Four feared dead after the typhoon hits Japan") == "en"
    assert guess_latin_language("") == "en"


def test_top_entities_counts_each_text_once() -> None:
    texts = ["NASA and NASA again", "NASA launches", "ESA joins"]
    assert top_entities(texts, limit=1) == ("nasa",)


def test_capitalised_names_keep_case_and_skip_sentence_starts() -> None:
    text = "Lelaki ditahan di Venezuela, kata NASA mengenai COVID-19 di Hong Kong"
    names = capitalised_names(text)
    assert {"Venezuela", "Hong Kong", "NASA", "COVID-19"} <= set(names)
    assert "Lelaki" not in names


def test_capitalised_names_of_title_case_headlines_are_multiword() -> None:
    names = capitalised_names("McDonald's Blames Weak Sales On Weather In New York")
    assert "Blames" not in names and "Weather" not in names
