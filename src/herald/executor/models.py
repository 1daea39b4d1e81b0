"""The models a worker loads once and keeps: the sentence embedder and the writer.

In the local executor they are the driver's own (``Herald.embedder``); on a Ray cluster
each model actor holds one ``Models`` for its whole life, so a batch never pays for loading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from herald.config import Settings
from herald.nlp.embed import Embedder, shared_embedder

if TYPE_CHECKING:
    from herald.write.base import Writer

__all__ = ["Models"]


class Models:
    """``settings``, a lazily loaded embedder and the configured writer (made once)."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder] | None = None) -> None:
        self.settings = settings
        self._load_embedder: Callable[[], Embedder] = embedder or shared_embedder
        self._embedder: Embedder | None = None
        self._writer: Writer | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._load_embedder()
        return self._embedder

    def writer(self) -> Writer:
        """The configured writer (composer or LLM client), made on first use and kept."""
        if self._writer is None:
            from herald.pipeline.write_step import writer_for

            self._writer = writer_for(self.settings, self.embedder)
        return self._writer

    def load(self) -> None:
        """Load the embedding model now (one tiny batch)."""
        self.embedder.embed(["Herald loads its models once."])

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
