"""Light, dependency-free keyword and entity extraction for clustering.

Two views of a text, both language-light:

* :func:`terms` gives lexical terms for a bag-of-words overlap: lower-cased words of
  Latin-script languages without stop words (English and Malay/Indonesian lists), numbers,
  and character bigrams of CJK runs (Chinese and Japanese have no spaces).
* :func:`entities` gives likely named entities: runs of capitalised words ("Fat Leonard",
  "Hurricane Fiona"), acronyms ("NASA", "COVID-19") and numbers with their units ("1.4 per
  cent", "S$500", "10-20"). Entities carry across languages better than words do (names and
  numbers are often written the same way in English, Malay and Chinese news), so the
  clusterer gives them extra weight, and a story keeps its most frequent ones as its main
  entities.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your yours says said say new over amid after vs via per us get gets got
    yang dan di ke dari untuk dengan pada ini itu dalam akan tidak oleh bagi telah sudah juga
    atau kepada secara lebih karena kerana serta para tersebut ada adalah ia mereka kita kami
    saya bahawa bahwa seperti hingga antara selepas setelah sebelum masih boleh dapat
    """
)

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words("the of and to in is for on that with by at from as was are has have be"),
    "ms": _words("yang dan di ke dari untuk dengan pada ini itu dalam akan tidak oleh bagi"),
    "es": _words("el la los las del que en por con para una es se al"),
    "fr": _words("le la les des du et est dans pour que une sur au aux pas"),
    "de": _words("der die das und ist den dem mit von für auf ein eine nicht zu"),
    "pt": _words("o os da do das dos em para com uma que não por ao"),
    "it": _words("il lo gli della del che per con una sono nel alla"),
}

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_CAPITALISED = re.compile(
    r"\b(?:[A-Z][\w'’&.-]*[\w]|[A-Z])(?:\s+(?:of|de|al|bin|van|von|the)?\s*[A-Z][\w'’&.-]*[\w])*"
)
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&-]*[A-Z0-9]\b")
_NUMBER = re.compile(
    r"(?<![\w.-])(?:[A-Z]{0,2}\$)?\d[\d,.]*(?:\s?(?:%|per\s?cent|percent|bn|m|k))?"
)
_DIGITS = re.compile(r"\d")
_POSSESSIVE = re.compile(r"['’]s$")


def terms(text: str) -> list[str]:
    """Lexical terms of ``text``: content words, numbers and CJK character bigrams."""
    out = [_normal_word(w) for w in _WORD.findall(_CJK.sub(" ", text))]
    out = [w for w in out if _keep_word(w)]
    for run in _CJK.findall(text):
        out.extend(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    return out


def _normal_word(word: str) -> str:
    word = _POSSESSIVE.sub("", word.lower().replace("’", "'"))
    return word.rstrip(".")


def _keep_word(word: str) -> bool:
    if word in STOPWORDS:
        return False
    return len(word) >= 3 or bool(_DIGITS.search(word))


def guess_latin_language(text: str) -> str:
    """The language whose function words ``text`` uses most ("en" on a tie or none).

    A coarse guess among English, Malay/Indonesian, Spanish, French, German, Portuguese
    and Italian, enough to tell whether an English-only model understands the text.
    """
    scores = function_word_counts(text)
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > scores["en"] else "en"


def function_word_counts(text: str, ignore: frozenset[str] = frozenset()) -> dict[str, int]:
    """How many of each language's function words (:data:`FUNCTION_WORDS`) ``text`` uses,
    not counting the words in ``ignore``."""
    words = [w for w in (w.lower() for w in _WORD.findall(text)) if w not in ignore]
    return {lang: sum(1 for w in words if w in vocab) for lang, vocab in FUNCTION_WORDS.items()}


def entities(text: str) -> list[str]:
    """Likely entities of ``text``, normalised (lower case, single spaces), in text order."""
    found: list[str] = []
    for match in _CAPITALISED.finditer(text):
        found.extend(_name_parts(match.group(0)))
    found.extend(m.group(0) for m in _ACRONYM.finditer(text))
    found.extend(_normal_number(m.group(0)) for m in _NUMBER.finditer(text))
    return [e for e in (_normal_entity(x) for x in found) if e]


def capitalised_names(text: str) -> list[str]:
    """Capitalised names and acronyms of ``text`` as written (no numbers), in text order.

    The language-neutral fallback for showing entities of texts no NER model reads. Single
    capitalised words (not acronyms) are skipped where capitals say little: at the start of
    the text, and anywhere in a title-case headline.
    """
    words = _WORD.findall(text)
    title_case = sum(w[0].isupper() for w in words) >= 0.75 * max(len(words), 1)
    found: list[str] = []
    for match in _CAPITALISED.finditer(text):
        parts = _name_parts(match.group(0))
        opening = match.start() == len(text) - len(text.lstrip())
        if title_case or (opening and " " not in match.group(0)):
            parts = [p for p in parts if p.isupper() or " " in p]
        found.extend(parts)
    found.extend(m.group(0) for m in _ACRONYM.finditer(text))
    names = (" ".join(_POSSESSIVE.sub("", x.strip(" .,-'’")).split()) for x in found)
    return [n for n in names if any(c.isalpha() for c in n)]


def _name_parts(name: str) -> list[str]:
    """A capitalised run split at possessives, minus leading stop words ("The", "In").

    Runs longer than three words are title-case headlines rather than names: their words
    count one by one.
    """
    parts: list[str] = []
    for piece in re.split(r"['’]s\b", name):
        words = piece.split()
        while words and words[0].lower() in STOPWORDS:
            words = words[1:]
        if len(words) > 3:
            parts.extend(w for w in words if w.lower() not in STOPWORDS and len(w) >= 3)
        elif words and (len(words) > 1 or len(words[0]) >= 3):
            parts.append(" ".join(words))
    return parts


def _normal_number(text: str) -> str:
    text = text.replace("per cent", "%").replace("percent", "%").replace(" ", "")
    return text.replace(",", "").rstrip(".")


def _normal_entity(text: str) -> str:
    text = _POSSESSIVE.sub("", text.strip(" .,-'’")).lower()
    return " ".join(text.split())


def top_entities(texts: Iterable[str], limit: int = 8) -> tuple[str, ...]:
    """The ``limit`` entities found in most of ``texts`` (each text counts an entity once)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(entities(text)))
    return tuple(name for name, _ in counts.most_common(limit))
