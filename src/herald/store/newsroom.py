"""Readers' reports, editors' corrections and related stories (the story page's trust features).

A reader files a report (factual, misleading, outdated, other) about a story; an editor then
pulls the article (its writeup becomes ``pulled``: it leaves every feed and its page says it
was withdrawn and why), corrects it (removes chosen sentences, renumbering the citations that
are left, or queues it for rewriting), or dismisses the reports. Each decision is one row of
``corrections`` with a note, written in the same transaction as the writeup change and the
reports it resolves. Pulls and corrections are public; dismissals stay in the editors' log.

Caps on reports are counted in the ``login_attempts`` table (keys ``report:...``), so they
hold across processes and restarts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from herald.exceptions import NotFoundError, StorageError
from herald.store import feedcache, rows
from herald.store.schema import corrections, login_attempts, reports, stories, writeups
from herald.store.store import Store
from herald.types import (
    Correction,
    CorrectionAction,
    RelatedStory,
    Report,
    ReportKind,
    ReportStatus,
    Sentence,
    Story,
    Writeup,
    WriteupStatus,
)
from herald.write.headline import summary as lead_summary

MAX_NOTE = 2000
CAP_PREFIX = "report:"
CAP_KEEP = timedelta(days=2)
PUBLIC_ACTIONS = (CorrectionAction.PULLED.value, CorrectionAction.CORRECTED.value)
RELATED_CANDIDATES = 500
RELATED_DAYS = 7
RELATED_MIN_COSINE = 0.5
RELATED_MAIN_ENTITIES = 5
ENTITY_WEIGHT = 0.35
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REQUEUED_HASH = ""  # the write stage rewrites a story whose stored input hash differs
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` reports per ``window`` for one ``key`` (a reader, a client address)."""

    key: str
    limit: int
    window: timedelta


@dataclass(frozen=True)
class ReportedStory:
    """A story with open reports, as the editors' page shows it."""

    story: Story
    writeup: Writeup | None
    reports: tuple[Report, ...]


# --------------------------------------------------------------------------- notes


def clean_note(text: str) -> str:
    """A note with unified line ends, no control characters and no outer whitespace."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def note_problem(note: str, *, required: bool) -> str | None:
    """Why a (cleaned) note is not acceptable, or None."""
    if required and not note:
        return "a note is required"
    if len(note) > MAX_NOTE:
        return f"a note has at most {MAX_NOTE} characters"
    return None


def _check_note(note: str, *, required: bool) -> str:
    clean = clean_note(note)
    problem = note_problem(clean, required=required)
    if problem:
        raise StorageError(problem)
    return clean


# --------------------------------------------------------------------------- rows


def _report(row: Any) -> Report:
    m = row._mapping
    return Report(
        id=m["id"],
        story_id=m["story_id"],
        reader_id=m["reader_id"],
        kind=ReportKind(m["kind"]),
        note=m["note"],
        status=ReportStatus(m["status"]),
        created_at=rows.must_utc(m["created_at"]),
        resolved_at=rows.utc(m["resolved_at"]),
    )


def _correction(row: Any, headline: str = "") -> Correction:
    m = row._mapping
    return Correction(
        id=m["id"],
        story_id=m["story_id"],
        report_id=m["report_id"],
        action=CorrectionAction(m["action"]),
        note=m["note"],
        created_at=rows.must_utc(m["created_at"]),
        headline=headline,
    )


# --------------------------------------------------------------------------- reports


def file_report(
    store: Store,
    story_id: int,
    kind: ReportKind,
    note: str,
    now: datetime,
    *,
    reader_id: int | None = None,
    caps: Sequence[Cap] = (),
) -> Report | None:
    """Record a reader's report; None (nothing recorded) when one of ``caps`` is reached."""
    clean = _check_note(note, required=False)
    with store.tx() as conn:
        if conn.execute(select(stories.c.id).where(stories.c.id == story_id)).first() is None:
            raise NotFoundError(f"no story with id {story_id}")
    if not _take_caps(store, caps, now):
        return None
    values = {
        "story_id": story_id,
        "reader_id": reader_id,
        "kind": kind.value,
        "note": clean,
        "status": ReportStatus.OPEN.value,
        "created_at": now,
    }
    try:
        with store.tx() as conn:
            new_id = conn.execute(insert(reports).values(**values)).inserted_primary_key
            if new_id is None:
                raise StorageError("the database returned no id for a new report")
            row = conn.execute(select(reports).where(reports.c.id == new_id[0])).one()
    except IntegrityError as e:  # the story (or reader) was deleted meanwhile
        raise NotFoundError(f"no story with id {story_id}") from e
    return _report(row)


