"""``herald bench rank``: how many interactions the feed needs to learn a simulated reader.

Readers here have known interests: each has a hidden mix of 1 to 3 MIND subcategories
(among those with at least ``MIN_TOPIC_ITEMS`` items), with random shares. An item's true
relevance is its subcategory's share relative to the reader's largest one (1.0 for the main
interest), a quarter of that for another subcategory of the same category, 0 otherwise. The
items are the real MIND news rows (``news.tsv``), embedded with the bundled MiniLM.

Each round the ranker orders a fresh slate of ``slate`` unseen items. The reader looks down the
first ``page`` cards, examining the card at position p (0-based) with probability
``1 / sqrt(p + 1)`` (position bias), and opens an examined card with probability
``noise + (1 - 2 * noise) * relevance``. An opened relevant card is read for a while
(20 + 100 * relevance seconds, +-50%), an opened irrelevant one is left after 2-8 seconds; an
examined, unopened irrelevant card is hidden one time in ten, otherwise skipped. Every examined
card is one interaction. Opens, reading times and hides become the live feed's own signals
(``herald.types.Signal``), weighed by ``herald.rank.signals`` exactly as for a real reader.

After every round each ranker is measured on ``eval_slates`` fixed evaluation slates (never
shown, so they teach nothing; each holds at least one relevant item): nDCG@10 of its order
against the true relevance (gains ``2**rel - 1``, as in
``herald.eval.rank``), averaged over the slates. A reader is
learned at the first round whose nDCG@10 reaches ``target``; the report gives the interactions
it took (median and quartiles over readers, "never" counted as more than any number) and the
share who never got there within ``budget`` interactions.

Rankers:

* ``live feed``: ``herald.rank.feed`` as readers get it (``signals.learn``, ``feed.score``,
  then ``feed.select`` with its topic caps, diversity penalty and 10% explore slots); every
  story gets the same base (same freshness, no trend), so only what the feed learned orders
  the slate. Topics are MIND categories, entities the Wikidata ids of the news.
* ``live feed, scores only``: ``feed.score`` order, without the caps and explore slots.
* ``interests``: ``interest.interests`` (centroids, mean and negative direction) over the
  stories' net signal weights; ``interests + skips`` also counts each skip as -0.15 (the live
  feed has no impression log, so no skips); ``mean profile``: ``interest.profile_vector`` and
  ``affinity`` over the positive weights only.
* ``popularity`` (users who clicked the item in MIND's history column; never learns) and
  ``random``.

The profile rankers add a small popularity prior, which is all they have before the first
signal. Everything is seeded: the same options give the same numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from rich.table import Table

from herald.exceptions import ConfigError
from herald.nlp.embed import Embedder, Vectors, to_bytes
from herald.pipeline.progress import NoProgress, Progress
from herald.rank import feed
from herald.rank.interest import affinity, interests, profile_vector
from herald.rank.mind import HistoryPrior, MindNews, embed_news, read_behaviors, read_news
from herald.rank.signals import learn, story_weights
from herald.types import Signal, SignalKind, SignalStory, Story

MIND_DIR = "recommendation/mind_small_subset"
MIN_TOPIC_ITEMS = 20
SAME_CATEGORY = 0.25
MILESTONES = (0, 10, 25, 50, 100, 200, 400)
HIDE_RATE = 0.1
SKIP_WEIGHT = -0.15
POPULARITY_PRIOR = 0.05
EXPLORE_SHARE = 0.1
FEED_DAYS = 3650.0  # every simulated story stays a candidate
START = datetime(2026, 1, 1, tzinfo=UTC)
ROUND = timedelta(hours=1)  # time between two rounds (signals fade with age)
RANKERS = (
    "live feed",
    "live feed, scores only",
    "interests",
    "interests + skips",
    "mean profile",
    "popularity",
    "random",
)

Order = NDArray[np.int64]


@dataclass(frozen=True)
class SimOptions:
    """The simulation's size and its readers' behaviour."""

    data: Path
    readers: int = 200
    seed: int = 0
    slate: int = 30
    page: int = 10
    budget: int = 200
    target: float = 0.8
    eval_slates: int = 5
    noise: float = 0.1
    items: int | None = None  # use a random subset of the news (None: all)


# --------------------------------------------------------------------------- pool


@dataclass(frozen=True)
class SimPool:
    """The news items: embeddings, subcategory and category ids, popularity in [0, 1], and
    each item as the live feed sees it (story id = index + 1)."""

    news: tuple[MindNews, ...]
    vectors: Vectors
    topic: NDArray[np.int64]
    category: NDArray[np.int64]
    topic_names: tuple[str, ...]
    popularity: NDArray[np.float64]
    eligible: tuple[int, ...]  # topics with at least MIN_TOPIC_ITEMS items
    stories: tuple[Story, ...]
    signal_stories: Mapping[int, SignalStory]

    def __len__(self) -> int:
        return len(self.news)


def load_pool(options: SimOptions, embedder: Embedder, progress: Progress | None = None) -> SimPool:
    """The MIND news rows of the data folder, embedded, with history-column popularity."""
    folder = options.data / MIND_DIR
    if not (folder / "news.tsv").is_file() or not (folder / "behaviors.tsv").is_file():
        raise ConfigError(
            f"{folder.resolve()} has no news.tsv and behaviors.tsv (pass --data with the "
            "shared data folder)"
        )
    news = read_news(folder / "news.tsv")
    prior = HistoryPrior.of(read_behaviors(folder / "behaviors.tsv"), news)
    ids = sorted(news)
    if options.items is not None and options.items < len(ids):
        picked = np.random.default_rng(options.seed).choice(len(ids), options.items, False)
        ids = [ids[i] for i in sorted(picked)]
    vectors = embed_news(news, embedder, progress, ids=ids)
    return make_pool([news[i] for i in ids], vectors.of(ids), prior)


def make_pool(items: Sequence[MindNews], vectors: Vectors, prior: HistoryPrior) -> SimPool:
    """A pool of ``items`` with their embeddings."""
    topics = sorted({f"{n.category}/{n.subcategory}" for n in items})
    categories = sorted({n.category for n in items})
    topic = np.array([topics.index(f"{n.category}/{n.subcategory}") for n in items])
    counts = np.bincount(topic, minlength=len(topics))
    users = np.array([math.log1p(prior.users.get(n.id, 0)) for n in items])
    stories = tuple(_story(n, i + 1) for i, n in enumerate(items))
    return SimPool(
        news=tuple(items),
        vectors=vectors,
        topic=topic,
        category=np.array([categories.index(n.category) for n in items]),
        topic_names=tuple(topics),
        popularity=users / max(float(users.max()), 1e-9),
        eligible=tuple(int(t) for t in np.flatnonzero(counts >= MIN_TOPIC_ITEMS)),
        stories=stories,
        signal_stories={
            s.id: SignalStory(s.id, s.topic, s.entities, (), to_bytes(vectors[s.id - 1]))
            for s in stories
        },
    )


def _story(item: MindNews, story_id: int) -> Story:
    return Story(
        id=story_id,
        title=item.title,
        first_seen=START,
        last_seen=START,
        article_count=1,
        outlet_count=1,
        topic=item.category,
        entities=item.entities,
        trend_score=0.0,
        trending=False,
        updated_at=START,
    )


# --------------------------------------------------------------------------- readers


@dataclass(frozen=True)
class SimReader:
    """A reader's hidden interests: subcategories and their shares (the largest is 1.0)."""

    topics: tuple[int, ...]
    shares: tuple[float, ...]

    def relevance(self, pool: SimPool) -> NDArray[np.float64]:
        """True relevance of every pool item, in [0, 1]."""
        rel = np.zeros(len(pool))
        for topic, share in zip(self.topics, self.shares, strict=True):
            same_category = pool.category == pool.category[np.argmax(pool.topic == topic)]
            rel = np.maximum(rel, np.where(same_category, SAME_CATEGORY * share, 0.0))
            rel = np.maximum(rel, np.where(pool.topic == topic, share, 0.0))
        return rel


