"""Search queries and snippets as text: the pure part of ``herald.store.search`` (no I/O).

A reader's query follows PostgreSQL's ``websearch_to_tsquery`` syntax on both databases:
words, ``"quoted phrases"``, ``-excluded`` terms and ``or`` between alternatives (AND binds
tighter than OR: ``a b or c`` is ``(a AND b) OR c``). Nothing else is syntax: ``*``,
``NEAR(``, ``:`` or ``'`` are plain characters, and a term without a letter or digit is
dropped. Terms are then written out for each database, every one of them quoted, so no input
can change the structure of the query the database parses.

Scripts written without spaces between words (Chinese, Japanese, Thai...) defeat word
tokenizers: a whole run of Chinese characters is one token to FTS5's ``unicode61`` and to
PostgreSQL's parser. Terms in those scripts are matched as substrings instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 24
OPEN_MARK = "\ue000"  # private-use characters: cannot clash with the markup of any page
CLOSE_MARK = "\ue001"

# Han (with extensions and compatibility ideographs), Hiragana, Katakana, Thai, Lao, Myanmar,
# Khmer: scripts whose words are not separated by spaces.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    """One word or phrase of a query; ``negated`` excludes what it matches."""

    text: str
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A query as alternatives of word terms, plus substring terms that all must match.

    ``groups`` is an OR of AND-groups for the full-text index; every group holds at least one
    term that is not negated. ``substrings`` are terms in unspaced scripts, ANDed with the rest.
    """

    groups: tuple[tuple[Term, ...], ...]
    substrings: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        """True when nothing could match: no word group and no positive substring."""
        return not self.groups and not any(not t.negated for t in self.substrings)

    @property
    def words(self) -> tuple[Term, ...]:
        return tuple(t for group in self.groups for t in group)


def unspaced(text: str) -> bool:
    """Whether ``text`` has a character of a script written without spaces between words."""
    return _UNSPACED.search(text) is not None


def _searchable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _tokens(raw: str) -> list[tuple[str, bool, bool]]:
    """(text, negated, quoted) of each token of ``raw``."""
    out = []
    for m in _TOKEN.finditer(_CONTROL.sub(" ", raw[:MAX_QUERY_CHARS])):
        if m.group(3) is not None:
            word = m.group(3).replace('"', "")
            negated = word.startswith("-") and len(word) > 1
            out.append((word[1:] if negated else word, negated, False))
        else:
            out.append((" ".join(m.group(2).split()), bool(m.group(1)), True))
    return out


def parse_query(raw: str) -> ParsedQuery:
    """The structure of a reader's query (see the module docstring)."""
    groups: list[list[Term]] = [[]]
    substrings: list[Term] = []
    count = 0
    for text, negated, quoted in _tokens(raw):
        if not quoted and text.casefold() == "or":
            if groups[-1]:
                groups.append([])
            continue
        if not _searchable(text) or count >= MAX_TERMS:
            continue
        count += 1
        term = Term(text, negated)
        (substrings if unspaced(text) else groups[-1]).append(term)
    kept = tuple(tuple(g) for g in groups if any(not t.negated for t in g))
    return ParsedQuery(kept, tuple(substrings))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_expression(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression of the word groups; every term is a quoted string."""
    parts = []
    for group in query.groups:
        positive = " AND ".join(_quoted(t.text) for t in group if not t.negated)
        negative = "".join(f" NOT {_quoted(t.text)}" for t in group if t.negated)
        parts.append(f"({positive}{negative})")
    return " OR ".join(parts)


def fts5_column_phrase(column: str, phrase: str) -> str:
    """An FTS5 expression matching ``phrase`` in one column (``column`` is trusted)."""
    return "{" + column + "}: " + _quoted(" ".join(phrase.split()))


def websearch_text(query: ParsedQuery) -> str:
    """The word groups in ``websearch_to_tsquery`` syntax, every term quoted."""
    groups = [
        " ".join(("-" if t.negated else "") + _quoted(t.text) for t in group)
        for group in query.groups
    ]
    return " or ".join(groups)


# --------------------------------------------------------------------------- snippets


def fold(text: str) -> str:
    """Case and accents folded, as the indexes fold them: 'Café' -> 'cafe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _folded_with_index(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index of its source character."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = fold(ch)
        chars.append(f)
        index.extend([i] * len(f))
    return "".join(chars), index


def _needles(query: ParsedQuery) -> tuple[frozenset[str], tuple[str, ...]]:
    """Folded words to find as whole words, and folded substrings to find anywhere."""
    words = frozenset(w for t in query.words if not t.negated for w in _WORD.findall(fold(t.text)))
    subs = tuple(fold(t.text) for t in query.substrings if not t.negated)
    return words, subs


def match_spans(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of ``text`` that the query's terms match."""
    words, subs = _needles(query)
    folded, index = _folded_with_index(text)
    spans = [(m.start(), m.end()) for m in _WORD.finditer(folded) if m.group() in words]
    for sub in subs:
        start = folded.find(sub)
        while sub and start >= 0:
            spans.append((start, start + len(sub)))
            start = folded.find(sub, start + len(sub))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(index[s], index[e - 1] + 1) for s, e in merged]


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """A window of about ``width`` characters around the first span, cut at spaces."""
    if len(text) <= width:
        return 0, len(text)
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 4)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > (spans[0][1] if spans else start) else end
    return start, end


@dataclass(frozen=True)
class Snippet:
    """A short passage with the query's matches as (start, end) spans of ``text``."""

    text: str
    spans: tuple[tuple[int, int], ...]

    def segments(self) -> list[tuple[str, bool]]:
        """(text, matched) pieces in order, for markup that escapes each piece."""
        out: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.spans:
            if start > at:
                out.append((self.text[at:start], False))
            out.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            out.append((self.text[at:], False))
        return out


def snippet(texts: list[str], query: ParsedQuery, width: int = 220) -> Snippet:
    """A passage of the first of ``texts`` that the query matches (else of the first text)."""
    texts = [" ".join(t.split()) for t in texts if t.strip()]
    if not texts:
        return Snippet("", ())
    chosen, spans = texts[0], []
    for text in texts:
        found = match_spans(text, query)
        if found:
            chosen, spans = text, found
            break
    start, end = _window(chosen, spans, width)
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(chosen) else ""
    shift = len(lead) - start
    kept = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return Snippet(lead + chosen[start:end] + tail, kept)
