"""``herald bench cluster``: story assignment speed and memory with a full active window.

The targets (issue text): on 2 cores, story assignment of at least 60 articles per second
including embedding headlines plus lead paragraphs, and memory within 1 GB with 100,000
articles in the active window.

What runs, in this one process:

1. Real articles. ``articles`` articles are taken from the shared data folder (real UCI
   headlines and MMDS full-text articles in English, Malay/Indonesian and Chinese, shuffled
   with ``seed``) and given publication times a few seconds apart. The real assignment path
   runs on them end to end, as the cluster step does: the bundled MiniLM embedder embeds
   ``embedding_text`` (headline plus lead paragraph) in batches of ``batch_size``, then
   ``OnlineClusterer.add`` assigns each article, split checks included (the clusterer reads
   a growing story's members back from the articles assigned so far, as the cluster step
   reads them from the database). The embedder is loaded (and warmed on one text) before
   the clock starts. This run starts from an empty clusterer (``empty_window``).
2. A full window. ``window_articles`` synthetic articles are built from the real ones
   (cycled): each copy of a real article keeps its text plus a copy tag word, its embedding
   is perturbed (a per-story random direction and a per-article one, so copies form distinct
   stories of a few to a few dozen members), and its time falls inside the clusterer's
   window. Stories are rebuilt with ``rebuild_state`` (exactly the clusterer's own state
   updates) and loaded, so the clusterer holds ``window_articles`` members, as a long-running
   ``herald run`` would; the synthetic items are then dropped. Memory is read here: the
   process's peak RSS (which includes the loaded model) and its current RSS.
3. The same real articles are assigned again against the full window (``full_window``): the
   rate the target is about, since every assignment then searches the whole window.

Each run also reports the process's CPU time (all its threads): when other work shares the
machine (see the load averages in ``machine``), ``articles_per_second`` drops while
``articles_per_cpu_second`` (a lower bound of the idle two-core rate, since the embedder uses
both cores) stays about the same. Nothing here passes or fails: the numbers are printed.
"""

from __future__ import annotations

import gc
import math
import os
import random
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from herald.bench.machine import load_average, machine_info
from herald.cluster.online import ClusterItem, OnlineClusterer, rebuild_state
from herald.cluster.online import embedding_text as _embedding_text
from herald.eval.cluster_eval import EvalArticle, read_articles
from herald.exceptions import ConfigError
from herald.nlp.embed import Embedder, Vectors, normalize
from herald.pipeline.cluster_step import BATCH as PIPELINE_BATCH
from herald.pipeline.progress import NoProgress, Progress

__all__ = [
    "TARGET_ARTICLES_PER_SECOND",
    "TARGET_MEMORY_MB",
    "BenchOptions",
    "real_articles",
    "run_cluster_bench",
]

TARGET_ARTICLES_PER_SECOND = 60.0
TARGET_MEMORY_MB = 1024.0
DATA_FILES = ("clustering/uci_headlines_dev.jsonl", "clustering/mmds2025_dev.jsonl")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
STORY_SPREAD = 0.35
ARTICLE_SPREAD = 0.12
MEAN_STORY_SIZE = 8


@dataclass(frozen=True)
class BenchOptions:
    """What to measure: how many real articles, how big a window, from which data folder."""

    data: Path
    articles: int = 1000
    window_articles: int = 100_000
    batch_size: int = PIPELINE_BATCH
    seed: int = 0


# --------------------------------------------------------------------------- data


def real_articles(data: Path, count: int, seed: int) -> list[EvalArticle]:
    """``count`` real articles of the shared data folder (cycled if asked for more), shuffled."""
    pool: list[EvalArticle] = []
    for name in DATA_FILES:
        path = data / name
        if not path.is_file():
            raise ConfigError(
                f"{path.resolve()} not found (pass --data with the shared data folder that "
                "holds clustering/)"
            )
        pool.extend(read_articles(path))
    random.Random(seed).shuffle(pool)
    return [pool[i % len(pool)] for i in range(max(count, 1))]