def make_reader(pool: SimPool, rng: np.random.Generator) -> SimReader:
    """1 to 3 distinct eligible subcategories with random shares."""
    if not pool.eligible:
        raise ConfigError(f"no subcategory has {MIN_TOPIC_ITEMS} items: too few news items")
    count = min(int(rng.integers(1, 4)), len(pool.eligible))
    topics = rng.choice(np.array(pool.eligible), count, replace=False)
    shares = rng.dirichlet(np.full(count, 2.0))
    shares = shares / shares.max()
    return SimReader(tuple(int(t) for t in topics), tuple(float(s) for s in shares))


# --------------------------------------------------------------------------- rankers


@dataclass
class History:
    """What the reader did so far, as the live feed's signals (and the skips it never sees)."""

    signals: list[Signal] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # story ids
    now: datetime = START


Orderer = Callable[[Order], Order]


class Ranker(Protocol):
    """Learns from a reader's history; the result orders slates (pool indices, best first)."""

    def learn(self, history: History) -> Orderer: ...


def _by_score(slate: Order, scores: NDArray[np.floating]) -> Order:
    """The slate best first (ties by pool index, so deterministic)."""
    out: Order = slate[np.lexsort((slate, -np.asarray(scores, dtype=np.float64)))]
    return out


@dataclass(frozen=True)
class LiveFeedRanker:
    """The live feed: ``signals.learn`` then ``feed.score`` (and ``feed.select``)."""

    pool: SimPool
    select: bool = True
    top: int = 10  # cards chosen by ``feed.select``

    def learn(self, history: History) -> Orderer:
        learned = learn(history.signals, self.pool.signal_stories, history.now)
        profile = feed.Profile.of(None, learned)

        def order(slate: Order) -> Order:
            stories = [self.pool.stories[i] for i in slate]
            centroids = {s.id: self.pool.vectors[s.id - 1] for s in stories}
            built = feed.build_pool(
                stories, {}, {}, history.now, days=FEED_DAYS, centroids=centroids
            )
            scored = feed.score(built, profile)
            if not self.select:
                ranked = np.where(scored.excluded, -np.inf, scored.total)
                return _by_score(built.ids.astype(np.int64) - 1, ranked)
            # only the top cards are looked at or measured: the rest follow by score
            picked = feed.select(built, scored, profile, self.top, EXPLORE_SHARE)
            first = [int(built.ids[n]) - 1 for n, _ in picked]
            ranked = np.where(scored.excluded, -np.inf, scored.total)
            rest = _by_score(built.ids.astype(np.int64) - 1, ranked)
            return np.array(first + [int(i) for i in rest if int(i) not in set(first)])

        return order


