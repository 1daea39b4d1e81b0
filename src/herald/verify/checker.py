"""Claim-by-claim verification of a draft against the sources each sentence cites.

A sentence is supported when, within the passages of the sources it cites (and only those):

- every number (with its scale: "$1.5 billion" = 1.5e9), name, date and quotation appears
  (quotations verbatim, ignoring whitespace and quote style);
- at least ``MIN_TERM_COVERAGE`` of its content words appear;
- its embedding similarity to the best passage (one or two consecutive source sentences,
  chosen among the lexically closest) reaches ``min_similarity``;
- the support model of :mod:`herald.verify.support` (the one measured on FRANK by
  ``herald eval verify``), applied to the sentence alone, reaches its threshold;
- with a judge configured (:mod:`herald.verify.judge`), an LLM does not veto it: the judge
  sees only sentences that passed the checks above, so it can drop sentences, never add any.

Unsupported sentences are replaced by the best source sentence when that sentence is close
enough and usable on its own, otherwise dropped. A draft losing more than
``max_dropped_share`` of its sentences is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from herald.nlp import text as nlp
from herald.nlp.embed import Embedder
from herald.types import Draft, Evidence, Sentence, SentenceVerdict, SourceRef, VerifiedDraft
from herald.verify import support as sup
from herald.write import headline as heads
from herald.write.base import UNKNOWN_TIME, SourceDoc
from herald.write.candidates import exclaims, fix_opening, in_personal_voice, is_junk
from herald.write.whose import an_earlier_day, dated_by_its_day, newest

if TYPE_CHECKING:
    from herald.verify.judge import Judge

MIN_TERM_COVERAGE = 0.6
REPLACE_SIMILARITY = 0.8
TOP_PASSAGES = 4
WINDOW = 2


@dataclass(frozen=True)
class Passage:
    """One or two consecutive sentences of one cited source."""

    citation: int
    article_id: int
    text: str
    terms: frozenset[str]


@dataclass(frozen=True)
class Corpus:
    """What a set of cited sources says: passages, and flattened text for fact lookups."""

    passages: tuple[Passage, ...]
    flat: str
    terms: frozenset[str]
    numbers: frozenset[float]


def verify(
    draft: Draft,
    sources: Sequence[SourceDoc],
    embedder: Embedder,
    min_similarity: float = 0.45,
    max_dropped_share: float = 0.34,
    judge: Judge | None = None,
) -> VerifiedDraft:
    """Check every sentence of ``draft`` against the sources it cites; keep what is supported
    (and, with ``judge``, what the judge does not veto)."""
    by_number = _passages_by_citation(draft.sources, sources)
    earlier = _earlier_days(draft.sources, sources)
    embedder = _MemoEmbedder(embedder)
    review = judge.review() if judge is not None else None
    verdicts: list[SentenceVerdict] = []
    kept: list[Sentence] = []
    for sentence in draft.sentences:
        verdict, keep = _check_sentence(sentence, by_number, embedder, min_similarity, earlier)
        if review is not None and keep is not None:
            shown = partial(judge_passages, keep, by_number, embedder)
            verdict, keep = review.check(verdict, keep, shown)
        verdicts.append(verdict)
        if keep is not None:
            kept.append(keep)
    return _result(draft, verdicts, kept, max_dropped_share)


class _MemoEmbedder:
    """Remembers vectors within one draft: sentences share candidate passages, and the rules
    and the support model look at the same ones."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dimensions = inner.dimensions
        self._seen: dict[str, npt.NDArray[np.float32]] = {}

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if missing:
            self._seen.update(zip(missing, self.inner.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self._seen[t] for t in texts]).astype(np.float32)


def _result(
    draft: Draft,
    verdicts: Sequence[SentenceVerdict],
    kept: Sequence[Sentence],
    max_dropped_share: float,
) -> VerifiedDraft:
    total = len(draft.sentences)
    dropped = total - len(kept)
    share = dropped / total if total else 1.0
    new = _rebuild(draft, kept)
    if not kept:
        return VerifiedDraft(new, tuple(verdicts), False, "no sentence is supported by its sources")
    if share > max_dropped_share:
        reason = (
            f"{dropped} of {total} sentences unsupported ({share:.0%} > {max_dropped_share:.0%})"
        )
        return VerifiedDraft(new, tuple(verdicts), False, reason)
    reason = f"{len(kept)} of {total} sentences supported" + (
        f", {dropped} dropped" if dropped else ""
    )
    return VerifiedDraft(new, tuple(verdicts), True, reason)