def _items(articles: Sequence[EvalArticle], vectors: Vectors, start: datetime) -> list[ClusterItem]:
    """Cluster items for ``articles``, published two seconds apart from ``start``."""
    return [
        ClusterItem(
            id=f"real-{i}",
            title=a.title,
            text=a.text,
            outlet=a.outlet,
            published=start + timedelta(seconds=2 * i),
            language=a.language,
            embedding=vectors[i],
        )
        for i, a in enumerate(articles)
    ]


# --------------------------------------------------------------------------- assignment


class Assigned(dict[int | str, ClusterItem]):
    """The real articles assigned so far, read back for split checks (a database does this
    in production). Synthetic window members are not kept: a story holding any cannot be read
    back whole, so it is never split (the clusterer splits only stories it can read whole)."""

    def __call__(self, ids: Sequence[int | str]) -> list[ClusterItem]:
        return [self[i] for i in ids if i in self]


def assign(
    articles: Sequence[EvalArticle],
    embedder: Embedder,
    clusterer: OnlineClusterer,
    options: BenchOptions,
    start: datetime,
    added: Assigned | None = None,
) -> tuple[dict[str, Any], Vectors]:
    """Embed (in batches) and assign ``articles`` in order; the rates and the vectors.

    Each assigned item is kept in ``added`` (the clusterer's member loader) when given."""
    embed_seconds = add_seconds = 0.0
    created = 0
    added = Assigned() if added is None else added
    cpu_began = time.process_time()
    out = np.zeros((len(articles), embedder.dimensions), dtype=np.float32)
    for at in range(0, len(articles), options.batch_size):
        batch = articles[at : at + options.batch_size]
        began = time.perf_counter()
        vectors = embedder.embed([_embedding_text(a.title, a.text) for a in batch])
        embedded = time.perf_counter()
        for item in _items(batch, vectors, start + timedelta(seconds=2 * at)):
            added[item.id] = item
            created += clusterer.add(item).created
        add_seconds += time.perf_counter() - embedded
        embed_seconds += embedded - began
        out[at : at + len(batch)] = vectors
    total = embed_seconds + add_seconds
    cpu = time.process_time() - cpu_began
    result = {
        "articles": len(articles),
        "seconds": round(total, 3),
        "articles_per_second": round(len(articles) / max(total, 1e-9), 1),
        "embed_seconds": round(embed_seconds, 3),
        "assign_seconds": round(add_seconds, 3),
        "assign_only_articles_per_second": round(len(articles) / max(add_seconds, 1e-9), 1),
        "new_stories": created,
        "cpu_seconds": round(cpu, 3),
        "articles_per_cpu_second": round(len(articles) / max(cpu, 1e-9), 1),
    }
    return result, out


# --------------------------------------------------------------------------- window


def fill_window(
    clusterer: OnlineClusterer,
    articles: Sequence[EvalArticle],
    vectors: Vectors,
    options: BenchOptions,
    progress: Progress,
) -> dict[str, Any]:
    """Load ``window_articles`` synthetic members into ``clusterer`` (see the module doc)."""
    rng = np.random.default_rng(options.seed)
    window = clusterer.window_hours
    progress.start("Filling the window", options.window_articles)
    made = stories = 0
    while made < options.window_articles:
        size = min(1 + int(rng.geometric(1 / MEAN_STORY_SIZE)), options.window_articles - made)
        items = _story_items(articles, vectors, made, size, rng, window)
        clusterer.load([rebuild_state(f"window-{stories}", items)])
        made += size
        stories += 1
        progress.advance(size)
    progress.finish()
    members = sum(s.count for s in clusterer.stories())
    return {"articles": made, "stories": stories, "members_held": members}