@dataclass(frozen=True)
class InterestRanker:
    """``interests`` (or ``mean profile``) over the net signal weights, plus a popularity prior."""

    pool: SimPool
    mean_only: bool = False
    skips: bool = False

    def learn(self, history: History) -> Orderer:
        net = story_weights(history.signals, history.now)
        if self.skips:
            for story_id in history.skipped:
                net[story_id] = net.get(story_id, 0.0) + SKIP_WEIGHT
        rows = [story_id - 1 for story_id, w in net.items() if w != 0]
        weights = [net[i + 1] for i in rows]
        score = self._scorer(rows, weights)

        def order(slate: Order) -> Order:
            prior = POPULARITY_PRIOR * self.pool.popularity[slate]
            return _by_score(slate, prior + score(self.pool.vectors[slate]))

        return order

    def _scorer(
        self, rows: Sequence[int], weights: Sequence[float]
    ) -> Callable[[Vectors], NDArray[np.floating]]:
        vectors = list(self.pool.vectors[list(rows)]) if rows else []
        if self.mean_only:
            profile = profile_vector(vectors, [max(w, 0.0) for w in weights]) if rows else None
            return lambda cand: affinity(profile, cand)
        found = interests(vectors, weights) if rows else None
        if found is None:
            return lambda cand: np.zeros(len(cand))
        return found.score


@dataclass(frozen=True)
class PopularityRanker:
    """Most clicked in MIND's history column first; never learns."""

    pool: SimPool

    def learn(self, history: History) -> Orderer:
        return lambda slate: _by_score(slate, self.pool.popularity[slate])


@dataclass(frozen=True)
class RandomRanker:
    """A random order (seeded)."""

    rng: np.random.Generator

    def learn(self, history: History) -> Orderer:
        return lambda slate: _by_score(slate, self.rng.random(len(slate)))


