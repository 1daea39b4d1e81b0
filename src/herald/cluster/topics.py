"""A story's topic (from a fixed taxonomy) and its neutral working title.

Taxonomy
--------
``TOPICS`` maps each of nine topics to prototype sentences describing it:

* world: international affairs, wars, diplomacy, disasters and accidents
* politics: governments, elections, parliaments, laws, courts of national interest
* business: companies, markets, the economy, central banks, earnings, deals
* technology: gadgets, software, the internet, telecoms, cybersecurity, AI
* science: research, space, climate and environment studies, animals
* health: medicine, diseases, public health, drugs, hospitals, wellbeing
* sports: games, leagues, athletes, tournaments
* entertainment: film, television, music, celebrities, culture
* crime: police, shootings, arrests, charges, trials and sentences

:func:`topic_for` embeds the story's texts, averages them into a centroid and picks the
topic whose closest prototype sentences (the mean of its best ``TOP_PROTOTYPES``) are the
most similar; the prototypes are embedded once per embedder and cached. Each topic has
several prototypes, one per kind of story it covers (a touchdown, a coach fired, a marathon
are all sports), so one sentence about deaths does not make a police shooting "health".
The sections the publishers filed the story's articles under (``/entertainment/`` in an
address, a feed at ``.../sport/rss.xml``, a source listed under "NBA":
:mod:`herald.cluster.sections`) add to their topics' scores, so a TV crime drama that every
outlet files under entertainment is not labelled "crime".
``python -m herald.eval.topic_eval`` measures the labels on real categorised headlines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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
        "Troops and missile strikes as the fighting between the two nations escalates.",
        "The embassy, sanctions and peace talks between the governments.",
        "Protesters clash with security forces in the capital; the regime cracks down.",
        "A storm, wildfire or heat wave forces thousands to evacuate.",
        "The plane crashed, killing passengers; rescuers search the wreckage.",
    ),
    "politics": (
        "Politics: the government, the president, parliament and elections.",
        "Lawmakers pass a bill; the opposition party criticises the prime minister.",
        "Campaign, voters and the ballot in the national election.",
        "The senator and the congressman debate the budget in Congress.",
        "The White House and Democrats and Republicans clash over impeachment.",
        "The governor signs the new law; the candidate leads in the polls.",
        "The minister resigns; the cabinet and the ruling coalition.",
        "The supreme court rules on the administration's policy.",
    ),
    "business": (
        "Business and economy: companies, markets, shares and earnings.",
        "Stocks fall as the central bank weighs interest rates and inflation.",
        "The retailer reports quarterly sales and profit; a merger deal is agreed.",
        "The company cuts jobs; the chief executive steps down.",
        "Oil prices, the dollar, bonds and Wall Street investors.",
        "Mortgage rates, taxes, savings, retirement and personal finance.",
        "The airline, the carmaker and the bank report results.",
        "Unemployment, wages, trade tariffs and economic growth.",
    ),
    "technology": (
        "Technology: smartphones, software, apps, the internet and gadgets.",
        "Apple, Google and Microsoft release an update for their devices.",
        "Hackers, data breaches, cybersecurity, artificial intelligence and bitcoin.",
        "The new iPhone, laptop and video game console go on sale.",
        "Facebook, Twitter and social media platforms change their rules for users.",
        "The tech start-up launches a chip, a cloud service or an electric car software.",
    ),
    "science": (
        "Science: researchers publish a study; scientists discover something new.",
        "Space mission, NASA, astronomy, planets and the universe.",
        "Climate research, animals, fossils and the environment.",
        "Archaeologists unearth ancient remains; a new species is found.",
        "Physicists and biologists report findings in a journal.",
        "The rocket launches a satellite; astronauts on the space station.",
    ),
    "health": (
        "Health: doctors, hospitals, patients, disease and medicine.",
        "A study finds a risk of cancer, heart disease or obesity.",
        "Vaccines, virus outbreaks, public health and drug approvals.",
        "Diet, exercise, sleep, weight loss and mental health advice.",
        "Health insurance, medical costs and the opioid crisis.",
        "The flu season, measles cases and the health department's warning.",
    ),
    "sports": (
        "Sports: the team wins the match; the league, the coach and the players.",
        "Football, basketball, tennis, cricket and the Olympic games.",
        "The champion scores in the final of the tournament.",
        "The quarterback throws a touchdown as the NFL team wins on Sunday.",
        "The pitcher and the batter in baseball; the hockey team's goalie.",
        "The coach is fired after a losing season; the player is traded or injured.",
        "The golfer, the race driver and the marathon runner win their event.",
        "The college football game, the playoffs and the season's standings.",
        "Soccer: the striker scores a goal in the Premier League.",
    ),
    "entertainment": (
        "Entertainment: film, television shows, music and celebrities.",
        "The actress and singer star in the new movie and TV series premiere.",
        "Celebrity wedding, the album release, the concert tour and awards.",
        "The box office, the Oscars, the Grammys and the Emmys.",
        "The reality show, the late-night host and the streaming series on Netflix.",
        "The rapper, the band and the pop star release a new song.",
    ),
    "crime": (
        "Crime: police arrest a suspect after the shooting.",
        "A man is charged with murder; the victim was killed.",
        "The trial, the jury's verdict and the sentence in court.",
        "Police investigate a robbery, an assault and a stabbing.",
        "The officer was shot; the gunman was killed by police.",
        "Prosecutors say the defendant pleaded guilty to fraud.",
    ),
}
TOP_PROTOTYPES = 3  # a topic scores the mean similarity of its closest prototypes
# The publishers' own sections (herald.cluster.sections) add up to this much: all of a
# story's filed articles under one topic outweigh all but the clearest text (the closest
# prototypes' similarities differ by 0.02-0.2 between the first two topics).
SECTION_WEIGHT = 0.2

_cache: dict[int, tuple[list[str], list[Vectors]]] = {}


def _prototypes(embedder: Embedder) -> tuple[list[str], list[Vectors]]:
    """Per topic, its embedded prototype sentences (normalised rows)."""
    cached = _cache.get(id(embedder))
    if cached is None:
        names = list(TOPICS)
        rows = [normalize(embedder.embed(list(TOPICS[n])).astype(np.float32)) for n in names]
        cached = (names, rows)
        _cache[id(embedder)] = cached
    return cached


def topic_for(texts: Sequence[str], embedder: Embedder) -> str:
    """The topic of a story from its texts (titles or leads); "world" when empty."""
    if not texts:
        return "world"
    return topic_of_centroid(embedder.embed(list(texts)).mean(axis=0), embedder)


def topic_of_centroid(
    centroid: Vectors, embedder: Embedder, sections: Mapping[str, float] | None = None
) -> str:
    """The topic whose closest ``TOP_PROTOTYPES`` prototypes are, on average, the most similar
    to a (story centroid) vector, plus ``SECTION_WEIGHT`` times the share of the story's
    filed articles its publishers filed under it (``sections``, from
    :func:`herald.cluster.sections.section_shares`)."""
    names, prototypes = _prototypes(embedder)
    vector = np.asarray(centroid, dtype=np.float32)
    filed = sections or {}
    scores = [
        float(np.sort(rows @ vector)[-TOP_PROTOTYPES:].mean())
        + SECTION_WEIGHT * filed.get(name, 0.0)
        for name, rows in zip(names, prototypes, strict=True)
    ]
    return names[int(np.argmax(scores))]


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


def working_title(
    titles: Sequence[str], embeddings: Vectors | None, english: Sequence[bool] | None = None
) -> str:
    """The most central headline of a story (closest to the mean embedding), cleaned, among
    the headlines of its English articles when ``english`` (one flag per title) says there are
    any (Herald's pages are in English; a story covered mostly in Malay or Chinese is still
    named in English when one outlet covers it in English), else among the headlines written
    like most of them (Chinese or not); and, when there are any, not cut short by their feeds
    and not page furniture ("Sign in to Celebuzz").

    Without embeddings (or with a mismatched count) the most common cleaned title wins.
    """
    cleaned = [clean_title(t) for t in titles]
    candidates = [i for i, t in enumerate(cleaned) if t and not is_furniture(t)]
    candidates = candidates or [i for i, t in enumerate(cleaned) if t]
    if not candidates:
        return ""
    in_english = [i for i in candidates if english is not None and english[i]]
    usable = in_english or _in_majority_script(cleaned, candidates)
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
