"""The sections publishers file a story under, as evidence for its topic.

An outlet's own filing is the surest sign of what a piece is about: ``/sport/`` in an
article's address, a feed at ``feeds.bbci.co.uk/news/world/rss.xml``, ``money.cnn.com``, or a
source listed under "NBA" in an OPML file. :func:`section_topics` reads such words (host
labels before the registered domain; an article's path segments before the last one, its
own slug, and all of a feed's, whose file name is often its section: ``.../rss/sport.xml``;
and a source's category) and maps those in
``SECTION_WORDS`` to Herald's topics; the query string is never read (tracking parameters
such as ``utm_hp_ref=food`` say where a link was shared, not what it is).

Words that name no one topic ("news", "local", "national", "lifestyle", "opinion", a
country) are not in the map: they give no evidence, and the story's text decides alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

__all__ = ["SECTION_WORDS", "label_topic", "section_shares", "section_topics", "section_words"]

# Per topic, the section words that file a piece under it (whole words, lower case).
_GROUPS: dict[str, str] = {
    "world": "world international foreign global worldnews diplomacy",
    "politics": "politics political election elections congress parliament government whitehouse",
    "business": (
        "business businessnews money markets market finance financial economy economics "
        "companies investing stocks banking earnings industries forex commodities realestate "
        "retail energy mining auto autos dealbook moneybeat"
    ),
    "technology": (
        "tech technology technews gadgets internet apps software cybersecurity ai computing "
        "bitcoin cryptocurrency crypto privacy linux"
    ),
    "science": "science space environment climate astronomy physics ecology nature",
    "health": "health healthcare wellness medicine medical fitness wellbeing psychology autism",
    "sports": (
        "sport sports football soccer nfl nba mlb nhl mma cricket tennis golf rugby baseball "
        "basketball hockey olympics cycling boxing motorsport wrestling"
    ),
    "entertainment": (
        "entertainment showbiz tvshowbiz celebrity celebrities celeb gossip music movies "
        "movie film films tv television arts hollywood theater theatre books"
    ),
    "crime": "crime police courts",
}

SECTION_WORDS: dict[str, str] = {
    w: topic for topic, words in _GROUPS.items() for w in words.split()
}
"""A section word (lower case, one token) and the topic it files a piece under."""

_TOKEN = re.compile(r"[a-z]+")
SECTION_PRIOR = 1.0
_LABEL_PARTS = re.compile(r"\s*(?:[/>|,;:&·•»]|\band\b)\s*|\s+[-–—]\s+")
# words of a feed's file name that are not its section ("business_latest.rss", "top-news.xml")
_FEED_WORDS = frozenset(
    {
        "rss",
        "feed",
        "feeds",
        "atom",
        "xml",
        "json",
        "rdf",
        "php",
        "cms",
        "aspx",
        "news",
        "latest",
        "top",
        "stories",
        "index",
        "all",
        "headlines",
    }
)
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"})


def section_words(url: str, feed: bool = False) -> list[str]:
    """The section-like words of an address: host labels before the registered domain
    (``money`` of ``money.cnn.com``) and path segments before the last (an article's own
    slug), split at anything that is not a letter (``celebrity-news`` gives ``celebrity``
    and ``news``); for a feed's address (``feed``) also its last segment when, less words
    such as "rss" and "news", it is one word: a section (``.../rss/business.xml``), not a
    name (``.../wkyc-tv.xml``, ``.../network-world.xml``)."""
    try:
        parts = urlsplit(url.replace("\\", "").strip())
    except ValueError:
        return []
    labels = [label for label in _subdomains(parts.hostname or "") if label != "www"]
    segments = [s for s in parts.path.lower().split("/") if s]
    last = segments.pop() if segments else ""
    words = [w for text in (*labels, *segments) for w in _TOKEN.findall(text.lower())]
    named = [w for w in _TOKEN.findall(last) if w not in _FEED_WORDS]
    return [*words, *named] if feed and len(named) == 1 else words


def _subdomains(host: str) -> list[str]:
    """The labels before the registered domain: two labels (``cnn.com``), or three under a
    country's second level (``bbci.co.uk``)."""
    labels = host.split(".")
    second_level = len(labels[-1]) == 2 and len(labels) > 2 and labels[-2] in _SECOND_LEVEL
    return labels[: -3 if second_level else -2]


def section_topics(
    urls: Iterable[str] = (), categories: Iterable[str] = (), feeds: Iterable[str] = ()
) -> frozenset[str]:
    """The topics the sections of ``urls`` (an article's address), of ``feeds`` (its feed's
    address, file name included) and the words of ``categories`` (a source's category) file a
    piece under."""
    words = [w for url in urls if url for w in section_words(url)]
    words += [w for url in feeds if url for w in section_words(url, feed=True)]
    words += [w for label in categories for w in _TOKEN.findall(label.lower())]
    return frozenset(SECTION_WORDS[w] for w in words if w in SECTION_WORDS)


def label_topic(labels: Iterable[str]) -> str:
    """The topic the publisher's own section labels name (a page's ``article:section`` or
    ``articleSection``, a feed entry's categories): a whole label, or a part of one, that is a
    section word once a "news" beside it is dropped ("World News", "News/Politics",
    "Arts & Entertainment"); "" when none does or they name different topics. Whole parts
    only: a tag "World Cup" or "Money Heist" names no topic."""
    found = set()
    for label in labels:
        for part in _LABEL_PARTS.split(label.lower()):
            words = [w for w in part.split() if w != "news"]
            if len(words) == 1 and words[0] in SECTION_WORDS:
                found.add(SECTION_WORDS[words[0]])
    return found.pop() if len(found) == 1 else ""


def section_shares(filed: Sequence[frozenset[str]]) -> Mapping[str, float]:
    """Per topic, the share of a story's filed articles (those with any section topic) filed
    under it, an article filed under two topics counting half to each, over their number
    plus ``SECTION_PRIOR``: one filed article gives its topic 0.5, thirty agreeing ones 0.97,
    and articles without sections neither dilute nor add."""
    shares: dict[str, float] = {}
    count = 0
    for topics in filed:
        count += bool(topics)
        for topic in topics:
            shares[topic] = shares.get(topic, 0.0) + 1.0 / len(topics)
    return {t: v / (count + SECTION_PRIOR) for t, v in shares.items()}