def make_ranker(name: str, pool: SimPool, seed: int, top: int = 10) -> Ranker:
    """The ranker called ``name`` (one of ``RANKERS``); ``top``: cards the reader may see."""
    found: dict[str, Callable[[], Ranker]] = {
        "live feed": lambda: LiveFeedRanker(pool, top=max(top, 10)),
        "live feed, scores only": lambda: LiveFeedRanker(pool, select=False),
        "interests": lambda: InterestRanker(pool),
        "interests + skips": lambda: InterestRanker(pool, skips=True),
        "mean profile": lambda: InterestRanker(pool, mean_only=True),
        "popularity": lambda: PopularityRanker(pool),
        "random": lambda: RandomRanker(np.random.default_rng(seed)),
    }
    if name not in found:
        raise ConfigError(f"unknown ranker {name!r}; one of {', '.join(RANKERS)}")
    return found[name]()


# --------------------------------------------------------------------------- one reader


def ndcg_at_10(rel: NDArray[np.float64], order: Order) -> float:
    """nDCG@10 of ``order`` (a whole slate, best first) against graded relevance.

    The same definition as ``herald.eval.rank.ndcg`` (gains ``2**rel - 1``, discounts
    ``1 / log2(rank + 1)``) for an order without ties.
    """
    gains = 2.0 ** rel[order] - 1.0
    discounts = 1.0 / np.log2(np.arange(2, min(len(order), 10) + 2))
    ideal = float(np.sort(gains)[::-1][: len(discounts)] @ discounts)
    return float(gains[: len(discounts)] @ discounts) / ideal if ideal > 0 else 0.0


def eval_slates(
    pool: SimPool, rel: NDArray[np.float64], options: SimOptions, rng: np.random.Generator
) -> list[Order]:
    """Fixed evaluation slates, each with at least one relevant item."""
    size = min(options.slate, len(pool))
    out: list[Order] = []
    while len(out) < options.eval_slates:
        slate = rng.choice(len(pool), size, replace=False)
        if rel[slate].max() > 0:
            out.append(slate)
    return out


def _quality(order: Orderer, slates: Sequence[Order], rel: NDArray[np.float64]) -> float:
    return float(np.mean([ndcg_at_10(rel, order(s)) for s in slates]))


def _react(
    story_id: int, rel: float, history: History, rng: np.random.Generator, noise: float
) -> None:
    """What the reader does with one examined card of relevance ``rel``."""
    if rng.random() < noise + (1 - 2 * noise) * rel:
        if rel > 0:
            seconds = 20.0 + 100.0 * rel * float(rng.uniform(0.5, 1.5))
        else:
            seconds = float(rng.uniform(2.0, 8.0))
        history.signals.append(Signal(story_id, SignalKind.OPEN, 1.0, history.now))
        history.signals.append(Signal(story_id, SignalKind.READ, seconds, history.now))
    elif rel <= 0 and rng.random() < HIDE_RATE:
        history.signals.append(Signal(story_id, SignalKind.HIDE, 1.0, history.now))
    else:
        history.skipped.append(story_id)


def simulate_reader(
    pool: SimPool, reader: SimReader, ranker_name: str, options: SimOptions, seed: int
) -> list[tuple[int, float]]:
    """(interactions so far, nDCG@10) after each round, from 0 interactions to the budget."""
    rel = reader.relevance(pool)
    slates = eval_slates(pool, rel, options, np.random.default_rng([seed, 1]))
    shown_rng = np.random.default_rng([seed, 2])  # the same fresh slates for every ranker
    click_rng = np.random.default_rng([seed, 3])
    ranker = make_ranker(ranker_name, pool, seed, options.page)
    history = History()
    seen = np.zeros(len(pool), dtype=bool)
    interactions = 0
    order = ranker.learn(history)
    curve = [(0, _quality(order, slates, rel))]
    while interactions < options.budget:
        slate = _fresh_slate(seen, options.slate, shown_rng)
        for position, item in enumerate(order(slate)[: options.page]):
            if click_rng.random() >= 1.0 / math.sqrt(position + 1):
                continue
            interactions += 1
            _react(int(item) + 1, float(rel[item]), history, click_rng, options.noise)
        history.now += ROUND
        order = ranker.learn(history)
        curve.append((interactions, _quality(order, slates, rel)))
    return curve


def _fresh_slate(seen: NDArray[np.bool_], size: int, rng: np.random.Generator) -> NDArray[np.int64]:
    if (~seen).sum() < size:
        seen[:] = False  # every item was shown once: start over
    unseen = np.flatnonzero(~seen)
    slate: NDArray[np.int64] = rng.choice(unseen, min(size, len(unseen)), replace=False)
    seen[slate] = True
    return slate


