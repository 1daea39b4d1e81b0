"""Ingest: feeds and pages over HTTP.

``fetch.Fetcher`` (polite, SSRF-guarded, robots-aware HTTP), ``parse.parse_feed`` (RSS, Atom,
JSON Feed), ``discover.discover_feed`` (site address to feed), ``opml`` (subscription lists),
``schedule`` (when to poll a source next), ``urls`` (canonical URLs).
"""

from __future__ import annotations
