"""A small client for OpenAI-compatible chat endpoints (llama.cpp server, Ollama, vLLM, hosted).

One call, ``ChatClient.complete(messages)``: POST ``{base_url}/chat/completions`` and return
the first choice's text. Every way it can go wrong (server down, timeout, HTTP error, an
answer that is not the expected JSON, an empty answer) raises ``LLMError`` with a readable
reason; timeouts, connection failures, 429 and 5xx answers are retried with exponential
backoff first. The caller decides what a failure means (the writer falls back to the
composer).

The endpoint is configured by the operator (``llm_base_url``), never taken from user input,
so it is not subject to the feed fetcher's SSRF rules (a model server on loopback is normal).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from herald.config import Settings
from herald.exceptions import ConfigError, LLMError

__all__ = ["ChatClient", "Message", "chat_client"]

log = logging.getLogger(__name__)

Message = dict[str, str]
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ChatAnswer:
    """The text of an answer and why the model stopped ("stop", "length", ...)."""

    text: str
    finish_reason: str
    model: str


class ChatClient:
    """Chat completions from one OpenAI-compatible endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        retries: int = 1,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        label: str = "the LLM",
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"llm_base_url must be an http(s) URL, got {base_url!r}")
        self.label = label  # how errors name the endpoint ("the LLM", "the judge")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = max(0, retries)
        self.backoff = backoff
        self._sleep = sleep
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=headers,
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 800,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> ChatAnswer:
        """The model's answer to ``messages``, or LLMError."""
        data = self.completion(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)
        return self._answer(data)

    def completion(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] = (),
        extra: dict[str, Any] | None = None,
    ) -> Any:
        """The server's whole JSON answer (``extra`` adds request fields, e.g. logprobs),
        after retries; LLMError when there is none."""
        body: dict[str, Any] = {
            "model": self.model or "default",
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
            **(extra or {}),
        }
        if stop:
            body["stop"] = list(stop)
        last: LLMError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                wait = self.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
                log.info("retrying %s in %.1fs after: %s", self.label, wait, last)
                self._sleep(wait)
            try:
                return self._post(body)
            except _Retryable as e:
                last = e.error
        assert last is not None
        raise last

    def _post(self, body: dict[str, Any]) -> Any:
        url = f"{self.base_url}/chat/completions"
        name = self.label
        try:
            response = self._http.post(url, json=body)
        except httpx.TimeoutException as e:
            raise _Retryable(LLMError(f"{name} at {self.base_url} timed out: {e}")) from e
        except httpx.TransportError as e:
            raise _Retryable(LLMError(f"{name} at {self.base_url} is unreachable: {e}")) from e
        if response.status_code in RETRYABLE_STATUS:
            error = LLMError(f"{name} answered HTTP {response.status_code}: {_snippet(response)}")
            raise _Retryable(error)
        if response.status_code != 200:
            raise LLMError(f"{name} answered HTTP {response.status_code}: {_snippet(response)}")
        try:
            return response.json()
        except ValueError as e:
            shown = _snippet(response)
            raise LLMError(f"{name}'s answer is not JSON (not a chat completion): {shown}") from e

    def _answer(self, data: Any) -> ChatAnswer:
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as e:
            shown = " ".join(str(data).split())[:200]
            raise LLMError(f"{self.label}'s answer is not a chat completion: {shown}") from e
        if not isinstance(text, str) or not text.strip():
            raise LLMError(f"{self.label} gave an empty answer")
        reason = choice.get("finish_reason") or ""
        return ChatAnswer(text=text, finish_reason=str(reason), model=str(data.get("model", "")))


class _Retryable(Exception):
    def __init__(self, error: LLMError) -> None:
        super().__init__(str(error))
        self.error = error


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    text = " ".join(response.text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def chat_client(settings: Settings) -> ChatClient:
    """The client for the configured endpoint (ConfigError when none is configured)."""
    if not settings.llm_base_url:
        raise ConfigError("writer 'openai' needs llm_base_url (HERALD_LLM_BASE_URL)")
    return ChatClient(
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        timeout=settings.llm_timeout,
        retries=settings.llm_retries,
    )
