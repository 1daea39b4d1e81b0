"""The API's orjson responses write what Starlette's JSONResponse writes: the same bytes for
every API response of the seeded app, the same values where a tiny float's notation differs."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from herald.web.jsonresponse import FastJSONResponse
from tests.test_web_seed import Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]


class Kind(StrEnum):
    NEWS = "news"


def same_bytes(content: Any) -> bool:
    return bool(FastJSONResponse(content).body == JSONResponse(content).body)


def test_the_api_answers_with_the_bytes_starlette_would_write(
    client: TestClient, seeded: Seeded
) -> None:
    paths = [
        "/api/v1/feed",
        "/api/v1/feed?limit=2&offset=2",
        "/api/v1/stories",
        f"/api/v1/stories/{seeded.rates}",
    ]
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "application/json"
        assert r.content == JSONResponse(r.json()).body, path


def test_text_numbers_and_keys_as_starlette_writes_them() -> None:
    content = {
        "headline": 'Zürich “quotes” — 東京 \u2028 \\ " /',
        "numbers": [0, -1, 2**53, 0.1, 1.5, -0.0, 1e22, 123456789.125],
        "flags": [True, False, None],
        "nested": {"a": [{"b": ()}], 3: "int key"},
        "kind": Kind.NEWS,
    }
    assert same_bytes(content)


def test_a_tiny_float_is_the_same_number_in_another_notation() -> None:
    content = {"score": 2.5e-05, "small": 1e-07}
    fast, plain = bytes(FastJSONResponse(content).body), bytes(JSONResponse(content).body)
    assert fast != plain
    assert json.loads(fast) == json.loads(plain) == content
