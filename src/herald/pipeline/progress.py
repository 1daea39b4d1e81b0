"""Progress reporting hooks shared by the steps (the CLI plugs rich progress bars in)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told how much work a step has and how much is done."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """Reports nothing."""

    def start(self, label: str, total: int) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None
