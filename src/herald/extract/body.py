"""Post-processing of trafilatura's article body (its XML tree with ``ref`` links kept).

Three repairs, each chosen by measurement on the trafilatura and Readability test pages
(see ``scripts/eval_extraction.py``):

* link blocks: short paragraphs and lists that are mostly link text ("Read also: ...",
  tag clouds, "Follow us on ...") are dropped, with a short heading right before them;
* trailing boilerplate: up to two short closing paragraphs that are newsletter or
  subscription prompts, "follow us", copyright lines, "read more"/"related" headers, tag
  lists or comment notices (a small multilingual list of phrases) are dropped;
* the lede: when the page's description is shown on the page but missing from the body
  (standfirsts often sit outside the article container), it is put back in front.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree
from trafilatura.xml import xmltotxt

LINK_BLOCK_TAGS = ("p", "list")
LINK_BLOCK_SHARE = 0.5
LINK_BLOCK_MAX_CHARS = 100
HEADING_MAX_CHARS = 60
LEDE_MIN_CHARS = 30
LEDE_PREFIX_CHARS = 60

TRAILER_MAX_CHARS = 200
TRAILER_MAX_PARAGRAPHS = 2
_TRAILER = re.compile(
    "|".join(
        (
            r"newsletter",
            r"\bsubscri(?:be|ption)",
            r"\bsuscr[ií]b",
            r"\babonn(?:ier|ez|ement)",
            r"\bfollow (?:us|me)\b",
            r"\bfolg(?:en sie|t) (?:uns|mir)\b",
            r"síguenos",
            r"suivez-nous",
            r"download (?:the|our) app",
            r"app store",
            r"google play",
            r"©",
            r"\bcopyright\b",
            r"all rights reserved",
            r"alle rechte vorbehalten",
            r"todos los derechos",
            r"tous droits",
            r"\bread more\b",
            r"lesen sie auch",
            r"weiterlesen",
            r"mehr zum thema",
            r"le?a también",
            r"czytaj (?:też|także|więcej)",
            r"\brelated (?:stories|articles|posts|content)\b",
            r"empfohlene beiträge",
            r"top-themen",
            r"^tags\s*:",
            r"schlagwörter",
            r"^categor(?:y|ies)\s*:",
            r"^kategorie\s*:",
            r"\bkommentare\b",
            r"\bcomments\b",
            r"commentaires",
        )
    ),
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace to one space and strip."""
    return _SPACE.sub(" ", text).strip()


def _text(element: etree._Element) -> str:
    return normalize_space("".join(element.itertext()))


def _link_chars(element: etree._Element) -> int:
    return sum(len(_text(ref)) for ref in element.iter("ref"))


def link_share(body: etree._Element) -> float:
    """Share of the body's characters that sit inside links."""
    total = len(_text(body))
    return _link_chars(body) / total if total else 0.0


def anchor_share(tree: etree._Element, paragraphs: list[str]) -> float:
    """Share of the text's characters in paragraphs that are exactly some link's text on the
    page (catches listings even when the extractor dropped the links)."""
    total = sum(len(p) for p in paragraphs)
    if not total:
        return 0.0
    anchors = {_text(anchor) for anchor in tree.iter("a")}
    return sum(len(p) for p in paragraphs if p in anchors) / total


def _is_link_block(element: etree._Element) -> bool:
    if element.tag not in LINK_BLOCK_TAGS:
        return False
    text = _text(element)
    if not text or len(text) > LINK_BLOCK_MAX_CHARS:
        return False
    return _link_chars(element) >= LINK_BLOCK_SHARE * len(text)


def drop_link_blocks(body: etree._Element) -> int:
    """Remove short link-dominated blocks (and a short heading above one); return how many."""
    children = list(body)
    doomed = {i for i, child in enumerate(children) if _is_link_block(child)}
    for i, child in enumerate(children):
        if i + 1 in doomed and child.tag == "head" and len(_text(child)) <= HEADING_MAX_CHARS:
            doomed.add(i)
    for i in doomed:
        body.remove(children[i])
    return len(doomed)


def body_paragraphs(body: etree._Element) -> list[str]:
    """The body as plain-text paragraphs (links reduced to their text)."""
    etree.strip_tags(body, "ref")
    lines = (normalize_space(line) for line in xmltotxt(body, False).split("\n"))
    return [line for line in lines if line]


_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "title"})


def visible_text(tree: etree._Element) -> str:
    """The text a reader could see on the page (outside script, style, noscript, template and
    title elements and comments), whitespace-normalised."""
    body = tree.find(".//body")
    return normalize_space(" ".join(_visible_pieces(body if body is not None else tree)))


def _visible_pieces(root: etree._Element) -> list[str]:
    """Texts and tails in document order, hidden subtrees skipped (their tails kept).

    A walk with an explicit stack: two to three times faster than the equivalent XPath
    (``.//text()[not(ancestor::script or ...)]``), and no recursion limit on deep pages."""
    pieces = [root.text] if root.text else []
    stack: list[tuple[Iterator[etree._Element], str | None]] = [(iter(root), None)]
    while stack:
        children, tail = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if tail:
                pieces.append(tail)
        elif isinstance(child.tag, str) and child.tag not in _HIDDEN_TAGS:
            if child.text:
                pieces.append(child.text)
            stack.append((iter(child), child.tail))
        elif child.tail:
            pieces.append(child.tail)
    return pieces


def drop_trailer(paragraphs: list[str]) -> list[str]:
    """The paragraphs without closing boilerplate (promos, copyright, tags, comment notices)."""
    kept = list(paragraphs)
    for _ in range(TRAILER_MAX_PARAGRAPHS):
        last = kept[-1] if len(kept) > 1 else ""
        if not last or len(last) > TRAILER_MAX_CHARS or not _TRAILER.search(last):
            break
        kept.pop()
    return kept


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def with_lede(paragraphs: list[str], description: str, page_text: Callable[[], str]) -> list[str]:
    """Prepend the page description if the page shows it and the body lacks it.

    ``page_text`` gives the page's visible text; it is called only when needed (it walks
    the whole page)."""
    lede = normalize_space(description)
    if len(lede) < LEDE_MIN_CHARS:
        return paragraphs
    body = _squash(" ".join(paragraphs))
    if _squash(lede[:LEDE_PREFIX_CHARS]) in body:
        return paragraphs
    if _squash(lede) not in _squash(page_text()):
        return paragraphs
    return [lede, *paragraphs]
