"""HTML fragments from feeds turned into plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["entry_title", "html_to_text", "inline_text"]

BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "svg", "head"})
PARAGRAPH = "\x00"  # marks a paragraph break while text is collected
LINE = "\x01"  # marks a line break (<br>) while text is collected

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BREAKS = re.compile(r"\s*\x00[\s\x00]*")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, marking block boundaries."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br":
            self.parts.append(LINE)
        elif tag in BLOCK_TAGS:
            self.parts.append(PARAGRAPH)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append(LINE)
        elif tag in BLOCK_TAGS:
            self.parts.append(PARAGRAPH)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append(PARAGRAPH)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            data = data.replace(PARAGRAPH, "").replace(LINE, "")
            self.parts.append(_BLANK_LINE.sub(PARAGRAPH, data).replace("\n", " "))


def _collect(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities unescaped.

    Paragraphs and other blocks are separated by a blank line (``"\\n\\n"``), ``<br>``
    becomes a line break, and runs of spaces collapse to one.
    """
    if not html:
        return ""
    paragraphs = (_clean_paragraph(p) for p in _BREAKS.split(_collect(html)))
    return "\n\n".join(p for p in paragraphs if p)


def _clean_paragraph(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split(LINE))
    return "\n".join(line for line in lines if line)


# Marks some feeds put before a headline ("► Update: Man charged..."), never part of it.
_TITLE_MARKS = re.compile(r"^(?:[►▶▷▸•·»■□◆◇★☆✓✔→⇒|*]\s*)+(?=\w|[\"“‘'(])")


def entry_title(html: str) -> str:
    """An entry's title as one line of text, without the arrows and bullets some feeds put
    before it ("► Update: Man charged..." is "Update: Man charged...")."""
    return _TITLE_MARKS.sub("", inline_text(html))


def inline_text(html: str) -> str:
    """Text of an HTML fragment on one line (titles, names): all whitespace collapsed."""
    if not html:
        return ""
    text = _collect(html).replace(PARAGRAPH, " ").replace(LINE, " ")
    return " ".join(text.split())