def _cap_key(cap: Cap) -> str:
    return f"{CAP_PREFIX}{cap.key}"[:400]


def _take_caps(store: Store, caps: Sequence[Cap], now: datetime) -> bool:
    """Count a report against each cap; False (and the report forgotten) when a cap already
    has ``limit`` others in its window.

    The rows are committed before anything is counted, so of reports filed at once in any
    number of processes the last to commit sees all the others: no cap lets more through."""
    if not caps:
        return True
    with store.tx() as conn:
        conn.execute(
            delete(login_attempts).where(
                login_attempts.c.key.startswith(CAP_PREFIX), login_attempts.c.at < now - CAP_KEEP
            )
        )
        held = [
            conn.execute(
                insert(login_attempts).values(key=_cap_key(cap), at=now)
            ).inserted_primary_key
            for cap in caps
        ]
    ids = [int(key[0]) for key in held if key is not None]
    with store.tx() as conn:
        full = any(_used(conn, cap, now, ids) >= cap.limit for cap in caps)
        if full:
            conn.execute(delete(login_attempts).where(login_attempts.c.id.in_(ids)))
    return not full


def _used(conn: Connection, cap: Cap, now: datetime, besides: Sequence[int] = ()) -> int:
    stmt = select(func.count()).where(
        login_attempts.c.key == _cap_key(cap),
        login_attempts.c.at > now - cap.window,
        login_attempts.c.id.not_in(besides),
    )
    return int(conn.execute(stmt).scalar_one())


def get_report(store: Store, report_id: int) -> Report:
    with store.tx() as conn:
        row = conn.execute(select(reports).where(reports.c.id == report_id)).first()
    if row is None:
        raise NotFoundError(f"no report with id {report_id}")
    return _report(row)


def open_reports(store: Store, limit: int = 500) -> list[ReportedStory]:
    """Stories with open reports (merged stories under the story that holds them now),
    the story with the oldest open report first."""
    stmt = (
        select(reports)
        .where(reports.c.status == ReportStatus.OPEN.value)
        .order_by(reports.c.created_at, reports.c.id)
        .limit(limit)
    )
    with store.tx() as conn:
        found = [_report(r) for r in conn.execute(stmt)]
        grouped: dict[int, list[Report]] = {}
        for report in found:
            grouped.setdefault(_resolve(conn, report.story_id), []).append(report)
        ids = list(grouped)
        story_rows = {r.id: r for r in conn.execute(select(stories).where(stories.c.id.in_(ids)))}
        writeup_rows = {
            r.story_id: r
            for r in conn.execute(select(writeups).where(writeups.c.story_id.in_(ids)))
        }
    return [
        ReportedStory(
            rows.story_from_row(story_rows[sid]),
            rows.writeup_from_row(writeup_rows[sid]) if sid in writeup_rows else None,
            tuple(found_reports),
        )
        for sid, found_reports in grouped.items()
        if sid in story_rows
    ]


def _resolve(conn: Connection, story_id: int) -> int:
    """Follow merges to the story that holds ``story_id``'s articles now."""
    seen: set[int] = set()
    while story_id not in seen:
        seen.add(story_id)
        target = conn.execute(
            select(stories.c.merged_into).where(stories.c.id == story_id)
        ).scalar()
        if target is None:
            break
        story_id = int(target)
    return story_id


