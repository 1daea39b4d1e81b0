"""Whose words a source's sentences are: the sentences Herald must not say in its own voice.

A source's text holds more than its reporter's reporting: someone's words that lost their
quotation marks (a transcript, a statement printed as a block, the middle of a long
quotation), a document's excerpt introduced by a colon, a fundraiser's "Let's help...", the
headline printed above the text, a picture's caption followed by its credit. Each function
here takes a source's sentences as ``(paragraph, text, people named)`` and returns the
positions of those that are not Herald's to say (:func:`not_heralds` gathers them all).
Sentences that date themselves by the day they were written ("today", "yesterday") are
checked against the story's newest source (:func:`dated_by_its_day`, :func:`an_earlier_day`).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from herald.nlp import text as nlp
from herald.write.base import UNKNOWN_TIME, SourceDoc

Sentences = Sequence[tuple[int, str, list[str]]]
"""A source's sentences in order: (paragraph index, text, people it names)."""

MAX_PRINTED_HEADLINE_WORDS = 14  # a headline printed above the text is at most this long
STALE_HOURS = 12  # a source this much older than the newest, on another day, is "earlier"
VOICE_GAP = 3  # sentences between two of a source's first-person ones that are theirs too
# A sentence introducing a block of someone's words or of a document (see _introduces).
_INTRODUCES_WORDS = re.compile(
    r"\b(?:said|says|say|wrote|writes|write|reads?|stated?|states|added|adds|told|tells|"
    r"tweeted|posted|announced|announces|declared|declares|explained|explains|testified|"
    r"alleges|alleged|claims|claimed|continued|continues|statement|letter|lawsuit|suit|"
    r"complaint|filing|indictment|affidavit|memo|email|e-mail|tweet|post|excerpts?|"
    r"transcript|release|ruling|verdict|decision|order|opinion|petition|remarks|speech)\b",
    re.IGNORECASE,
)
_INTRODUCES_MEDIA = re.compile(
    r"\b(?:below|above|watch|listen|video|photos?|pictures?|images?|clip|gallery)\b",
    re.IGNORECASE,
)
_PHOTO_CREDIT = re.compile(
    r"^\(?(?:Photo(?:graph)?s?|Image|Picture|Pictured)\s*(?::|by\b|credit\b)", re.IGNORECASE
)
_RELATIVE_DAY = re.compile(
    r"\b(?:today|tonight|yesterday|tomorrow|this (?:morning|afternoon|evening)|last night)\b",
    re.IGNORECASE,
)
_CLOSING_QUOTE = re.compile('[”"]')
_OPENING_QUOTE = re.compile('[“"]')
# "we" and "our" likewise: a family's statement, an op-ed, a magazine's "our list", a
# fundraiser's "Let's help the Kleins" ("us" in lower case only: "US" is a country, "Us
# Weekly" a magazine)
PLURAL_WORDS = r"[Ww]e|[Ww]e['’](?:re|ve|ll|d)|us|[Oo]urs?|[Oo]urselves|[Ll]et['’]s"
PLURAL = re.compile(rf"\b(?:{PLURAL_WORDS})\b")
FIRST_PERSON = re.compile(
    rf"\bI(?:['’](?:m|ve|d|ll))?\b|\b(?:[Mm]e|[Mm]y|[Mm]yself|{PLURAL_WORDS})\b"
)


def not_heralds(sentences: Sentences, title: str = "") -> set[int]:
    """The positions of the sentences that are someone's words or not reporting at all: in
    someone's voice, inside a quotation running over sentences, an excerpt introduced by a
    colon, the headline printed above the text, a caption followed by its photo credit."""
    return (
        _in_someones_voice(sentences)
        | _inside_quotations(sentences)
        | _excerpts(sentences)
        | _printed_headlines(sentences, title)
        | _captions_before_credits(sentences)
    )


def dated_by_its_day(sentence: str) -> bool:
    """Whether ``sentence`` says "today", "tonight", "yesterday", "tomorrow", "this morning",
    "last night"... outside quotation marks: true on the day its source was written, not in
    an article dated days later ("Jack the cat had to be euthanized by the veterinarian
    today", from an airline's statement two months into the story)."""
    return bool(_RELATIVE_DAY.search(nlp.unquoted(sentence)))


def newest(sources: Sequence[SourceDoc]) -> datetime | None:
    """The newest known publication time among ``sources`` (None when none is known)."""
    return max((s.published for s in sources if s.published != UNKNOWN_TIME), default=None)


def an_earlier_day(published: datetime, newest: datetime) -> bool:
    """Whether a source dated ``published`` was written on an earlier day than ``newest``
    (at least ``STALE_HOURS`` before it and on another calendar day); unknown dates never are."""
    if published == UNKNOWN_TIME:
        return False
    return newest - published >= timedelta(hours=STALE_HOURS) and newest.date() != published.date()


