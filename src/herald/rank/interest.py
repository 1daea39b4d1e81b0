"""A reader's interests as vectors: the pure core shared by the live feed and ``eval rank``.

What a reader read (or clicked) becomes a weighted mean of unit embedding vectors; candidates
are scored by cosine similarity to it. Weights carry the signal kind and its age (see
``herald.rank.signals``), so recent reading counts more and hides count against.

Beyond the single mean direction (``profile_vector`` / ``affinity``), ``interests`` keeps
several interest centroids, so a reader of football and of cooking gets both rather than a
mean that sits between the two, and a separate direction of negative feedback (hides,
skipped cards): ``Interests.score`` is what the feed simulation and the MIND evaluation use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]

# A click history without times (MIND) counts the reads in order: the 20th newest weighs half.
HISTORY_HALF_LIFE = 20.0
MAX_CENTROIDS = 3
# A new centroid must raise the mean cosine of the reads to their centroid this much.
SPLIT_GAIN = 0.15
# Centroids holding less than this share of the positive weight are dropped as noise.
MIN_SHARE = 0.1
KMEANS_ROUNDS = 5
# Score = MEAN_PART * cosine to the mean + (1 - MEAN_PART) * cosine to the nearest centroid
# - NEGATIVE_PART * (positive) cosine to the negative direction.
MEAN_PART = 0.5
NEGATIVE_PART = 0.5


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
    return unit_profile(unit(np.stack(vectors)), weights)


def unit_profile(units: NDArray[np.float32], weights: Sequence[float]) -> Vector | None:
    """``profile_vector`` of rows already made unit (``unit``)."""
    mean = np.asarray(weights, dtype=np.float32) @ units
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


def recency_weights(count: int, half_life: float = HISTORY_HALF_LIFE) -> list[float]:
    """Weights of ``count`` reads, oldest first: the newest 1.0, halving each ``half_life``."""
    if half_life <= 0:
        return [1.0] * count
    return [0.5 ** ((count - 1 - i) / half_life) for i in range(count)]


@dataclass(frozen=True)
class Interests:
    """A reader's positive interests (a mean and a few centroids) and what they turned away."""

    mean: Vector
    centroids: NDArray[np.float32]  # (k, dims) unit rows
    shares: NDArray[np.float32]  # (k,) each centroid's share of the positive weight
    negative: Vector | None

    def nearest(self, candidates: NDArray[np.floating]) -> NDArray[np.float32]:
        """Each candidate's cosine to its nearest centroid."""
        rows = unit(np.atleast_2d(candidates))
        out: NDArray[np.float32] = (rows @ self.centroids.T).max(axis=1).astype(np.float32)
        return out

    def score(self, candidates: NDArray[np.floating]) -> NDArray[np.float32]:
        """Mean and nearest-centroid cosines blended, less the pull of negative feedback."""
        rows = unit(np.atleast_2d(candidates))
        total = MEAN_PART * (rows @ self.mean) + (1 - MEAN_PART) * self.nearest(rows)
        if self.negative is not None:
            total -= NEGATIVE_PART * np.maximum(rows @ self.negative, 0.0)
        out: NDArray[np.float32] = total.astype(np.float32)
        return out


def interests(
    vectors: Sequence[Vector],
    weights: Sequence[float],
    *,
    max_centroids: int = MAX_CENTROIDS,
) -> Interests | None:
    """Positive weights become a mean and up to ``max_centroids`` centroids; negative weights
    a negative direction. None when no positive weight is left."""
    if len(vectors) != len(weights):
        raise ValueError("one weight per vector")
    if not vectors:
        return None
    rows = unit(np.stack(vectors))
    w = np.asarray(weights, dtype=np.float32)
    positive = w > 0
    mean = profile_vector(list(rows[positive]), w[positive].tolist()) if positive.any() else None
    if mean is None:
        return None
    negative = None
    if (w < 0).any():
        negative = profile_vector(list(rows[w < 0]), (-w[w < 0]).tolist())
    centroids, shares = _centroids(rows[positive], w[positive], max_centroids)
    return Interests(mean=mean, centroids=centroids, shares=shares, negative=negative)


def _centroids(
    rows: NDArray[np.float32], weights: NDArray[np.float32], max_centroids: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Weighted spherical k-means, growing from one centroid while a split pays off.

    A split is seeded at the read farthest from every centroid and kept when it raises the
    weighted mean cosine of the reads to their centroid by ``SPLIT_GAIN``: two unrelated
    interests gain far more than that, one interest read in several wordings does not.
    """
    centers = unit((weights @ rows)[None, :])
    fit = _fit(rows, weights, centers)
    while centers.shape[0] < max_centroids:
        seed = int(np.argmin((rows @ centers.T).max(axis=1)))
        grown = _lloyd(rows, weights, np.vstack([centers, rows[seed]]))
        grown_fit = _fit(rows, weights, grown)
        if grown.shape[0] <= centers.shape[0] or grown_fit - fit < SPLIT_GAIN:
            break
        centers, fit = grown, grown_fit
    labels = (rows @ centers.T).argmax(axis=1)
    shares = np.array([weights[labels == k].sum() for k in range(centers.shape[0])])
    shares = shares / max(float(shares.sum()), 1e-12)
    keep = shares >= min(MIN_SHARE, float(shares.max()))
    kept: NDArray[np.float32] = centers[keep].astype(np.float32)
    kept_shares: NDArray[np.float32] = (shares[keep] / shares[keep].sum()).astype(np.float32)
    return kept, kept_shares


def _fit(
    rows: NDArray[np.float32], weights: NDArray[np.float32], centers: NDArray[np.float32]
) -> float:
    """The weighted mean cosine of the reads to their nearest centroid."""
    return float(weights @ (rows @ centers.T).max(axis=1)) / max(float(weights.sum()), 1e-12)


def _lloyd(
    rows: NDArray[np.float32], weights: NDArray[np.float32], centers: NDArray[np.float32]
) -> NDArray[np.float32]:
    for _ in range(KMEANS_ROUNDS):
        labels = (rows @ centers.T).argmax(axis=1)
        moved = []
        for k in range(centers.shape[0]):
            members = labels == k
            if members.any():
                moved.append(weights[members] @ rows[members])
        updated = unit(np.stack(moved))
        if updated.shape == centers.shape and np.allclose(updated, centers, atol=1e-6):
            break
        centers = updated
    return centers
