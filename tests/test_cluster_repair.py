"""A run killed between assigning articles to stories and saving those stories leaves stale
story rows; the next cluster round repairs them so no member is invisible."""

from __future__ import annotations

from herald.app import make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.nlp.embed import to_bytes
from herald.pipeline.cluster_step import cluster
from tests.test_web_seed import NOW, _article, _source


def test_stale_story_counts_are_repaired_by_the_next_round(settings: Settings) -> None:
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        wire, daily = _source(h, "Wire"), _source(h, "Daily")
        text = "The European Central Bank cut its deposit rate by 25 basis points on Thursday."
        _article(h, wire, "ecb-1", "ECB cuts rates", text, 2)
        _article(h, daily, "ecb-2", "ECB trims its deposit rate", text, 1)
        members = h.store.unclustered_articles()
        vectors = h.embedder.embed([a.title for a in members])
        # what a killed run leaves: a story created and its articles assigned, nothing saved
        sid = h.store.create_story("", NOW, NOW)
        h.store.assign_articles(
            [(a.id, sid, to_bytes(v)) for a, v in zip(members, vectors, strict=True)]
        )
        assert h.store.stale_story_ids() == [sid]
        assert h.store.get_story(sid).article_count == 0

        report = cluster(h)

        story = h.store.get_story(sid)
        assert report.articles == 0  # nothing was pending: only the repair ran
        assert (story.article_count, story.outlet_count) == (2, 2)
        assert story.title  # a working title, not the empty placeholder
        assert h.store.stale_story_ids() == []
    finally:
        h.close()
