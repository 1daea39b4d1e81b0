"""Scoring and choosing candidate sentences: centrality, corroboration, lead bias, coverage, MMR.

The weights were tuned on ``multinews_validation_250.jsonl`` (ROUGE-1/2 at 250 words); see
``herald.eval.write_eval``. A sentence's relevance is

    centroid similarity + 0.5 x best similarity to another source + 0.6 x lead bias
    + 0.1 if it quotes someone,

where lead bias is 1/sqrt(1 + rank among the source's usable sentences) and the centroid is the
mean of the sources' own centroids, leaving out *off-topic* sources: with three or more sources,
one whose centroid's cosine to the mean of the others is under half the best source's (an
archive notice, a login page, a member clustered by mistake), whose sentences are never chosen
either. The greedy selection adds, per step, the bigram "concepts" a sentence newly covers
(weighted by how many sources share them, per word) and subtracts 1.0 x its similarity to what
is already chosen (maximal marginal relevance); near-duplicates (similarity > 0.85) are never
both chosen.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from herald.nlp import text as nlp
from herald.nlp.embed import Vectors
from herald.write.base import UNKNOWN_TIME
from herald.write.candidates import Candidate
from herald.write.whose import an_earlier_day

W_CENTROID = 1.0
W_CORROBORATION = 0.5
W_LEAD = 0.6
W_QUOTE = 0.1  # a wire story carries the quotes and reactions; ROUGE-1/2 +0.12/+0.30
LEAD_POWER = 0.5
W_COVERAGE = 1.0
W_REDUNDANCY = 1.0
MAX_REDUNDANCY = 0.85
OFF_TOPIC_SHARE = 0.5
LEAD_AMONG = 4  # the lead is one of the first chosen (the most central) sentences

Bigram = tuple[str, str]


@dataclass(frozen=True)
class Scored:
    """Candidates with their embeddings and relevance, ready for selection."""

    candidates: tuple[Candidate, ...]
    vectors: Vectors
    relevance: np.ndarray
    similarity: np.ndarray
    concepts: tuple[frozenset[Bigram], ...]
    weights: dict[Bigram, float]
    off_topic: frozenset[int] = frozenset()  # sources (document indexes) left out


def score(cands: Sequence[Candidate], vectors: Vectors) -> Scored:
    """Relevance of every candidate (centrality, corroboration, lead bias) and its concepts;
    off-topic sources neither corroborate nor make a concept shared."""
    docs = np.array([c.doc for c in cands])
    sim = vectors @ vectors.T
    ids, centroids = _source_centroids(docs, vectors)
    off_topic = _off_topic(ids, centroids)
    centre = _centre(ids, centroids, off_topic)
    on_topic = np.array([c.doc not in off_topic for c in cands])
    relevance = (
        W_CENTROID * (vectors @ centre)
        + W_CORROBORATION * _corroboration(docs, np.where(on_topic[None, :], sim, -1.0))
        + W_LEAD * np.array([1.0 / (1.0 + r) ** LEAD_POWER for r in _ranks(cands)])
        + W_QUOTE * np.array([float(c.quote) for c in cands])
    )
    concepts = tuple(bigrams(c.text) for c in cands)
    weights = _weights(docs[on_topic], [k for k, on in zip(concepts, on_topic, strict=True) if on])
    return Scored(tuple(cands), vectors, relevance, sim, concepts, weights, off_topic)


def _ranks(cands: Sequence[Candidate]) -> list[int]:
    """Each candidate's rank among its source's candidates (junk lines do not count)."""
    seen: Counter[int] = Counter()
    out = []
    for c in cands:
        out.append(seen[c.doc])
        seen[c.doc] += 1
    return out


def _source_centroids(docs: np.ndarray, vectors: Vectors) -> tuple[list[int], np.ndarray]:
    """Each source's unit-length centroid (rows in the order of the sorted document indexes)."""
    ids = [int(d) for d in np.unique(docs)]
    means = np.array([vectors[docs == d].mean(axis=0) for d in ids])
    return ids, means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)


