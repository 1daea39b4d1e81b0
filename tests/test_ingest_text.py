"""HTML fragments to text, and dates as feeds write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald.ingest.dates import parse_date
from herald.ingest.text import entry_title, html_to_text, inline_text


def test_html_to_text_keeps_paragraphs_and_line_breaks() -> None:
    html = (
        "<div><h2>Title</h2><p>First &amp; <b>bold</b>\n   wrapped line.</p>"
        "<p>Second<br>line<br/>three</p><script>var x = '<p>';</script>"
        "<style>p {}</style><ul><li>a</li><li>b</li></ul>tail</div>"
    )
    assert html_to_text(html) == (
        "Title\n\nFirst & bold wrapped line.\n\nSecond\nline\nthree\n\na\n\nb\n\ntail"
    )


def test_html_to_text_on_plain_text() -> None:
    assert html_to_text("One paragraph.\n\nAnother one\nwrapped.") == (
        "One paragraph.\n\nAnother one wrapped."
    )
    assert html_to_text("a < b and c > d, x&y") == "a < b and c > d, x&y"
    assert html_to_text("") == ""
    assert html_to_text("<p> </p><p>\u00a0</p>") == ""


def test_html_to_text_ignores_marker_characters_in_input() -> None:
    assert html_to_text("a\x00b\x01c") == "abc"


def test_entry_title_loses_the_marks_before_it() -> None:
    # the demo's Multi-News source: "► Update: Man charged with 1st-degree murder in..."
    assert (
        entry_title("&#9658; Update: Man charged with murder") == "Update: Man charged with murder"
    )
    assert entry_title("▶ <b>Watch</b>: the launch") == "Watch: the launch"
    assert entry_title("• “Quoted” headline") == "“Quoted” headline"
    assert entry_title("3 killed in crash - Daily Ledger") == "3 killed in crash - Daily Ledger"
    assert entry_title("►") == "►"  # nothing after it: left as it is


def test_inline_text() -> None:
    assert inline_text("  <em>Hello</em>\n&nbsp;<b>world</b> &#8211; &quot;x&quot; ") == (
        'Hello world – "x"'
    )
    assert inline_text("<p>a</p><p>b</p>") == "a b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-02T03:04:05Z", datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2023-01-02T03:04:05", datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("Fri, 31 May 2019 12:17:58 -0700", datetime(2019, 5, 31, 19, 17, 58, tzinfo=UTC)),
        ("Tue, 17 Oct 2017 22:17:00 CEST", datetime(2017, 10, 17, 20, 17, tzinfo=UTC)),
        ("Mo, 3. März 2023 10:00:00 MEZ", datetime(2023, 3, 3, 9, 0, tzinfo=UTC)),
        ("sáb, 04 mar 2023 08:00:00 -0300", datetime(2023, 3, 4, 11, 0, tzinfo=UTC)),
        ("16 dicembre 2022 10:00", datetime(2022, 12, 16, 10, 0, tzinfo=UTC)),
        ("not a date", None),
        ("31 Foo 2020 10:00", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected
