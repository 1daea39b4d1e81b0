#!/usr/bin/env python3
"""Build Herald's bundled source packs from Kagi News' kite-public feed lists.

Reads ``kite_feeds.json`` (news categories and their feeds) and ``media_data.json`` (outlets
with their domains and countries) from the shared data folder and writes, into
``src/herald/packs/``:

- ``packs.json.gz``: one pack per kite category, plus a few collections (``world``,
  ``business``, ``science``, ``technology``) that group several categories;
- ``LICENSE-kite-public``: kite-public's MIT license, copied as is;
- ``ATTRIBUTION.md``: where the data comes from and what was derived.

Each source row is ``[feed url, outlet, country, site url]``; its language is the pack's (the
category's ``source_language``). The outlet is the ``organization`` of the media_data entry
whose domain is the feed host or a parent of it, else a name for the feed's platform
(Google News, Reddit, FeedBurner...), else the host without ``www.``/``feeds.``/``rss.``. The
country is the outlet's when known, else the country of a region or city category
("Australia | Victoria" -> "Australia"), else "". Feed addresses are canonicalized
(``herald.ingest.urls.canonicalize``) and each appears once per pack.

The build is deterministic: the same input files give byte-identical output.

Usage::

    .venv/bin/python scripts/build_source_packs.py [--data ../shared/data/sources] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from herald.ingest.urls import canonicalize, is_http_url, origin
from herald.packs.packs import COLLECTION, DATA_FILE, FORMAT_VERSION, slugify

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "sources"
DEFAULT_OUT = REPO / "src" / "herald" / "packs"
KITE_FILE = "kite_feeds.json"
MEDIA_FILE = "media_data.json"
LICENSE_FILE = "LICENSE-kite-public"
ATTRIBUTION_FILE = "ATTRIBUTION.md"

#: Packs that group several kite categories (kite-public's general categories, such as
#: World or Business, are not in the shared copy of kite_feeds.json).
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "World": ("Africa", "Asia", "Europe", "Middle East", "Diplomacy"),
    "Business": ("Economy", "Retail", "Mining", "Maritime"),
    "Science": ("Space", "Quantum Physics", "Climate Change", "Medicine", "Psychology"),
    "Technology": (
        "AI",
        "Computer Science",
        "Cybersecurity",
        "Linux & OSS",
        "Privacy",
        "Cloud Computing",
        "Networking",
    ),
}
#: Category types whose name starts with the country of their outlets.
REGION_KINDS = frozenset({"region", "city", "country"})
COUNTRY_ALIASES = {"USA": "United States", "UK": "United Kingdom", "Madeira Island": "Portugal"}
#: media_data countries that name no country.
NOT_A_COUNTRY = frozenset({"Global", "International"})
#: kite language codes that are not language codes ("gr" is Greece's country code).
LANGUAGE_FIXES = {"gr": "el"}
HOST_PREFIXES = ("www.", "feeds.", "feed.", "rss.")
_SITE_QUERY = re.compile(r"(?:^|\s)site:([a-z0-9.-]+\.[a-z]{2,})", re.IGNORECASE)


@dataclass(frozen=True)
class Outlet:
    name: str
    country: str


@dataclass(frozen=True)
class Row:
    url: str
    outlet: str
    country: str
    site_url: str
    matched: bool

    def as_list(self) -> list[str]:
        return [self.url, self.outlet, self.country, self.site_url]


class MediaIndex:
    """media_data.json outlets by domain; a host matches its own domain or a parent one."""

    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self._by_domain: dict[str, Outlet] = {}
        for entry in entries:
            country = entry["country"].strip()
            outlet = Outlet(
                entry["organization"].strip(), "" if country in NOT_A_COUNTRY else country
            )
            for domain in entry["domains"]:
                self._by_domain.setdefault(bare_host(domain), outlet)

    def match(self, host: str) -> Outlet | None:
        labels = host.split(".")
        for start in range(len(labels) - 1):
            found = self._by_domain.get(".".join(labels[start:]))
            if found is not None and found.name:
                return found
        return None


def bare_host(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("www.")


def host_name(host: str) -> str:
    """A readable outlet name from a host: ``feeds.example.com`` -> ``example.com``."""
    for prefix in HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host.removeprefix(prefix)
    return host


def clean_url(raw: str) -> str | None:
    """The canonical form of a kite feed address, or None when it is not an http(s) URL."""
    url = raw.strip().replace("&amp;", "&").replace(" ", "%20")
    if "://" not in url:
        url = f"https://{url}"
    return canonicalize(url) if is_http_url(url) else None


def platform_name(parts: SplitResult) -> str | None:
    """The outlet name of a feed on a platform hosting many publishers' feeds."""
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if host.endswith("feedburner.com"):
        return segments[0] if segments else "FeedBurner"
    if host.endswith("reddit.com"):
        return f"Reddit r/{segments[1]}" if len(segments) > 1 and segments[0] == "r" else "Reddit"
    if host == "nitter.net" and segments:
        return f"@{segments[0]} on X"
    if host == "github.com" and len(segments) > 1:
        return f"GitHub {segments[0]}/{segments[1]}"
    if host == "hnrss.org":
        return "Hacker News"
    if host == "news.google.com":
        return "Google News"
    return None


