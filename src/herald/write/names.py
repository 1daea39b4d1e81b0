"""A person the article names by surname alone is named in full the first time.

A source introduces "Kevin Evans, a neighbor," and later quotes him as "Evans said"; an
article that takes only the later sentence would quote an "Evans" its reader never met (the
demo's Wayne State article ended '"...we heard two more shots," Evans said.'). The first time
the article mentions such a surname, outside quotation marks, not part of a longer name
("Mr. Evans", "Chris Evans") and a name that is not a place, a date or a common word there
(spaCy's tags: not "in Washington", "in May", "Young people"), it becomes the full name its
own source gave before that sentence: the one person spaCy tags with that surname there. When
the source names two people with that surname (a family), or none, the sentence stays as it
is. The full name is the source's own text, so the verifier finds it in the cited source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from herald.cluster.ner import named_entities
from herald.exceptions import ModelError
from herald.nlp import text as nlp
from herald.write.clause_cut import parse

_POSSESSIVE = re.compile(r"['’]s$")
_WORD = re.compile(r"\b[A-Z][a-z][\w'’-]*")
# spaCy's part-of-speech tags of a capitalised word used as a common word ("Young people");
# not NOUN or ADP, which the small model gives names too ("Lopes cashed it", "Alba co-founded")
_COMMON_WORD_TAGS = frozenset(
    {"ADJ", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NUM", "PART", "PRON", "SCONJ", "VERB"}
)
# entity labels a bare surname may get: a person, an organisation (spaCy's small English model
# often calls one that), or none ("" for a capitalised name spaCy left untagged)
_MAYBE_PEOPLE = frozenset({"PERSON", "ORG", ""})
_CALENDAR = frozenset(
    (*nlp.MONTHS, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)
_DETERMINERS = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our"}
)
# a capitalised word before a surname that still lets it stand alone: a sentence's opening
_OPENERS = frozenset({"but", "and", "then", "later", "meanwhile", "still", "so", "yet"})


def introduce_all(
    texts: Sequence[str], sources: Sequence[str], originals: Sequence[str]
) -> list[str]:
    """Each article sentence (``texts``, in article order) with :func:`introduce` applied,
    given its source's text (``sources``) and its original wording there (``originals``)."""
    out: list[str] = []
    for text, source, original in zip(texts, sources, originals, strict=True):
        at = source.find(original)
        out.append(introduce(text, source[:at] if at >= 0 else source, " ".join(out)))
    return out


def introduce(text: str, earlier_source: str, article_so_far: str) -> str:
    """``text`` with each bare surname written as the full name ``earlier_source`` (the
    source's text before this sentence) gave that person, the first time it appears and unless
    ``article_so_far`` already mentioned it ("Schumer and Pelosi said" -> "Chuck Schumer and
    Nancy Pelosi said")."""
    quoted = nlp.quote_spans(text)
    sentences: list[str] | None = None  # the source's, split once and only when needed
    out: list[str] = []
    done = 0
    seen: set[str] = set()
    for match in _WORD.finditer(text):
        word = _POSSESSIVE.sub("", match.group(0).rstrip("'’-"))
        start, end = match.start(), match.start() + len(word)
        if word in seen or any(a <= start < b for a, b in quoted):
            continue
        seen.add(word)
        if not _stands_alone(text, start, end):
            continue
        if re.search(rf"\b{re.escape(word)}\b", article_so_far):
            continue  # the reader has met this name (or could not be told more) already
        if not re.search(rf"\b[A-Z][\w.'’-]* {re.escape(word)}\b", earlier_source):
            continue  # the source never wrote a longer name ending with it
        sentences = nlp.split_sentences(earlier_source) if sentences is None else sentences
        full = _full_name(word, sentences)
        if full and full not in text and _a_person_here(word, text, start):
            out += [text[done:start], full]
            done = end
    return "".join(out) + text[done:]


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Whether the word at ``start:end`` stands alone as a name: no determiner before it ("the
    University", "his Heat"), no capitalised word or title right before it ("Mr. Evans",
    "Chris Evans", but "But Evans said" opening a sentence) and none right after it ("Evans
    Street")."""
    before = text[:start].split()
    if before and before[-1].lower() in _DETERMINERS:
        return False  # "the University", "his Heat": a person's name takes no determiner
    if before:
        previous = before[-1].strip("\"“‘'(")
        opening = len(before) == 1 and previous.lower() in _OPENERS
        if previous[:1].isupper() and not previous.endswith((",", ";", ":")) and not opening:
            return False
    after = text[end:]
    following = after.split(None, 1)[0] if after.strip() else ""
    return not (after.startswith(" ") and following[:1].isupper())


def _full_name(surname: str, sentences: Sequence[str]) -> str:
    """The one person the source's ``sentences`` name in full with this surname; '' when
    none, when several (a family), or when the source also has a longer name of something else
    holding it ("Bloomberg News" beside Michael Bloomberg, "Ford Motor Co." beside Henry Ford)."""
    holders = [s for s in sentences if re.search(rf"\b{re.escape(surname)}\b", s)]
    try:
        tagged = [e for entities in named_entities(holders) for e in entities]
    except ModelError:
        return ""
    longer = [e for e in tagged if len(e.text.split()) >= 2 and surname in e.text.split()]
    if any(e.label != "PERSON" or nlp.names_an_organisation(e.text) for e in longer):
        return ""  # spaCy calls "James Cook University" a person at times
    found = {e.text for e in longer if e.text.split()[-1] == surname}
    return found.pop() if len(found) == 1 else ""


def _a_person_here(word: str, text: str, start: int) -> bool:
    """Whether the word at ``start`` can be a person's name in ``text``: no month or weekday
    ("in May" is not Theresa May), no adjective, verb or other common word by spaCy's tagger
    ("Young people are..." is not Neil Young), and no entity but a person or an organisation
    (the small English model often calls a bare surname one: "Evans said..."), so not "in
    Washington" when a source's George Washington is someone else."""
    if word.lower() in _CALENDAR:
        return False
    try:
        tokens = [t for t in parse(text) if t.idx == start]
        tagged = named_entities([text])[0]
    except ModelError:
        return False
    if not tokens or tokens[0].pos_ in _COMMON_WORD_TAGS:
        return False
    holding = [e for e in tagged if word in [_POSSESSIVE.sub("", w) for w in e.text.split()]]
    return all(e.label in _MAYBE_PEOPLE for e in holding)
