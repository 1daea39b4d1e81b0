"""extract_article on real pages: statuses, metadata, encodings and hostile input."""

from __future__ import annotations

import gzip
import html
import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herald.extract import extract_article
from herald.extract.body import visible_text
from herald.extract.decode import MAX_INPUT_BYTES, decode_html
from herald.extract.html import clean_title, parse_html
from herald.extract.metadata import parse_datetime
from herald.extract.page import extract_page
from herald.types import ExtractStatus

POLISH_PAGE = (
    "_Ziemniaki na szóstej, surówka na dziesiątej_. Jak pomagać, żeby nie zaszkodzić_"
    " [PORADNIK W PIGUŁCE].html"
)


def readability_page(shared_data: Path, case: str) -> bytes:
    folder = shared_data / "extraction" / "readability_test_pages"
    return (folder / case / "source.html").read_bytes()


def eval_page(shared_data: Path, name: str) -> bytes:
    path = shared_data / "extraction" / "trafilatura_eval" / "html" / f"{name}.gz"
    return gzip.decompress(path.read_bytes())


def eval_item(shared_data: Path, name: str) -> tuple[str, dict[str, list[str]]]:
    path = shared_data / "extraction" / "trafilatura_eval" / "evaldata.json"
    data = json.loads(path.read_text("utf-8"))
    return next((url, item) for url, item in data.items() if item["file"] == name)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- statuses


def test_real_article_is_ok_with_paragraphs(shared_data: Path) -> None:
    result = extract_article(readability_page(shared_data, "bbc-1"))
    assert result.status is ExtractStatus.OK
    assert result.reason.startswith("extracted")
    assert "US gun laws" in result.text or "gun laws" in result.text
    paragraphs = result.text.split("\n\n")
    assert len(paragraphs) > 10
    assert all(p == p.strip() and p for p in paragraphs)


def test_eval_page_keeps_required_and_drops_forbidden_strings(shared_data: Path) -> None:
    name = "badische-zeitung.de-Wohnungssuche.html"
    url, item = eval_item(shared_data, name)
    text = squash(extract_article(eval_page(shared_data, name), url).text)
    assert all(squash(chunk) in text for chunk in item["with"])
    assert not any(squash(chunk) in text for chunk in item["without"])


def test_short_real_page_is_too_short_and_keeps_its_text(shared_data: Path) -> None:
    name = "gnaur.wordpress.com.moglichkeit.html"
    url, _ = eval_item(shared_data, name)
    result = extract_article(eval_page(shared_data, name), url)
    assert result.status is ExtractStatus.TOO_SHORT
    assert "fewer than 200" in result.reason
    assert 0 < len(result.text) < 200
    assert (
        extract_article(eval_page(shared_data, name), url, min_chars=50).status is ExtractStatus.OK
    )


def test_site_front_page_is_not_an_article(shared_data: Path) -> None:
    page = readability_page(shared_data, "mozilla-2")
    assert (
        extract_article(page, "https://www.mozilla.org/en-US/firefox/").status is ExtractStatus.OK
    )
    result = extract_article(page, "https://www.mozilla.org/")
    assert result.status is ExtractStatus.NOT_ARTICLE
    assert "front page" in result.reason
    assert result.text == ""
    assert result.title == "Welcome to Firefox Developer Edition"


def test_page_describing_itself_as_a_listing_is_not_an_article(shared_data: Path) -> None:
    name = "minusl.de.joghurt.html"
    url, _ = eval_item(shared_data, name)
    result = extract_article(eval_page(shared_data, name), url)
    assert result.status is ExtractStatus.NOT_ARTICLE
    assert "collectionpage" in result.reason


def test_link_roundup_is_a_listing(shared_data: Path) -> None:
    name = "nurmeinstandpunkt.wordpress.com.blogposting.html"
    url, _ = eval_item(shared_data, name)
    result = extract_article(eval_page(shared_data, name), url)
    assert result.status is ExtractStatus.NOT_ARTICLE
    assert "link text" in result.reason


