"""Writer inputs and the Writer protocol.

A writer turns the source articles of one story into a :class:`~herald.types.Draft` whose every
sentence cites sources by 1-based number (the order of ``Draft.sources``). The bundled
:class:`ComposerWriter` is extractive and needs no LLM; LLM writers (an OpenAI-compatible back end)
implement the same protocol with the versioned prompt in ``write/prompts/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from herald.config import Settings
from herald.nlp.embed import Embedder
from herald.types import Draft

UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SourceDoc:
    """One source article of a story, as a writer and the verifier see it."""

    article_id: int
    outlet: str
    url: str
    title: str
    text: str
    published: datetime = UNKNOWN_TIME


class Writer(Protocol):
    """Writes a draft article about one story from its source articles."""

    name: str

    def write(
        self, story_title: str, sources: Sequence[SourceDoc], settings: Settings
    ) -> Draft: ...

    def close(self) -> None:
        """Release what the writer holds (an HTTP client, for LLM writers)."""


class ComposerWriter:
    """The extractive composer: picks, fixes and orders source sentences (no LLM)."""

    name = "composer"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def close(self) -> None:
        """Nothing to release."""

    def write(self, story_title: str, sources: Sequence[SourceDoc], settings: Settings) -> Draft:
        from herald.write.composer import compose

        return compose(
            story_title,
            sources,
            self.embedder,
            target_words=settings.write_target_words,
            min_words=settings.write_min_words,
            max_words=settings.write_max_words,
        )
