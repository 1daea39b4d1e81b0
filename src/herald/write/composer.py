"""The extractive composer: a cited wire-style article from source sentences, with no LLM.

Pipeline (pure; the embedder is the only dependency): split every source into candidate
sentences (junk skipped, openings fixed: see :mod:`herald.write.candidates`), score them
(:mod:`herald.write.ranking`), choose with MMR up to the word budget, arrange them lead first,
and cite each sentence's own source plus every other source holding a strongly similar sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from herald.exceptions import WriteError
from herald.nlp.embed import Embedder
from herald.types import Draft, Sentence, SourceRef
from herald.write import headline as heads
from herald.write import ranking
from herald.write.base import UNKNOWN_TIME, SourceDoc
from herald.write.candidates import Candidate, candidates
from herald.write.dateline import dateline
from herald.write.names import introduce_all

WRITER_NAME = "composer-v1"
CITE_SIMILARITY = 0.78
SENTENCES_PER_PARAGRAPH = 3


def compose(
    story_title: str,
    sources: Sequence[SourceDoc],
    embedder: Embedder,
    target_words: int = 250,
    min_words: int = 150,
    max_words: int = 400,
) -> Draft:
    """Write a cited draft about one story from its ``sources`` (raises WriteError if none fit).

    ``story_title`` (the writers' common interface) is not used: the headline comes from the
    cited sources' own headlines or sentences (:func:`_titled`)."""
    cands = candidates(sources)
    if not cands:
        raise WriteError("no usable sentence in the sources")
    scored = ranking.score(cands, embedder.embed([c.text for c in cands]))
    chosen = ranking.select(scored, target_words, max_words)
    order = ranking.arrange(cands, chosen, [s.published for s in sources])
    if not order:
        raise WriteError("no sentence could be chosen")
    support = [_supporting_docs(scored, i) for i in order]
    refs, numbers = _references(sources, support)
    texts = introduce_all(
        [cands[i].text for i in order],
        [sources[cands[i].doc].text for i in order],
        [cands[i].original for i in order],
    )
    sentences = _sentences(cands, order, support, numbers, texts)
    return _draft(sources, scored, chosen, sentences, refs, min_words, set(numbers))


def _supporting_docs(scored: ranking.Scored, i: int) -> list[int]:
    """The sentence's own source, then other sources with a strongly similar sentence."""
    cands = scored.candidates
    own = cands[i].doc
    best: dict[int, float] = {}
    for j, value in enumerate(scored.similarity[i].tolist()):
        doc = cands[j].doc
        if doc != own and value >= CITE_SIMILARITY and value > best.get(doc, 0.0):
            best[doc] = value
    return [own, *sorted(best, key=lambda d: -best[d])]


def _references(
    sources: Sequence[SourceDoc], support: Sequence[Sequence[int]]
) -> tuple[tuple[SourceRef, ...], dict[int, int]]:
    """Cited sources numbered 1.. in order of first citation."""
    numbers: dict[int, int] = {}
    for docs in support:
        for doc in docs:
            numbers.setdefault(doc, len(numbers) + 1)
    refs = tuple(_ref(n, sources[doc]) for doc, n in numbers.items())
    return refs, numbers


def _ref(number: int, source: SourceDoc) -> SourceRef:
    return SourceRef(
        number, source.article_id, source.outlet, source.url, source.title, source.published
    )


def _sentences(
    cands: Sequence[Candidate],
    order: Sequence[int],
    support: Sequence[Sequence[int]],
    numbers: dict[int, int],
    texts: Sequence[str],
) -> tuple[Sentence, ...]:
    """The article's sentences (``texts``: the chosen candidates' words, in article order)."""
    out: list[Sentence] = []
    paragraph = 0
    in_paragraph = 0
    for k, (i, docs) in enumerate(zip(order, support, strict=True)):
        if k == 1 or (in_paragraph >= SENTENCES_PER_PARAGRAPH and not cands[i].needs_previous):
            paragraph += 1
            in_paragraph = 0
        citations = tuple(sorted({numbers[d] for d in docs}))
        out.append(Sentence(texts[k], citations, paragraph=paragraph))
        in_paragraph += 1
    return tuple(out)


def _draft(
    sources: Sequence[SourceDoc],
    scored: ranking.Scored,
    chosen: Sequence[int],
    sentences: tuple[Sentence, ...],
    refs: tuple[SourceRef, ...],
    min_words: int,
    cited: set[int],
) -> Draft:
    lead = sentences[0].text
    ranked = [scored.candidates[i].text for i in chosen]
    notes: list[str] = []
    words = sum(len(s.text.split()) for s in sentences)
    if words < min_words:
        notes.append(f"short: {words} words, fewer than {min_words}")
    docs = _titled(sources, scored, cited)
    title = heads.headline(
        [sources[d].title for d in docs],
        lead,
        _outlets(sources),
        ranked[:3],
        [sources[d].text for d in docs] + [s.text for d, s in enumerate(sources) if d not in docs],
    )
    return Draft(
        headline=title,
        summary=heads.summary(lead, title, [s.text for s in sentences[1:]]),
        dateline=_dateline(refs),
        sentences=sentences,
        key_points=heads.key_points(ranked),
        sources=refs,
        writer=WRITER_NAME,
        notes=tuple(notes),
    )


def _titled(sources: Sequence[SourceDoc], scored: ranking.Scored, cited: set[int]) -> list[int]:
    """The sources the article cites that have a headline, the most central first: a story's
    other sources may be about something else (the demo's article on "Gone with the Wind" was
    headlined by an uncited source in its story, "Every Matthew McConaughey Movie Is Actually
    About Rust Cohle"), and so may the story's own title, the headline of one of them."""
    docs = np.array([c.doc for c in scored.candidates])
    centrality: dict[int, float] = {}
    for d in np.unique(docs).tolist():
        centrality[int(d)] = float(scored.relevance[docs == d].max())
    ranked = sorted(range(len(sources)), key=lambda d: -centrality.get(d, -1.0))
    return [d for d in ranked if sources[d].title and d in cited]


def _outlets(sources: Sequence[SourceDoc]) -> list[str]:
    return sorted({s.outlet for s in sources if s.outlet}, key=len, reverse=True)


def _dateline(refs: Sequence[SourceRef]) -> str:
    """The dateline of the newest cited source ('' when no cited source has a date)."""
    known = [r.published for r in refs if r.published != UNKNOWN_TIME]
    return dateline(max(known)) if known else ""