def _in_someones_voice(sentences: Sentences) -> set[int]:
    """The sentences between two that say "I", "we" or "our" outside quotation marks, right
    next to them or at most ``VOICE_GAP`` apart within one paragraph: the same speaker's words
    without a pronoun, in a transcript, a statement printed as a block, a column or a blog
    ("The judge conducted the trial in a professional manner", in a paragraph of a
    president's remarks' transcript), never something Herald can say in its own voice.
    (Sentences that say "I" themselves are junk: :func:`is_junk`.)"""
    speaking = [bool(FIRST_PERSON.search(text)) for text in _outside_quotes(sentences)]
    voiced = {
        i
        for i in range(1, len(speaking) - 1)
        if speaking[i - 1] and speaking[i + 1] and not speaking[i]
    }
    by_paragraph: dict[int, list[int]] = {}
    for i, (para, _, _) in enumerate(sentences):
        if speaking[i]:
            by_paragraph.setdefault(para, []).append(i)
    for found in by_paragraph.values():
        for before, after in itertools.pairwise(found):
            if after - before <= VOICE_GAP + 1:
                voiced.update(range(before + 1, after))
    return voiced


def _outside_quotes(sentences: Sentences) -> list[str]:
    """Each sentence's words outside quotation marks, where a quotation may run on over
    sentences of its paragraph ('"We are ready. We will win," he said.')."""
    return ["" if text is None else text for text in _quotation_runs(sentences)]


def _inside_quotations(sentences: Sentences) -> set[int]:
    """The sentences wholly inside a quotation that opened in an earlier sentence of their
    paragraph: '"I have talked to a few activists. Ultimately, the conversation is going in
    a positive way. Keep it positive."' Without their quotation marks and speaker they would
    read as Herald's own words."""
    return {i for i, text in enumerate(_quotation_runs(sentences)) if text is None}


def _captions_before_credits(sentences: Sentences) -> set[int]:
    """The sentences followed in their paragraph by a photo credit: a picture's caption
    ("Peter Madsen speaks to police shortly after his rescue on August 11th." then "Photo: Bax
    Lindhardt/Scanpix"), not reporting."""
    return {
        i
        for i, ((para, _, _), (after, credit, _)) in enumerate(itertools.pairwise(sentences))
        if para == after and _PHOTO_CREDIT.match(credit)
    }


def _printed_headlines(sentences: Sentences, title: str) -> set[int]:
    """The source's headline printed above its text as a paragraph of its own ("Northwestern
    football players win pivotal union case."): a title, not a sentence of the article. Not
    a lead that its feed also gave as the title, sharing its paragraph with the story ("LFO
    singer Devin Lima died on Wednesday, November 21, Us Weekly confirms. He was 41."), nor
    one longer than a headline (a one-sentence wire lead)."""
    headline = tuple(nlp.lower_terms(title))
    if not headline or len(headline) > MAX_PRINTED_HEADLINE_WORDS:
        return set()
    per_paragraph = Counter(para for para, _, _ in sentences)
    return {
        i
        for i, (para, raw, _) in enumerate(sentences)
        if per_paragraph[para] == 1 and tuple(nlp.lower_terms(raw)) == headline
    }


def _excerpts(sentences: Sentences) -> set[int]:
    """The sentences of a paragraph introduced by a colon ending the paragraph before: an
    excerpt of a document or a statement printed as a block ("...the lawsuit itself announces
    the nature of the relationship in the first paragraph of the suit's factual background:"
    then "Ms. Clifford began an intimate relationship with Mr. Trump..."). They are the
    document's words, an allegation or a claim, not facts Herald may state as its own."""
    last_of: dict[int, str] = {}
    for para, raw, _ in sentences:
        last_of[para] = raw
    return {i for i, (para, _, _) in enumerate(sentences) if _introduces(last_of.get(para - 1, ""))}


def _introduces(sentence: str) -> bool:
    """Whether ``sentence`` ends with a colon introducing someone's words or a document's
    ("The statement read:", "...the lawsuit itself announces the nature of the relationship
    in ... its factual background:"), not a picture, a video or a list ("You can see the
    photos below:", "Here's what you need to know:", "...suffered an embarrassing breach:")."""
    outside = nlp.unquoted(sentence)
    return (
        sentence.rstrip().endswith(":")  # not 'he said: "They all have risks."'
        and bool(_INTRODUCES_WORDS.search(outside))
        and not _INTRODUCES_MEDIA.search(outside)
    )


def _quotation_runs(sentences: Sentences) -> list[str | None]:
    """Each sentence's words outside quotation marks, ``None`` for a sentence wholly inside a
    quotation running on from an earlier sentence of its paragraph."""
    out: list[str | None] = []
    paragraph, still_open = -1, False
    for para, raw, _ in sentences:
        if para != paragraph:
            paragraph, still_open = para, False
        text = raw
        if still_open:
            closing = _CLOSING_QUOTE.search(text)
            if closing is None:
                out.append(None)
                continue
            text, still_open = text[closing.end() :], False
        outside = nlp.unquoted(text)
        opening = _OPENING_QUOTE.search(outside)
        if opening is not None:
            outside, still_open = outside[: opening.start()], True
        out.append(outside)
    return out