def off_topic_sources(docs: np.ndarray, vectors: Vectors) -> frozenset[int]:
    """Sources (of three or more) whose centroid's cosine to the mean of the other sources'
    is under ``OFF_TOPIC_SHARE`` of the best source's."""
    return _off_topic(*_source_centroids(docs, vectors))


def _off_topic(ids: list[int], centroids: np.ndarray) -> frozenset[int]:
    if len(ids) < 3:
        return frozenset()
    total = centroids.sum(axis=0)
    others = total[None, :] - centroids
    others /= np.maximum(np.linalg.norm(others, axis=1, keepdims=True), 1e-9)
    fit = (centroids * others).sum(axis=1)
    best = float(fit.max())
    if best <= 0.0:
        return frozenset()
    return frozenset(
        d for d, f in zip(ids, fit.tolist(), strict=True) if f < OFF_TOPIC_SHARE * best
    )


def _centre(ids: list[int], centroids: np.ndarray, off_topic: frozenset[int]) -> np.ndarray:
    """Mean of the on-topic sources' centroids, so a long source does not outweigh the others."""
    keep = [k for k, d in enumerate(ids) if d not in off_topic]
    centre = centroids[keep].mean(axis=0)
    return np.asarray(centre / max(float(np.linalg.norm(centre)), 1e-9))


def _corroboration(docs: np.ndarray, sim: np.ndarray) -> np.ndarray:
    """Each candidate's best similarity to a sentence of another source (0 with one source)."""
    other = docs[:, None] != docs[None, :]
    if not other.any():
        return np.zeros(len(docs))
    masked = np.where(other, sim, -1.0)
    return np.asarray(np.maximum(masked.max(axis=1), 0.0))


def bigrams(sentence: str) -> frozenset[Bigram]:
    """Stemmed word bigrams that are not both stopwords."""
    terms = [nlp.stem(t) for t in nlp.lower_terms(sentence)]
    return frozenset(
        (a, b)
        for a, b in itertools.pairwise(terms)
        if not (a in nlp.STOPWORDS and b in nlp.STOPWORDS)
    )


def _weights(docs: np.ndarray, concepts: Sequence[frozenset[Bigram]]) -> dict[Bigram, float]:
    """A concept's weight: the number of other sources that also contain it."""
    per_doc: dict[int, set[Bigram]] = {}
    for d, c in zip(docs.tolist(), concepts, strict=True):
        per_doc.setdefault(int(d), set()).update(c)
    counts: Counter[Bigram] = Counter()
    for found in per_doc.values():
        counts.update(found)
    return {k: float(v - 1) for k, v in counts.items() if v > 1}


def select(scored: Scored, target_words: int, max_words: int) -> list[int]:
    """Greedy MMR selection until ``target_words`` (never over ``max_words``)."""
    cands = scored.candidates
    previous = _previous_index(cands)
    chosen: list[int] = []
    covered: set[Bigram] = set()
    words = 0
    while words < target_words:
        best = _best_next(scored, chosen, covered, previous, max_words - words)
        if best is None:
            break
        chosen.append(best)
        covered |= scored.concepts[best]
        words += cands[best].words
    return chosen


def _previous_index(cands: Sequence[Candidate]) -> list[int | None]:
    at = {(c.doc, c.position): i for i, c in enumerate(cands)}
    return [at.get((c.doc, c.position - 1)) for c in cands]


