"""A reader's interests as a vector: the pure core shared by the live feed and ``eval rank``.

What a reader read (or clicked) becomes a weighted mean of unit embedding vectors; candidates
are scored by cosine similarity to it. Weights carry the signal kind and its age (see
``herald.rank.signals``), so recent reading counts more and hides count against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]


def unit(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    m = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    out: NDArray[np.float32] = np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
    return out


def profile_vector(vectors: Sequence[Vector], weights: Sequence[float]) -> Vector | None:
    """The weighted mean direction of ``vectors``; None when nothing positive is left."""
    if len(vectors) != len(weights):
        raise ValueError("one weight per vector")
    if not vectors:
        return None
    mean = np.asarray(weights, dtype=np.float32) @ unit(np.stack(vectors))
    norm = float(np.linalg.norm(mean))
    if norm <= 1e-6 or sum(weights) <= 0:
        return None
    return (mean / norm).astype(np.float32)


def affinity(profile: Vector | None, candidates: NDArray[np.floating]) -> NDArray[np.float32]:
    """Cosine similarity of each candidate row to the profile (zeros without a profile)."""
    rows = unit(np.atleast_2d(candidates))
    if profile is None:
        return np.zeros(rows.shape[0], dtype=np.float32)
    return (rows @ profile).astype(np.float32)
