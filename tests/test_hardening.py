"""Hostile input, keys, rate limits, backpressure, deadlines and the batch endpoint."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from models import Engine, SummarizeRequest
from models.guard import GuardedEngine
from service import Settings, create_app
from service.security import RedisRateLimiter, hash_key


def _shape(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


# --- API keys ---------------------------------------------------------------------------------


@pytest.fixture()
def keyed_client(settings: Settings, engine: Engine, tmp_path):
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# hashed keys\n" + hash_key("hashed-secret", "s4lt") + "\n", encoding="utf-8")
    s = replace(settings, api_keys="plain-secret", api_keys_file=str(keys_file))
    return create_app(s, engine=engine).test_client()


def test_keys_missing_wrong_and_right(keyed_client, en_article: str) -> None:
    body = {"text": en_article}
    err = _shape(keyed_client.post("/v1/summarize", json=body), 401)
    assert "API key" in err["message"]
    _shape(keyed_client.post("/v1/summarize", json=body, headers={"Authorization": "Bearer nope"}), 403)
    _shape(keyed_client.post("/v1/summarize", json=body, headers={"X-API-Key": "plain-secretX"}), 403)
    assert keyed_client.post("/v1/summarize", json=body,
                             headers={"Authorization": "Bearer plain-secret"}).status_code == 200
    assert keyed_client.post("/v1/summarize", json=body, headers={"X-API-Key": "hashed-secret"}).status_code == 200
    assert keyed_client.get("/v1/models", headers={"X-API-Key": "s4lt"}).status_code == 403  # the salt is no key
    for open_path in ("/healthz", "/readyz"):
        assert keyed_client.get(open_path).status_code == 200


# --- rate limits ------------------------------------------------------------------------------


def test_rate_limit_per_client_with_retry_after(settings: Settings, engine: Engine) -> None:
    client = create_app(replace(settings, rate_limit_per_minute=3), engine=engine).test_client()
    for _ in range(3):
        assert client.get("/v1/models").status_code == 200
    resp = client.get("/v1/models")
    err = _shape(resp, 429)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60 and err["details"]["limit_per_minute"] == 3
    other = client.get("/v1/models", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200  # another client has its own budget
    assert client.get("/healthz").status_code == 200  # health is never limited


def test_rate_limit_per_key(settings: Settings, engine: Engine) -> None:
    client = create_app(replace(settings, api_keys="k1,k2", rate_limit_per_minute=1), engine=engine).test_client()
    assert client.get("/v1/models", headers={"X-API-Key": "k1"}).status_code == 200
    assert client.get("/v1/models", headers={"X-API-Key": "k1"}).status_code == 429
    assert client.get("/v1/models", headers={"X-API-Key": "k2"}).status_code == 200


def test_redis_rate_limit_is_shared_by_replicas(redis_url: str) -> None:
    a, b = RedisRateLimiter(redis_url, 2), RedisRateLimiter(redis_url, 2)
    assert a.hit("ip:1") is None and b.hit("ip:1") is None
    wait = a.hit("ip:1")
    assert wait is not None and 0 <= wait <= 60
    assert RedisRateLimiter("redis://127.0.0.1:1/0", 1).hit("x") is None  # Redis down: fail open


# --- backpressure and deadlines ------------------------------------------------------------------


class SlowEngine:
    def __init__(self, engine: Engine, seconds: float) -> None:
        self.inner, self.seconds = engine, seconds

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.inner, name)

    def summarize(self, req: SummarizeRequest):  # noqa: ANN201
        time.sleep(self.seconds)
        return self.inner.summarize(req)


def test_overload_is_refused_at_once_with_retry_after(settings: Settings, engine: Engine, en_article: str) -> None:
    guarded = GuardedEngine(SlowEngine(engine, 1.0), max_inflight=1, timeout_s=10)  # type: ignore[arg-type]
    client = create_app(settings, engine=guarded).test_client()  # type: ignore[arg-type]
    results: list[int] = []
    t = threading.Thread(target=lambda: results.append(
        client.post("/v1/summarize", json={"text": en_article}).status_code))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    resp = client.post("/v1/summarize", json={"text": en_article})
    assert time.monotonic() - t0 < 0.5  # refused at once, not queued
    _shape(resp, 503)
    assert resp.get_json()["error"]["code"] == "overloaded" and resp.headers["Retry-After"] == "1"
    t.join(10)
    assert results == [200]


def test_deadline_is_504_and_worker_stays_healthy(settings: Settings, engine: Engine, en_article: str) -> None:
    guarded = GuardedEngine(SlowEngine(engine, 1.0), max_inflight=2, timeout_s=0.2)  # type: ignore[arg-type]
    client = create_app(settings, engine=guarded).test_client()  # type: ignore[arg-type]
    err = _shape(client.post("/v1/summarize", json={"text": en_article}), 504)
    assert "0.2 s" in err["message"]
    time.sleep(1.0)  # the abandoned work finishes and frees its slot
    fast = GuardedEngine(engine, max_inflight=2, timeout_s=5)
    assert create_app(settings, engine=fast).test_client().post(  # type: ignore[arg-type]
        "/v1/summarize", json={"text": en_article}).status_code == 200
    assert client.get("/healthz").status_code == 200


# --- batch endpoint -----------------------------------------------------------------------------


def test_batch_one_bad_item_never_fails_the_others(client, ko_article: str, en_article: str) -> None:
    resp = client.post("/v1/summarize/batch", json={"items": [
        {"text": ko_article}, {"text": ""}, {"text": "12345 678"}, {"text": en_article, "max_bullets": 2},
        {"text": en_article, "target_lang": "ko"}, {"text": "x", "max_bullets": "many"},
    ]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    results = resp.get_json()["results"]
    assert [r["status"] for r in results] == [200, 422, 422, 200, 503, 422]
    assert [r["index"] for r in results] == list(range(6))
    assert len(results[0]["result"]["bullets"]) == 3 and len(results[3]["result"]["bullets"]) == 2
    assert results[1]["error"]["code"] == "validation_error" and "text" in results[1]["error"]["message"]
    assert results[2]["error"]["code"] == "unsupported_language"
    assert results[4]["error"]["code"] == "model_unavailable"


def test_batch_limits(client, settings: Settings) -> None:
    err = _shape(client.post("/v1/summarize/batch", json={"items": [{"text": "a."}] * 17}), 422)
    assert "16" in err["message"]
    _shape(client.post("/v1/summarize/batch", json={"items": []}), 422)
    _shape(client.post("/v1/summarize/batch", json={"items": "nope"}), 422)


# --- hostile input ------------------------------------------------------------------------------

HOSTILE = [
    ("nul byte", {"text": "The plan\x00 starts."}, {422}),
    ("control characters", {"text": "ab\x01cd\x07 The plan starts next year.\x1b[31m It is big."}, {200}),
    ("one enormous token", {"text": "a" * 19_000}, {200}),
    ("enormous hangul token", {"text": "가" * 19_000}, {200}),
    ("html markup", {"text": "<p>The <b>council</b> approved the plan.</p><script>alert(1)</script>"}, {200}),
    ("emoji only", {"text": "😀🎉🔥" * 50}, {422}),
    ("digits only", {"text": "1234 5678 9012"}, {422}),
    ("mixed scripts", {"text": "Samsung 삼성전자는 새 칩을 공개했다. Доброе утро. The chip ships in May."}, {200}),
    ("many short sentences", {"text": "The plan. " * 1900}, {200}),
    ("newlines only around text", {"text": "\n\n\n정부는 발표했다\n\n\n"}, {200}),
    ("lone surrogate escape", None, {400, 422}),
    ("title wrong type", {"text": "The plan starts.", "title": 5}, {422}),
    ("source_lang null", {"text": "The plan starts.", "source_lang": None}, {422}),
    ("nested object as text", {"text": {"a": {"b": []}}}, {422}),
]


@pytest.mark.parametrize(("name", "body", "statuses"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_never_500_or_hangs(client, name: str, body, statuses: set[int]) -> None:
    t0 = time.monotonic()
    if body is None:
        resp = client.post("/v1/summarize", data='{"text": "\\ud800 x"}', content_type="application/json")
    else:
        resp = client.post("/v1/summarize", json=body)
    assert time.monotonic() - t0 < 10
    assert resp.status_code in statuses, resp.get_data(as_text=True)[:300]
    data = resp.get_json()
    if resp.status_code >= 400:
        assert set(data["error"]) == {"code", "message", "details"}
    else:
        text = body["text"]
        for bullet in data["bullets"]:
            assert "<" not in bullet["text"]
            for src in bullet["sources"]:
                assert text[src["start"] : src["end"]] == src["sentence"]
