"""Write step: for each corroborated story whose sources changed, write, verify and publish.

A story covered by fewer than ``trend_min_outlets`` independent publishers, or whose sources'
text is unavailable, or whose verified article cites fewer publishers than that (the others'
articles were commentary, off the story or unsupported), gets a links-only writeup with the
reason. With an LLM writer configured (``writer = "openai"``), a model that fails (down,
slow, malformed answer) or whose draft the verifier rejects is replaced by the composer, and
the reason is kept in the report's notes (``herald write --verbose``); sensitive stories go to
the composer directly. A draft the verifier rejects is never published: if the composer's is
rejected too, the story falls back to links only, with the verifier's reason. With a judge
configured (``judge_base_url``, see :mod:`herald.verify.judge`), one judge client per batch
vetoes sentences the checks accepted; its vetoes and failures are in the notes too.

Sources are cleared of boilerplate first (:mod:`herald.write.boilerplate`): sentences that
the newest ``BOILERPLATE_ARTICLES`` articles of the store share across at least three stories
(newsletter prompts, error messages, archive notices), so no writer can choose or cite them.

The driver picks the stories whose sources changed; the executor writes and verifies them
in batches where the writer and the embedder are loaded (the driver locally, model workers
on Ray), and the driver stores each writeup (unless an editor pulled the story meanwhile).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from herald.app import Herald
from herald.config import Settings
from herald.exceptions import ConfigError, HeraldError
from herald.executor.locks import stage_lock
from herald.executor.models import Models
from herald.nlp.embed import Embedder
from herald.pipeline.language import in_english
from herald.pipeline.progress import NoProgress, Progress
from herald.types import (
    Article,
    ArticleKind,
    Draft,
    Story,
    VerifiedDraft,
    Writeup,
    WriteupStatus,
)
from herald.verify.judge import Judge, judge_for
from herald.verify.sensitive import is_sensitive
from herald.write.base import ComposerWriter, SourceDoc, Writer
from herald.write.boilerplate import Boilerplate, find_boilerplate
from herald.write.dateline import dateline
from herald.write.fallback import verified_draft

log = logging.getLogger(__name__)

WRITER_VERSION = "composer-13"  # a change here rewrites every story on the next round
MAX_SOURCES = 8
MIN_SOURCE_CHARS = 300
WRITE_BATCH = 1  # stories per model batch: a written story takes seconds, a links-only one none
BOILERPLATE_ARTICLES = 3000  # newest articles searched for boilerplate each round


@dataclass
class WriteReport:
    """What one write round did."""

    considered: int = 0
    published: int = 0
    links_only: int = 0
    unchanged: int = 0
    withdrawn: int = 0  # pulled by an editor: never rewritten or republished automatically
    notes: list[str] = field(default_factory=list)


WRITERS = ("composer", "openai")


@dataclass(frozen=True)
class WriteJob:
    """One story to write: the story, its member articles and their input hash."""

    story: Story
    articles: tuple[Article, ...]
    digest: str


@dataclass(frozen=True)
class WriteBatch:
    """Stories written together on one model worker, at the driver's time ``now``."""

    jobs: tuple[WriteJob, ...]
    now: datetime
    boilerplate: Boilerplate = field(default_factory=Boilerplate)


@dataclass(frozen=True)
class Written:
    """A writeup to store, with the notes on how it was written."""

    writeup: Writeup
    notes: tuple[str, ...]


def make_writer(h: Herald) -> Writer:
    """The configured writer: the composer, or an LLM writer on an OpenAI-compatible server."""
    return writer_for(h.settings, h.embedder)


def writer_for(settings: Settings, embedder: Embedder) -> Writer:
    """The writer ``settings`` ask for (made where the models are loaded)."""
    if settings.writer == "composer":
        return ComposerWriter(embedder)
    if settings.writer == "openai":
        from herald.write.llm import chat_client
        from herald.write.llm_writer import LLMWriter

        return LLMWriter(chat_client(settings), settings.llm_max_tokens)
    raise ConfigError(f"unknown writer {settings.writer!r}; use one of {', '.join(WRITERS)}")


def write(
    h: Herald, progress: Progress | None = None, *, story_ids: Sequence[int] | None = None
) -> WriteReport:
    """Write or refresh the writeups of recent stories (or of ``story_ids``), holding the
    ``write`` lock (PostgreSQL: a second driver waits, then finds the stories unchanged)."""
    with stage_lock(h.store, "write"):
        return _write(h, progress or NoProgress(), story_ids)


def _write(h: Herald, progress: Progress, story_ids: Sequence[int] | None) -> WriteReport:
    report = WriteReport()
    stories = _candidates(h, story_ids)
    progress.start("Writing articles", len(stories))
    jobs = _batched(_changed(h, stories, report, progress), WRITE_BATCH)
    for written in h.executor.map_batches(write_stories, _with_boilerplate(h, jobs)):
        for item in written:
            _store(h, item, report)
            progress.advance()
    progress.finish()
    return report


