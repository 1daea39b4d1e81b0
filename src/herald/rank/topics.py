"""The fixed topic taxonomy readers can follow or mute."""

from __future__ import annotations

TOPICS: tuple[str, ...] = (
    "world",
    "politics",
    "business",
    "technology",
    "science",
    "health",
    "sports",
    "entertainment",
    "crime",
)


def topic_name(topic: str) -> str:
    """The display name of a topic: 'technology' -> 'Technology'; empty stays 'General'."""
    return topic.strip().capitalize() if topic.strip() else "General"
