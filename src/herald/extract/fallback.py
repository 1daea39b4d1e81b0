"""When trafilatura's own extraction is clearly good, skip its Readability comparison.

After its main extractor, trafilatura (balanced mode) always runs a second algorithm,
readability-lxml, over a copy of the whole page and keeps that algorithm's text instead when
its own text is empty, structurally deficient (no paragraph text, or more tables than
paragraphs), or less than half as long; then jusText when its own text is short or still
holds boilerplate elements.

Herald skips it when the own extraction is *clearly good*: at least trafilatura's minimum
extracted size, paragraph text, no more tables than paragraphs, and none of the elements
that make trafilatura call a text unclean (so jusText would not run either). Then only the
"Readability found more than twice as much" rule could have changed the result, and on real
pages that rule mostly swapped an article for a longer text holding more of the page's
boilerplate. Measured (``scripts/eval_extraction.py``, Herald's extraction without and with
the skip): trafilatura's evaluation pages 0.9356 → 0.9359 accuracy, the Readability test
pages token F1 0.9312 → 0.9340, shingle F1 0.9172 → 0.9202; 14 of 526 bench pages changed;
extraction 8% faster (36.3 vs 39.4 ms per page, the two interleaved page by page on 351 real
pages).

The skip applies only inside :func:`clearly_good_skips_comparison` (a context variable), so
plain trafilatura calls in the same process (the evaluation's baseline) are unchanged. It
wraps ``trafilatura.core.compare_extraction``, which trafilatura 2.x calls by module-global
name with the parameters ``(cleaned_tree, raw_tree, body, text, options)`` (its rule for
an unclean text is ``trafilatura.external.SANITIZED_XPATH``); with a trafilatura version
that differs, Herald runs trafilatura unchanged.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import trafilatura.core as _core
import trafilatura.external as _external
from lxml.etree import _Element

__all__ = ["clearly_good", "clearly_good_skips_comparison", "installed"]

_SKIPPING: ContextVar[bool] = ContextVar("herald_skip_readability", default=False)
_PARAMETERS = ("cleaned_tree", "raw_tree", "body", "text", "options")
"""``compare_extraction``'s parameters in the trafilatura versions this wraps (2.x)."""
# the elements that make trafilatura call a text unclean (and run jusText over it)
_UNCLEAN_XPATH: str | None = getattr(_external, "SANITIZED_XPATH", None)


def clearly_good(body: _Element, text: str, min_size: int) -> bool:
    """Whether trafilatura's own extraction needs no comparison (see the module docstring)."""
    if len(text) < min_size or not body.xpath(".//p//text()"):
        return False
    if len(body.findall(".//table")) > len(body.findall(".//p")):
        return False
    return _UNCLEAN_XPATH is not None and not body.xpath(_UNCLEAN_XPATH)


def _gate(original: Callable[..., tuple[_Element, str]]) -> Callable[..., tuple[_Element, str]]:
    def compare_extraction(
        cleaned_tree: Any, raw_tree: Any, body: _Element, text: str, options: Any
    ) -> tuple[_Element, str]:
        if (
            _SKIPPING.get()
            and getattr(options, "focus", "") == "balanced"
            and clearly_good(body, text, int(getattr(options, "min_extracted_size", 0)))
        ):
            return body, text
        return original(cleaned_tree, raw_tree, body, text, options)

    compare_extraction.__wrapped__ = original  # type: ignore[attr-defined]
    return compare_extraction


def _install() -> bool:
    original = getattr(_core, "compare_extraction", None)
    if original is None or not callable(original) or not isinstance(_UNCLEAN_XPATH, str):
        return False
    if tuple(inspect.signature(original).parameters) != _PARAMETERS:
        return False  # another trafilatura: its comparison runs as it is
    if not hasattr(original, "__wrapped__"):
        setattr(_core, "compare_extraction", _gate(original))  # noqa: B010
    return True


_INSTALLED = _install()


def installed() -> bool:
    """Whether this trafilatura version has the comparison step Herald can skip."""
    return _INSTALLED


@contextlib.contextmanager
def clearly_good_skips_comparison() -> Iterator[None]:
    """Within this block (this thread or task only), skip the comparison when not needed."""
    token = _SKIPPING.set(True)
    try:
        yield
    finally:
        _SKIPPING.reset(token)
