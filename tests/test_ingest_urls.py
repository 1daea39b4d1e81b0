"""URL canonicalization and resolution."""

from __future__ import annotations

import pytest

from herald.ingest.urls import canonicalize, is_http_url, origin, resolve


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com/a#section", "https://example.com/a"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?#x", "https://example.com/a"),
        (
            "https://example.com/a?utm_source=tw&utm_medium=social&id=7&UTM_Campaign=x",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2", "https://example.com/a"),
        ("https://example.com/a?ref=home&_ga=1.2&msclkid=9", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"),
        ("https://example.com/a?q=x+y&flag", "https://example.com/a?flag&q=x+y"),
        ("https://example.com/a?q=%2Fx", "https://example.com/a?q=%2Fx"),
        ("https://example.com/Path/Is/Case", "https://example.com/Path/Is/Case"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("https://user:pw@Example.com/x", "https://user:pw@example.com/x"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_canonicalize_is_idempotent() -> None:
    url = "HTTPS://News.Example.com:443/a/b?z=1&utm_term=x&a=2#top"
    assert (
        canonicalize(canonicalize(url))
        == canonicalize(url)
        == "https://news.example.com/a/b?a=2&z=1"
    )


def test_resolve() -> None:
    base = "https://example.com/feeds/main.xml"
    assert resolve(base, "/a") == "https://example.com/a"
    assert resolve(base, "b.xml") == "https://example.com/feeds/b.xml"
    assert resolve(base, "//cdn.example.org/x") == "https://cdn.example.org/x"
    assert resolve(base, "  ../c  ") == "https://example.com/c"
    assert resolve(base, "https://other.example/") == "https://other.example/"
    assert resolve(base, "") == base


def test_is_http_url_and_origin() -> None:
    assert is_http_url("https://example.com/x")
    assert is_http_url("HTTP://example.com")
    assert not is_http_url("ftp://example.com/x")
    assert not is_http_url("javascript:alert(1)")
    assert not is_http_url("/relative")
    assert not is_http_url("http://")
    assert origin("HTTPS://Example.com:443/a?b") == "https://example.com"
    assert origin("http://u:p@example.com:8080/a") == "http://example.com:8080"