def google_news_site(parts: SplitResult) -> str | None:
    """The site a Google News search is restricted to (``q=site:example.com ...``)."""
    if parts.hostname != "news.google.com":
        return None
    for query in parse_qs(parts.query).get("q", []):
        found = _SITE_QUERY.search(query)
        if found:
            return bare_host(found.group(1))
    return None


def describe(url: str, media: MediaIndex, fallback_country: str) -> Row:
    parts = urlsplit(url)
    host = parts.hostname or ""
    site = google_news_site(parts)
    name = None if site else platform_name(parts)
    outlet_host = site or host
    matched = None if name else media.match(bare_host(outlet_host))
    outlet = name or (matched.name if matched else host_name(outlet_host))
    country = (matched.country if matched else "") or fallback_country
    site_url = f"https://{site}" if site else origin(url)
    return Row(url, outlet, country, site_url, matched is not None)


def region_country(category: str, kind: str) -> str:
    if kind not in REGION_KINDS:
        return ""
    head = category.split("|")[0].strip()
    return COUNTRY_ALIASES.get(head, head)


# --------------------------------------------------------------------------- building


@dataclass
class Stats:
    categories: int = 0
    feeds_in: int = 0
    rows: int = 0
    matched: int = 0
    duplicates: int = 0
    invalid: int = 0


def build(kite: dict[str, Any], media: list[dict[str, Any]]) -> tuple[dict[str, Any], Stats]:
    """The data file's content, and counts describing it."""
    index = MediaIndex(media)
    stats = Stats()
    packs: list[dict[str, Any]] = []
    slugs: dict[str, str] = {}
    for category, spec in kite.items():
        kind = spec["category_type"]
        language = spec["source_language"]
        language = LANGUAGE_FIXES.get(language, language)
        fallback = region_country(category, kind)
        rows: dict[str, Row] = {}
        for raw in spec["feeds"]:
            stats.feeds_in += 1
            url = clean_url(raw)
            if url is None:
                stats.invalid += 1
            elif url in rows:
                stats.duplicates += 1
            else:
                rows[url] = describe(url, index, fallback)
        slug = _unique_slug(slugify(category), category, slugs)
        stats.categories += 1
        stats.rows += len(rows)
        stats.matched += sum(r.matched for r in rows.values())
        packs.append(
            {
                "slug": slug,
                "name": spec["display_names"].get("en") or category,
                "category": category,
                "kind": kind,
                "language": language,
                "sources": [r.as_list() for r in rows.values()],
            }
        )
    by_category = {p["category"]: p for p in packs}
    for name, members in COLLECTIONS.items():
        missing = [m for m in members if m not in by_category]
        if missing:
            raise SystemExit(f"collection {name}: no kite category {', '.join(missing)}")
        languages = {by_category[m]["language"] for m in members}
        packs.append(
            {
                "slug": _unique_slug(slugify(name), name, slugs),
                "name": name,
                "kind": COLLECTION,
                "language": languages.pop() if len(languages) == 1 else "",
                "members": [by_category[m]["slug"] for m in members],
            }
        )
    packs.sort(key=lambda p: str(p["slug"]))
    data = {
        "format": FORMAT_VERSION,
        "origin": "Kagi News kite-public (MIT): kite_feeds.json and media_data.json",
        "packs": packs,
    }
    return data, stats