# --------------------------------------------------------------------------- report


def first_reaching(curve: Sequence[tuple[int, float]], target: float) -> float:
    """Interactions at the first checkpoint at or above ``target`` (inf: never)."""
    return next((float(n) for n, value in curve if value >= target), math.inf)


def at_milestone(curve: Sequence[tuple[int, float]], milestone: int) -> float | None:
    """nDCG@10 of the feed the reader had after ``milestone`` interactions (None: not reached)."""
    if curve[-1][0] < milestone:
        return None
    return max((c for c in curve if c[0] <= milestone), key=lambda c: c[0])[1]


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile (inf values sort last)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def summarize(curves: Sequence[Sequence[tuple[int, float]]], options: SimOptions) -> dict[str, Any]:
    """Interactions to the target (quartiles, share never) and nDCG@10 at milestones."""
    reached = [first_reaching(c, options.target) for c in curves]
    out: dict[str, Any] = {
        "readers": len(curves),
        "share_reached": round(sum(math.isfinite(r) for r in reached) / len(curves), 3),
        "share_never": round(sum(not math.isfinite(r) for r in reached) / len(curves), 3),
    }
    for name, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
        value = quantile(reached, q)
        out[f"interactions_{name}"] = int(value) if math.isfinite(value) else None
    milestones: dict[str, float | None] = {}
    for m in (m for m in MILESTONES if m <= options.budget):
        values = [v for c in curves if (v := at_milestone(c, m)) is not None]
        milestones[str(m)] = round(float(np.mean(values)), 4) if values else None
    out["ndcg@10_after_interactions"] = milestones
    return out


def run_rank_sim(
    options: SimOptions,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    rankers: Sequence[str] = RANKERS,
) -> dict[str, Any]:
    """Simulate ``options.readers`` readers with every ranker; the JSON-ready report."""
    progress = progress or NoProgress()
    began = time.perf_counter()
    pool = load_pool(options, embedder or _load_embedder(), progress)
    for name in rankers:
        make_ranker(name, pool, 0)  # unknown names fail before the long part
    rng = np.random.default_rng(options.seed)
    readers = [make_reader(pool, rng) for _ in range(options.readers)]
    curves: dict[str, list[list[tuple[int, float]]]] = {name: [] for name in rankers}
    progress.start("Simulating readers", options.readers * len(rankers))
    for index, reader in enumerate(readers):
        for name in rankers:
            curves[name].append(simulate_reader(pool, reader, name, options, options.seed + index))
            progress.advance()
    progress.finish()
    return {
        "benchmark": "rank",
        "options": {**asdict(options), "data": str(options.data)},
        "pool": {
            "items": len(pool),
            "subcategories": len(pool.topic_names),
            "interest_subcategories": len(pool.eligible),
            "source": f"{MIND_DIR}/news.tsv (Microsoft Research License, research use)",
        },
        "rankers": {name: summarize(found, options) for name, found in curves.items()},
        "seconds": round(time.perf_counter() - began, 1),
    }


def _load_embedder() -> Embedder:
    from herald.nlp.embed import MiniLMEmbedder

    return MiniLMEmbedder()


def sim_table(result: Mapping[str, Any]) -> Table:
    """The report as a rich table: one row per ranker."""
    options = result["options"]
    milestones = next(iter(result["rankers"].values()))["ndcg@10_after_interactions"]
    table = Table(
        "ranker",
        "median",
        "quartiles",
        "never",
        *(f"@{m}" for m in milestones),
        title=(
            f"Interactions until nDCG@10 >= {options['target']} "
            f"({options['readers']} readers, budget {options['budget']}, seed {options['seed']}); "
            "mean nDCG@10 after N interactions"
        ),
    )
    for name, found in result["rankers"].items():
        curve = found["ndcg@10_after_interactions"]
        table.add_row(
            name,
            _count(found["interactions_median"]),
            f"{_count(found['interactions_q1'])} - {_count(found['interactions_q3'])}",
            f"{found['share_never']:.0%}",
            *(f"{v:.3f}" if v is not None else "-" for v in curve.values()),
        )
    return table


def _count(value: int | None) -> str:
    return "never" if value is None else str(value)
