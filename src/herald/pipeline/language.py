"""English, the language Herald writes its articles and pages in, and which articles are in it.

A story's coverage may be in any language its sources use (Malay and Chinese articles join
English coverage of the same event, :mod:`herald.cluster.online`), but only English articles
are the writers' sources, and an English headline names the story when there is one.
"""

from __future__ import annotations

from herald.cluster.online import reads_as_english
from herald.types import Article


def in_english(a: Article) -> bool:
    """Whether an article is in English: by its words, and by its declared language if any."""
    declared = a.language.lower()
    return (not declared or declared.startswith("en")) and reads_as_english(a.title, a.body)