def _rebuild(draft: Draft, kept: Sequence[Sentence]) -> Draft:
    """The draft with only the kept sentences; summary and key points follow what is left."""
    texts = [s.text for s in kept]
    points = tuple(p for p in draft.key_points if any(p.rstrip(".") in t for t in texts))
    headline = draft.headline
    if kept and _from_dropped(headline, draft.sentences, kept):
        headline = heads.headline((), kept[0].text, others=texts[1:3])
    summary = draft.summary
    if kept and (
        not draft.sentences
        or kept[0].text != draft.sentences[0].text
        or _from_dropped(summary, draft.sentences, kept)  # the card's sentence went
    ):
        summary = heads.summary(kept[0].text, headline, texts[1:])
    return replace(
        draft,
        headline=headline,
        sentences=tuple(kept),
        summary=summary if kept else "",
        key_points=points,
    )


def _from_dropped(headline: str, drafted: Sequence[Sentence], kept: Sequence[Sentence]) -> bool:
    """Whether the headline (or the card's summary) was made from a sentence the verifier
    dropped (its words are all that sentence's, and not all any kept one's): it goes with its
    sentence."""
    words = set(nlp.lower_terms(headline))
    if not words:
        return False
    kept_texts = {s.text for s in kept}
    dropped = [s.text for s in drafted if s.text not in kept_texts]
    return any(words <= set(nlp.lower_terms(t)) for t in dropped) and not any(
        words <= set(nlp.lower_terms(t)) for t in kept_texts
    )


# --------------------------------------------------------------------------- corpus


def _passages_by_citation(
    refs: Sequence[SourceRef], sources: Sequence[SourceDoc]
) -> dict[int, list[Passage]]:
    by_id = {s.article_id: s for s in sources}
    out: dict[int, list[Passage]] = {}
    for ref in refs:
        source = by_id.get(ref.article_id)
        if source is not None:
            out[ref.index] = passages(source.text, ref.index, ref.article_id)
    return out


def passages(body: str, citation: int = 0, article_id: int = 0) -> list[Passage]:
    """Single sentences and windows of ``WINDOW`` consecutive sentences of ``body``.

    Sentences that read as instructions to a model ("Ignore previous instructions...") are left
    out: source text is data, and such text never supports a claim.
    """
    sents = [s for s in nlp.split_sentences(body) if not nlp.looks_like_instruction(s)]
    out = [Passage(citation, article_id, s, frozenset(nlp.content_terms(s))) for s in sents]
    for i in range(len(sents) - WINDOW + 1):
        text = " ".join(sents[i : i + WINDOW])
        out.append(Passage(citation, article_id, text, frozenset(nlp.content_terms(text))))
    return out


def corpus(found: Sequence[Passage]) -> Corpus:
    flat = _flatten(" ".join(p.text for p in found))
    terms = frozenset().union(*(p.terms for p in found)) if found else frozenset()
    values = frozenset(nlp.number_values(flat, include_words=True))
    return Corpus(tuple(found), flat, terms, values)


def _flatten(text: str) -> str:
    return nlp.normalize_space(nlp.straight_quotes(text)).lower()


# --------------------------------------------------------------------------- facts


def missing_facts(sentence: str, found: Corpus) -> list[str]:
    """Numbers, quotations, names and dates of ``sentence`` absent from the corpus."""
    reasons: list[str] = []
    for quantity in nlp.numbers(sentence, include_words=False):
        if round(quantity.value, 6) not in found.numbers:
            reasons.append(f"number not in cited sources: {quantity.text}")
    for quote in nlp.quotes(sentence):
        if _flatten(quote).strip(" .,") not in found.flat:
            reasons.append(f"quotation not in cited sources: {quote[:60]}")
    for name in nlp.entities(sentence):
        if not _name_found(name, found):
            reasons.append(f"name not in cited sources: {name}")
    for when in nlp.dates(sentence):
        if _flatten(when).rstrip(".") not in found.flat:
            reasons.append(f"date not in cited sources: {when}")
    return reasons


