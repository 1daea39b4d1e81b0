"""Bundled source packs (from Kagi News kite-public, MIT): ``herald sources add-pack world``."""

from __future__ import annotations

from herald.packs.packs import Pack, get_pack, list_packs

__all__ = ["Pack", "get_pack", "list_packs"]
