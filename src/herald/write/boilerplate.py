"""Page furniture in source text: sentences found word for word in several unrelated stories.

Extraction keeps whatever a page wraps in its article markup, and some of that is not
reporting: a newsletter prompt ("You can unsubscribe at any time."), an error message
("Please try again later."), a web archive's notice ("Starting in 1996, Alexa Internet has
been donating their crawl data to the Internet Archive."). The composer's junk patterns cannot
list every such line, but they share one trait a pattern does not need: the same sentence
turns up in the articles of stories that have nothing else in common. A sentence of reporting,
even wire copy that dozens of outlets run, stays within its own story.

So a sentence is boilerplate when it appears, after normalization (case, punctuation and
spacing ignored), in the sources of at least ``MIN_STORIES`` different stories. The writers
never see it: :meth:`Boilerplate.strip` removes it from a source's text before the sources are
numbered, so it can be neither chosen nor cited. ``herald write`` finds the boilerplate among
the newest articles in the store (``herald.pipeline.write_step``); ``herald eval write`` among
the stories of its file.

Measured on ``multinews_validation_250.jsonl`` (250-word budget, composer): 23 sentences found,
34 of the 2,629 sentences published before were among them; ROUGE-1/2 46.46 / 16.81 → 46.59 /
16.90 (a sentence counted from two stories on: 46.59 / 16.87, no better).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from herald.nlp import text as nlp

__all__ = ["MIN_KEY_WORDS", "MIN_STORIES", "Boilerplate", "find_boilerplate", "sentence_key"]

MIN_STORIES = 3  # stories a sentence must appear in to count as boilerplate
MIN_KEY_WORDS = 3  # shorter sentences are left alone (too common to mean anything)

_NON_WORD = re.compile(r"[\W_]+")


def sentence_key(sentence: str) -> str:
    """A sentence's words, lower-cased, without punctuation: equal for the same sentence
    however a page spaced or punctuated it."""
    return _NON_WORD.sub(" ", sentence.lower()).strip()


@dataclass(frozen=True)
class Boilerplate:
    """The keys (:func:`sentence_key`) of sentences known to be page furniture."""

    keys: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, sentence: object) -> bool:
        return isinstance(sentence, str) and sentence_key(sentence) in self.keys

    def strip(self, text: str) -> str:
        """``text`` without its boilerplate sentences (paragraphs kept; unchanged when it has
        none)."""
        if not self.keys:
            return text
        paragraphs = nlp.paragraphs(text)
        kept: list[str] = []
        changed = False
        for paragraph in paragraphs:
            sentences = nlp.split_sentences(paragraph)
            clean = [s for s in sentences if s not in self]
            changed |= len(clean) != len(sentences)
            if clean:
                kept.append(" ".join(clean) if len(clean) != len(sentences) else paragraph)
        return "\n\n".join(kept) if changed else text


def find_boilerplate(
    stories: Iterable[Iterable[str]], min_stories: int = MIN_STORIES
) -> Boilerplate:
    """The sentences found in the texts of at least ``min_stories`` of ``stories`` (each an
    iterable of one story's source texts)."""
    seen: Counter[str] = Counter()
    for texts in stories:
        keys: set[str] = set()
        for text in texts:
            for sentence in nlp.split_sentences(text):
                key = sentence_key(sentence)
                if key.count(" ") + 1 >= MIN_KEY_WORDS:
                    keys.add(key)
        seen.update(keys)
    return Boilerplate(frozenset(k for k, n in seen.items() if n >= min_stories))
