"""An article an editor pulled stays pulled: new coverage of the story does not make the write
stage write and republish it. Real Multi-News source texts, the default composer writer."""

from __future__ import annotations

from pathlib import Path

from herald.app import make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.write_step import write
from herald.store.newsroom import pull_story
from herald.types import WriteupStatus
from tests.support.multinews import story_texts
from tests.test_web_seed import NOW, _article, _source, _story

STORY = "multinews-validation-57"


def test_pulled_story_is_not_republished_by_new_coverage(
    settings: Settings, shared_data: Path
) -> None:
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        texts = story_texts(shared_data, STORY)
        slugs = []
        for i, text in enumerate(texts[:-1]):
            _article(h, _source(h, f"Outlet {i}"), f"a{i}", f"McRib returns ({i})", text, 3 + i)
            slugs.append(f"a{i}")
        story_id = _story(h, slugs, "McRib returns", "business", [], 1.0)
        first = write(h, story_ids=[story_id])
        assert first.published == 1
        pull_story(h.store, story_id, "Misleading headline.", NOW)

        last = len(texts) - 1
        _article(h, _source(h, "Outlet late"), "late", "McRib returns (late)", texts[-1], 1)
        late = [a for a in h.store.unclustered_articles() if a.url.endswith("/late")]
        h.store.assign_articles([(a.id, story_id, None) for a in late])
        again = write(h, story_ids=[story_id])

        assert last >= 1 and len(late) == 1
        assert again.withdrawn == 1 and again.published == 0
        writeup = h.store.get_writeup(story_id)
        assert writeup is not None and writeup.status is WriteupStatus.PULLED
    finally:
        h.close()