def _best_next(
    scored: Scored,
    chosen: list[int],
    covered: set[Bigram],
    previous: list[int | None],
    room: int,
) -> int | None:
    best: int | None = None
    best_value = -np.inf
    redundancy = (
        scored.similarity[:, chosen].max(axis=1) if chosen else np.zeros(len(scored.candidates))
    )
    for i, cand in enumerate(scored.candidates):
        if i in chosen or cand.words > room or redundancy[i] > MAX_REDUNDANCY:
            continue
        if cand.doc in scored.off_topic:
            continue
        if cand.needs_previous and previous[i] not in chosen:
            continue
        gain = sum(scored.weights.get(k, 0.0) for k in scored.concepts[i] - covered) / cand.words
        value = scored.relevance[i] + W_COVERAGE * gain - W_REDUNDANCY * redundancy[i]
        if value > best_value:
            best, best_value = i, float(value)
    return best


def arrange(
    cands: Sequence[Candidate], chosen: Sequence[int], published: Sequence[datetime] = ()
) -> list[int]:
    """Wire order: the lead first, then source order (earlier facts before background).

    A sentence that needs its predecessor always follows it directly. ``published``: each
    source's publication time (by ``Candidate.doc``), for :func:`_latest_lead`.
    """
    if not chosen:
        return []
    source_leads = {i for i, rank in enumerate(_ranks(cands)) if rank == 0 and _may_lead(cands[i])}
    lead = _latest_lead(cands, chosen, published, source_leads, _lead(cands, chosen, source_leads))
    rest = sorted((i for i in chosen if i != lead), key=lambda i: (cands[i].position, cands[i].doc))
    follower = {p: i for i in chosen if cands[i].needs_previous for p in _prev_of(cands, i)}
    order: list[int] = []
    for i in [lead, *rest]:
        if cands[i].needs_previous and i != lead:
            continue
        order.append(i)
        while order[-1] in follower:
            order.append(follower[order[-1]])
    return order


def _prev_of(cands: Sequence[Candidate], i: int) -> list[int]:
    target = (cands[i].doc, cands[i].position - 1)
    return [j for j, c in enumerate(cands) if (c.doc, c.position) == target]


def _may_lead(c: Candidate) -> bool:
    """No quotation, and no sentence that needs the one before it."""
    return not c.quote and not c.needs_previous


def _latest_lead(
    cands: Sequence[Candidate],
    chosen: Sequence[int],
    published: Sequence[datetime],
    source_leads: set[int],
    lead: int,
) -> int:
    """The newest development leads: when the lead's source was written on an earlier day
    than the story's newest source, and a dated source of the newest day has its own lead
    chosen, that one. (An article on a police officer's death led with Wednesday's "Officer
    Collin Rose has died" under the headline "Man charged with 1st-degree murder", Friday's
    news, which it told in its fifth sentence; the demo gives that story's sources one day's
    times, so there it still does.)"""
    known = [t for t in published if t != UNKNOWN_TIME]
    if not known or not an_earlier_day(published[cands[lead].doc], max(known)):
        return lead
    for i in chosen:
        when = published[cands[i].doc]
        if i in source_leads and when != UNKNOWN_TIME and not an_earlier_day(when, max(known)):
            return i
    return lead


def _lead(cands: Sequence[Candidate], chosen: Sequence[int], source_leads: set[int]) -> int:
    """Among the first ``LEAD_AMONG`` chosen: the first that is its source's own lead (the
    source's first sentence a writer may use) and no quotation; else the first that is no
    quotation; else the first chosen. A reporter's lead says who did what, when and where
    ("A 6-week-old baby died Thursday when her stroller plunged down an elevator shaft");
    a sentence from further down assumes what came before ("The infant's mother was
    waiting..."). On Multi-News, the first sentence's ROUGE-1 F1 against the reference's first
    sentence (``lead_rouge1`` of ``herald eval write``) rose from 22.9 to 25.0; the article's own
    ROUGE is unchanged. ``source_leads``: the sources' own leads that may lead."""
    for i in chosen[:LEAD_AMONG]:
        if i in source_leads:
            return i
    for i in chosen[:LEAD_AMONG]:
        if _may_lead(cands[i]):
            return i
    return chosen[0]
