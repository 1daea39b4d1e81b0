"""The feed's cards as HTML, each rendered once and reused for every reader it is the same for.

A card's HTML (the ``feed_card`` macro of ``_macros.html``) depends on its view model (the
story's headline, summary, topic, times, outlet count, the reason and labels the reader gets),
the action offered on its reason, the reader's state of its topic, and two values of the
request: the CSRF token and the page's own address. Rendering twenty cards through Jinja
costs more than ranking them, and most readers share most cards: the same story with the same
reason ("Trending across 12 outlets", "You follow Science"). So each card is rendered with
marks in place of the token and the address, kept by its inputs, and the marks are replaced by
the request's escaped values once per page. The cache belongs to the feed's state of one data
version (``herald.web.queries.FeedState``), so it goes when the stories change; its key is
everything else the card depends on, so a kept card is exactly what rendering would give.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from herald.web.reasons import ReasonAction
from herald.web.views import CardView

__all__ = ["CARDS_KEPT", "CardCache", "render_cards"]

CARDS_KEPT = 20_000  # cards one cache keeps at most (the oldest go first)
# Stand-ins for the request's values while a card is rendered for everyone (random per
# process: no story text can hold them).
_CSRF_MARK = f"herald-csrf-{secrets.token_hex(16)}"
_HERE_MARK = f"herald-here-{secrets.token_hex(16)}"

CardKey = tuple[CardView, ReasonAction, str]


class CardCache:
    """Rendered cards by their inputs, at most ``CARDS_KEPT``."""

    def __init__(self, limit: int = CARDS_KEPT) -> None:
        self.limit = limit
        self._cards: dict[CardKey, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cards)

    def get(self, key: CardKey) -> str | None:
        return self._cards.get(key)

    def put(self, key: CardKey, html: str) -> None:
        with self._lock:
            while len(self._cards) >= self.limit:
                del self._cards[next(iter(self._cards))]
            self._cards[key] = html


_MACROS: dict[int, tuple[Environment, Any]] = {}
_MACROS_LOCK = threading.Lock()


def _feed_card(env: Environment) -> Any:
    """The ``feed_card`` macro, in a module whose ``csrf`` and ``here`` are the marks."""
    found = _MACROS.get(id(env))
    if found is None or found[0] is not env:
        module = env.get_template("_macros.html").make_module(
            {"csrf": Markup(_CSRF_MARK), "here": Markup(_HERE_MARK)}
        )
        found = (env, getattr(module, "feed_card"))  # noqa: B009  (a template macro)
        with _MACROS_LOCK:
            _MACROS[id(env)] = found
    return found[1]


def render_cards(
    env: Environment,
    cache: CardCache,
    views: Sequence[CardView],
    actions: Sequence[ReasonAction],
    topic_states: Sequence[str],
    csrf: str,
    here: str,
) -> Markup:
    """The cards' list items, each on its own lines, as the feed page shows them."""
    macro = _feed_card(env)
    parts = []
    for key in zip(views, actions, topic_states, strict=True):
        html = cache.get(key)
        if html is None:
            html = str(macro(*key))
            cache.put(key, html)
        parts.append(f"  {html}\n")
    page = "".join(parts)
    page = page.replace(_CSRF_MARK, str(escape(csrf))).replace(_HERE_MARK, str(escape(here)))
    return Markup(page)
