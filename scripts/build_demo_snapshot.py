#!/usr/bin/env python3
"""Build Herald's offline demo snapshot from the real news in ../shared/data.

Writes ``src/herald/demo/snapshot.jsonl.gz``: one JSON object per article with the fields
``id, outlet, feed_format, title, text, url, published, language, origin, story``
(see ``src/herald/demo/ATTRIBUTION.md`` for what it holds and how it was made).

The build is deterministic: the same input files give byte-identical output.

Usage::

    .venv/bin/python scripts/build_demo_snapshot.py [--data ../shared/data] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from herald.nlp.text import split_sentences

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "herald" / "demo" / "snapshot.jsonl.gz"

# The replay window: the UCI stream's first three days. The demo clock stops at the newest
# article, which is just before WINDOW_END.
WINDOW_START = datetime(2014, 3, 10, 0, 0, tzinfo=UTC)
WINDOW_END = datetime(2014, 3, 13, 0, 0, tzinfo=UTC)
SEED = 20140310

# Multi-News selection
MULTINEWS_STORIES = 40
MIN_DOCS = 3
MAX_DOCS = 6
MIN_DOC_CHARS = 900
MAX_DOC_CHARS = 12_000
TITLE_WORDS = 14
PSEUDO_OUTLETS = [f"Multi-News archive source {letter}" for letter in "ABCDEFGHIJKL"]
PSEUDO_FORMATS = ["rss", "atom", "json"]
GAP_MINUTES = (20, 180)
LAST_START_BEFORE_END = timedelta(hours=14)
# Every other story is "breaking" near the end of the window (fast coverage), so the demo's
# clock finds some written stories trending, as a live newsroom would.
BREAKING_START_HOURS = (3.0, 10.0)
BREAKING_GAP_MINUTES = (10, 50)

# UCI selection
UCI_STORIES = 12
UCI_PER_STORY = 70

JUNK_PATTERNS = [
    r"alexa internet",
    r"wayback machine",
    r"these crawls are part of an effort",
    r"mailing list",
    r"\bcookies?\b.{0,80}\b(policy|consent|accept|browser)",
    r"enable javascript",
    r"javascript (is )?(disabled|required)",
    r"your browser (does not|doesn't) support",
    r"sign up for (our|the) newsletter",
    r"subscribe (now|today) to",
    r"this (page|content) is (not|no longer) available",
    r"404 not found",
    r"page not found",
    r"log ?in to (comment|continue)",
    r"all rights reserved\.?\s*$",
    r"from wikipedia, the free encyclopedia",
]
CAPTION = re.compile(
    r"image (copyright|caption)|\(photo|photo:|getty images|/ap\b|associated press photo|"
    r"story highlights|years? ago|^\d+ (hours?|days?|minutes?) ago|^(updated|posted|published)\b",
    re.IGNORECASE,
)
JUNK = re.compile("|".join(JUNK_PATTERNS), re.IGNORECASE)


# --------------------------------------------------------------------------- helpers


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    return (
        datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(microsecond=0)
    )


def paragraphs(text: str) -> list[str]:
    """Multi-News separates paragraphs with ' \\n \\n '; normalise whitespace inside each."""
    parts = re.split(r"\s*\n\s*\n\s*|\s*\n\s*", text)
    return [re.sub(r"\s+", " ", p).strip() for p in parts if p.strip()]


def clip_paragraphs(paras: list[str], limit: int) -> list[str]:
    """Keep whole paragraphs up to ``limit`` characters (at least one)."""
    out: list[str] = []
    total = 0
    for p in paras:
        if out and total + len(p) > limit:
            break
        out.append(p)
        total += len(p) + 2
    return out


def first_sentence(text: str) -> str:
    """The first sentence of 6+ words that is not a photo caption, credit or time stamp."""
    for para in paragraphs(text):
        for sentence in split_sentences(para):
            if len(sentence.split()) >= 6 and not CAPTION.search(sentence):
                return sentence
    return split_sentences(paragraphs(text)[0])[0]


def make_title(text: str) -> str:
    """The document's first real sentence, trimmed to ``TITLE_WORDS`` words."""
    words = first_sentence(text).split()
    if len(words) <= TITLE_WORDS:
        return " ".join(words).rstrip(".")
    return " ".join(words[:TITLE_WORDS]).rstrip(",;:—-") + "…"


def is_real_article(text: str) -> bool:
    paras = paragraphs(text)
    if len(text) < MIN_DOC_CHARS or len(paras) < 2:
        return False
    if JUNK.search(text[:2000]):
        return False
    words = text.split()
    # prose, not lists of links or tables: mostly lower-case words and sentence ends
    lower = sum(1 for w in words if w[:1].islower())
    return lower / max(len(words), 1) > 0.45 and text.count(". ") >= 5


def feed_format_for(outlet: str) -> str:
    """A stable feed format for a real publisher: 60% RSS, 25% Atom, 15% JSON Feed."""
    bucket = zlib.crc32(outlet.encode("utf-8")) % 20
    return "rss" if bucket < 12 else "atom" if bucket < 17 else "json"


def unescape_uci(text: str) -> str:
    """Undo the backslash escapes of the UCI file (``24\\/7 Wall St.``, ``Glamour \\(blog\\)``)."""
    return re.sub(r"\s+", " ", re.sub(r"\\(.)", r"\1", text)).strip()


