"""Sensitive-topic keyword rules."""

from __future__ import annotations

from herald.verify.sensitive import SENSITIVE_TOPICS, is_sensitive, sensitive_topics


def test_sensitive_topics_found() -> None:
    assert sensitive_topics(["Three people were killed in the crash."]) == ["deaths"]
    assert "elections" in sensitive_topics(["Voters head to the polls", "The election is near."])
    assert "suicide" in sensitive_topics(["A study of suicide prevention."])
    assert "children" in sensitive_topics(["The school said the children were safe."])
    assert is_sensitive(["Hospital reports cancer cases rising"])


def test_ordinary_news_is_not_sensitive() -> None:
    assert not is_sensitive(["The council approved a road budget.", "Apple released a new phone."])
    assert not is_sensitive(["Deadline extended for tax returns."])  # whole words only


def test_every_topic_has_keywords() -> None:
    assert all(SENSITIVE_TOPICS.values())