def _name_found(name: str, found: Corpus) -> bool:
    flat = _flatten(name)
    if flat in found.flat:
        return True
    parts = [w for w in nlp.lower_terms(name) if w not in nlp.STOPWORDS]
    return bool(parts) and all(re.search(rf"\b{re.escape(w)}\b", found.flat) for w in parts)


def term_coverage(sentence: str, terms: frozenset[str]) -> float:
    """Share of the sentence's content words found in ``terms`` (1.0 for none)."""
    own = nlp.content_terms(sentence)
    return sum(t in terms for t in own) / len(own) if own else 1.0


# --------------------------------------------------------------------------- meaning


def best_passages(
    sentence: str, found: Sequence[Passage], embedder: Embedder, top: int = TOP_PASSAGES
) -> list[tuple[Passage, float]]:
    """The lexically closest passages, re-scored by embedding similarity, best first."""
    own = frozenset(nlp.content_terms(sentence))
    if not found:
        return []
    exact = _flatten(sentence)
    ranked = sorted(found, key=lambda p: -_overlap(own, p.terms))[: top * 2]
    hits = [(p, 1.0) for p in ranked if exact and exact in _flatten(p.text)]
    if hits:
        return hits
    vectors = embedder.embed([sentence, *[p.text for p in ranked]])
    sims = (vectors[1:] @ vectors[0]).tolist()
    pairs = sorted(zip(ranked, sims, strict=True), key=lambda x: -x[1])
    return [(p, float(s)) for p, s in pairs]


def judge_passages(
    sentence: Sentence, by_number: dict[int, list[Passage]], embedder: Embedder, top: int = 2
) -> list[str]:
    """The passages shown to the judge: the best ones of the sources the sentence cites."""
    cited = [p for n in sentence.citations for p in by_number.get(n, [])]
    return [p.text for p, _ in best_passages(sentence.text, cited, embedder)[:top]]


def _overlap(own: frozenset[str], terms: frozenset[str]) -> float:
    return len(own & terms) / (len(own) + 0.5 * len(terms) + 1)


# --------------------------------------------------------------------------- sentences


def _earlier_days(refs: Sequence[SourceRef], sources: Sequence[SourceDoc]) -> frozenset[int]:
    """The citation numbers of sources written on an earlier day than the story's newest."""
    latest = newest(sources)
    if latest is None:
        return frozenset()
    written = {s.article_id: s.published for s in sources}
    return frozenset(
        r.index for r in refs if an_earlier_day(written.get(r.article_id, UNKNOWN_TIME), latest)
    )


def _check_sentence(
    sentence: Sentence,
    by_number: dict[int, list[Passage]],
    embedder: Embedder,
    min_similarity: float,
    earlier: frozenset[int] = frozenset(),
) -> tuple[SentenceVerdict, Sentence | None]:
    cited = [p for n in sentence.citations for p in by_number.get(n, [])]
    if not cited:
        verdict = SentenceVerdict(sentence.text, False, 0.0, ("cites no known source",), ())
        return verdict, None
    found = corpus(cited)
    ranked = best_passages(sentence.text, cited, embedder)
    similarity = ranked[0][1] if ranked else 0.0
    coverage = term_coverage(sentence.text, found.terms)
    reasons = missing_facts(sentence.text, found)
    if coverage < MIN_TERM_COVERAGE:
        reasons.append(f"only {coverage:.0%} of its words are in the cited sources")
    if similarity < min_similarity:
        reasons.append(f"similarity {similarity:.2f} below {min_similarity:.2f}")
    if in_personal_voice(sentence.text):
        reasons.append("it says I, we or you outside quotation marks: not Herald's voice")
    if exclaims(sentence.text):
        reasons.append("it exclaims outside quotation marks: not Herald's neutral voice")
    if dated_by_its_day(sentence.text) and set(sentence.citations) <= earlier:
        reasons.append("it says today or yesterday from sources written on an earlier day")
    evidence = _evidence_per_source(sentence, ranked, by_number, embedder, min_similarity)
    supported_by = tuple(e.citation for e in evidence)
    if not supported_by:
        reasons.append("no cited source has a passage that supports it")
    elif supported_by != sentence.citations:
        kept = corpus([p for n in supported_by for p in by_number.get(n, [])])
        reasons.extend(r for r in missing_facts(sentence.text, kept) if r not in reasons)
    support = sup.support_probability(
        sup.features(
            [
                sup.sentence_support(
                    sentence.text, [(p.text, p.terms) for p in cited], _index(cited), embedder
                )
            ]
        )
    )
    if support < sup.THRESHOLD:
        reasons.append(f"support score {support:.2f} below {sup.THRESHOLD:.2f}")
    score = round(support, 4)
    if not reasons:
        verdict = SentenceVerdict(sentence.text, True, score, ("supported",), evidence)
        return verdict, replace(sentence, citations=supported_by, evidence=evidence)
    verdict = SentenceVerdict(sentence.text, False, score, tuple(reasons), evidence)
    return verdict, _replacement(sentence, ranked)


