"""The bundled source packs (Kagi News kite-public): loading, lookup and `sources add-pack`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herald.app import make_herald
from herald.cli import app
from herald.config import Settings
from herald.exceptions import SourceError
from herald.ingest.urls import canonicalize, is_http_url
from herald.packs import get_pack, list_packs
from herald.packs.packs import COLLECTION, slugify
from herald.types import Source

REPO = Path(__file__).resolve().parent.parent
PACKS_DIR = REPO / "src" / "herald" / "packs"


def invoke(data_dir: Path, *args: str) -> str:
    env = {"HERALD_DATA_DIR": str(data_dir)}
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def stored(data_dir: Path) -> list[Source]:
    h = make_herald(Settings(data_dir=str(data_dir)))
    try:
        return h.store.list_sources()
    finally:
        h.close()


# --------------------------------------------------------------------------- the data


def test_bundled_packs_load() -> None:
    packs = list_packs()
    slugs = [p.slug for p in packs]
    assert len(packs) > 190
    assert slugs == sorted(slugs)
    assert len(set(slugs)) == len(slugs)
    assert sum(len(p.sources) for p in packs) > 10_000
    assert list_packs() == packs  # cached, same answer
    assert {"topic", "region", "city", COLLECTION} <= {p.kind for p in packs}


@pytest.mark.parametrize("slug", ["world", "business", "science", "technology"])
def test_general_packs_exist_and_are_substantial(slug: str) -> None:
    pack = get_pack(slug)
    assert pack.kind == COLLECTION
    assert pack.name == slug.title()
    assert pack.language == "en"
    assert len(pack.sources) >= 100
    assert len({s.outlet for s in pack.sources}) >= 50


def test_collections_are_the_union_of_their_categories() -> None:
    world = {s.url for s in get_pack("world").sources}
    for member in ("africa", "asia", "europe", "middle-east", "diplomacy"):
        assert {s.url for s in get_pack(member).sources} <= world
    assert len(world) == len(get_pack("world").sources)


def test_every_source_is_complete() -> None:
    for pack in list_packs():
        assert pack.sources, pack.slug
        assert pack.language, pack.slug
        urls = [s.url for s in pack.sources]
        assert len(set(urls)) == len(urls), pack.slug
        for s in pack.sources:
            assert is_http_url(s.url) and s.url == canonicalize(s.url), s
            assert is_http_url(s.site_url), s
            assert s.outlet.strip() == s.outlet and s.outlet, s
            assert s.language, s
            assert s.category == pack.slug, s
            assert s.fetch_pages is True


@pytest.mark.parametrize(
    ("slug", "url_part", "outlet", "country", "language"),
    [
        ("uk-london", "feeds.bbci.co.uk/news/england/london", "BBC News", "United Kingdom", "en"),
        ("asia", "www.scmp.com/rss/2/", "South China Morning Post", "Hong Kong", "en"),
        ("economy", "feed.lastampa.it/economia", "La Stampa", "Italy", "en"),
        ("south-korea", "www.yna.co.kr/rss/", "Yonhap News Agency (연합뉴스)", "South Korea", "ko"),
        # a Google News search restricted to one site is that site's feed
        ("australia-victoria", "q=site:9news.com.au", "Nine News (9News)", "Australia", "en"),
    ],
)
def test_outlets_matched_from_media_data(
    slug: str, url_part: str, outlet: str, country: str, language: str
) -> None:
    found = [s for s in get_pack(slug).sources if url_part in s.url]
    assert found, url_part
    assert {(s.outlet, s.country, s.language) for s in found} == {(outlet, country, language)}


def test_unmatched_outlets_are_named_from_the_host_and_region() -> None:
    victoria = {s.url: s for s in get_pack("australia-victoria").sources}
    paper = victoria["https://castlemainemail.com.au/feed/"]
    assert (paper.outlet, paper.country, paper.site_url) == (
        "castlemainemail.com.au",
        "Australia",
        "https://castlemainemail.com.au",
    )
    assert victoria["https://www.reddit.com/r/melbourne/.rss"].outlet == "Reddit r/melbourne"
    london = {s.country for s in get_pack("uk-london").sources}
    assert london == {"United Kingdom"}
    assert {s.country for s in get_pack("madeira-island").sources} == {"Portugal"}


def test_bundled_file_is_small_and_licensed() -> None:
    assert (PACKS_DIR / "packs.json.gz").stat().st_size < 1_000_000
    assert "MIT License" in (PACKS_DIR / "LICENSE-kite-public").read_text()
    assert "kite-public" in (PACKS_DIR / "ATTRIBUTION.md").read_text()


def test_build_script_reproduces_the_bundled_file(shared_data: Path, tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_source_packs.py"),
            "--data",
            str(shared_data / "sources"),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    for name in ("packs.json.gz", "ATTRIBUTION.md", "LICENSE-kite-public"):
        assert (tmp_path / name).read_bytes() == (PACKS_DIR / name).read_bytes(), name


# --------------------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("world", "world"),
        ("Business", "business"),
        ("Australia | Victoria", "australia-victoria"),
        ("AUSTRALIA-VICTORIA", "australia-victoria"),
        ("french soccer", "french-football"),  # display name
        ("French Football", "french-football"),  # kite category name
        ("U.S. Soccer", "us-soccer"),
        ("Germany | Baden-Württemberg", "germany-baden-wurttemberg"),
    ],
)
def test_get_pack_by_slug_or_name(name: str, slug: str) -> None:
    assert get_pack(name).slug == slug


def test_slugify() -> None:
    assert slugify("Linux & OSS") == "linux-oss"
    assert slugify("USA | Austin, TX") == "usa-austin-tx"


@pytest.mark.parametrize(
    ("name", "suggestion"), [("wrld", "world"), ("bussiness", "business"), ("tech", "technology")]
)
def test_unknown_pack_is_a_clear_error_with_suggestions(name: str, suggestion: str) -> None:
    with pytest.raises(SourceError, match=f"no source pack '{name}'; did you mean .*{suggestion}"):
        get_pack(name)


def test_unknown_pack_without_close_names() -> None:
    with pytest.raises(SourceError, match="no source pack 'xyzzy' \\(`herald sources packs`"):
        get_pack("xyzzy")


# --------------------------------------------------------------------------- command line


@pytest.mark.parametrize("command", ["packs", "add-pack"])
def test_pack_commands_have_help(command: str) -> None:
    result = CliRunner().invoke(app, ["sources", command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_sources_packs_lists_every_pack(tmp_path: Path) -> None:
    listed = json.loads(invoke(tmp_path / "data", "sources", "packs", "--json"))
    by_slug = {p["slug"]: p for p in listed}
    assert len(listed) == len(list_packs())
    assert by_slug["world"] == {
        "slug": "world",
        "name": "World",
        "kind": COLLECTION,
        "language": "en",
        "feeds": len(get_pack("world").sources),
    }
    table = invoke(tmp_path / "data", "sources", "packs")
    assert "australia-victoria" in table and "region" in table


def test_add_pack_adds_each_source_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    london, nebraska = get_pack("uk-london"), get_pack("USA | Nebraska")
    out = invoke(data, "sources", "add-pack", "uk-london", "USA | Nebraska")
    assert f"Added {len(london.sources)} sources from uk-london (0 already present)" in out
    assert f"Added {len(nebraska.sources)} sources from usa-nebraska (0 already present)" in out
    again = invoke(data, "sources", "add-pack", "uk-london")
    assert f"Added 0 sources from uk-london ({len(london.sources)} already present)" in again
    sources = stored(data)
    assert len(sources) == len(london.sources) + len(nebraska.sources)
    by_url = {s.url: s for s in sources}
    bbc = by_url["https://feeds.bbci.co.uk/news/england/london/rss.xml?edition=uk"]
    assert (bbc.outlet, bbc.country, bbc.language, bbc.category, bbc.fetch_pages) == (
        "BBC News",
        "United Kingdom",
        "en",
        "uk-london",
        True,
    )


def test_add_pack_no_pages(tmp_path: Path) -> None:
    data = tmp_path / "data"
    invoke(data, "sources", "add-pack", "usa-nebraska", "--no-pages")
    sources = stored(data)
    assert sources and all(not s.fetch_pages for s in sources)


def test_add_pack_unknown_name_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"HERALD_DATA_DIR": str(data)}
    result = CliRunner().invoke(app, ["sources", "add-pack", "uk-london", "wrld"], env=env)
    assert result.exit_code == 1
    assert "no source pack 'wrld'" in result.output and "world" in result.output
    assert stored(data) == []


def test_opml_round_trip_keeps_outlet_country_and_language(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    invoke(first, "sources", "add-pack", "uk-london", "south-korea")
    opml = tmp_path / "packs.opml"
    invoke(first, "sources", "export-opml", str(opml))
    count = len(get_pack("uk-london").sources) + len(get_pack("south-korea").sources)
    assert f"Imported {count} new sources ({count} in the OPML)" in invoke(
        second, "sources", "import-opml", str(opml)
    )

    def fields(sources: list[Source]) -> list[tuple[str, str, str, str, str, str, bool]]:
        return sorted(
            (s.url, s.outlet, s.country, s.language, s.category, s.site_url, s.fetch_pages)
            for s in sources
        )

    before, after = fields(stored(first)), fields(stored(second))
    assert after == before
    assert {(o, c, lang) for _, o, c, lang, *_ in after} >= {
        ("BBC News", "United Kingdom", "en"),
        ("Yonhap News Agency (연합뉴스)", "South Korea", "ko"),
    }
