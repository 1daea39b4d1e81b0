"""How well a text is supported by a source: six interpretable features and a logistic model.

For each sentence of the text (a summary, or one draft sentence) against the source's passages
(single sentences and two-sentence windows, see :func:`herald.verify.checker.passages`):

- ``similarity``: the best MiniLM cosine between the sentence and one of the lexically closest
  passages;
- ``local``: the largest share of the sentence's content words found in one single passage
  (claims stitched together from distant places of the source score low);
- ``bigrams``: the share of the sentence's word bigrams (stemmed, stopwords kept) that occur
  in the source: words joined in a new way are where wrong subjects and objects hide;
- ``novel_words``: how many of its content words are nowhere in the source;
- ``novel_numbers``: how many of its numbers (scale applied) are nowhere in the source;
- ``negation``: whether it says "not/no/never..." while its best passage does not, or the
  reverse.

A text's features are the mean of the first four over its sentences, the sum of novel numbers
and the largest negation mismatch; :func:`support_probability` combines them with
:data:`WEIGHTS`. The same function scores one draft sentence in :func:`~herald.verify.verify`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from herald.nlp import text as nlp
from herald.nlp.embed import Embedder

NEGATIONS = frozenset(
    {"not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "cannot"}
)
TOP_PASSAGES = 8

FEATURES = ("similarity", "local", "bigrams", "novel_words", "novel_numbers", "negation")

# Logistic regression over FEATURES (intercept first), fitted on faithfulness/frank_valid.jsonl
# only, with balanced class weights and an L2 penalty of 1 on standardised features (the
# weights below are converted back to raw feature units). Reproduce with
# `herald eval verify .../frank_valid.jsonl --output OUT --fit`, which also reports the
# document-grouped 5-fold cross-validated balanced accuracy (the honest estimate).
WEIGHTS = (-5.6095, 2.6693, 3.6232, 1.1861, -0.1143, -1.1186, -0.0993)

# The probability above which a text counts as supported: chosen on frank_valid.jsonl only (the
# balanced-accuracy optimum of the model above there, in-sample).
THRESHOLD = 0.6381


@dataclass(frozen=True)
class SentenceSupport:
    """The features of one sentence against a source, and the best passage's text."""

    similarity: float
    local: float
    bigrams: float
    novel_words: float
    novel_numbers: float
    negation: float
    best: str


@dataclass(frozen=True)
class SourceIndex:
    """What the support features need from a source: its terms, numbers and bigrams."""

    terms: frozenset[str]
    numbers: frozenset[float]
    bigrams: frozenset[tuple[str, str]]


def tokens(text: str) -> list[str]:
    """Stemmed lower-case tokens, stopwords kept, "n't" read as "not"."""
    return [
        nlp.stem(w) for w in nlp.lower_terms(text.replace("n't", " not").replace("n’t", " not"))
    ]


def source_index(text: str, terms: frozenset[str], numbers: frozenset[float]) -> SourceIndex:
    seq = tokens(text)
    return SourceIndex(terms, numbers, frozenset(itertools.pairwise(seq)))


def _negated(text: str) -> bool:
    return any(w in NEGATIONS for w in nlp.lower_terms(text.replace("n't", " not")))


def sentence_support(
    sentence: str,
    candidates: Sequence[tuple[str, frozenset[str]]],
    index: SourceIndex,
    embedder: Embedder,
) -> SentenceSupport:
    """Features of ``sentence`` against passages ``(text, content terms)`` of one source."""
    own = nlp.content_terms(sentence)
    own_set = frozenset(own)
    ranked = sorted(
        candidates, key=lambda c: -len(own_set & c[1]) / (len(own_set) + 0.5 * len(c[1]) + 1)
    )[:TOP_PASSAGES]
    similarity, best = 0.0, ""
    if ranked:
        vectors = embedder.embed([sentence, *[text for text, _ in ranked]])
        sims = vectors[1:] @ vectors[0]
        at = int(np.argmax(sims))
        similarity, best = float(sims[at]), ranked[at][0]
    if own:
        local = max((sum(t in terms for t in own) / len(own) for _, terms in ranked), default=0.0)
    else:
        local = 1.0
    seq = tokens(sentence)
    pairs = list(itertools.pairwise(seq))
    bigrams = sum(p in index.bigrams for p in pairs) / len(pairs) if pairs else 1.0
    novel_words = sum(t not in index.terms for t in own)
    novel_numbers = sum(
        round(q.value, 6) not in index.numbers for q in nlp.numbers(sentence, include_words=False)
    )
    negation = float(bool(best) and _negated(sentence) != _negated(best))
    return SentenceSupport(
        similarity, local, bigrams, float(novel_words), float(novel_numbers), negation, best
    )


def features(supports: Sequence[SentenceSupport]) -> tuple[float, ...]:
    """A text's features from its sentences' (see the module docstring)."""
    if not supports:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    n = len(supports)
    return (
        sum(s.similarity for s in supports) / n,
        sum(s.local for s in supports) / n,
        sum(s.bigrams for s in supports) / n,
        sum(s.novel_words for s in supports) / n,
        sum(s.novel_numbers for s in supports),
        max(s.negation for s in supports),
    )


def support_probability(values: Sequence[float], weights: Sequence[float] = WEIGHTS) -> float:
    """The logistic model's probability that the text is supported (0..1)."""
    z = weights[0] + sum(w * x for w, x in zip(weights[1:], values, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
