"""Photo captions: what a picture shows is not what a story reports.

Pages give their pictures' captions in the article text, and a wire caption reads like a
sentence: "Italian Premier Silvio Berlusconi sits in the lower chamber to attend a confidence
vote, in Rome, Friday, Oct. 14, 2011." The wire style (AP, Reuters, AFP) is recognisable:
the picture is described in the present tense ("sits", "speaks", "is greeted by") or as a
bare noun phrase ("The scene of collapsed houses ... on July 29, 2013."), and dated in full,
with the year, as an adverbial of its own; or the caption says what it is ("... is shown in
this June 27, 2011 file photo") or where someone stands in the picture ("Megan Rapinoe,
front, fends off...", "Bernie Sanders (2nd row down, center) liked what he heard"), or it
describes "a photo" with no verb or in the present tense ("A 2013 photo shows the gates...").

A story's sentences report in the past tense; the present tense with a full date is rare
there, and left alone: what is scheduled ("The law takes effect Jan. 1, 2019",
:data:`SCHEDULED`), what a document or a fact says or holds ("The lawsuit says...", "The
incident dates to March 25, 2016", :data:`STATIVE`), and a date that belongs to a noun ("she
concedes in a Dec. 8, 1939 letter") or to another verb ("the treaty, signed Oct. 1, 1953").

The grammar is read by spaCy's parser (:func:`herald.write.clause_cut.parse`), only for the
few sentences with a full date.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from herald.nlp import text as nlp
from herald.write.clause_cut import parse

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

__all__ = ["SCHEDULED", "STATIVE", "is_caption"]

_FULL_DATE = re.compile(rf"\b{nlp.MONTH_PATTERN} \d{{1,2}}(?:st|nd|rd|th)?,? (?:1[89]|20)\d\d\b")
# a date that modifies a noun: "a Dec. 8, 1939 letter", "the Oct. 28, 2016, agreement"
_ATTRIBUTIVE = re.compile(r"\b(?:a|an|the|this|that|its|his|her|their|our|\w+['’]s)\s+$", re.I)
# "Judge Aaron Persky is shown in this June 27, 2011 file photo."
_SHOWN = re.compile(
    r"\b(?:is|are) (?:shown|pictured|seen)\b[^.!?]{0,60}\b(?:photo|photograph|image|picture)\b",
    re.IGNORECASE,
)
# Where a person stands in the picture, after their name: "Megan Rapinoe, front, fends off
# ...", "Bernie Sanders (2nd row down, center) liked what he heard", "Smith (left) and Jones".
_SPOT = r"(?:left|right|center|centre|front|rear|middle|foreground|background)"
_PLACE_WORD = rf"(?:far|second|third|2nd|3rd|row|down|up|from|the|top|bottom|back|in|at|{_SPOT})"
_POSITION = re.compile(
    rf"\b(?!(?:Oh|Yes|No|All|Well|Okay|OK|So|Sure)\b)[A-Z][\w'’.-]*(?:, {_SPOT}(?: to {_SPOT})?,|"
    rf",? \((?!far (?:left|right)\))(?:{_PLACE_WORD}[\s,]*){{0,4}}{_SPOT}"
    rf"(?:[\s,]*{_PLACE_WORD}){{0,4}}\))"
)
# "A photo from the 1998 excavation, with the brachiosaur foot bones...", "A 2013 photo shows
# the gates of the Tower Bridge..."; not "A photo released by school officials showed the boy"
_A_PHOTO = re.compile(r"^(?:A|An) (?:[\w-]+ )?(?:photo|photograph|picture|image)\b")
_QUOTED = re.compile(r"[\"“]([^\"“”]*)[\"”]")  # linear: a source's text is anyone's
LONG_QUOTE_WORDS = 5
SCHEDULED = frozenset(
    {
        "be",
        "become",
        "begin",
        "close",
        "come",
        "continue",
        "end",
        "expire",
        "go",
        "have",
        "last",
        "launch",
        "mark",
        "open",
        "remain",
        "return",
        "run",
        "schedule",
        "set",
        "start",
        "take",
    }
)
"""Verbs whose present tense announces what is planned, not what a picture shows."""
STATIVE = frozenset(
    {
        "allege",
        "argue",
        "claim",
        "contain",
        "date",
        "include",
        "involve",
        "mean",
        "note",
        "require",
        "say",
        "state",
        "suggest",
    }
)
"""Verbs whose present tense states what a document or a fact says or holds."""
_PRESENT = frozenset({"VBZ", "VBP", "VB"})
_IRREGULAR = {"be": ("is", "are", "am"), "have": ("has",), "begin": ("begun",), "take": ("taken",)}


def _forms(verbs: frozenset[str]) -> frozenset[str]:
    """Present and participle forms ("take", "takes", "taken"; "schedule", "scheduled"):
    the parser is loaded without its lemmatizer."""
    out: set[str] = set()
    for v in verbs:
        out |= {v, v + "s", v + "es", v + "d", v + "ed", *_IRREGULAR.get(v, ())}
        if v.endswith("y"):
            out |= {v[:-1] + "ies", v[:-1] + "ied"}
    return frozenset(out)


_NOT_PICTURED = _forms(SCHEDULED | STATIVE)


def is_caption(sentence: str) -> bool:
    """Whether ``sentence`` reads as a wire photo caption (see the module docstring)."""
    if _SHOWN.search(sentence) or _POSITION.search(sentence):
        return True
    if _A_PHOTO.match(sentence):
        return _describes_picture(sentence)
    dates = _dates(sentence)
    if not dates or _has_long_quote(sentence):
        return False
    doc = parse(sentence)
    roots = [t for t in doc if t.dep_ == "ROOT"]
    if not roots:
        return False
    root = roots[0]  # of the first sentence, when the parser sees a caption glued to another
    if all(_of_another_verb(doc.char_span(*d, alignment_mode="expand"), root) for d in dates):
        return False
    if root.pos_ in {"NOUN", "PROPN"}:
        return True  # no verb: a picture's label
    if root.lower_ in _NOT_PICTURED:
        return False
    helpers = [c for c in root.children if c.dep_ in {"aux", "auxpass"}]
    if root.tag_ in _PRESENT:
        return not helpers and any(c.dep_ == "nsubj" for c in root.children)
    if root.tag_ == "VBN":  # "... is greeted by ...", "... are seen ..."
        passive = any(c.dep_ == "auxpass" for c in helpers)
        return passive and all(c.tag_ in {"VBZ", "VBP"} for c in helpers)
    return False


def _has_long_quote(sentence: str) -> bool:
    """Whether ``sentence`` quotes someone at some length (five words or more)."""
    return any(len(m.group(1).split()) >= LONG_QUOTE_WORDS for m in _QUOTED.finditer(sentence))


def _describes_picture(sentence: str) -> bool:
    """Whether a sentence about "a photo" is its caption: no verb at all, or one in the present
    tense ("shows", "provides"); a past tense reports on the picture ("showed")."""
    roots = [t for t in parse(sentence) if t.dep_ == "ROOT"]
    return bool(roots) and (roots[0].pos_ in {"NOUN", "PROPN"} or roots[0].tag_ in _PRESENT)


def _dates(sentence: str) -> list[tuple[int, int]]:
    """Where full dates with their years stand, but for those before a noun."""
    return [
        m.span()
        for m in _FULL_DATE.finditer(sentence)
        if not _ATTRIBUTIVE.search(sentence[: m.start()])
    ]


def _of_another_verb(span: Span | None, root: Token) -> bool:
    """Whether the date follows a verb other than the main one ("a treaty signed Oct. 1,
    1953", "born on April 28, 1990"): it dates that verb, not the picture."""
    if span is None:
        return True
    before = span.start - 1
    if before >= 0 and span.doc[before].lower_ == "on":
        before -= 1
    if before < 0:
        return False
    verb = span.doc[before]
    return verb.pos_ in {"VERB", "AUX"} and verb.i != root.i