def _evidence(
    ranked: Sequence[tuple[Passage, float]], citations: Sequence[int]
) -> tuple[Evidence, ...]:
    """The best passage of each cited source among the ranked ones, in citation order."""
    best: dict[int, Evidence] = {}
    for passage, value in ranked:
        if passage.citation in citations and passage.citation not in best:
            best[passage.citation] = Evidence(
                passage.citation, passage.article_id, passage.text, round(value, 4)
            )
    return tuple(best[c] for c in citations if c in best)


def _evidence_per_source(
    sentence: Sentence,
    ranked: Sequence[tuple[Passage, float]],
    by_number: dict[int, list[Passage]],
    embedder: Embedder,
    min_similarity: float,
) -> tuple[Evidence, ...]:
    """Evidence from every cited source that has a supporting passage; a citation without
    one is dropped, so a citation always shows a passage that supports its sentence."""
    found = {e.citation: e for e in _evidence(ranked, sentence.citations)}
    for number in sentence.citations:
        if number in found:
            continue
        best = best_passages(sentence.text, by_number.get(number, []), embedder)
        if best and best[0][1] >= min_similarity:
            passage, value = best[0]
            found[number] = Evidence(number, passage.article_id, passage.text, round(value, 4))
    return tuple(found[n] for n in sentence.citations if n in found)


def _replacement(sentence: Sentence, ranked: Sequence[tuple[Passage, float]]) -> Sentence | None:
    """The best single source sentence, when it is close and stands on its own; else None."""
    for passage, value in ranked:
        if value < REPLACE_SIMILARITY:
            return None
        text = passage.text
        if len(nlp.split_sentences(text)) != 1 or is_junk(text) or fix_opening(text, [])[0] != text:
            continue
        evidence = (Evidence(passage.citation, passage.article_id, text, 1.0),)
        return replace(sentence, text=text, citations=(passage.citation,), evidence=evidence)
    return None


# --------------------------------------------------------------------------- pairs


def source_support_index(found: Sequence[Passage]) -> sup.SourceIndex:
    """The lookup tables of :mod:`herald.verify.support` for a set of passages."""
    singles = [p.text for p in found if len(nlp.split_sentences(p.text)) <= 1] or [
        p.text for p in found
    ]
    everything = corpus(found)
    return sup.source_index(" \n".join(singles), everything.terms, everything.numbers)


def _index(found: Sequence[Passage]) -> sup.SourceIndex:
    return source_support_index(found)


def pair_features(document: str, summary: str, embedder: Embedder) -> tuple[float, ...]:
    """The support features (:data:`herald.verify.support.FEATURES`) of a summary."""
    found = passages(document)
    if not found:
        return sup.features([])
    index = source_support_index(found)
    candidates = [(p.text, p.terms) for p in found]
    sentences = summary_sentences(summary) or [summary]
    return sup.features([sup.sentence_support(s, candidates, index, embedder) for s in sentences])


def score_pair(document: str, summary: str, embedder: Embedder) -> float:
    """How likely ``document`` supports all of ``summary`` (0..1): the logistic support model
    of :mod:`herald.verify.support` over the summary's sentences."""
    if not passages(document):
        return 0.0
    return sup.support_probability(pair_features(document, summary, embedder))


def summary_sentences(summary: str) -> list[str]:
    """Sentences of a summary; lower-cased model output is split at sentence punctuation."""
    if any(c.isupper() for c in summary):
        return nlp.split_sentences(summary)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", summary) if len(s.split()) > 2]