def is_publisher(name: str) -> bool:
    """False for empty names and placeholders such as ``(multiple names)``."""
    return bool(name) and not name.startswith("(")


def clean_uci_url(url: str) -> str:
    """Undo the escaping artefacts of the UCI file (``\\?`` and ``&amp;``)."""
    return url.replace("\\?", "?").replace("&amp;", "&")


# --------------------------------------------------------------------------- Multi-News


def multinews_articles(path: Path, rng: random.Random) -> list[dict[str, Any]]:
    """About 40 stories of 3+ real articles each, replayed into the window."""
    chosen: list[tuple[str, list[str]]] = []
    for row in read_jsonl(path):
        texts = [d["text"] for d in row["documents"] if is_real_article(d.get("text") or "")]
        if len(texts) >= MIN_DOCS:
            chosen.append((row["id"], texts[:MAX_DOCS]))
        if len(chosen) == MULTINEWS_STORIES:
            break
    out: list[dict[str, Any]] = []
    for number, (story_id, texts) in enumerate(chosen):
        outlets = rng.sample(PSEUDO_OUTLETS, len(texts))
        breaking = number % 2 == 0
        if breaking:
            at = WINDOW_END - timedelta(hours=rng.uniform(*BREAKING_START_HOURS))
        else:
            start_span = (WINDOW_END - LAST_START_BEFORE_END - WINDOW_START).total_seconds()
            at = WINDOW_START + timedelta(seconds=int(rng.uniform(3600, start_span)))
        gaps = BREAKING_GAP_MINUTES if breaking else GAP_MINUTES
        for j, (text, outlet) in enumerate(zip(texts, outlets, strict=True)):
            if j:
                at = min(at + timedelta(minutes=rng.randint(*gaps)), WINDOW_END)
            body = "\n\n".join(clip_paragraphs(paragraphs(text), MAX_DOC_CHARS))
            out.append(
                {
                    "id": f"mn-{number:02d}-{j}",
                    "outlet": outlet,
                    "feed_format": PSEUDO_FORMATS[PSEUDO_OUTLETS.index(outlet) % 3],
                    "title": make_title(body),
                    "text": body,
                    "url": "",
                    "published": iso(at),
                    "language": "en",
                    "origin": "multinews",
                    "story": story_id,
                }
            )
    return out


# --------------------------------------------------------------------------- UCI


def evenly(items: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """At most ``k`` items spread evenly over the list (keeps a story's coverage shape)."""
    if len(items) <= k:
        return items
    return [items[i * len(items) // k] for i in range(k)]


def uci_articles(path: Path) -> list[dict[str, Any]]:
    """The stories with the most publishers, headlines only, up to the window's end.

    One headline per publisher and story (the first), at most ``UCI_PER_STORY`` per story,
    spread evenly over the story's time line.
    """
    by_story: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    seen_urls: set[str] = set()
    for r in sorted(read_jsonl(path), key=lambda r: (r["published"], r["id"])):
        url = clean_uci_url(r["url"] or "")
        publisher = unescape_uci(r["source"] or "")
        key = (r["story"], publisher)
        if parse_time(r["published"]) >= WINDOW_END or not url or not is_publisher(publisher):
            continue
        if key in seen or url in seen_urls:
            continue
        seen.add(key)
        seen_urls.add(url)
        by_story[r["story"]].append(r)
    ranked = sorted(by_story, key=lambda s: (-len(by_story[s]), s))[:UCI_STORIES]
    out: list[dict[str, Any]] = []
    for story in ranked:
        for r in evenly(by_story[story], UCI_PER_STORY):
            out.append(uci_record(r))
    return out


def uci_record(r: dict[str, Any]) -> dict[str, Any]:
    publisher = unescape_uci(r["source"])
    return {
        "id": r["id"],
        "outlet": publisher,
        "feed_format": feed_format_for(publisher),
        "title": unescape_uci(r["title"]),
        "text": "",
        "url": clean_uci_url(r["url"]),
        "published": iso(parse_time(r["published"])),
        "language": r.get("language") or "en",
        "origin": "uci",
        "story": r["story"],
    }


# --------------------------------------------------------------------------- output


def write_snapshot(articles: Iterable[dict[str, Any]], out: Path) -> bytes:
    lines = "".join(json.dumps(a, ensure_ascii=False, sort_keys=True) + "\n" for a in articles)
    buffer = io.BytesIO()
    # mtime=0 and no file name: identical input gives an identical file
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(lines.encode("utf-8"))
    data = buffer.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the snapshot to write")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    mn = multinews_articles(args.data / "writing" / "multinews_validation_250.jsonl", rng)
    uci = uci_articles(args.data / "clustering" / "uci_stream_dev.jsonl")
    articles = sorted(mn + uci, key=lambda a: (a["published"], a["id"]))
    data = write_snapshot(articles, args.out)
    outlets = {a["outlet"] for a in articles}
    print(
        json.dumps(
            {
                "out": str(args.out),
                "bytes": len(data),
                "articles": len(articles),
                "multinews_articles": len(mn),
                "multinews_stories": len({a["story"] for a in mn}),
                "uci_articles": len(uci),
                "uci_stories": len({a["story"] for a in uci}),
                "outlets": len(outlets),
                "first": articles[0]["published"],
                "last": articles[-1]["published"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
