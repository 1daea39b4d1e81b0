"""MIND (Microsoft News Dataset) files, news texts and embeddings, and a history-only scorer.

The files (Wu et al. 2020, Microsoft Research License, non-commercial research use) are
tab-separated without a header:

* ``behaviors.tsv``: impression id, user id, time (``11/12/2019 2:14:46 PM``), the user's
  click history (space-separated news ids, oldest first) and the impression's candidates
  (``N123-1`` clicked, ``N456-0`` not clicked);
* ``news.tsv``: news id, category, subcategory, title, abstract, URL, title entities and
  abstract entities (JSON lists of ``{"Label", "WikidataId", ...}``).

``MindScorer`` scores an impression's candidates from the user's click history and the news
content only, never from the impression's labels nor from how often a candidate is shown or
clicked in the impression log. Its parts (each documented at ``FEATURES``) are combined by
``ScorerConfig.weights``; the profile parts go through ``herald.rank.interest``, the same core
the live feed uses.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from herald.exceptions import ConfigError
from herald.nlp.embed import Embedder, Vectors
from herald.pipeline.progress import NoProgress, Progress
from herald.rank.interest import (
    HISTORY_HALF_LIFE,
    Interests,
    affinity,
    interests,
    profile_vector,
    recency_weights,
)

TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
EMBED_CHUNK = 256

# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class MindNews:
    """One row of ``news.tsv``."""

    id: str
    category: str
    subcategory: str
    title: str
    abstract: str
    url: str
    entities: tuple[str, ...]  # Wikidata ids of the title and abstract entities, deduplicated

    @property
    def text(self) -> str:
        """What is embedded: the title and the abstract."""
        title, abstract = self.title.strip(), self.abstract.strip()
        if title and abstract:
            return f"{title}. {abstract}"
        return title or abstract


@dataclass(frozen=True)
class Impression:
    """One line of ``behaviors.tsv``: what a user clicked before, what was shown and clicked."""

    id: str
    user: str
    time: datetime | None
    history: tuple[str, ...]  # oldest first
    candidates: tuple[str, ...]
    labels: tuple[int, ...]  # 1 clicked, 0 not, one per candidate


def read_news(path: str | Path) -> dict[str, MindNews]:
    """``news.tsv`` as news id -> record."""
    out: dict[str, MindNews] = {}
    for number, fields in _rows(path, 8):
        out[fields[0]] = MindNews(
            id=fields[0],
            category=fields[1],
            subcategory=fields[2],
            title=fields[3],
            abstract=fields[4],
            url=fields[5],
            entities=_entity_ids(path, number, fields[6], fields[7]),
        )
    return out


def read_behaviors(path: str | Path) -> list[Impression]:
    """``behaviors.tsv`` as impressions, in file order."""
    return [_impression(path, number, fields) for number, fields in _rows(path, 5)]


def _rows(path: str | Path, width: int) -> Iterator[tuple[int, list[str]]]:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file} not found")
    with file.open(encoding="utf-8", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            stripped = line.rstrip("\r\n")
            if not stripped.strip():
                continue
            fields = stripped.split("\t")
            if len(fields) < width:
                raise ConfigError(
                    f"{file}:{number}: {len(fields)} tab-separated fields, MIND has {width}"
                )
            yield number, fields


def _impression(path: str | Path, number: int, fields: list[str]) -> Impression:
    candidates: list[str] = []
    labels: list[int] = []
    for token in fields[4].split():
        news_id, _, label = token.rpartition("-")
        if not news_id or label not in ("0", "1"):
            raise ConfigError(f"{path}:{number}: bad candidate {token!r} (want N123-0 or N123-1)")
        candidates.append(news_id)
        labels.append(int(label))
    return Impression(
        id=fields[0],
        user=fields[1],
        time=_time(fields[2]),
        history=tuple(fields[3].split()),
        candidates=tuple(candidates),
        labels=tuple(labels),
    )


def _time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), TIME_FORMAT)
    except ValueError:
        return None


def _entity_ids(path: str | Path, number: int, *columns: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for column in columns:
        try:
            items = json.loads(column) if column.strip() else []
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{number}: entities are not JSON: {e}") from e
        for item in items if isinstance(items, list) else []:
            key = item.get("WikidataId") or item.get("Label") if isinstance(item, dict) else None
            if key:
                seen[str(key)] = None
    return tuple(seen)


# --------------------------------------------------------------------------- embeddings


@dataclass(frozen=True)
class NewsVectors:
    """Unit embeddings of news items: row ``index[id]`` of ``matrix``."""

    index: Mapping[str, int]
    matrix: Vectors

    def of(self, ids: Sequence[str]) -> Vectors:
        rows = [self.index[i] for i in ids]
        out: Vectors = self.matrix[rows]
        return out


def embed_news(
    news: Mapping[str, MindNews],
    embedder: Embedder,
    progress: Progress | None = None,
    ids: Iterable[str] | None = None,
) -> NewsVectors:
    """Embed the text of each news item once (``ids``: only those), with progress."""
    progress = progress or NoProgress()
    wanted = sorted(set(news) if ids is None else {i for i in ids if i in news})
    matrix = np.zeros((len(wanted), embedder.dimensions), dtype=np.float32)
    progress.start("Embedding news", len(wanted))
    for start in range(0, len(wanted), EMBED_CHUNK):
        chunk = wanted[start : start + EMBED_CHUNK]
        matrix[start : start + len(chunk)] = embedder.embed([news[i].text for i in chunk])
        progress.advance(len(chunk))
    progress.finish()
    return NewsVectors({news_id: row for row, news_id in enumerate(wanted)}, matrix)


# --------------------------------------------------------------------------- popularity


@dataclass(frozen=True)
class HistoryPrior:
    """What the history column says before any impression: users per news item and category.

    Each user counts once per item (a user's history repeats on each of their impressions).
    """

    users: Mapping[str, int]
    category_share: Mapping[str, float]

    @classmethod
    def of(cls, impressions: Sequence[Impression], news: Mapping[str, MindNews]) -> HistoryPrior:
        histories: dict[str, set[str]] = {}
        for imp in impressions:
            histories.setdefault(imp.user, set()).update(imp.history)
        users: Counter[str] = Counter()
        for items in histories.values():
            users.update(items)
        categories: Counter[str] = Counter()
        for news_id, count in users.items():
            if news_id in news:
                categories[news[news_id].category] += count
        total = sum(categories.values())
        shares = {c: n / total for c, n in categories.items()} if total else {}
        return cls(users=dict(users), category_share=shares)


# --------------------------------------------------------------------------- scorer

# The score parts, each computed per candidate from the history (with content) only.
FEATURES: dict[str, str] = {
    "profile": "cosine of the candidate to the recency-weighted mean of the history "
    "(interest.profile_vector + affinity)",
    "centroids": "cosine to the nearest of up to 3 interest centroids of the history "
    "(interest.interests + interest_scores)",
    "nearest": "highest cosine to any single history item",
    "subcategory": "recency-weighted share of the history in the candidate's subcategory",
    "category": "recency-weighted share of the history in the candidate's category",
    "entities": "recency-weighted share of the history sharing a Wikidata entity with it",
    "popularity": "log(1 + users whose history holds the candidate), scaled to [0, 1]",
    "category_prior": "share of all histories' clicks in the candidate's category",
}

DEFAULT_WEIGHTS: dict[str, float] = {
    "profile": 1.0,
    "centroids": 1.0,
    "subcategory": 0.5,
    "category": 0.25,
    "entities": 0.25,
    "popularity": 0.25,
    "category_prior": 0.1,
}


@dataclass(frozen=True)
class ScorerConfig:
    """How the parts are combined: ``score = sum(weight * part)``; zero-weight parts are skipped.

    Cosines and shares live on comparable [0, 1] scales, so the raw parts are added: no
    per-impression normalisation that would blow up near-constant parts.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    half_life: float = HISTORY_HALF_LIFE

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise ConfigError(f"unknown score parts: {sorted(unknown)}")


@dataclass(frozen=True)
class Scored:
    """An impression's scores, one per candidate (None: the candidate has no content)."""

    impression: Impression
    scores: tuple[float | None, ...]
    history_with_content: int


class MindScorer:
    """Scores candidates from a user's click history and the news content (see ``FEATURES``)."""

    def __init__(
        self,
        news: Mapping[str, MindNews],
        vectors: NewsVectors,
        prior: HistoryPrior,
        config: ScorerConfig | None = None,
    ) -> None:
        self.news = news
        self.vectors = vectors
        self.prior = prior
        self.config = config or ScorerConfig()
        top = max(prior.users.values(), default=0)
        self._pop_scale = math.log1p(top) if top else 1.0

    def known(self, news_id: str) -> bool:
        return news_id in self.news and news_id in self.vectors.index

    def score(self, impression: Impression) -> Scored:
        """Score every candidate with content; the others get None."""
        history = [h for h in impression.history if self.known(h)]
        shown = [c for c in impression.candidates if self.known(c)]
        values = iter(self.total(self.features(history, shown)).tolist() if shown else [])
        scores = tuple(next(values) if self.known(c) else None for c in impression.candidates)
        return Scored(impression, scores, len(history))

    def total(self, parts: Mapping[str, NDArray[Any]]) -> NDArray[Any]:
        """The configured weighted sum of the parts (see ``combine``)."""
        return combine(parts, self.config.weights)

    def features(
        self, history: Sequence[str], candidates: Sequence[str]
    ) -> dict[str, NDArray[Any]]:
        """Every part of ``FEATURES``, one value per candidate (history parts 0 without history)."""
        cand = self.vectors.of(candidates)
        weights = np.asarray(recency_weights(len(history), self.config.half_life))
        zeros = np.zeros(len(candidates), dtype=np.float64)
        out: dict[str, NDArray[Any]] = {name: zeros for name in FEATURES}
        if history:
            out.update(self._content_parts(self.vectors.of(history), weights, cand))
            out.update(self._label_parts(history, weights, candidates))
        out["popularity"] = np.array(
            [math.log1p(self.prior.users.get(c, 0)) / self._pop_scale for c in candidates]
        )
        share = self.prior.category_share
        out["category_prior"] = np.array(
            [share.get(self.news[c].category, 0.0) for c in candidates]
        )
        return out

    @staticmethod
    def _content_parts(
        hist: Vectors, weights: NDArray[Any], cand: Vectors
    ) -> dict[str, NDArray[Any]]:
        profile = profile_vector(list(hist), weights.tolist())
        found: Interests | None = interests(list(hist), weights.tolist())
        return {
            "profile": affinity(profile, cand).astype(np.float64),
            "centroids": found.nearest(cand).astype(np.float64) if found else np.zeros(len(cand)),
            "nearest": (cand @ hist.T).max(axis=1).astype(np.float64),
        }

    def _label_parts(
        self,
        history: Sequence[str],
        weights: NDArray[Any],
        candidates: Sequence[str],
    ) -> dict[str, NDArray[Any]]:
        total = float(weights.sum())
        hist_news = [self.news[h] for h in history]
        cand_news = [self.news[c] for c in candidates]
        out: dict[str, NDArray[Any]] = {}
        for name, key in (("subcategory", _subcategory), ("category", _category)):
            mass: dict[str, float] = {}
            for item, w in zip(hist_news, weights, strict=True):
                mass[key(item)] = mass.get(key(item), 0.0) + float(w)
            out[name] = np.array([mass.get(key(c), 0.0) / total for c in cand_news])
        sets = [set(item.entities) for item in hist_news]
        out["entities"] = np.array(
            [_entity_share(set(c.entities), sets, weights, total) for c in cand_news]
        )
        return out


def combine(parts: Mapping[str, NDArray[Any]], weights: Mapping[str, float]) -> NDArray[Any]:
    """``sum(weight * part)`` over the parts with a nonzero weight."""
    size = len(next(iter(parts.values()))) if parts else 0
    total = np.zeros(size, dtype=np.float64)
    for name, weight in weights.items():
        if weight:
            total += weight * parts[name]
    return total


def _subcategory(item: MindNews) -> str:
    return f"{item.category}/{item.subcategory}"


def _category(item: MindNews) -> str:
    return item.category


def _entity_share(
    entities: set[str], history: Sequence[set[str]], weights: NDArray[Any], total: float
) -> float:
    if not entities:
        return 0.0
    hit = sum(float(w) for s, w in zip(history, weights, strict=True) if s & entities)
    return hit / total


def needed_news(impressions: Iterable[Impression]) -> set[str]:
    """Every news id an impression mentions (history or candidate)."""
    out: set[str] = set()
    for imp in impressions:
        out.update(imp.history)
        out.update(imp.candidates)
    return out
