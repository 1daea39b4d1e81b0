"""Write with the configured writer, verify, and fall back to the composer: one rule, used by
the write step and by ``herald eval write``.

An LLM writer's draft is used only if the verifier accepts it; if the writer fails (a
``HeraldError``: server down, timeout, malformed answer) or its draft is rejected, the reason
goes to ``note`` and the composer writes instead. The composer's verified draft is returned
whether accepted or not: the caller decides what a rejection means (links only, in the
pipeline).

With a judge (:mod:`herald.verify.judge`, ``judge_base_url``) the verifier asks it about every
sentence its checks accept; each veto or judge failure goes to ``note`` too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from herald.config import Settings
from herald.exceptions import HeraldError
from herald.nlp.embed import Embedder
from herald.types import VerifiedDraft
from herald.verify.checker import verify
from herald.verify.judge import Judge, judge_notes
from herald.write.base import SourceDoc, Writer

__all__ = ["verified_draft", "write_verified"]

log = logging.getLogger(__name__)


def write_verified(
    writer: Writer,
    title: str,
    sources: Sequence[SourceDoc],
    settings: Settings,
    embedder: Embedder,
    judge: Judge | None = None,
) -> VerifiedDraft:
    """``writer``'s draft after verification (a failing writer raises its HeraldError)."""
    draft = writer.write(title, sources, settings)
    return verify(
        draft,
        sources,
        embedder,
        settings.verify_min_similarity,
        settings.verify_max_dropped_share,
        judge,
    )


def verified_draft(
    primary: Writer | None,
    composer: Writer,
    title: str,
    sources: Sequence[SourceDoc],
    settings: Settings,
    embedder: Embedder,
    note: Callable[[str], None] = lambda _: None,
    judge: Judge | None = None,
) -> VerifiedDraft:
    """The primary writer's accepted draft, else the composer's (see the module docstring)."""
    if primary is not None and primary is not composer:
        try:
            checked = _noted(primary, title, sources, settings, embedder, note, judge)
        except HeraldError as e:
            note(f"{primary.name} failed, composer used instead: {e}")
            log.warning("%s failed: %s", primary.name, e)
        else:
            if checked.accepted:
                return checked
            note(
                f"{primary.name} draft rejected by the verifier, composer used instead: "
                f"{checked.reason}"
            )
    return _noted(composer, title, sources, settings, embedder, note, judge)


def _noted(
    writer: Writer,
    title: str,
    sources: Sequence[SourceDoc],
    settings: Settings,
    embedder: Embedder,
    note: Callable[[str], None],
    judge: Judge | None,
) -> VerifiedDraft:
    """``write_verified``, with the judge's vetoes and failures sent to ``note``."""
    checked = write_verified(writer, title, sources, settings, embedder, judge)
    for line in judge_notes(checked.verdicts):
        note(f"{writer.name}: {line}")
    return checked
