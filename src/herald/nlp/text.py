"""A small regex NLP layer for English news text: sentences, tokens, numbers, quotes, names, dates.

No model is needed: the rules are tuned for wire copy (abbreviations such as ``Mr.``,
``U.S.``, ``Jan.``, ``No.``; decimals; initials; quotes that close after a period) and are
fast enough to run over every sentence of a story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# --------------------------------------------------------------------------- vocabularies


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


TITLES = _wordset(
    "mr mrs ms dr prof sen rep gov gen col lt sgt capt cmdr adm maj cpl pvt rev fr sr jr st hon "
    "pres supt insp det atty amb messrs mme mlle"
)
MONTH_ABBREVIATIONS = _wordset("jan feb mar apr jun jul aug sep sept oct nov dec")
OTHER_ABBREVIATIONS = _wordset(
    "no nos vol vs v etc approx dept est fig ft mt av ave blvd rd op cf al ex univ assn bros "
    "calif colo conn fla ga ill kan ky la md mass mich minn miss mo neb nev okla ore pa penn "
    "tenn tex va vt wash wis wyo ariz ark del"
)
ABBREVIATIONS = TITLES | MONTH_ABBREVIATIONS | OTHER_ABBREVIATIONS

_MONTH_TEXT = (
    "january february march april may june july august september october november december"
)
MONTHS = tuple(_MONTH_TEXT.split())

STOPWORDS = _wordset(
    """a about above after again against all almost also although am among an and another any
    are aren't around as at be because been before being below between both but by can cannot
    could couldn't did didn't do does doesn't doing don't down during each either else enough
    even ever every few for from further had hadn't has hasn't have haven't having he he'd he'll
    he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in
    into is isn't it it's its itself just least less let's like made make many may me might more
    most much must mustn't my myself neither never no nor not now of off often on once one only
    or other others otherwise ought our ours ourselves out over own per perhaps quite rather
    really said same say says shall shan't she she'd she'll she's should shouldn't since so some
    still such than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those though through thus to too toward towards under
    until up upon us very was wasn't we we'd we'll we're we've were weren't what what's whatever
    when when's where where's whether which while who who's whom whose why why's will with within
    without won't would wouldn't yet you you'd you'll you're you've your yours yourself
    yourselves"""
)

# Capitalised words that start sentences without naming anything.
_COMMON_CAPITALS = STOPWORDS | _wordset(
    """according after already although another asked before despite during earlier early
    every first following here however instead last later many meanwhile monday tuesday
    wednesday thursday friday saturday sunday next now officials once other over people
    police since some still then there these those today tomorrow under unlike until when
    where while yesterday"""
)

# --------------------------------------------------------------------------- patterns

_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«"
# A sentence ends at terminal punctuation (and closing quotes) before a capital or a digit:
# after whitespace, or glued to it when a page lost the space between two paragraphs
# ("...that decision?Bethenny Frankel gave birth", '...as much."We are told'; two lower-case
# letters before the mark keep "U.S.Army", "Ph.D" and "p.m.Sunday" whole; a quotation mark
# that opens rather than closes is put back together by ``_join_open_quotes``).
_BOUNDARY = re.compile(
    rf"([.!?…]+)([{re.escape(_CLOSERS)}]*)"
    rf"(?:\s+(?=[{re.escape(_OPENERS)}]*[A-Z0-9])|"
    r"(?:(?<=[a-z]{2}[.!?])|(?<=[a-z]{2}[.!?][\"”]))(?=[A-Z][a-z]))"
)
# A quotation ending in "?" or "!" and then its speaker: '"...who had a super PAC?" Colbert
# said on The Colbert Report' is one sentence, whose second half alone says nothing.
SPEECH_VERBS = (  # what a speaker does after a quotation: '"...," she said / added / wrote'
    r"(?:said|says|asked|asks|told|tells|wrote|writes|added|adds|tweeted|replied|replies|"
    r"explained|explains|continued|recalled|joked|jokes|shouted|exclaimed|quipped|insisted|"
    r"wondered|demanded|declared|responded|responds|posted|noted|began)\b"
)
_SPEAKER_AFTER = re.compile(
    r"(?!(?:He|She|It|They|I|We|You)\b)"  # '...period!" He said liberals...' goes on anew
    rf"(?:(?:[A-Z][\w.'’-]*|of|the|de|van|von|al-\w+)\s+){{1,5}}{SPEECH_VERBS}"
)
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n|(?<=[.!?:\"”])[ \t]*\n")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*|[^\sA-Za-z0-9]")
_ALNUM = re.compile(r"[a-z0-9]+")
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}$")
_INITIAL = re.compile(r"(?:^|[\s(])[A-Z]$")
_SENTENCE_STARTERS = _wordset(
    """a an and as at but by for from he her his i if in it its many more most mr mrs ms my no
    now on one our she so some that the their then there these they this those to we what
    when while who why with yet you after before although though because since however
    meanwhile also despite during earlier later both even instead until unlike among
    according"""
)

_SCALE = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_WORD_NUMBERS = {
    w: float(i)
    for i, w in enumerate(
        str.split(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
} | {
    "thirty": 30.0,
    "forty": 40.0,
    "fifty": 50.0,
    "sixty": 60.0,
    "seventy": 70.0,
    "eighty": 80.0,
    "ninety": 90.0,
    "hundred": 100.0,
    "dozen": 12.0,
    "dozens": 24.0,
    "hundreds": 200.0,
    "thousands": 2000.0,
    "millions": 2e6,
    "billions": 2e9,
}
_CURRENCY = r"(?P<cur>[$£€¥]|US\$|C\$|A\$|Rs\.?|USD\s?|EUR\s?|GBP\s?)?"
_DIGITS = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE_RE = r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|tn|[kmb])\b)?"
_UNIT_RE = (
    r"(?:\s?(?P<unit>%|percent\b|per\s?cent\b|percentage points?\b|"
    r"(?:[a-z]+(?:-[a-z]+)?)\b))?"
)
_NUMBER = re.compile(
    rf"(?<![\w.]){_CURRENCY}{_DIGITS}(?:st|nd|rd|th)?{_SCALE_RE}{_UNIT_RE}", re.IGNORECASE
)
_WORD_NUMBER = re.compile(
    r"\b(?P<num>" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\b"
    r"(?:\s(?P<scale>thousand|million|billion|trillion)\b)?(?:\s(?P<unit>[a-z]+)\b)?",
    re.IGNORECASE,
)
_QUOTE = re.compile(
    r"\"([^\"\n]{2,}?)\"|“([^”\n]{2,}?)”|(?<!\w)'([^'\n]{8,}?)'(?!\w)|‘([^’\n]{8,}?)’(?!\w)"
)
_NAME_TOKEN = r"(?:[A-Z][a-zA-Z'’\-]*[a-z][a-zA-Z'’\-]*|[A-Z]{2,}s?|[A-Z]\.(?:[A-Z]\.)*)"
_NAME = re.compile(
    rf"\b{_NAME_TOKEN}(?:\s+(?:(?:of|de|del|von|van|la|al|bin|the)\s+)?{_NAME_TOKEN})*"
)
MONTH_PATTERN = _MONTH_RE = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
    r"Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH_RE}\s+\d{{4}}"
    r"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"|(?:19|20)\d{2}s?"
    r"|\d{4}-\d{2}-\d{2}"
    r"|(?:yesterday|today|tomorrow|last (?:week|month|year)|next (?:week|month|year)))\b"
)

# --------------------------------------------------------------------------- sentences


_STRAIGHT_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def straight_quotes(text: str) -> str:
    """``text`` with curly quotation marks and apostrophes made straight, character for
    character (positions are kept): feeds, pages and writers differ in which they use."""
    return text.translate(_STRAIGHT_QUOTES)


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def paragraphs(text: str) -> list[str]:
    """Split ``text`` into paragraphs at blank lines (and at line breaks before capitals)."""
    return [p for p in (normalize_space(part) for part in _PARAGRAPH.split(text)) if p]


def _is_abbreviation(before: str, punct: str, following: str) -> bool:
    """Whether the period ending ``before`` belongs to an abbreviation, not a sentence end."""
    if punct != ".":
        return False
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    bare = word.lstrip(_OPENERS).rstrip(".")
    if not bare:
        return False
    next_word = following.lstrip(_OPENERS).split(" ", 1)[0].lower().strip(".,;:")
    if _DOTTED_ACRONYM.search(word + "."):  # U.S. / a.m. / D.C.
        return next_word not in _SENTENCE_STARTERS
    if _INITIAL.search(before):  # J. K. Rowling
        return True
    low = bare.lower()
    if low in MONTH_ABBREVIATIONS:
        return following[:1].isdigit()
    if low == "no":
        return following[:1].isdigit()
    return low in ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Split news text into sentences (paragraph breaks always end a sentence)."""
    out: list[str] = []
    for paragraph in paragraphs(text):
        out.extend(_split_paragraph(paragraph))
    return out


