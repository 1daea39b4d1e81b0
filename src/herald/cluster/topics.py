"""A story's topic (from a fixed taxonomy) and its neutral working title.

Taxonomy
--------
``TOPICS`` maps each of eight topics to prototype sentences describing it:

* world: international affairs, wars, diplomacy, disasters abroad
* politics: governments, elections, parliaments, laws, courts of national interest
* business: companies, markets, the economy, central banks, earnings, deals
* technology: gadgets, software, the internet, telecoms, cybersecurity, AI
* science: research, space, climate and environment studies, animals
* health: medicine, diseases, public health, drugs, hospitals, wellbeing
* sports: games, leagues, athletes, tournaments
* entertainment: film, television, music, celebrities, culture

:func:`topic_for` embeds the story's texts, averages them into a centroid and picks the
topic whose prototype sentences are most similar on average (the prototypes are embedded
once per embedder and cached).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from herald.nlp.embed import Embedder, Vectors, normalize
from herald.nlp.furniture import (
    is_furniture,
    without_dateline,
    without_outlet_suffix,
    without_widget_prefix,
)
from herald.nlp.glossary import is_chinese

TOPICS: dict[str, tuple[str, ...]] = {
    "world": (
        "International news: war, diplomacy and conflict between countries.",
        "Foreign ministers meet as the United Nations discusses the crisis abroad.",
        "Earthquake, floods and hurricane kill dozens; refugees flee the disaster.",
    ),
    "politics": (
        "Politics: the government, the president, parliament and elections.",
        "Lawmakers pass a bill; the opposition party criticises the prime minister.",
        "Campaign, voters and the ballot in the national election.",
    ),
    "business": (
        "Business and economy: companies, markets, shares and earnings.",
        "Stocks fall as the central bank weighs interest rates and inflation.",
        "The retailer reports quarterly sales and profit; a merger deal is agreed.",
    ),
    "technology": (
        "Technology: smartphones, software, apps, the internet and gadgets.",
        "Apple, Google and Microsoft release an update for their devices.",
        "Hackers, data breaches, cybersecurity, artificial intelligence and bitcoin.",
    ),
    "science": (
        "Science: researchers publish a study; scientists discover something new.",
        "Space mission, NASA, astronomy, planets and the universe.",
        "Climate research, animals, fossils and the environment.",
    ),
    "health": (
        "Health: doctors, hospitals, patients, disease and medicine.",
        "A study finds a risk of cancer, heart disease or obesity.",
        "Vaccines, virus outbreaks, public health and drug approvals.",
    ),
    "sports": (
        "Sports: the team wins the match; the league, the coach and the players.",
        "Football, basketball, tennis, cricket and the Olympic games.",
        "The champion scores in the final of the tournament.",
    ),
    "entertainment": (
        "Entertainment: film, television shows, music and celebrities.",
        "The actress and singer star in the new movie and TV series premiere.",
        "Celebrity wedding, the album release, the concert tour and awards.",
    ),
}

_cache: dict[int, tuple[list[str], Vectors]] = {}


def _prototypes(embedder: Embedder) -> tuple[list[str], Vectors]:
    """Per topic, the normalised mean of its embedded prototype sentences."""
    cached = _cache.get(id(embedder))
    if cached is None:
        names = list(TOPICS)
        rows = [embedder.embed(list(TOPICS[n])).mean(axis=0) for n in names]
        cached = (names, normalize(np.stack(rows).astype(np.float32)))
        _cache[id(embedder)] = cached
    return cached


def topic_for(texts: Sequence[str], embedder: Embedder) -> str:
    """The topic of a story from its texts (titles or leads); "world" when empty."""
    if not texts:
        return "world"
    return topic_of_centroid(embedder.embed(list(texts)).mean(axis=0), embedder)


def topic_of_centroid(centroid: Vectors, embedder: Embedder) -> str:
    """The topic whose prototypes are closest to a (story centroid) vector."""
    names, prototypes = _prototypes(embedder)
    return names[int(np.argmax(prototypes @ np.asarray(centroid, dtype=np.float32)))]


# --------------------------------------------------------------------------- working title

_ELLIPSIS = re.compile(r"\s*(\.\.\.|…)\s*$")
_PREFIX = re.compile(r"^(UPDATE\s*\d*|BREAKING|EXCLUSIVE|WATCH|VIDEO)\s*[-:]\s*", re.IGNORECASE)


def clean_title(title: str) -> str:
    """A headline without " - Outlet" suffixes, "UPDATE 2-" prefixes, a wire dateline before a
    sentence ("NEW YORK (AP) — A 6-week-old baby died Thursday") and all caps; one cut short by
    its feed keeps a final "…", so that it is never taken for a whole headline."""
    text = " ".join(title.split())
    text = _PREFIX.sub("", without_widget_prefix(text))
    text = without_dateline(text)
    cut_short = bool(_ELLIPSIS.search(text))
    text = _ELLIPSIS.sub("", text)
    text = without_outlet_suffix(text)
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        text = text.capitalize()
    text = text.strip()
    return f"{text}…" if cut_short and text else text


def working_title(titles: Sequence[str], embeddings: Vectors | None) -> str:
    """The most central headline of a story (closest to the mean embedding), cleaned, among
    the headlines written like most of them (Chinese or not) and, when there are any, not cut
    short by their feeds and not page furniture ("Sign in to Celebuzz").

    Without embeddings (or with a mismatched count) the most common cleaned title wins.
    """
    cleaned = [clean_title(t) for t in titles]
    candidates = [i for i, t in enumerate(cleaned) if t and not is_furniture(t)]
    candidates = candidates or [i for i, t in enumerate(cleaned) if t]
    if not candidates:
        return ""
    usable = _in_majority_script(cleaned, candidates)
    whole = [i for i in usable if not cleaned[i].endswith("…")]
    usable = whole or usable  # a headline cut short only when no other is whole
    if embeddings is None or len(embeddings) != len(titles):
        return cleaned[max(usable, key=lambda i: (cleaned.count(cleaned[i]), -i))]
    vectors = np.asarray(embeddings, dtype=np.float32)
    centre = vectors[candidates].mean(axis=0)
    best = usable[int(np.argmax(vectors[usable] @ centre))]
    return cleaned[best]


def _in_majority_script(titles: Sequence[str], candidates: Sequence[int]) -> list[int]:
    """The candidates written like most of them: Chinese headlines, or the others (on a tie,
    the others: Herald's pages are in English). A story covered mostly in English gets an
    English working title even when a Chinese headline is the most central (Chinese
    headlines are compared through their glosses, see :mod:`herald.nlp.glossary`)."""
    chinese = [i for i in candidates if is_chinese(titles[i])]
    found = set(chinese)
    others = [i for i in candidates if i not in found]
    return chinese if len(chinese) > len(others) else others
