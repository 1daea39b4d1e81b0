"""What each worker process loads before its first job (see ``herald.workers``)."""

from __future__ import annotations

__all__ = ["warm_worker"]


def warm_worker() -> None:
    """Import the feed parser and run the extractor once on a tiny page."""
    import herald.ingest.parse  # noqa: F401  (imported for its module-level set-up)
    from herald.extract.html import warm_up

    warm_up()
