"""Malay and Indonesian word glosses into English, so Herald's English-only models can read
Southeast Asian news.

Like :mod:`herald.nlp.glossary` for Chinese: no multilingual sentence model ships on PyPI, and
MiniLM embeds Malay text (which it never learned) near nothing useful, so a Malay article and an
English one about the same court case shared only their names. Here each Malay or Indonesian
word is reduced to its root (particles such as ``-nya``, suffixes ``-kan``/``-an``/``-i``,
prefixes ``me(N)-``, ``di-``, ``ber-``, ``ter-``, ``pe(N)-``, ``ke-``, ``se-`` with the nasal's
dropped consonant restored, and reduplication) and replaced by its English sense from
``malay_english.tsv`` (common news vocabulary of both languages, written for Herald: courts,
politics, disasters, health, the economy, transport...). Two-word entries ("pilihan raya",
"rumah sakit") are matched first. Names and numbers stay as they are; other words the list
does not know are left out, so the gloss is broken English that MiniLM embeds near English
coverage of the same event: ``Parlimen Indonesia lulus RUU perlindungan data peribadi`` becomes
``parliament Indonesia pass bill protection personal data``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

DATA_FILE = Path(__file__).with_name("malay_english.tsv")
MIN_ROOT_CHARS = 3

_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*|\d[\d.,]*%?", re.UNICODE)
_PARTICLES = ("nya", "lah", "kah", "pun", "ku", "mu")
_SUFFIXES = ("kan", "an", "i")
# (prefix, what its nasal replaced): "meny-" + "elamat" was "selamat", "pen-" + "ulis" "tulis".
_PREFIXES = (
    ("memper", ""),
    ("member", ""),
    ("meng", ""),
    ("meng", "k"),
    ("meny", "s"),
    ("mem", "p"),
    ("mem", ""),
    ("men", "t"),
    ("men", ""),
    ("me", ""),
    ("diper", ""),
    ("di", ""),
    ("ber", ""),
    ("be", ""),
    ("ter", ""),
    ("per", ""),
    ("peng", ""),
    ("peng", "k"),
    ("peny", "s"),
    ("pem", "p"),
    ("pem", ""),
    ("pen", "t"),
    ("pen", ""),
    ("pe", ""),
    ("ke", ""),
    ("se", ""),
)


def parse_entries(lines: Iterable[str]) -> dict[str, str]:
    """``root<TAB>English`` lines (``#`` comments) -> {root: English}; the first entry of a
    root wins. Roots of two words are kept with one space."""
    entries: dict[str, str] = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        root, _, english = line.rstrip("\n").partition("\t")
        root, english = " ".join(root.lower().split()), english.strip()
        if root and english:
            entries.setdefault(root, english)
    return entries


def roots(word: str) -> Iterator[str]:
    """Candidate roots of a lower-case Malay or Indonesian ``word``, the word itself first."""
    yield word
    if "-" in word:
        first, _, rest = word.partition("-")
        if rest == first or rest.startswith(first):  # "negara-negara", "kanak-kanak"
            yield first
            word = first
    bases = [word]
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= MIN_ROOT_CHARS:
            bases.append(word[: -len(particle)])
    for base in list(bases):
        for suffix in _SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= MIN_ROOT_CHARS:
                bases.append(base[: -len(suffix)])
    yield from bases[1:]
    for base in bases:
        for prefix, restored in _PREFIXES:
            if base.startswith(prefix):
                stem = restored + base[len(prefix) :]
                if len(stem) >= MIN_ROOT_CHARS:
                    yield stem


class MalayGlossary:
    """Glosses Malay or Indonesian text word by word (see the module docstring)."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_file(cls, path: Path = DATA_FILE) -> MalayGlossary:
        with path.open(encoding="utf-8") as fh:
            return cls(parse_entries(fh))

    def word(self, word: str) -> str | None:
        """The English sense of one word, or None. A capitalised word may be a name, whose
        letters only look like an affix ("Bermuda" is not "ber-" + "muda", young): it is read
        whole or without its suffixes only."""
        lower = word.lower()
        for root in roots(lower):
            if word[:1].isupper() and not lower.startswith(root):
                break
            found = self.entries.get(root)
            if found is not None:
                return found
        return None

    def gloss(self, text: str) -> str:
        """``text`` in English senses; names and numbers kept, unknown words left out."""
        tokens = _TOKEN.findall(text)
        out: list[str] = []
        at = 0
        while at < len(tokens):
            token = tokens[at]
            if at + 1 < len(tokens):
                pair = self.entries.get(f"{token.lower()} {tokens[at + 1].lower()}")
                if pair is not None:
                    out.append(pair)
                    at += 2
                    continue
            sense = self.word(token)
            if sense is not None:
                out.append(token if sense == token.lower() else sense)  # "Malaysia"
            elif token[0].isupper() or token[0].isdigit():
                out.append(token)
            at += 1
        return " ".join(out)


@functools.cache
def malay_glossary() -> MalayGlossary:
    """The process's Malay glossary (bundled with Herald), loaded on first use."""
    return MalayGlossary.from_file()
