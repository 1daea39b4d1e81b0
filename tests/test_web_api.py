"""The JSON API: feed, stories, one story, health, OpenAPI, and one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from herald.app import Herald
from herald.web.app import create_app
from tests.test_web_seed import Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]


def error_of(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


def test_feed_api(client: TestClient, seeded: Seeded) -> None:
    body = client.get("/api/v1/feed?limit=2").json()
    assert body["personalized"] is False
    assert len(body["items"]) == 2
    first = body["items"][0]
    assert first["story"]["id"] == seeded.rates
    assert first["headline"] == "ECB cuts rates for the fourth time this year"
    assert first["reason"] == "Trending across 3 outlets"
    assert first["labels"][1] == "Generative AI is experimental."
    page2 = client.get("/api/v1/feed?limit=2&offset=2").json()["items"]
    assert {i["story"]["id"] for i in page2}.isdisjoint({i["story"]["id"] for i in body["items"]})
    assert any(i["working_title"] for i in page2)


def test_stories_list_and_paging(client: TestClient, seeded: Seeded) -> None:
    body = client.get("/api/v1/stories?limit=2&offset=0").json()
    assert [s["id"] for s in body["items"]] == [seeded.rates, seeded.chips]
    assert body["items"][0]["outlets"] and body["items"][0]["trending"] is True
    rest = client.get("/api/v1/stories?limit=2&offset=2").json()["items"]
    assert len(rest) == 2
    error = error_of(client.get("/api/v1/stories?limit=0"), 422, "invalid_request")
    assert error["details"][0]["loc"][-1] == "limit"


def test_one_story_with_writeup(client: TestClient, seeded: Seeded) -> None:
    body = client.get(f"/api/v1/stories/{seeded.rates}").json()
    assert body["story"]["outlet_count"] == 3
    assert body["dateline"] == "December 29th 2024."
    assert body["labels"][0].startswith("This article has been trending online recently")
    w = body["writeup"]
    assert w["status"] == "published"
    assert w["sentences"][0]["citations"] == [1, 2]
    assert w["sentences"][0]["evidence"][0]["passage"].startswith("Passage 1")
    assert [s["index"] for s in w["sources"]] == [1, 2, 3]
    assert w["sources"][0]["url"].startswith("https://news.example/")
    assert len(body["articles"]) == 3
    links = client.get(f"/api/v1/stories/{seeded.comet}").json()
    assert links["writeup"]["status"] == "links_only"
    assert links["writeup"]["sentences"] == []
    none = client.get(f"/api/v1/stories/{seeded.festival}").json()
    assert none["writeup"] is None and none["articles"][0]["title"].startswith("Festival")


def test_errors_share_one_shape(client: TestClient) -> None:
    error_of(client.get("/api/v1/stories/999"), 404, "not_found")
    error_of(client.get("/api/v1/nothing-here"), 404, "not_found")
    error_of(client.get("/api/v1/stories/abc"), 422, "invalid_request")
    error_of(client.post("/api/v1/health"), 405, "method_not_allowed")


def test_server_error_shape(
    herald: Herald, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[str, int]:
        raise RuntimeError("boom")

    monkeypatch.setattr(herald.store, "stage_counts", broken)
    with TestClient(create_app(herald), raise_server_exceptions=False) as c:
        error = error_of(c.get("/api/v1/health"), 500, "internal_error")
        assert "boom" not in error["message"]


def test_health_and_openapi(client: TestClient) -> None:
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok"
    assert health["counts"]["stories"] == 4
    assert health["counts"]["writeups_published"] == 2
    spec = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/feed",
        "/api/v1/stories",
        "/api/v1/stories/{story_id}",
        "/api/v1/health",
    } <= set(spec["paths"])
    assert not any(p.startswith("/settings") for p in spec["paths"])
    assert client.get("/docs").status_code == 404