def _close_reports(
    conn: Connection,
    story_id: int,
    report_ids: Sequence[int] | None,
    status: ReportStatus,
    now: datetime,
) -> list[int]:
    """Close the given open reports of the story (default: all its open reports); their ids."""
    stmt = select(reports.c.id, reports.c.story_id).where(
        reports.c.status == ReportStatus.OPEN.value
    )
    if report_ids is None:
        stmt = stmt.where(reports.c.story_id == story_id)
    else:
        stmt = stmt.where(reports.c.id.in_(list(report_ids)))
    found = conn.execute(stmt).all()
    ids = sorted(int(r.id) for r in found if _resolve(conn, r.story_id) == story_id)
    if report_ids is not None and len(ids) != len(set(report_ids)):
        raise StorageError("some of these reports are not open reports of this story")
    if ids:
        conn.execute(
            update(reports)
            .where(reports.c.id.in_(ids))
            .values(status=status.value, resolved_at=now)
        )
    return ids


def _record(
    conn: Connection,
    story_id: int,
    action: CorrectionAction,
    note: str,
    now: datetime,
    report_ids: Sequence[int],
) -> Correction:
    values = {
        "story_id": story_id,
        "report_id": min(report_ids) if report_ids else None,
        "action": action.value,
        "note": note,
        "created_at": now,
    }
    key = conn.execute(insert(corrections).values(**values)).inserted_primary_key
    if key is None:
        raise StorageError("the database returned no id for a new correction")
    return _correction(conn.execute(select(corrections).where(corrections.c.id == key[0])).one())


def dismiss_reports(
    store: Store, report_ids: Sequence[int], note: str, now: datetime
) -> Correction:
    """Close open reports of one story without changing it; the note goes to the editors' log."""
    clean = _check_note(note, required=True)
    if not report_ids:
        raise StorageError("no report to dismiss")
    with store.tx() as conn:
        story_ids = set(
            conn.execute(
                select(reports.c.story_id).where(reports.c.id.in_(list(report_ids)))
            ).scalars()
        )
        if not story_ids:
            raise NotFoundError(f"no report with id {', '.join(map(str, report_ids))}")
        targets = {_resolve(conn, s) for s in story_ids}
        if len(targets) != 1:
            raise StorageError("reports of different stories are dismissed one story at a time")
        target = targets.pop()
        ids = _close_reports(conn, target, report_ids, ReportStatus.DISMISSED, now)
        return _record(conn, target, CorrectionAction.DISMISSED, clean, now, ids)


# --------------------------------------------------------------------------- pull and correct


def _locked_writeup(conn: Connection, story_id: int) -> Writeup | None:
    stmt = select(writeups).where(writeups.c.story_id == story_id).with_for_update()
    row = conn.execute(stmt).first()
    return None if row is None else rows.writeup_from_row(row)


def _story_row(conn: Connection, story_id: int) -> Any:
    row = conn.execute(select(stories).where(stories.c.id == story_id)).first()
    if row is None:
        raise NotFoundError(f"no story with id {story_id}")
    return row


def pull_story(
    store: Store,
    story_id: int,
    note: str,
    now: datetime,
    *,
    report_ids: Sequence[int] | None = None,
) -> Correction:
    """Withdraw a story's article (its writeup becomes ``pulled``), resolve its reports and
    record the public note. The withdrawn text stays in the database for the record."""
    clean = _check_note(note, required=True)
    with store.tx() as conn:
        story = _story_row(conn, story_id)
        writeup = _locked_writeup(conn, story_id)
        reason = f"Herald withdrew this article: {clean}"
        if writeup is not None and writeup.status is WriteupStatus.PULLED:
            raise StorageError(f"story {story_id} is already pulled")
        if writeup is None:
            values = _pulled_values(story_id, story.title, reason, now)
            conn.execute(insert(writeups).values(**values))
        else:
            conn.execute(
                update(writeups)
                .where(writeups.c.story_id == story_id)
                .values(status=WriteupStatus.PULLED.value, reason=reason)
            )
        ids = _close_reports(conn, story_id, report_ids, ReportStatus.RESOLVED, now)
        feedcache.bump(conn)
        return _record(conn, story_id, CorrectionAction.PULLED, clean, now, ids)