def _with_boilerplate(h: Herald, batches: Iterable[list[WriteJob]]) -> Iterator[WriteBatch]:
    """The batches with the store's boilerplate, found once, when the first story needs
    writing (a round where nothing changed does not look)."""
    boilerplate: Boilerplate | None = None
    for jobs in batches:
        if boilerplate is None:
            boilerplate = store_boilerplate(h)
        yield WriteBatch(tuple(jobs), h.clock.now(), boilerplate)


def store_boilerplate(h: Herald) -> Boilerplate:
    """The boilerplate sentences among the store's newest articles."""
    return find_boilerplate(h.store.newest_story_texts(BOILERPLATE_ARTICLES).values())


def _changed(
    h: Herald, stories: Sequence[Story], report: WriteReport, progress: Progress
) -> Iterator[WriteJob]:
    """The stories to (re)write; pulled and unchanged ones are counted and skipped."""
    hashes = h.store.writeup_hashes()
    pulled = _pulled(h, stories)
    key = _writer_key(h)
    for story in stories:
        report.considered += 1
        if story.id in pulled:
            report.withdrawn += 1
            progress.advance()
            continue
        articles = h.store.story_articles(story.id)
        digest = input_hash(articles, key)
        if hashes.get(story.id) == digest:
            report.unchanged += 1
            progress.advance()
            continue
        yield WriteJob(story, tuple(articles), digest)


def _store(h: Herald, item: Written, report: WriteReport) -> None:
    """Save a writeup, unless an editor pulled its story while it was being written."""
    report.notes.extend(item.notes)
    current = h.store.get_writeup(item.writeup.story_id)
    if current is not None and current.status is WriteupStatus.PULLED:
        report.withdrawn += 1
        return
    h.store.save_writeup(item.writeup)
    report.published += item.writeup.status is WriteupStatus.PUBLISHED
    report.links_only += item.writeup.status is WriteupStatus.LINKS_ONLY


def write_stories(models: Models, batch: WriteBatch) -> list[Written]:
    """A model batch: write and verify each story (runs where the models are loaded)."""
    out = []
    judge = judge_for(models.settings)
    try:
        for job in batch.jobs:
            notes: list[str] = []
            writeup = _writeup(
                models.settings,
                models.embedder,
                models.writer(),
                job.story,
                job.articles,
                job.digest,
                batch.now,
                notes.append,
                judge,
                batch.boilerplate,
            )
            out.append(Written(writeup, tuple(notes)))
    finally:
        if judge is not None:
            judge.close()
    return out


def _batched(items: Iterable[WriteJob], size: int) -> Iterator[list[WriteJob]]:
    batch: list[WriteJob] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pulled(h: Herald, stories: Sequence[Story]) -> set[int]:
    writeups = h.store.writeups_for([s.id for s in stories])
    return {i for i, w in writeups.items() if w.status is WriteupStatus.PULLED}


def _candidates(h: Herald, story_ids: Sequence[int] | None) -> list[Story]:
    if story_ids:
        return [h.store.get_story(i) for i in story_ids]
    since = h.clock.now() - timedelta(days=h.settings.feed_days)
    stories = h.store.list_stories(since=since, limit=100_000)
    return sorted(stories, key=lambda s: (not s.trending, -s.trend_score, s.id))