def _story_items(
    articles: Sequence[EvalArticle],
    vectors: Vectors,
    first: int,
    size: int,
    rng: np.random.Generator,
    window_hours: float,
) -> list[ClusterItem]:
    """One synthetic story: ``size`` consecutive real articles (cycled), perturbed together."""
    dims = vectors.shape[1]
    direction = _random_unit(rng, dims)
    base = rng.integers(0, len(articles))
    started = NOW - timedelta(hours=float(rng.uniform(0.05, 0.9)) * window_hours)
    tag = f"w{first:x}"
    out: list[ClusterItem] = []
    for j in range(size):
        index = int((base + j) % len(articles))
        noise = _random_unit(rng, dims)
        vector = vectors[index] + STORY_SPREAD * 3 * direction + ARTICLE_SPREAD * 3 * noise
        source = articles[index]
        out.append(
            ClusterItem(
                id=f"window-{first + j}",
                title=f"{source.title} {tag}",
                text=source.text,
                outlet=source.outlet,
                published=started + timedelta(minutes=float(rng.uniform(0, 240))),
                language=source.language,
                embedding=normalize(vector[None, :])[0],
            )
        )
    return out


def _random_unit(rng: np.random.Generator, dims: int) -> Vectors:
    """A random vector of norm about 1 (Gaussian entries of variance ``1 / dims``)."""
    out: Vectors = (rng.standard_normal(dims) / math.sqrt(dims)).astype(np.float32)
    return out


# --------------------------------------------------------------------------- memory


def peak_rss_mb() -> float:
    """This process's peak resident memory (``ru_maxrss``, KiB on Linux) in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def current_rss_mb() -> float | None:
    """This process's current resident memory in MB (Linux ``/proc``; None elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


# --------------------------------------------------------------------------- run


def run_cluster_bench(
    options: BenchOptions,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """Run the three measurements and return every number as a JSON-ready dict."""
    progress = progress or NoProgress()
    began = time.perf_counter()
    machine = machine_info()
    articles = real_articles(options.data, options.articles, options.seed)
    embedder = embedder or _load_embedder()
    embedder.embed(["warm up"])
    memory: dict[str, Any] = {"rss_mb_model_loaded": current_rss_mb()}
    first = Assigned()
    empty, vectors = assign(
        articles, embedder, OnlineClusterer(load_members=first), options, NOW, first
    )
    added = Assigned()
    clusterer = OnlineClusterer(load_members=added)
    window = fill_window(clusterer, articles, vectors, options, progress)
    gc.collect()
    memory.update(rss_mb_window_full=current_rss_mb(), peak_rss_mb=peak_rss_mb())
    full, _ = assign(articles, embedder, clusterer, options, NOW + timedelta(minutes=1), added)
    memory["peak_rss_mb_after_assigning"] = peak_rss_mb()
    return {
        "benchmark": "cluster",
        "machine": {**machine, "load_average_1m_at_end": load_average()},
        "options": {**asdict(options), "data": str(options.data)},
        "data_files": list(DATA_FILES),
        "empty_window": empty,
        "window": window,
        "full_window": full,
        "memory": memory,
        "targets": _targets(full, memory),
        "total_seconds": round(time.perf_counter() - began, 1),
    }


def _load_embedder() -> Embedder:
    from herald.nlp.embed import MiniLMEmbedder

    return MiniLMEmbedder()


def _targets(full: dict[str, Any], memory: dict[str, Any]) -> dict[str, Any]:
    rate = float(full["articles_per_second"])
    rss = float(memory["peak_rss_mb_after_assigning"])
    return {
        "articles_per_second": {
            "target": TARGET_ARTICLES_PER_SECOND,
            "measured": rate,
            "measured_on": "full_window",
            "met": rate >= TARGET_ARTICLES_PER_SECOND,
        },
        "memory_mb": {
            "target": TARGET_MEMORY_MB,
            "measured": rss,
            "measured_as": "peak RSS of the process (model loaded, window full, assigning)",
            "met": rss <= TARGET_MEMORY_MB,
        },
    }