def _unique_slug(slug: str, name: str, seen: dict[str, str]) -> str:
    if not slug or slug in seen:
        raise SystemExit(f"pack {name!r}: slug {slug!r} is empty or taken by {seen.get(slug)!r}")
    seen[slug] = name
    return slug


def gzip_json(data: Any) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    buffer = io.BytesIO()
    # mtime=0 and no file name: identical input gives an identical file
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode())
    return buffer.getvalue()


def attribution(data: dict[str, Any], stats: Stats) -> str:
    packs = data["packs"]
    kinds = Counter(str(p["kind"]) for p in packs)
    collections = "\n".join(
        f"  - `{p['slug']}`: {', '.join(f'`{m}`' for m in p['members'])}"
        for p in packs
        if p["kind"] == COLLECTION
    )
    share = stats.matched / stats.rows if stats.rows else 0.0
    return f"""# Source packs: what they are and where they come from

`packs.json.gz` lists ready-made sets of news feeds for `herald sources add-pack NAME`
(`herald sources packs` lists them). It is rebuilt, deterministically, by
`scripts/build_source_packs.py` from the project's shared data folder
(`shared/data/sources/`).

## Source and license

Kagi News, **kite-public** — <https://github.com/kagisearch/kite-public> —
`kite_feeds.json` (news categories and their RSS/Atom feeds) and `media_data.json` (news
outlets with their domains, country, owner and description). Copyright (c) 2024 Kagi Search,
released under the **MIT License**, copied beside this file as `LICENSE-kite-public`.
The feeds themselves belong to their publishers.

## What was derived

- {stats.categories} packs, one per kite category: {kinds.get("topic", 0)} topics, \
{kinds.get("region", 0)} regions and {kinds.get("city", 0)} cities. A pack is named by the \
category's English display name, has a slug of the category name (`Australia | Victoria` -> \
`australia-victoria`), the category type as its kind, and the category's `source_language` \
as the language of its sources (`gr` is written `el`).
- {kinds.get(COLLECTION, 0)} collections grouping several categories (their union, each feed \
once):
{collections}
- {stats.rows} sources in the category packs ({stats.feeds_in} feed addresses read, \
{stats.duplicates} duplicates within a category and {stats.invalid} unusable addresses \
dropped). Addresses are canonicalized (`herald.ingest.urls.canonicalize`, after unescaping \
`&amp;`, encoding spaces and adding a missing `https://`).
- Outlet: the `organization` of the `media_data.json` entry owning the feed's domain (or a
  parent domain; {stats.matched} sources, {share:.0%}); else, for feeds on platforms, a
  name such as `Google News`, `Reddit r/melbourne`, `@user on X` (Nitter), `GitHub
  owner/repo`, `Hacker News` or the FeedBurner feed name (a Google News search restricted
  to `site:example.com` counts as that site's feed); else the host without `www.`,
  `feeds.`, `feed.` or `rss.`.
- Country: the `media_data.json` country of the outlet (`Global` and `International`
  dropped); else, in region and city packs, the country the category name starts with
  (`USA` -> `United States`, `UK` -> `United Kingdom`, `Madeira Island` -> `Portugal`);
  else empty.
- Site address: the feed's scheme and host (the restricted site for Google News searches).
- Not used: the categories' translated display names, and media_data's descriptions, owners
  and typologies.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="kite-public files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="herald/packs folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    kite = json.loads((args.data / KITE_FILE).read_text(encoding="utf-8"))
    media = json.loads((args.data / MEDIA_FILE).read_text(encoding="utf-8"))
    data, stats = build(kite, media)
    payload = gzip_json(data)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / DATA_FILE).write_bytes(payload)
    shutil.copyfile(args.data / LICENSE_FILE, args.out / LICENSE_FILE)
    (args.out / ATTRIBUTION_FILE).write_text(attribution(data, stats), encoding="utf-8")
    elapsed = time.perf_counter() - started
    print(
        f"{len(data['packs'])} packs, {stats.rows} category sources "
        f"({stats.matched} matched to media_data), {len(payload):,} bytes, {elapsed:.2f}s"
    )


if __name__ == "__main__":
    main()