def input_hash(articles: Sequence[Article], writer: str = "composer") -> str:
    """Changes whenever the story's member articles or their texts change, or the writer."""
    parts = [WRITER_VERSION, writer] + [
        f"{a.id}:{a.extract_status.value}:{len(a.body)}:{a.kind.value}"
        for a in sorted(articles, key=lambda a: a.id)
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _writer_key(h: Herald) -> str:
    s = h.settings
    key = "composer" if s.writer == "composer" else f"{s.writer}:{s.llm_base_url}:{s.llm_model}"
    if s.judge_base_url:  # a judge changes what is published: stories are verified again
        key += f"|judge:{s.judge_base_url}:{s.judge_model}:{s.judge_threshold}"
    return key


def source_docs(
    articles: Sequence[Article], boilerplate: Boilerplate = Boilerplate()
) -> list[SourceDoc]:
    """One document per outlet (its longest original news text, without ``boilerplate``),
    newest outlets first, at most 8. Opinion pieces and reviews are never sources: their
    sentences are their writers' judgement (``herald.extract.kind``). Nor is an article in
    another language than English, the one Herald writes in: a story's Malay or Chinese
    coverage joins its English coverage (:mod:`herald.cluster.online`), but its sentences
    would not belong in an English article."""
    best: dict[str, tuple[Article, str]] = {}
    for a in articles:
        if not _has_text(a) or a.kind is not ArticleKind.NEWS or not in_english(a):
            continue
        text = boilerplate.strip(a.body)
        if len(text) < MIN_SOURCE_CHARS:
            continue
        if a.outlet not in best or len(text) > len(best[a.outlet][1]):
            best[a.outlet] = (a, text)
    chosen = sorted(best.values(), key=lambda found: (found[0].published, found[0].id))
    return [
        SourceDoc(a.id, a.outlet, a.url, a.title, text, a.published)
        for a, text in chosen[:MAX_SOURCES]
    ]


def _writeup(
    settings: Settings,
    embedder: Embedder,
    writer: Writer,
    story: Story,
    articles: Sequence[Article],
    digest: str,
    now: datetime,
    note: Callable[[str], None],
    judge: Judge | None = None,
    boilerplate: Boilerplate = Boilerplate(),
) -> Writeup:
    outlets = {a.outlet for a in articles}
    docs = source_docs(articles, boilerplate)
    if len(outlets) < settings.trend_min_outlets:
        return _links_only(
            now,
            story,
            digest,
            "Only one publisher covers this story so far; Herald writes an "
            "article only when at least two independent publishers do.",
        )
    if len({d.outlet for d in docs}) < settings.trend_min_outlets:
        return _links_only(now, story, digest, _no_text_reason(articles))
    composer = writer if isinstance(writer, ComposerWriter) else ComposerWriter(embedder)
    primary: Writer | None = writer
    if writer is not composer and is_sensitive([story.title, *(d.title for d in docs)]):
        note(f"story {story.id}: sensitive topic, written by the composer only")
        primary = None

    def story_note(text: str) -> None:
        note(f"story {story.id}: {text}")

    try:
        checked = verified_draft(
            primary, composer, story.title, docs, settings, embedder, story_note, judge
        )
    except HeraldError as e:
        note(f"story {story.id}: writer failed: {e}")
        log.warning("story %s: writer failed: %s", story.id, e)
        return _links_only(now, story, digest, f"The article could not be written: {e}")
    if not checked.accepted:
        note(f"story {story.id}: draft rejected by the verifier: {checked.reason}")
        return _links_only(
            now, story, digest, f"The draft was rejected by the verifier: {checked.reason}"
        )
    if len(cited_outlets(checked.draft)) < settings.trend_min_outlets:
        note(f"story {story.id}: the article cites one publisher only")
        return _links_only(
            now,
            story,
            digest,
            "Only one publisher's reporting could be used (the others' is commentary, "
            "off the story or unsupported), and Herald writes an article only from at "
            "least two independent publishers.",
        )
    return _published(now, story, checked, digest, docs)


def _has_text(a: Article) -> bool:
    """Whether an article is an original with enough text to write from."""
    return a.duplicate_of is None and len(a.body) >= MIN_SOURCE_CHARS


def _no_text_reason(articles: Sequence[Article]) -> str:
    """Why fewer than two outlets' texts could be written from: opinion pieces and reviews
    when two or more outlets' texts are there, else headlines only."""
    with_text = {a.outlet for a in articles if _has_text(a)}
    if len(with_text) >= 2 and not all(in_english(a) for a in articles if _has_text(a)):
        return (
            "Fewer than two publishers' news reporting is in English, the language Herald "
            "writes in, so Herald links to the coverage instead of writing."
        )
    if len(with_text) >= 2 and any(a.kind is not ArticleKind.NEWS for a in articles):
        return (
            "Fewer than two publishers' news reporting is available (the rest of the "
            "coverage with text is opinion or reviews), so Herald links to the coverage "
            "instead of writing."
        )
    return (
        "The outlets' article text is not available (headlines only), "
        "so Herald links to their coverage instead of writing."
    )


def cited_outlets(draft: Draft) -> set[str]:
    """The publishers whose articles the draft's sentences cite."""
    cited = {n for s in draft.sentences for n in s.citations}
    return {r.outlet for r in draft.sources if r.index in cited}


def _published(
    now: datetime, story: Story, checked: VerifiedDraft, digest: str, docs: Sequence[SourceDoc]
) -> Writeup:
    d = checked.draft
    sensitive = is_sensitive([story.title, *(s.text for s in d.sentences)])
    return Writeup(
        id=0,
        story_id=story.id,
        status=WriteupStatus.PUBLISHED,
        headline=d.headline,
        summary=d.summary,
        dateline=d.dateline or dateline(max(doc.published for doc in docs)),
        sentences=d.sentences,
        key_points=d.key_points,
        sources=d.sources,
        writer=d.writer,
        reason=checked.reason,
        input_hash=digest,
        created_at=now,
        sensitive=sensitive,
    )


def _links_only(now: datetime, story: Story, digest: str, reason: str) -> Writeup:
    return Writeup(
        id=0,
        story_id=story.id,
        status=WriteupStatus.LINKS_ONLY,
        headline=story.title,
        summary="",
        dateline=dateline(story.last_seen),
        sentences=(),
        key_points=(),
        sources=(),
        writer="",
        reason=reason,
        input_hash=digest,
        created_at=now,
    )