def _pulled_values(story_id: int, title: str, reason: str, now: datetime) -> dict[str, Any]:
    return {
        "story_id": story_id,
        "status": WriteupStatus.PULLED.value,
        "headline": title,
        "summary": "",
        "dateline": "",
        "sentences": "[]",
        "key_points": "[]",
        "sources": "[]",
        "writer": "",
        "reason": reason,
        "input_hash": "",
        "sensitive": False,
        "created_at": now,
    }


def correction_problem(writeup: Writeup | None, remove: Iterable[int], rewrite: bool) -> str | None:
    """Why removing sentences ``remove`` (indexes) and/or rewriting cannot be done, or None."""
    chosen = set(remove)
    if writeup is None or writeup.status is not WriteupStatus.PUBLISHED or not writeup.sentences:
        return "only a published article can be corrected"
    if not chosen and not rewrite:
        return "choose sentences to remove, or queue the article for rewriting"
    if any(i < 0 or i >= len(writeup.sentences) for i in chosen):
        return "the article has no such sentence (it may have changed: reload the page)"
    if len(chosen) >= len(writeup.sentences):
        return "removing every sentence withdraws the article: pull it instead"
    return None


def correct_story(
    store: Store,
    story_id: int,
    note: str,
    now: datetime,
    *,
    remove: Sequence[int] = (),
    rewrite: bool = False,
    report_ids: Sequence[int] | None = None,
) -> Correction:
    """Remove sentences (by index) from a published article, and/or queue it for rewriting
    by the next write round; resolve its reports and record the public note."""
    clean = _check_note(note, required=True)
    with store.tx() as conn:
        _story_row(conn, story_id)
        writeup = _locked_writeup(conn, story_id)
        problem = correction_problem(writeup, remove, rewrite)
        if problem or writeup is None:
            raise StorageError(problem or "only a published article can be corrected")
        fixed = without_sentences(writeup, remove)
        if rewrite:
            fixed = replace(fixed, input_hash=REQUEUED_HASH)
        conn.execute(
            update(writeups)
            .where(writeups.c.story_id == story_id)
            .values(
                summary=fixed.summary,
                sentences=rows.sentences_to_json(fixed.sentences),
                key_points=json.dumps(list(fixed.key_points)),
                sources=rows.sources_to_json(fixed.sources),
                input_hash=fixed.input_hash,
            )
        )
        ids = _close_reports(conn, story_id, report_ids, ReportStatus.RESOLVED, now)
        feedcache.bump(conn)
        return _record(conn, story_id, CorrectionAction.CORRECTED, clean, now, ids)


def without_sentences(writeup: Writeup, remove: Iterable[int]) -> Writeup:
    """The writeup without the sentences at ``remove``: sources no sentence cites any more are
    dropped and the rest renumbered 1..n in their old order; the summary follows a new lead,
    and key points taken from removed sentences go."""
    chosen = set(remove)
    kept = [s for i, s in enumerate(writeup.sentences) if i not in chosen]
    if len(kept) == len(writeup.sentences):
        return writeup
    used = sorted({n for s in kept for n in s.citations})
    number = {old: new for new, old in enumerate(used, start=1)}
    sentences = tuple(_renumbered(s, number) for s in kept)
    sources = tuple(replace(r, index=number[r.index]) for r in writeup.sources if r.index in number)
    lead_gone = bool(kept) and kept[0].text != writeup.sentences[0].text
    removed = [s.text for i, s in enumerate(writeup.sentences) if i in chosen]
    return replace(
        writeup,
        sentences=sentences,
        sources=tuple(sorted(sources, key=lambda r: r.index)),
        summary=lead_summary(kept[0].text) if lead_gone else writeup.summary,
        key_points=tuple(
            p for p in writeup.key_points if _origin(p, [s.text for s in kept], removed) == "kept"
        ),
    )


