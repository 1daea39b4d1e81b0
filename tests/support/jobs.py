"""Module-level jobs for worker-pool tests (spawned workers import them by name)."""

from __future__ import annotations

import os
import time

from herald.exceptions import FeedParseError


def pid() -> int:
    return os.getpid()


def add(a: int, b: int) -> int:
    return a + b


def sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def fail_like_herald(message: str) -> None:
    raise FeedParseError(message)


def fail_like_a_bug() -> None:
    raise KeyError("oops")


def die(code: int) -> None:
    os._exit(code)
