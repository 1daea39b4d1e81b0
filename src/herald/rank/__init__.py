"""Ranking: readers' follows and mutes, candidate scoring, diversity and card reasons."""

from __future__ import annotations

from herald.rank.feed import rank_feed
from herald.rank.topics import TOPICS, topic_name

__all__ = ["TOPICS", "rank_feed", "topic_name"]
