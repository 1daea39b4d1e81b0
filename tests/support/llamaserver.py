"""A real llama.cpp OpenAI-compatible server on loopback serving the bundled SmolLM2 model.

Started with ``herald.write.bundled.server_command`` (``python -m llama_cpp.server``), polled
until ``/v1/models`` answers, stopped at the end. Skipped when llama-cpp-python or the model
is not installed, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pytest

from herald.exceptions import ConfigError
from herald.write.bundled import server_command

STARTUP_SECONDS = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ready(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def llama_server() -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT/v1``) of a running server."""
    try:
        command = server_command(port=_free_port(), context=4096)
    except ConfigError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"llama.cpp server not available in CI: {e}")
        pytest.skip(f"llama.cpp server not available: {e}")
    port = command[command.index("--port") + 1]
    base = f"http://127.0.0.1:{port}/v1"
    # the server logs a lot: to a file, since an unread pipe would fill up and block it
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, base, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], base: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _ready(f"{base}/models"):
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            pytest.fail(f"llama.cpp server exited with {process.returncode}: {output[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail("llama.cpp server did not start in time")
        time.sleep(0.5)
