"""Bundled source packs: ready-made lists of feeds, one pack per news category.

The packs come from Kagi News' ``kite-public`` feed lists (MIT; see ``ATTRIBUTION.md`` and
``LICENSE-kite-public`` beside this file) and are built into ``packs.json.gz`` by
``scripts/build_source_packs.py``. Each source carries its outlet name, country and language.

A pack is either one kite category (``kind`` is the category type: ``topic``, ``region`` or
``city``) or a ``collection`` of several categories (``world``, ``business``...), whose
sources are the union of its members' sources, each feed once.

The data file is read on first use and cached for the life of the process.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from herald.exceptions import SourceError
from herald.types import SourceSpec

__all__ = ["COLLECTION", "DATA_FILE", "FORMAT_VERSION", "Pack", "get_pack", "list_packs", "slugify"]

DATA_FILE = "packs.json.gz"
FORMAT_VERSION = 1
COLLECTION = "collection"


@dataclass(frozen=True)
class Pack:
    """A named list of sources; ``sources`` carry ``category=slug`` and ``fetch_pages=True``."""

    slug: str
    name: str
    kind: str
    language: str
    sources: tuple[SourceSpec, ...]


def slugify(name: str) -> str:
    """A pack's slug: ``"Australia | Victoria"`` -> ``"australia-victoria"``.

    Accents are dropped, dots removed (``"U.S. Soccer"`` -> ``"us-soccer"``) and every other
    run of non-alphanumeric characters becomes one hyphen.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower().replace(".", "")).strip("-")


def list_packs() -> list[Pack]:
    """Every bundled pack, ordered by slug."""
    return list(_packs().values())


def get_pack(name: str) -> Pack:
    """The pack named ``name``: its slug, display name or kite category name, in any case.

    Raises :class:`SourceError` naming the closest packs when there is no such pack.
    """
    packs = _packs()
    wanted = name.strip().casefold()
    for pack in packs.values():
        if wanted in (pack.slug, pack.name.casefold()):
            return pack
    slug = slugify(name)
    if slug in packs:
        return packs[slug]
    raise SourceError(
        f"no source pack {name!r}{_suggest(wanted, slug, packs)}"
        f" (`herald sources packs` lists all {len(packs)})"
    )


def _suggest(wanted: str, slug: str, packs: dict[str, Pack]) -> str:
    """``"; did you mean a, b?"`` naming packs close to the query, or ``""``."""
    keys = {p.slug: p.slug for p in packs.values()}
    keys |= {p.name.casefold(): p.slug for p in packs.values()}
    found = [keys[k] for k in difflib.get_close_matches(wanted, list(keys), n=5, cutoff=0.6)]
    found += [keys[k] for k in difflib.get_close_matches(slug, list(keys), n=5, cutoff=0.6)]
    if slug:
        found += [s for s in packs if s.startswith(slug)]
    suggestions = list(dict.fromkeys(found))[:5]
    return f"; did you mean {', '.join(suggestions)}?" if suggestions else ""


@cache
def _packs() -> dict[str, Pack]:
    try:
        raw = resources.files("herald.packs").joinpath(DATA_FILE).read_bytes()
        return parse_packs(json.loads(gzip.decompress(raw)))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SourceError(f"the bundled source packs cannot be read: {e!r}") from e


def parse_packs(data: Any) -> dict[str, Pack]:
    """Packs from the decoded data file (see ``scripts/build_source_packs.py``), by slug."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise SourceError("the bundled source packs have an unknown format")
    entries: list[dict[str, Any]] = data["packs"]
    packs: dict[str, Pack] = {}
    for entry in entries:
        if entry["kind"] != COLLECTION:
            packs[entry["slug"]] = _category_pack(entry)
    for entry in entries:
        if entry["kind"] == COLLECTION:
            packs[entry["slug"]] = _collection_pack(entry, packs)
    return dict(sorted(packs.items()))


def _category_pack(entry: dict[str, Any]) -> Pack:
    slug: str = entry["slug"]
    language: str = entry["language"]
    sources = tuple(
        SourceSpec(
            url=url,
            outlet=outlet,
            site_url=site_url,
            country=country,
            language=language,
            category=slug,
            fetch_pages=True,
        )
        for url, outlet, country, site_url in entry["sources"]
    )
    return Pack(slug, entry["name"], entry["kind"], language, sources)


def _collection_pack(entry: dict[str, Any], packs: dict[str, Pack]) -> Pack:
    slug: str = entry["slug"]
    seen: set[str] = set()
    sources: list[SourceSpec] = []
    for member in entry["members"]:
        for spec in packs[member].sources:
            if spec.url not in seen:
                seen.add(spec.url)
                sources.append(replace(spec, category=slug))
    return Pack(slug, entry["name"], COLLECTION, entry["language"], tuple(sources))