def test_headline_index_built_from_real_headlines_is_a_listing(shared_data: Path) -> None:
    lines = (shared_data / "clustering" / "uci_headlines_dev.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines[:60]]
    items = "".join(
        f'<li><a href="{html.escape(row["url"])}">{html.escape(row["title"])}</a></li>'
        for row in rows
    )
    page = f"<html><head><title>Business</title></head><body><ul>{items}</ul></body></html>"
    result = extract_article(page, "https://news.example.org/business/")
    assert result.status is ExtractStatus.NOT_ARTICLE
    assert result.text == ""


def test_page_without_body_text_has_no_main_content(shared_data: Path) -> None:
    page = readability_page(shared_data, "guardian-1")
    head_only = page[: page.index(b"<body")] + b"<body></body></html>"
    result = extract_article(head_only)
    assert result.status is ExtractStatus.NOT_ARTICLE
    assert result.reason == "no main content found"
    assert result.canonical_url.startswith("https://www.theguardian.com/")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty input"),
        (b"  \r\n\t ", "empty input"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (bytes(range(256)) * 200, "binary or undecodable"),
        (b"just some words, no markup at all", "no HTML tags"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
)
def test_garbage_and_binary_input_is_an_error(content: bytes, reason: str) -> None:
    result = extract_article(content)
    assert result.status is ExtractStatus.ERROR
    assert reason in result.reason
    assert result.text == ""


def test_binary_file_of_a_real_page_is_an_error(shared_data: Path) -> None:
    compressed = (shared_data / "extraction" / "trafilatura_eval" / "html").iterdir()
    raw = next(iter(sorted(compressed))).read_bytes()
    # real gzip bytes truncated in the middle: not a page, not a crash
    assert extract_article(raw[: len(raw) // 2]).status in (
        ExtractStatus.ERROR,
        ExtractStatus.NOT_ARTICLE,
    )
    assert extract_article(raw).status is not ExtractStatus.ERROR  # whole gzip is inflated


# --------------------------------------------------------------------------- metadata


def test_metadata_of_a_bbc_page(shared_data: Path) -> None:
    result = extract_article(readability_page(shared_data, "bbc-1"))
    assert result.title == "Obama admits US gun laws are his 'biggest frustration'"
    assert result.published == datetime(2015, 7, 24, 4, 36, 9, tzinfo=UTC)  # page: +01:00
    assert result.language == "en"
    assert result.canonical_url == "http://www.bbc.com/news/world-us-canada-33646704"
    assert result.image_url.startswith("http://ichef.bbci.co.uk/news/1024/")


def test_published_keeps_the_page_time_zone(shared_data: Path) -> None:
    kotaku = extract_article(readability_page(shared_data, "lazy-image-2"))
    assert kotaku.published == datetime(2013, 9, 11, 14, 0, tzinfo=UTC)  # 10:00 -04:00
    aktualne = extract_article(readability_page(shared_data, "aktualne"))
    assert aktualne.published == datetime(2021, 11, 1, 9, 52, 50, tzinfo=UTC)  # 10:52:50 +0100
    assert aktualne.language == "cs"
    assert aktualne.published is not None and aktualne.published.tzinfo is UTC


def test_date_search_can_be_skipped_when_the_metadata_has_no_date(shared_data: Path) -> None:
    # buzzfeed-1 states no publication time in its metadata; htmldate finds one in its text
    page = readability_page(shared_data, "buzzfeed-1")
    searched = extract_article(page)
    skipped = extract_article(page, search_date=False)
    assert searched.published == datetime(2015, 4, 21, tzinfo=UTC)
    assert skipped.published is None
    assert replace(skipped, published=searched.published) == searched
    # a time the metadata states is kept either way
    bbc = extract_article(readability_page(shared_data, "bbc-1"), search_date=False)
    assert bbc.published == datetime(2015, 7, 24, 4, 36, 9, tzinfo=UTC)


def test_byline_search_can_be_skipped_keeping_the_metadata_author(shared_data: Path) -> None:
    # cnet names its author only in the page markup; guardian-1 in its metadata
    page = readability_page(shared_data, "cnet")
    searched = extract_article(page, search_date=False)
    skipped = extract_article(page, search_date=False, search_author=False)
    assert searched.author == "Steven Musil"
    assert skipped.author == ""
    assert replace(skipped, author=searched.author) == searched
    assert extract_page(page, "", 200, None, "").extraction == skipped  # the extract step's job
    guardian = readability_page(shared_data, "guardian-1")
    assert extract_article(guardian, search_author=False).author == "Eleanor Ainge Roy"


def test_visible_text_leaves_out_hidden_elements_but_keeps_their_tails() -> None:
    tree = parse_html(
        "<html><head><title>T</title><style>p{}</style></head><body>Lead<p>One<script>x()"
        "</script> two<!-- note --> three</p><noscript>off</noscript><template><b>t</b>"
        "</template>four<div><div><span>five</span></div>six</div></body></html>"
    )
    assert visible_text(tree) == "Lead One two three four five six"


def test_published_matches_readability_expectations(shared_data: Path) -> None:
    folder = shared_data / "extraction" / "readability_test_pages"
    checked = 0
    for case in sorted(folder.iterdir()):
        meta_path = case / "expected-metadata.json"
        if not meta_path.is_file():
            continue
        expected = json.loads(meta_path.read_text()).get("publishedTime")
        if not expected:
            continue
        checked += 1
        result = extract_article((case / "source.html").read_bytes())
        assert result.published == parse_datetime(expected), case.name
    assert checked >= 30


def test_author_title_and_image_of_a_guardian_page(shared_data: Path) -> None:
    result = extract_article(readability_page(shared_data, "guardian-1"))
    assert result.author == "Eleanor Ainge Roy"
    assert result.title.startswith("'What is the sea telling us?'")
    assert not result.title.endswith("Eleanor Ainge Roy")  # author segment stripped
    assert result.image_url.startswith("https://i.guim.co.uk/")


def test_canonical_falls_back_to_og_url_and_resolves_relative_links() -> None:
    page = (
        '<html lang="de-AT"><head><meta property="og:url" content="/news/a-1">'
        '<meta property="og:image" content="img/a.jpg"></head>'
        "<body><article><p>Text.</p></article></body></html>"
    )
    result = extract_article(page, "https://example.org/section/page")
    assert result.canonical_url == "https://example.org/news/a-1"
    assert result.image_url == "https://example.org/section/img/a.jpg"
    assert result.language == "de"


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        ("Story here | Example News", "Example News", "", "Story here"),
        ("Example - Story here", "", "https://www.example.com/x", "Story here"),
        ("Story - with - dashes - BBC News", "BBC News", "", "Story - with - dashes"),
        ("Tagesschau: alles", "", "https://www.tagesschau.de/x", "Tagesschau: alles"),
        ("Plain title", "Site", "", "Plain title"),
    ],
)
def test_clean_title(title: str, site: str, url: str, expected: str) -> None:
    assert clean_title(title, site, url) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-07-24T05:36:09+01:00", datetime(2015, 7, 24, 4, 36, 9, tzinfo=UTC)),
        ("2021-11-01T10:52:50+0100", datetime(2021, 11, 1, 9, 52, 50, tzinfo=UTC)),
        ("2019-01-03T07:00:02.000Z", datetime(2019, 1, 3, 7, 0, 2, tzinfo=UTC)),
        ("2017-11-24 18:42:20.314667", datetime(2017, 11, 24, 18, 42, 20, 314667, tzinfo=UTC)),
        ("2024-06-25", datetime(2024, 6, 25, tzinfo=UTC)),
        ("Fri, 24 Jul 2015 05:36:09 +0100", datetime(2015, 7, 24, 4, 36, 9, tzinfo=UTC)),
        ("1437712569", datetime(2015, 7, 24, 4, 36, 9, tzinfo=UTC)),
        ("yesterday", None),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
    ],
)
def test_parse_datetime(value: str, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected


# --------------------------------------------------------------------------- encodings


def test_declared_legacy_encodings_of_real_pages(shared_data: Path) -> None:
    polish = "Unijne fundusze coraz bliżej. Sejm zagłosował _za_ - Polityka - rp.pl.html"
    chinese = "archive.org.he.xinhuanet.com.25340717.html"
    german = "kyffhaeuser-nachrichten.de-Regen.html"
    for name, encoding in ((polish, "cp1250"), (chinese, "gb18030"), (german, "cp1252")):
        url, item = eval_item(shared_data, name)
        content = eval_page(shared_data, name)
        assert decode_html(content).encoding == encoding
        text = squash(extract_article(content, url).text)
        assert squash(item["with"][0]) in text, name


def test_http_charset_hint_is_used_when_the_page_declares_nothing(shared_data: Path) -> None:
    name = POLISH_PAGE
    url, item = eval_item(shared_data, name)
    content = re.sub(rb"(?i)charset\s*=\s*[\"']?iso-8859-2", b"", eval_page(shared_data, name))
    assert b"8859-2" not in content[:8192]
    with_hint = extract_article(content, url, encoding="ISO-8859-2")
    assert squash(item["with"][0]) in squash(with_hint.text)  # "pomóc osobie niewidomej"


def test_valid_utf8_wins_over_a_wrong_latin1_hint(shared_data: Path) -> None:
    content = readability_page(shared_data, "aktualne")
    result = extract_article(content, encoding="iso-8859-1")
    assert "Čtvrté místo v lize" in result.text


def test_byte_order_marks(shared_data: Path) -> None:
    content = readability_page(shared_data, "bbc-1")
    plain = extract_article(content)
    for encoded in (b"\xef\xbb\xbf" + content, content.decode("utf-8").encode("utf-16")):
        result = extract_article(encoded)
        assert result.text == plain.text
        assert result.title == plain.title


def test_text_input_and_truncation(shared_data: Path) -> None:
    text = readability_page(shared_data, "bbc-1").decode("utf-8")
    assert extract_article(text).text == extract_article(text.encode("utf-8")).text
    decoded = decode_html(text.encode("utf-8") + b"<!--" + b"\xc3\xa9" * MAX_INPUT_BYTES)
    assert decoded.truncated
    assert decoded.encoding == "utf-8"  # cut inside a two-byte character, still UTF-8


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>",
        b"<html><body><p " + b" ".join(b'a%d="%d"' % (i, i) for i in range(100_000)) + b">x</p>",
        b"<html><body><p>" + b"<b><i>" * 50_000 + b"unclosed",
        gzip.compress(b"<html><body><p>" + b"a" * 50_000_000 + b"</p></body></html>"),
        b"<html><head><script type='application/ld+json'>" + b"[" * 50_000 + b"</script></head>",
        "<html><body><p>lone \ud800 surrogate and \x00 NUL</p></body></html>".encode(
            "utf-8", "surrogatepass"
        ),
    ],
    ids=["deep-nesting", "huge-tag", "unclosed", "gzip-bomb", "json-bomb", "bad-characters"],
)
def test_hostile_pages_neither_crash_nor_hang(content: bytes) -> None:
    started = time.monotonic()
    result = extract_article(content)
    assert time.monotonic() - started < 20
    assert result.status in set(ExtractStatus)
    assert len(result.text) <= MAX_INPUT_BYTES


# --------------------------------------------------------------------------- body repairs


def test_dropped_standfirst_is_restored_in_front(shared_data: Path) -> None:
    result = extract_article(readability_page(shared_data, "liberation-1"))
    first, second = result.text.split("\n\n")[:2]
    assert first.startswith("Laurent Fabius a accueilli jeudi matin à Roissy")
    assert second.startswith("Un troisième Français a été tué")


def test_inline_related_links_are_dropped(shared_data: Path) -> None:
    page = readability_page(shared_data, "cnn")
    assert b"Related:" in page
    text = extract_article(page).text
    assert "Related:" not in text
    assert "birth lottery" in text or "mobility" in text


def test_closing_boilerplate_is_dropped_but_not_news_sentences() -> None:
    body = "<p>" + "The minister spoke at length about the budget. " * 6 + "</p>"
    closing = (
        "<p>He said he could not comment further on the case.</p>"
        "<p>Subscribe to our newsletter for more.</p>"
        "<p>© 2024 Example Media. All rights reserved.</p>"
    )
    page = f"<html><body><article>{body}{closing}</article></body></html>"
    text = extract_article(page).text
    assert text.endswith("He said he could not comment further on the case.")
