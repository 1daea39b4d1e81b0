"""Typed data passed between Herald's stages.

Every value here is a frozen dataclass; datetimes are timezone-aware UTC. Stages take
these values and return these values; storage turns them into rows and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceSpec:
    """What a user supplies to add a source."""

    url: str
    title: str = ""
    outlet: str = ""
    site_url: str = ""
    country: str = ""
    language: str = ""
    category: str = ""
    fetch_pages: bool = True


@dataclass(frozen=True)
class Source:
    """A feed Herald watches, with its fetch state and health."""

    id: int
    url: str
    title: str
    outlet: str
    site_url: str
    country: str
    language: str
    category: str
    fetch_pages: bool
    paused: bool
    etag: str | None
    last_modified: str | None
    last_success: datetime | None
    last_error: str | None
    last_attempt: datetime | None
    next_attempt: datetime | None
    failures: int
    created_at: datetime

    @property
    def outlet_name(self) -> str:
        """The outlet's display name: its outlet, else the feed title, else the URL."""
        return self.outlet or self.title or self.url


# --------------------------------------------------------------------------- ingest


class ArticleKind(StrEnum):
    """What a publisher says a piece is (``herald.extract.kind``): the writers take sentences
    from news only; opinion pieces and reviews stay in a story's coverage, labelled."""

    NEWS = "news"
    OPINION = "opinion"
    REVIEW = "review"


class FeedFormat(StrEnum):
    RSS = "rss"
    ATOM = "atom"
    JSON = "json"
    RDF = "rdf"


@dataclass(frozen=True)
class FeedItem:
    """One entry of a parsed feed, before storage."""

    guid: str
    url: str
    title: str
    summary: str
    author: str
    published: datetime | None
    image_url: str = ""
    categories: tuple[str, ...] = ()  # the entry's categories or tags, as the feed gives them


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed document."""

    format: FeedFormat
    title: str
    link: str
    items: tuple[FeedItem, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one HTTP GET."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str]
    not_modified: bool = False

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


# --------------------------------------------------------------------------- extract


class ExtractStatus(StrEnum):
    PENDING = "pending"
    OK = "ok"
    TOO_SHORT = "too_short"
    NOT_ARTICLE = "not_article"
    BLOCKED = "blocked"
    ERROR = "error"
    FEED_TEXT = "feed_text"  # page not fetched (source setting); the feed's own text is used


@dataclass(frozen=True)
class Extraction:
    """Article text and metadata extracted from one HTML page."""

    status: ExtractStatus
    reason: str
    title: str = ""
    text: str = ""
    author: str = ""
    published: datetime | None = None
    language: str = ""
    canonical_url: str = ""
    image_url: str = ""
    kind: ArticleKind = ArticleKind.NEWS
    section: str = ""  # the topic the page's own section labels name, or ""


# --------------------------------------------------------------------------- articles and stories


@dataclass(frozen=True)
class Article:
    """A stored article: a feed entry plus its extracted text."""

    id: int
    source_id: int
    outlet: str
    url: str
    title: str
    text: str
    summary: str
    author: str
    published: datetime
    language: str
    extract_status: ExtractStatus
    story_id: int | None = None
    duplicate_of: int | None = None
    kind: ArticleKind = ArticleKind.NEWS
    section: str = ""  # the topic its publisher files it under, or ""

    @property
    def body(self) -> str:
        """The best text available: extracted text, else the feed summary."""
        return self.text or self.summary


@dataclass(frozen=True)
class Story:
    """One real-world event as covered by many outlets."""

    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    article_count: int
    outlet_count: int
    topic: str
    entities: tuple[str, ...]
    trend_score: float
    trending: bool
    updated_at: datetime


@dataclass(frozen=True)
class TimelinePoint:
    """Number of articles about a story in one time bucket."""

    start: datetime
    count: int


# --------------------------------------------------------------------------- write and verify


@dataclass(frozen=True)
class SourceRef:
    """A source article as cited by a written article; ``index`` is the 1-based citation number."""

    index: int
    article_id: int
    outlet: str
    url: str
    title: str
    published: datetime


@dataclass(frozen=True)
class Evidence:
    """The passage of a cited source that supports a sentence."""

    citation: int
    article_id: int
    passage: str
    score: float


@dataclass(frozen=True)
class Sentence:
    """One sentence of a written article with its 1-based citation numbers."""

    text: str
    citations: tuple[int, ...]
    evidence: tuple[Evidence, ...] = ()
    paragraph: int = 0


@dataclass(frozen=True)
class Draft:
    """An article as a writer produced it, before or after verification."""

    headline: str
    summary: str
    dateline: str
    sentences: tuple[Sentence, ...]
    key_points: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    writer: str
    notes: tuple[str, ...] = ()

    @property
    def word_count(self) -> int:
        return sum(len(s.text.split()) for s in self.sentences)


@dataclass(frozen=True)
class SentenceVerdict:
    """The verifier's judgement of one sentence."""

    text: str
    supported: bool
    score: float
    reasons: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class VerifiedDraft:
    """A draft after verification: kept sentences carry their evidence."""

    draft: Draft
    verdicts: tuple[SentenceVerdict, ...]
    accepted: bool
    reason: str