def _renumbered(s: Sentence, number: dict[int, int]) -> Sentence:
    return replace(
        s,
        citations=tuple(number[n] for n in s.citations),
        evidence=tuple(
            replace(e, citation=number[e.citation]) for e in s.evidence if e.citation in number
        ),
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _origin(point: str, kept: Sequence[str], removed: Sequence[str]) -> str:
    """'kept' or 'removed': the group of the sentence sharing most words with a key point."""
    words = _words(point)

    def best(texts: Sequence[str]) -> int:
        return max((len(words & _words(t)) for t in texts), default=0)

    return "kept" if best(kept) >= best(removed) else "removed"


# --------------------------------------------------------------------------- listings


def _headline_columns() -> tuple[Any, ...]:
    return (stories.c.title, writeups.c.headline, writeups.c.status)


def _headline(row: Any) -> str:
    m = row._mapping
    if m["status"] == WriteupStatus.PUBLISHED.value and m["headline"]:
        return str(m["headline"])
    return str(m["title"])


def _corrections_select(public: bool) -> Any:
    stmt = (
        select(corrections, *_headline_columns())
        .join(stories, stories.c.id == corrections.c.story_id)
        .outerjoin(writeups, writeups.c.story_id == corrections.c.story_id)
    )
    if public:
        stmt = stmt.where(corrections.c.action.in_(PUBLIC_ACTIONS))
    return stmt.order_by(corrections.c.created_at.desc(), corrections.c.id.desc())


def list_corrections(
    store: Store, *, limit: int = 50, offset: int = 0, public: bool = True
) -> list[Correction]:
    """Corrections, newest first: public ones (pulls and corrections), or every decision."""
    stmt = _corrections_select(public).limit(limit).offset(offset)
    with store.tx() as conn:
        return [_correction(r, _headline(r)) for r in conn.execute(stmt)]


def count_corrections(store: Store) -> int:
    stmt = select(func.count()).where(corrections.c.action.in_(PUBLIC_ACTIONS))
    with store.tx() as conn:
        return int(conn.execute(stmt).scalar_one())


def story_corrections(store: Store, story_id: int) -> list[Correction]:
    """A story's public corrections, newest first."""
    stmt = _corrections_select(public=True).where(corrections.c.story_id == story_id)
    with store.tx() as conn:
        return [_correction(r, _headline(r)) for r in conn.execute(stmt)]


def public_corrections(store: Store) -> dict[int, list[Correction]]:
    """Every public correction by story, each story's newest first (``story_corrections`` of
    every story at once)."""
    found: dict[int, list[Correction]] = {}
    with store.tx() as conn:
        for r in conn.execute(_corrections_select(public=True)):
            found.setdefault(r.story_id, []).append(_correction(r, _headline(r)))
    return found


# --------------------------------------------------------------------------- related stories


def related_to(store: Store, story: Story, limit: int = 5) -> list[RelatedStory]:
    """Stories related to ``story`` among those seen within ``RELATED_DAYS`` of it."""
    window = timedelta(days=RELATED_DAYS)
    centroid = story_centroid(store, story.id)
    return related_stories(
        store, story, centroid, story.last_seen - window, story.last_seen + window, limit
    )


def related_stories(
    store: Store,
    story: Story,
    centroid: bytes | None,
    since: datetime,
    until: datetime | None = None,
    limit: int = 5,
) -> list[RelatedStory]:
    """Up to ``limit`` stories seen between ``since`` and ``until`` that share one of
    ``story``'s main entities or whose centroid is close to ``centroid``; pulled stories never
    appear. One narrow query of at most ``RELATED_CANDIDATES`` rows, one matrix product, then
    one query for the chosen stories."""
    stmt = _candidates().where(stories.c.last_seen >= since, stories.c.id != story.id)
    stmt = stmt.order_by(stories.c.last_seen.desc(), stories.c.id).limit(RELATED_CANDIDATES)
    if until is not None:
        stmt = stmt.where(stories.c.first_seen <= until)
    with store.tx() as conn:
        found = conn.execute(stmt).all()
    main = _main_entities(story.entities)
    sims = _cosines(centroid, [r.centroid for r in found])
    candidates = [
        (r.id, rows.must_utc(r.last_seen).timestamp(), sim, _shared(main, r.entities or "[]"))
        for r, sim in zip(found, sims, strict=True)
    ]
    return _best_related(store, candidates, limit)


def _candidates() -> Any:
    """Live stories that are not pulled, with what relating them needs."""
    return (
        select(
            stories.c.id,
            stories.c.entities,
            stories.c.centroid,
            stories.c.last_seen,
            stories.c.first_seen,
        )
        .outerjoin(writeups, writeups.c.story_id == stories.c.id)
        .where(
            stories.c.merged_into.is_(None),
            stories.c.article_count > 0,
            or_(writeups.c.status.is_(None), writeups.c.status != WriteupStatus.PULLED.value),
        )
    )


def _best_related(
    store: Store,
    candidates: Sequence[tuple[int, float, float, tuple[str, ...]]],
    limit: int,
    known: Mapping[int, tuple[Story, str]] | None = None,
) -> list[RelatedStory]:
    """The best ``limit`` of (story id, last seen, cosine, shared main entities), with their
    stories and headlines: from ``known`` when given, else read."""
    scored = []
    for story_id, seen, sim, shared in candidates:
        if shared or sim >= RELATED_MIN_COSINE:
            score = max(sim, 0.0) + ENTITY_WEIGHT * len(shared)
            scored.append((-score, -seen, story_id, shared))
    best = sorted(scored)[:limit]
    if not best:
        return []
    loaded = known if known is not None else _stories_and_headlines(store, [b[2] for b in best])
    return [
        RelatedStory(loaded[sid][0], loaded[sid][1], round(-neg, 4), shared)
        for neg, _, sid, shared in best
        if sid in loaded
    ]


def _stories_and_headlines(store: Store, ids: Sequence[int]) -> dict[int, tuple[Story, str]]:
    chosen = select(stories, writeups.c.headline, writeups.c.status).outerjoin(
        writeups, writeups.c.story_id == stories.c.id
    )
    with store.tx() as conn:
        return {
            r.id: (rows.story_from_row(r), _headline(r))
            for r in conn.execute(chosen.where(stories.c.id.in_(list(ids))))
        }


class RelatedIndex:
    """Every live, not pulled story seen since ``since``, in memory, to relate stories
    without reading them again: ``related`` gives what ``related_to`` gives, for a story
    whose window of related stories lies within the index.

    Built in one query; the web app keeps one per data version (``herald.store.feedcache``).
    """

    def __init__(self, store: Store, since: datetime) -> None:
        stmt = (
            _candidates()
            .add_columns(*stories.c, writeups.c.headline, writeups.c.status)
            .where(stories.c.last_seen >= since)
            .order_by(stories.c.last_seen.desc(), stories.c.id)
        )
        with store.tx() as conn:
            found = conn.execute(stmt).all()
        self.since = since
        self.ids = np.array([r.id for r in found], dtype=np.int64)
        self.position = {int(r.id): n for n, r in enumerate(found)}
        # What a related story shows: the story, and its headline (as ``related_to`` reads it).
        self.known = {int(r.id): (rows.story_from_row(r), _headline(r)) for r in found}
        self.seen = [rows.must_utc(r.last_seen).timestamp() for r in found]
        self.seen_us = np.array([_micros(rows.must_utc(r.last_seen)) for r in found])
        self.first_us = np.array([_micros(rows.must_utc(r.first_seen)) for r in found])
        self.main = [_main_entities(_entity_list(r.entities)) for r in found]
        by_entity: dict[str, list[int]] = {}
        for n, names in enumerate(self.main):
            for name in dict.fromkeys(names):
                by_entity.setdefault(name, []).append(n)
        self.by_entity = {k: np.array(v, dtype=np.intp) for k, v in by_entity.items()}
        self.sizes = [len(r.centroid) if r.centroid else 0 for r in found]
        self.size = max(set(self.sizes) - {0}, key=self.sizes.count, default=0)
        self.has_centroid = np.array([n == self.size > 0 for n in self.sizes], dtype=np.bool_)
        matrix = np.zeros((len(found), self.size // 4), dtype=np.float32)
        for n, r in enumerate(found):
            if self.has_centroid[n]:
                matrix[n] = np.frombuffer(r.centroid, dtype=np.float32)
        self.matrix = matrix

    def related(self, store: Store, story: Story, limit: int = 5) -> list[RelatedStory] | None:
        """``related_to(store, story, limit)``, or None when the index cannot tell: the story
        is not in it, or its related stories may be older than the index."""
        window = timedelta(days=RELATED_DAYS)
        n = self.position.get(story.id)
        if n is None or story.last_seen - window < self.since:
            return None
        if self.sizes[n] not in (0, self.size):
            return None  # a centroid of another size than most: compared with those alone
        ok = self.seen_us >= _micros(story.last_seen - window)
        ok &= self.first_us <= _micros(story.last_seen + window)
        ok[n] = False
        chosen = np.flatnonzero(ok)[:RELATED_CANDIDATES]
        sims = np.zeros(len(chosen), dtype=np.float64)
        if self.has_centroid[n] and np.any(self.matrix[n]):
            usable = np.flatnonzero(self.has_centroid[chosen])
            if len(usable):
                others = np.ascontiguousarray(self.matrix[chosen[usable]])
                sims[usable] = _cosine_rows(self.matrix[n], others)
        main = _main_entities(story.entities)
        # Only candidates close enough or sharing a main entity can be related.
        sharing = [self.by_entity[e] for e in main if e in self.by_entity]
        worth = sims >= RELATED_MIN_COSINE
        if sharing:
            worth |= np.isin(chosen, np.concatenate(sharing))
        candidates = [
            (
                int(self.ids[p]),
                self.seen[p],
                sim,
                tuple(e for e in self.main[p] if e in main) if main else (),
            )
            for p, sim in zip(chosen[worth].tolist(), sims[worth].tolist(), strict=True)
        ]
        return _best_related(store, candidates, limit, self.known)


def _entity_list(raw: str | None) -> list[str]:
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(e) for e in found] if isinstance(found, list) else []


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def _main_entities(entities: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(e.casefold().split()) for e in entities[:RELATED_MAIN_ENTITIES])


def _shared(main: Sequence[str], raw: str) -> tuple[str, ...]:
    """The entities of ``main`` among the main entities in the JSON list ``raw``."""
    if not main:
        return ()
    folded = raw.casefold()
    if "\\" not in raw and not any(e.split(" ", 1)[0] in folded for e in main):
        return ()  # a cheap test first (JSON escapes aside): most candidates share nothing
    return tuple(e for e in _main_entities(json.loads(raw)) if e in main)


def _cosines(centroid: bytes | None, others: Sequence[bytes | None]) -> list[float]:
    """Cosine of ``centroid`` with each of ``others`` (0.0 where either is missing)."""
    out = [0.0] * len(others)
    if not centroid:
        return out
    query = np.frombuffer(centroid, dtype=np.float32)
    usable = [i for i, b in enumerate(others) if b and len(b) == len(centroid)]
    if not usable or not np.any(query):
        return out
    blob = b"".join(others[i] or b"" for i in usable)
    matrix = np.frombuffer(blob, dtype=np.float32).reshape(len(usable), query.shape[0])
    for i, sim in zip(usable, _cosine_rows(query, matrix), strict=True):
        out[i] = sim
    return out


def _cosine_rows(query: NDArray[np.float32], matrix: NDArray[np.float32]) -> list[float]:
    """Cosine of ``query`` with each row of ``matrix`` (both float32)."""
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix)) * float(np.sqrt(query @ query))
    sims = (matrix @ query) / np.maximum(norms, 1e-12)
    return [float(x) for x in sims.tolist()]


def story_centroid(store: Store, story_id: int) -> bytes | None:
    with store.tx() as conn:
        value = conn.execute(select(stories.c.centroid).where(stories.c.id == story_id)).scalar()
    return None if value is None else bytes(value)
