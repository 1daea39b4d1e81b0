"""The one-click action on each feed card's reason ("You follow North Korea" → Unfollow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from herald.rank.feed import subject_name
from herald.rank.topics import TOPICS, topic_name
from herald.types import CardReason, FeedCard, FollowKind, Preference, ReasonKind

# What the feed says after "Show less like this" and "Hide this story" (``?notice=...``).
NOTICES = {
    "less": "Got it: you will see fewer stories like this one.",
    "hide": "Story hidden: it will not be shown again.",
}


class ReasonAction(NamedTuple):
    """A form posting to ``url``; ``pref`` ("verb|kind|value") is the /prefs button value."""

    label: str
    url: str
    pref: str = ""

    @property
    def less(self) -> bool:
        """Whether this is the card's "Show less like this"."""
        return self.url.endswith("/less")


def _pref(verb: str, pref: Preference) -> str:
    return f"{verb}|{pref.kind.value}|{pref.value}"


def reason_action(card: FeedCard) -> ReasonAction:
    """What the reader can do about why a card is there, in one click.

    You follow X → Unfollow X; because you read about X → Mute X; similar to what you read →
    Show less like this; outside your usual topics → Follow the topic; trending or covered →
    Mute the topic.
    """
    why = card.why or CardReason(ReasonKind.COVERED)
    subject = why.subject
    less = ReasonAction("Show less like this", f"/stories/{card.story.id}/less")
    topic = card.story.topic.strip().casefold()
    if why.kind is ReasonKind.FOLLOW and subject is not None:
        name = "this story" if subject.kind is FollowKind.STORY else subject_name(subject)
        return ReasonAction(f"Unfollow {name}", "/prefs", _pref("unset", subject))
    if why.kind is ReasonKind.READ:
        if subject is None or (subject.kind is FollowKind.TOPIC and subject.value not in TOPICS):
            return less
        return ReasonAction(f"Mute {subject_name(subject)}", "/prefs", _pref("mute", subject))
    if topic not in TOPICS:
        return less
    if why.kind is ReasonKind.EXPLORE:
        return ReasonAction(f"Follow {topic_name(topic)}", "/prefs", f"follow|topic|{topic}")
    return ReasonAction(f"Mute {topic_name(topic)}", "/prefs", f"mute|topic|{topic}")


def card_actions(cards: Sequence[FeedCard]) -> dict[int, ReasonAction]:
    """The reason action of each card, by story id."""
    return {c.story.id: reason_action(c) for c in cards}