class WriteupStatus(StrEnum):
    PUBLISHED = "published"
    LINKS_ONLY = "links_only"
    PULLED = "pulled"


@dataclass(frozen=True)
class Writeup:
    """What Herald shows for a story: a verified article, or links only."""

    id: int
    story_id: int
    status: WriteupStatus
    headline: str
    summary: str
    dateline: str
    sentences: tuple[Sentence, ...]
    key_points: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    writer: str
    reason: str
    input_hash: str
    created_at: datetime
    sensitive: bool = False


# --------------------------------------------------------------------------- readers and feed


class FollowKind(StrEnum):
    TOPIC = "topic"
    ENTITY = "entity"
    OUTLET = "outlet"
    STORY = "story"
    REGION = "region"  # the country of a story's outlets (``sources.country``)


@dataclass(frozen=True)
class Preference:
    """A reader's follow (weight > 0) or mute (``muted``) of one topic, entity, outlet or story."""

    kind: FollowKind
    value: str
    muted: bool = False


@dataclass(frozen=True)
class Reader:
    """A reader, with or without an account."""

    id: int
    token: str
    feed_secret: str
    created_at: datetime
    preferences: tuple[Preference, ...] = ()

    @property
    def personalized(self) -> bool:
        return bool(self.preferences)


@dataclass(frozen=True)
class Account:
    """A reader's account: an email address and a password bound to one reader."""

    id: int
    reader_id: int
    email: str
    created_at: datetime


class SignalKind(StrEnum):
    """What a reader did with a story (the ``signals`` table)."""

    OPEN = "open"  # opened the story page
    READ = "read"  # time on the page; value = seconds
    CITATION = "citation"  # followed a cited source
    HIDE = "hide"  # hid the story
    LESS = "less"  # "show less like this"


@dataclass(frozen=True)
class Signal:
    """One reading signal of a reader."""

    story_id: int
    kind: SignalKind
    value: float
    at: datetime


@dataclass(frozen=True)
class SignalStory:
    """What the ranking learns from a story a reader acted on; ``centroid`` is float32 bytes."""

    id: int
    topic: str
    entities: tuple[str, ...]
    outlets: tuple[str, ...]
    centroid: bytes | None = None


class ReasonKind(StrEnum):
    """Why a card is in a reader's feed."""

    FOLLOW = "follow"  # the reader follows ``CardReason.subject``
    READ = "read"  # learned from reading: about ``subject``, or similar stories when None
    TRENDING = "trending"
    COVERED = "covered"
    EXPLORE = "explore"  # outside the reader's usual topics


@dataclass(frozen=True)
class CardReason:
    """The reason of a card as data, so the reader can act on it."""

    kind: ReasonKind
    subject: Preference | None = None


@dataclass(frozen=True)
class FeedCard:
    """One item of a reader's feed."""

    story: Story
    writeup: Writeup | None
    score: float
    reason: str
    labels: tuple[str, ...]
    outlets: tuple[str, ...] = field(default=())
    why: CardReason | None = None

    @property
    def outlet_count(self) -> int:
        """Distinct outlets covering the story: its count, or the outlets listed if more."""
        return max(self.story.outlet_count, len(self.outlets))


# ------------------------------------------------------------------ reports and corrections


class ReportKind(StrEnum):
    """What a reader says is wrong with a story."""

    FACTUAL = "factual"
    MISLEADING = "misleading"
    OUTDATED = "outdated"
    OTHER = "other"


class ReportStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # the story was pulled or corrected
    DISMISSED = "dismissed"  # reviewed, nothing to change


class CorrectionAction(StrEnum):
    """An editor's decision on a story. Only pulls and corrections are public."""

    PULLED = "pulled"  # the article was withdrawn
    CORRECTED = "corrected"  # sentences removed, or the article queued for rewriting
    DISMISSED = "dismissed"  # reports reviewed without change (editors' log only)


@dataclass(frozen=True)
class Report:
    """A reader's report of a problem with a story."""

    id: int
    story_id: int
    reader_id: int | None
    kind: ReportKind
    note: str
    status: ReportStatus
    created_at: datetime
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Correction:
    """One editor's decision, with its public note and the story's headline when listed."""

    id: int
    story_id: int
    report_id: int | None
    action: CorrectionAction
    note: str
    created_at: datetime
    headline: str = ""


@dataclass(frozen=True)
class RelatedStory:
    """A recent story related to another one by shared entities or a close centroid."""

    story: Story
    headline: str
    score: float
    shared_entities: tuple[str, ...] = ()
