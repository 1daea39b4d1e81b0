"""What kind of piece an article is: news reporting, an opinion piece or a review.

Herald writes in the neutral voice of a wire story. A column, an editorial, an op-ed, a
letter or a review is its writer's judgement from the first sentence to the last, so none of
its sentences may become Herald's: the writers never take sentences from one (it stays in the
story's coverage, labelled). Publishers say what a piece is in several places, and an article
is an opinion piece or a review when any of them does:

* the page's structured data: ``OpinionNewsArticle``; ``ReviewNewsArticle``,
  ``CriticReview``;
* its section or tags (``article:section``, ``articleSection``, ``parsely-section``,
  ``article:tag``) or the feed entry's categories: a value (or one part of a value such as
  "Blogs & Opinion" or "News/Columnists") that is exactly one of :data:`OPINION_LABELS` or
  :data:`REVIEW_LABELS`; "Editorial independence" or "Budget review" are topics, not labels;
* a segment of its address's path (``/opinion/``, ``/commentisfree/``, ``/reviews/``) or
  its host's first label (``opinion.example.com``);
* its title's label: "Opinion: ...", "Review | ...", "... | Editorial";
* its feed: every entry of a feed whose address or title says so (``feed_kind``:
  ".../section/opinion/feed/", "NYT > Opinion").

The words are English, French, German, Spanish, Portuguese and Italian. A piece that says
nothing of the kind is news; the writer's sentence checks (``herald.write.candidates``) still
catch a columnist's verdicts in one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from herald.types import ArticleKind

__all__ = [
    "OPINION_LABELS",
    "REVIEW_LABELS",
    "article_kind",
    "feed_kind",
    "kind_of_label",
    "strongest",
]

OPINION_LABELS = frozenset(
    {
        "opinion", "opinions", "op-ed", "op-eds", "oped", "opeds", "editorial", "editorials",
        "column", "columns", "columnist", "columnists", "commentary", "commentaries",
        "comment", "commentisfree", "comment is free", "letters", "letters to the editor",
        "letter to the editor", "viewpoint", "viewpoints", "our view", "my view",
        "opinión", "opiniones", "opinion-columns", "opinião", "opiniões", "opiniao",
        "opinione", "opinioni", "editoriale", "editoriali", "éditorial", "éditoriaux",
        "tribune", "tribunes", "chronique", "chroniques", "columna", "columnas",
        "meinung", "meinungen", "kommentar", "kommentare", "kolumne", "kolumnen",
    }
)  # fmt: skip
REVIEW_LABELS = frozenset(
    {
        "review", "reviews", "film review", "film reviews", "movie review", "movie reviews",
        "book review", "book reviews", "music review", "music reviews", "album review",
        "album reviews", "theatre review", "theater review", "restaurant review",
        "critique", "critiques", "critica", "crítica", "críticas", "kritik", "kritiken",
        "rezension", "rezensionen", "reseña", "reseñas",
    }
)  # fmt: skip
# in an address, a path segment names a section ("/review/"; a slug's "budget-review" is no
# segment at all) unless it is also a newspaper's name ("tribune"); a host's first label only
# when it cannot be the newspaper's own name (tribune.com.pk, editorial.aristeguinoticias.com)
_URL_LABELS = (OPINION_LABELS | REVIEW_LABELS) - {
    "comment is free", "our view", "my view", "tribune", "tribunes",
}  # fmt: skip
_HOST_LABELS = frozenset({"opinion", "opinions", "commentary", "columnists", "reviews"})
_REVIEW_TYPES = frozenset({"reviewnewsarticle", "criticreview"})
_OPINION_TYPES = frozenset({"opinionnewsarticle"})
_PARTS = re.compile(
    r"\s*(?:[/>|,;:&·•»]|\band\b|\bund\b|\bet\b|\by\b|\be\b)\s*|\s+[-–—]\s+", re.IGNORECASE
)
_TITLE_WORDS = (
    r"opinion|op-ed|editorial|column|commentary|viewpoint|letters?(?: to the editor)?|"
    r"our view|my view|(?:(?:tv|film|movie|book|album|music|concert|theat(?:re|er)|game|"
    r"restaurant|opera|dance|stage) )?review|"
    r"meinung|kommentar|kritik|rezension|opinión|opinião|tribune|chronique|critique"
)
_TITLE_PREFIX = re.compile(rf"^\s*(?:\[|\()?({_TITLE_WORDS})(?:\]|\))?\s*[:|–—]\s*\S", re.I)
_TITLE_SUFFIX = re.compile(rf"\S(?:\s*[|–—]|\s+-)\s*({_TITLE_WORDS})\s*$", re.I)


def article_kind(
    *,
    urls: Iterable[str] = (),
    title: str = "",
    labels: Iterable[str] = (),
    types: Iterable[str] = (),
) -> ArticleKind:
    """The kind the publisher gives a piece (see the module docstring): ``urls`` are its
    addresses (the feed's link, the page's canonical one), ``labels`` its sections, tags or
    feed categories, ``types`` its structured-data types (any case)."""
    found = {t.lower() for t in types}
    if found & _OPINION_TYPES:
        return ArticleKind.OPINION
    if found & _REVIEW_TYPES:
        return ArticleKind.REVIEW
    return strongest(
        [
            *(kind_of_label(label) for label in labels),
            *(_kind_of_url(url) for url in urls),
            _kind_of_title(title),
        ]
    )


def feed_kind(url: str, title: str) -> ArticleKind:
    """The kind of every entry of a feed of opinion pieces or reviews: its title's label ("NYT
    > Opinion", "Comment | The Guardian") or a segment of its address, the last one included
    (".../section/opinion/feed/", "https://www.nintendolife.com/feeds/reviews")."""
    return strongest([kind_of_label(title), _kind_of_url(url, whole_path=True)])


def strongest(kinds: Iterable[ArticleKind]) -> ArticleKind:
    """Opinion over review over news: any signal that a piece is a writer's judgement wins."""
    found = set(kinds)
    for kind in (ArticleKind.OPINION, ArticleKind.REVIEW):
        if kind in found:
            return kind
    return ArticleKind.NEWS


def kind_of_label(label: str) -> ArticleKind:
    """The kind a section, tag or category names: the whole value or one of its parts must
    be a label ("Blogs & Opinion", "News/Columnists"), not merely contain one."""
    parts = [_normal(p) for p in _PARTS.split(label) if p.strip()]
    return strongest(_kind_of_word(p) for p in [_normal(label), *parts])


def _kind_of_word(word: str) -> ArticleKind:
    if word in OPINION_LABELS:
        return ArticleKind.OPINION
    if word in REVIEW_LABELS:
        return ArticleKind.REVIEW
    return ArticleKind.NEWS


def _kind_of_url(url: str, whole_path: bool = False) -> ArticleKind:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ArticleKind.NEWS
    host = (parts.hostname or "").split(".")
    segments = [unquote(s).lower() for s in parts.path.split("/") if s]
    words = [w for w in (segments if whole_path else segments[:-1]) if w in _URL_LABELS]
    if len(host) > 2 and host[0] in _HOST_LABELS:
        words.append(host[0])
    return strongest(_kind_of_word(w) for w in words)


def _kind_of_title(title: str) -> ArticleKind:
    match = _TITLE_PREFIX.match(title) or _TITLE_SUFFIX.search(title)
    if match is None:
        return ArticleKind.NEWS
    word = _normal(match.group(1))
    return ArticleKind.REVIEW if word.endswith("review") else _kind_of_word(word)


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())