def _split_paragraph(paragraph: str) -> list[str]:
    paragraph = _reattached_quotes(paragraph)
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end(2)
        following = paragraph[match.end() :]
        if _is_abbreviation(paragraph[start : match.start(1)], match.group(1), following):
            continue
        if match.group(2) and match.group(1)[-1] in "?!" and _SPEAKER_AFTER.match(following):
            continue  # '"...a super PAC?" Colbert said on his show': one sentence
        piece = paragraph[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return _join_open_quotes(sentences)


# A straight quotation mark that opens a quotation but sits glued to the sentence before it,
# with a space after it ('...spend the night in jail." When they close that door...') or with
# none on either side ('...locked up with him."I had never been to jail before,"').
_GLUED_OPENER = re.compile(r'(?<=[.!?,;:])"(?: (?=[A-Z0-9])|(?=[A-Z]))')


def _reattached_quotes(paragraph: str) -> str:
    """``paragraph`` with each opening straight quotation mark that text joined without its
    spacing put back before the words it opens: by the marks' order, in a paragraph whose
    marks pair up (an even number), the first, third... mark opens a quotation, so one glued
    to the sentence before it belongs to the next ('jail." When' -> 'jail. "When')."""
    marks = [m.start() for m in re.finditer('"', paragraph)]
    if not marks or len(marks) % 2:
        return paragraph
    openers = {at for k, at in enumerate(marks) if k % 2 == 0}
    glued = [m for m in _GLUED_OPENER.finditer(paragraph) if m.start() in openers]
    for match in reversed(glued):
        paragraph = f'{paragraph[: match.start()]} "{paragraph[match.end() :]}'
    return paragraph


_MAX_QUOTE_JOIN = 4


def _open_quote(sentence: str) -> bool:
    return sentence.count('"') % 2 == 1 or sentence.count("“") > sentence.count("”")


def _join_open_quotes(sentences: list[str]) -> list[str]:
    """Keep a multi-sentence quotation in one piece when it closes within a few sentences."""
    out: list[str] = []
    i = 0
    while i < len(sentences):
        joined = sentences[i]
        j = i
        while _open_quote(joined) and j + 1 < len(sentences) and j - i < _MAX_QUOTE_JOIN:
            j += 1
            joined = f"{joined} {sentences[j]}"
        if j > i and not _open_quote(joined):
            out.append(joined)
            i = j + 1
        else:
            out.append(sentences[i])
            i += 1
    return out


# --------------------------------------------------------------------------- tokens


def words(text: str) -> list[str]:
    """Word tokens (letters/digits with inner apostrophes); punctuation is dropped."""
    return [t for t in _WORD.findall(text) if t[0].isalnum()]


def tokens(text: str) -> list[str]:
    """Word and punctuation tokens."""
    return _WORD.findall(text)


def word_count(text: str) -> int:
    """Whitespace-separated words, as ``Draft.word_count`` counts them."""
    return len(text.split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper (enough to match 'troops'/'troop', 'killed'/'kill')."""
    w = word.lower()
    if len(w) <= 3:
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                return w
            return w[: len(w) - len(suffix)] + repl
    return w


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed, non-stopword alphanumeric terms of ``text``."""
    return [stem(t) for t in _ALNUM.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


def lower_terms(text: str) -> list[str]:
    """Lower-cased alphanumeric terms (rouge-style tokens, no stemming)."""
    return _ALNUM.findall(text.lower())


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Quantity:
    """A number found in text: its surface form, value (scale applied) and unit word."""

    text: str
    value: float
    unit: str


_UNIT_ALIASES = {
    "percent": "%",
    "per cent": "%",
    "percentage point": "pp",
    "percentage points": "pp",
}
_NON_UNITS = STOPWORDS | frozenset(MONTHS)


def _unit(raw: str | None) -> str:
    if not raw:
        return ""
    low = normalize_space(raw.lower())
    low = _UNIT_ALIASES.get(low, low)
    return "" if low in _NON_UNITS else stem(low)


def numbers(text: str, include_words: bool = True) -> list[Quantity]:
    """Numbers with their units: '$1.5 billion', '10,000 troops', '3 per cent', '42%'."""
    found: list[Quantity] = []
    for m in _NUMBER.finditer(text):
        value = float(m.group("num").replace(",", ""))
        scale = (m.group("scale") or "").lower()
        if scale in {"m", "b", "k"} and not m.group("cur"):
            scale = ""  # '3 m' is metres more often than millions
        value *= _SCALE.get(scale, 1.0)
        unit = (
            "$" if (m.group("cur") or "").strip() in {"$", "US$", "USD"} else _unit(m.group("unit"))
        )
        found.append(Quantity(m.group(0).strip(), value, unit))
    if include_words:
        for m in _WORD_NUMBER.finditer(text):
            value = _WORD_NUMBERS[m.group("num").lower()]
            value *= _SCALE.get((m.group("scale") or "").lower(), 1.0)
            found.append(Quantity(m.group(0).strip(), value, _unit(m.group("unit"))))
    return found


def number_values(text: str, include_words: bool = False) -> set[float]:
    """The set of numeric values in ``text`` (scales applied)."""
    return {round(q.value, 6) for q in numbers(text, include_words=include_words)}


# --------------------------------------------------------------------------- quotes


def quotes(text: str) -> list[str]:
    """Quoted spans (straight or curly, double, or single for longer spans), without the marks."""
    return [next(g for g in m.groups() if g is not None).strip() for m in _QUOTE.finditer(text)]


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quoted span of ``text``, its quotation marks included."""
    return [m.span() for m in _QUOTE.finditer(text)]


def unquoted(text: str) -> str:
    """``text`` with every quoted span (as :func:`quotes` finds them) replaced by a space."""
    return _QUOTE.sub(" ", text)


def quotes_balanced(text: str) -> bool:
    """Whether double quotes in ``text`` open and close in pairs."""
    if text.count('"') % 2:
        return False
    return text.count("“") == text.count("”")


# --------------------------------------------------------------------------- names


_CONNECTORS = frozenset({"of", "de", "del", "von", "van", "la", "al", "bin", "the"})


def entities(text: str) -> list[str]:
    """Capitalised multiword names and acronyms; sentence-initial common words are skipped."""
    found: list[str] = []
    for sentence in _split_paragraph(normalize_space(text)):
        for m in _NAME.finditer(sentence):
            name = _clean_name(m.group(0).split(), _at_sentence_start(sentence, m.start()))
            if name:
                found.append(name)
    return found


def _clean_name(parts: list[str], sentence_start: bool) -> str:
    if sentence_start and parts and parts[0].lower().strip(".") in _COMMON_CAPITALS:
        parts = parts[1:]
    while parts and (parts[0].lower() in _CONNECTORS or _is_title(parts[0])):
        parts = parts[1:]
    while parts and parts[-1].lower() in _CONNECTORS:
        parts = parts[:-1]
    name = " ".join(parts).rstrip("'’").removesuffix("'s").removesuffix("’s")
    low = name.lower()
    if not name or low in _COMMON_CAPITALS or low in MONTHS or low.strip(".") in ABBREVIATIONS:
        return ""
    return name


_ORG_WORDS = _wordset(
    """Agency Airlines Army Association Authority Bank Board Bureau Center Centre Church Club
    College Commission Committee Company Congress Corp Corporation Council County Court
    Department Foundation Government Group Hospital House Inc Institute International League
    Ltd Ministry Museum National News Organization Park Party Police Post Press Republic School
    Senate Service Society State States Street Times Union United University"""
)


_ARTICLES = frozenset({"the", "a", "an"})


def names_an_organisation(name: str) -> bool:
    """Whether a capitalised name holds a word of organisations or places ("James Cook
    University", "Bloomberg News", "Main Street"): no person's name."""
    return any(word in _ORG_WORDS for word in name.split())


def _is_title(word: str) -> bool:
    return word.lower().strip(".") in TITLES


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(_OPENERS + " ")
    return not before or before[-1] in ".!?:;—-\n"


def people(text: str) -> list[str]:
    """Names that look like people: two or more capitalised words, or a title and a surname.

    A name after an article is a thing, not a person: "the Amber Alert", "a White House aide".
    """
    out: list[str] = []
    for sentence in _split_paragraph(normalize_space(text)):
        for m in _NAME.finditer(sentence):
            parts = m.group(0).split()
            previous = sentence[: m.start()].rstrip(". ").rsplit(" ", 1)[-1]
            if previous.lower() in _ARTICLES:
                continue
            titled = bool(parts) and (_is_title(parts[0]) or _is_title(previous))
            name = _clean_name(parts, _at_sentence_start(sentence, m.start()) and not titled)
            bits = name.split()
            if not bits or any(b.isupper() or b in _ORG_WORDS for b in bits):
                continue
            if titled or len(bits) >= 2:
                out.append(name)
    return out


# --------------------------------------------------------------------------- instructions

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget) (?:all |any |the )?(?:previous|prior|above|earlier) "
    r"(?:instructions|prompts?|rules)|\byou are now\b|^\W*(?:system|assistant|user)\s*:|"
    r"\b(?:write|say|state|claim|report) that\b.{0,80}\b(?:instead|regardless)\b|"
    r"\bas an ai\b|\bnew instructions\b|\bprompt injection\b|\blanguage model\b",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """Whether ``text`` reads as an instruction to a model ("Ignore previous instructions...").

    Source text is data: such sentences are never extracted and never count as evidence.
    """
    return bool(_INSTRUCTION.search(text))


# --------------------------------------------------------------------------- dates


def dates(text: str) -> list[str]:
    """Date expressions: 'Jan. 5, 2024', '5 January', 'March 2019', 'Tuesday', '1990s'..."""
    return [m.group(0) for m in _DATE.finditer(text)]
