"""Made-up but news-shaped words for ``herald bench serve``'s seed: entities, titles, text.

Everything is drawn from a ``random.Random`` the caller seeds, so a seed gives the same
database every time. Nothing here claims to be real reporting: names are combinations of
common first and last names, organisations and places are generic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from herald.rank.topics import TOPICS

__all__ = ["TextPool", "entity_pool", "story_title"]

FIRST = [
    "Anna",
    "Maria",
    "Jonas",
    "Lena",
    "Omar",
    "Sofia",
    "Daniel",
    "Priya",
    "Lucas",
    "Amira",
    "Tomas",
    "Elena",
    "Marco",
    "Hana",
    "Felix",
    "Nadia",
    "Victor",
    "Ines",
    "Samuel",
    "Leila",
    "Oscar",
    "Yara",
    "Hugo",
    "Mila",
    "Adrian",
    "Noor",
    "Rafael",
    "Clara",
    "Ivan",
    "Zoe",
]
LAST = [
    "Berg",
    "Okafor",
    "Novak",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Silva",
    "Kowalski",
    "Reyes",
    "Fischer",
    "Nakamura",
    "Costa",
    "Petrov",
    "Osei",
    "Larsen",
    "Romero",
    "Weber",
    "Ahmed",
    "Duval",
    "Sato",
    "Jensen",
    "Rossi",
    "Mendes",
    "Varga",
    "Keller",
    "Bauer",
    "Ortiz",
    "Holm",
    "Quinn",
]
PLACES = [
    "Northport",
    "Lakeside",
    "Eastbridge",
    "Westfield",
    "Redhill",
    "Kingsford",
    "Marlow",
    "Ashton",
    "Riverton",
    "Bayview",
    "Stonegate",
    "Highcliff",
    "Fairhaven",
    "Oakmont",
    "Brightwater",
    "Millbrook",
    "Greywater",
    "Elmstead",
    "Southmere",
    "Copperfield",
]
TOPIC_ORGS = {
    "world": ("Council", "Alliance", "Ministry of Foreign Affairs", "Relief Agency", "Summit"),
    "politics": ("Party", "Senate", "Parliament", "Election Commission", "Cabinet"),
    "business": ("Holdings", "Bank", "Motors", "Retail Group", "Energy"),
    "technology": ("Labs", "Systems", "Networks", "Robotics", "Software"),
    "science": ("Institute", "Observatory", "University", "Research Centre", "Space Agency"),
    "health": ("Hospital", "Health Service", "Pharma", "Medical Council", "Clinic Group"),
    "sports": ("United", "Rovers", "Athletic", "City FC", "Olympic Committee"),
    "entertainment": ("Studios", "Records", "Film Festival", "Theatre", "Pictures"),
    "crime": ("Police", "Crown Court", "Sheriff's Office", "Prosecutors", "Prison Service"),
}
TOPIC_NOUNS = {
    "world": [
        "ceasefire",
        "talks",
        "border",
        "refugees",
        "envoy",
        "treaty",
        "sanctions",
        "aid",
        "convoy",
    ],
    "politics": [
        "vote",
        "bill",
        "coalition",
        "budget",
        "reform",
        "campaign",
        "debate",
        "mandate",
        "inquiry",
    ],
    "business": [
        "profits",
        "merger",
        "shares",
        "rates",
        "inflation",
        "layoffs",
        "earnings",
        "deal",
        "tariffs",
    ],
    "technology": [
        "chip",
        "model",
        "outage",
        "update",
        "launch",
        "breach",
        "platform",
        "satellite",
        "app",
    ],
    "science": [
        "telescope",
        "fossil",
        "climate",
        "study",
        "comet",
        "genome",
        "experiment",
        "mission",
        "probe",
    ],
    "health": [
        "vaccine",
        "outbreak",
        "trial",
        "hospitals",
        "drug",
        "screening",
        "waiting",
        "lists",
        "virus",
    ],
    "sports": [
        "final",
        "transfer",
        "record",
        "derby",
        "title",
        "injury",
        "season",
        "championship",
        "coach",
    ],
    "entertainment": [
        "premiere",
        "album",
        "tour",
        "award",
        "series",
        "festival",
        "sequel",
        "concert",
        "box",
        "office",
    ],
    "crime": [
        "arrest",
        "charges",
        "trial",
        "verdict",
        "robbery",
        "shooting",
        "sentence",
        "suspect",
        "appeal",
    ],
}
VERBS = [
    "announces",
    "delays",
    "approves",
    "rejects",
    "unveils",
    "expands",
    "cuts",
    "wins",
    "loses",
    "reviews",
    "confirms",
    "suspends",
    "backs",
    "opens",
    "closes",
    "extends",
    "warns",
    "on",
    "pushes",
    "for",
    "agrees",
]
FILLER = (
    "officials said on {day} that the {noun} would be reviewed after weeks of pressure",
    "{entity} told reporters the decision followed months of talks",
    "the {noun} comes as {place} faces rising costs and a tight timetable",
    "critics argued the plan left key questions about the {noun} unanswered",
    "a spokesperson for {entity} declined to comment further",
    "figures published on {day} showed the {noun} had grown faster than expected",
    "analysts said the move could shape the {noun} for years to come",
    "residents of {place} said they were watching the {noun} closely",
    "{entity} said a final decision on the {noun} was expected within weeks",
    "the announcement in {place} drew a mixed response from local groups",
)
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def entity_pool(rng: random.Random, per_topic: int = 40) -> dict[str, list[str]]:
    """Entity names per topic (people, organisations, places), most prominent first."""
    pool: dict[str, list[str]] = {}
    for topic in TOPICS:
        names: list[str] = []
        while len(names) < per_topic:
            kind = rng.random()
            if kind < 0.45:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            elif kind < 0.85:
                name = f"{rng.choice(PLACES)} {rng.choice(TOPIC_ORGS[topic])}"
            else:
                name = rng.choice(PLACES)
            if name not in names:
                names.append(name)
        pool[topic] = names
    return pool


def story_title(rng: random.Random, topic: str, entities: list[str]) -> str:
    """A headline-like title: '<entity> <verb> <noun> in <place>'."""
    subject = entities[0] if entities else rng.choice(PLACES)
    noun = rng.choice(TOPIC_NOUNS[topic])
    return f"{subject} {rng.choice(VERBS)} {noun} in {rng.choice(PLACES)}"


def _sentence(rng: random.Random, topic: str, entity: str) -> str:
    text = rng.choice(FILLER).format(
        day=rng.choice(DAYS),
        noun=rng.choice(TOPIC_NOUNS[topic]),
        entity=entity,
        place=rng.choice(PLACES),
    )
    return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class TextPool:
    """Ready-made sentences per topic, combined cheaply into many article bodies."""

    sentences: dict[str, list[str]]

    @classmethod
    def build(
        cls, rng: random.Random, entities: dict[str, list[str]], per_topic: int = 300
    ) -> TextPool:
        return cls(
            {
                topic: [
                    _sentence(rng, topic, rng.choice(entities[topic])) for _ in range(per_topic)
                ]
                for topic in TOPICS
            }
        )

    def body(self, rng: random.Random, topic: str, lead: str, sentences: int) -> str:
        """An article body: the lead sentence, then paragraphs of pooled sentences."""
        picked = rng.choices(self.sentences[topic], k=sentences)
        paragraphs = [" ".join(picked[i : i + 4]) for i in range(0, len(picked), 4)]
        return "\n\n".join([lead, *paragraphs])

    def pick(self, rng: random.Random, topic: str) -> str:
        return rng.choice(self.sentences[topic])
