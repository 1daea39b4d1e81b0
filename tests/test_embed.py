"""The bundled MiniLM embedder: vectors independent of the batch, and its cache of texts."""

from __future__ import annotations

import numpy as np

from herald.nlp.embed import DIMENSIONS, MiniLMEmbedder

TEXTS = [
    "The central bank held interest rates steady on Thursday.",
    "Storm closes schools across the north of the country",
    "Sweden tops the Good Country Index while the United States ranks 21st, "
    "according to the index's latest edition published on Tuesday.",
    "Ukraine's president said talks would resume next week.",
    "A",
]


def test_a_vector_does_not_depend_on_its_batch() -> None:
    """What makes remembered vectors exact: a text embedded alone, among longer texts or in
    another order gets the same numbers, bit for bit."""
    embedder = MiniLMEmbedder(cache_size=0)
    together = embedder.embed(TEXTS)
    alone = np.stack([embedder.embed([t])[0] for t in TEXTS])
    reversed_ = embedder.embed(TEXTS[::-1])[::-1]
    assert together.shape == (len(TEXTS), DIMENSIONS)
    assert np.array_equal(together, alone)
    assert np.array_equal(together, reversed_)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_the_cache_gives_the_same_vectors_and_stays_bounded() -> None:
    fresh = MiniLMEmbedder(cache_size=0).embed(TEXTS)
    embedder = MiniLMEmbedder(cache_size=3)
    first = embedder.embed(TEXTS[:3])
    assert embedder.cache_hits == 0
    again = embedder.embed([TEXTS[2], TEXTS[0], TEXTS[3], TEXTS[2]])
    assert embedder.cache_hits == 3  # TEXTS[2] twice and TEXTS[0]; TEXTS[3] is new
    assert np.array_equal(first, fresh[:3])
    assert np.array_equal(again, fresh[[2, 0, 3, 2]])
    assert len(embedder._cache) == 3  # the least recently used (TEXTS[1]) went
    assert TEXTS[1] not in embedder._cache
    again[0] += 1.0  # callers get copies: the cache is not changed through them
    assert np.array_equal(embedder.embed([TEXTS[2]])[0], fresh[2])


def test_empty_input_and_empty_texts() -> None:
    embedder = MiniLMEmbedder()
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    vectors = embedder.embed(["", ""])
    assert vectors.shape == (2, DIMENSIONS)
    assert np.array_equal(vectors[0], vectors[1])
