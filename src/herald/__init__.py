"""Herald: a self-hostable AI newsroom.

Watches news feeds, groups articles into stories, finds what is trending, writes short cited
articles that a verifier checks sentence by sentence, and serves each reader a customized feed.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
