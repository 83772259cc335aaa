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
    # both slots of this same guard are free again: two requests at once are both taken (and time
    # out in turn); a slot leaked by the abandoned call would refuse one of them as overloaded (503)
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(
        client.post("/v1/summarize", json={"text": en_article}).status_code)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(codes) == [504, 504]
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
    # a token no bullet can hold: bullets are compressed, never cut, so nothing can be said (422)
    ("one enormous token", {"text": "a" * 19_000}, {422}),
    ("enormous hangul token", {"text": "가" * 19_000}, {422}),
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


# --- floods at the limits (issue 13, item 2): bounded work and bounded answers --------------------


def test_key_flood_lists_at_most_ten_problems(client) -> None:
    from service.api import MAX_LISTED_ERRORS

    body = "{" + ",".join(f'"k{i}": 1' for i in range(5000)) + ', "text": "The plan starts."}'
    err = _shape(client.post("/v1/summarize", data=body, content_type="application/json"), 422)
    assert len(err["details"]["errors"]) == MAX_LISTED_ERRORS == 10
    assert err["message"].endswith("; and 4990 more problem(s)") and err["message"].count("Extra inputs") == 10


def test_duplicate_key_flood_names_ten_and_counts_the_rest(client) -> None:
    body = "{" + ",".join(f'"d{i % 30}": 1' for i in range(3000)) + "}"
    err = _shape(client.post("/v1/summarize", data=body, content_type="application/json"), 400)
    assert err["details"]["duplicate_key_count"] == 30 and len(err["details"]["duplicate_keys"]) == 10
    assert err["message"].endswith("and 20 more")
    one = _shape(client.post("/v1/summarize", data='{"text": "a", "text": "b"}', content_type="application/json"), 400)
    assert one["message"] == "duplicate key(s) in JSON object: text"


def test_duplicate_detection_is_linear() -> None:
    """Counted, not timed: the check touches each key a constant number of times (it was keys.count(k)
    per key, 10^10 steps for 100,000 keys)."""
    from service import api

    class CountingStr(str):
        hashes = 0

        def __hash__(self) -> int:
            CountingStr.hashes += 1
            return str.__hash__(self)

    for n in (1_000, 10_000):
        CountingStr.hashes = 0
        pairs = [(CountingStr(f"k{i}"), i) for i in range(n)] + [(CountingStr("k0"), 0)]
        with pytest.raises(api.ApiError):
            api._reject_duplicates(pairs)
        assert CountingStr.hashes <= 4 * (n + 1)


# --- client address behind proxies and shared rate limits (item 3) ----------------------------------

PROXY_CASES = [
    ("no proxies trusted: the peer", "10.0.0.5", "1.2.3.4", "", "10.0.0.5"),
    ("trusted peer: the forwarded client", "10.0.0.5", "1.2.3.4", "10.0.0.0/8", "1.2.3.4"),
    ("untrusted peer: its header is ignored", "8.8.8.8", "1.2.3.4", "10.0.0.0/8", "8.8.8.8"),
    ("spoofed left part ignored", "10.0.0.5", "6.6.6.6, 1.2.3.4", "10.0.0.0/8", "1.2.3.4"),
    ("chain of trusted proxies", "10.0.0.5", "1.2.3.4, 10.1.1.1, 10.2.2.2", "10.0.0.0/8", "1.2.3.4"),
    ("all hops trusted: the leftmost", "10.0.0.5", "10.3.3.3, 10.1.1.1", "10.0.0.0/8", "10.3.3.3"),
    ("garbled hop: the last real address", "10.0.0.5", "1.2.3.4, not-an-ip", "10.0.0.0/8", "10.0.0.5"),
    ("no header", "10.0.0.5", None, "10.0.0.0/8", "10.0.0.5"),
    ("IPv6 proxy", "::1", "2001:db8::7", "::1,127.0.0.1", "2001:db8::7"),
]


@pytest.mark.parametrize(("name", "peer", "xff", "trusted", "expected"), PROXY_CASES, ids=[c[0] for c in PROXY_CASES])
def test_client_address(name: str, peer: str, xff: str | None, trusted: str, expected: str) -> None:
    from service.security import client_address, parse_proxies

    assert client_address(peer, xff, parse_proxies(trusted)) == expected


def test_trusted_proxies_key_the_rate_limit_by_forwarded_client(settings: Settings, engine: Engine) -> None:
    s = replace(settings, rate_limit_per_minute=1, trusted_proxies="127.0.0.1")
    client = create_app(s, engine=engine).test_client()
    behind = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/v1/models", environ_base=behind, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert client.get("/v1/models", environ_base=behind, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 200
    assert client.get("/v1/models", environ_base=behind, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 429
    # off by default: the header cannot buy a client a fresh budget
    plain = create_app(replace(settings, rate_limit_per_minute=1), engine=engine).test_client()
    assert plain.get("/v1/models", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert plain.get("/v1/models", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_bad_trusted_proxies_setting_is_named() -> None:
    from service.config import SettingsError

    with pytest.raises(SettingsError, match="SUMMARIZER_TRUSTED_PROXIES"):
        Settings.from_env({"SUMMARIZER_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"})


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "MemoryRateLimiter"),
    # the metrics folder says nothing about where the counts live (it used to switch to the file)
    ({"PROMETHEUS_MULTIPROC_DIR": "{tmp}"}, "MemoryRateLimiter"),
    ({"SUMMARIZER_RATE_LIMIT_FILE": "{tmp}/rl.sqlite3"}, "SharedFileRateLimiter"),
    ({"SUMMARIZER_RATE_LIMIT_STORAGE": "memory", "SUMMARIZER_RATE_LIMIT_FILE": "{tmp}/rl.sqlite3"},
     "MemoryRateLimiter"),
    ({"SUMMARIZER_RATE_LIMIT_STORAGE": "file", "SUMMARIZER_RATE_LIMIT_FILE": "{tmp}/rl.sqlite3"},
     "SharedFileRateLimiter"),
    ({"SUMMARIZER_RATE_LIMIT_REDIS_URL": "redis://127.0.0.1:1/0"}, "RedisRateLimiter"),
    ({"SUMMARIZER_RATE_LIMIT_STORAGE": "memory", "SUMMARIZER_RATE_LIMIT_REDIS_URL": "redis://127.0.0.1:1/0"},
     "MemoryRateLimiter"),
])
def test_rate_limit_storage_is_chosen_by_name(env: dict[str, str], expected: str, tmp_path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from service.security import make_limiter

    env = {k: v.replace("{tmp}", str(tmp_path)) for k, v in env.items()}
    for key, value in env.items():
        if not key.startswith("SUMMARIZER_"):
            monkeypatch.setenv(key, value)
    settings = Settings.from_env({"SUMMARIZER_RATE_LIMIT_PER_MINUTE": "5", "SUMMARIZER_WORKERS": "2",
                                  **{k: v for k, v in env.items() if k.startswith("SUMMARIZER_")}})
    assert type(make_limiter(settings)).__name__ == expected


@pytest.mark.parametrize(("env", "message"), [
    ({"SUMMARIZER_RATE_LIMIT_STORAGE": "sqlite"}, "SUMMARIZER_RATE_LIMIT_STORAGE must be memory, file or redis"),
    ({"SUMMARIZER_RATE_LIMIT_STORAGE": "redis"}, "needs SUMMARIZER_RATE_LIMIT_REDIS_URL"),
])
def test_bad_rate_limit_storage_is_named(env: dict[str, str], message: str) -> None:
    from service.config import SettingsError

    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("value", ["-1", "20"])
def test_work_nice_out_of_range_is_named(value: str) -> None:
    from service.config import SettingsError

    with pytest.raises(SettingsError, match="SUMMARIZER_WORK_NICE must be 0-19"):
        Settings.from_env({"SUMMARIZER_WORK_NICE": value})
    assert Settings.from_env({}).work_nice == 10 and Settings.from_env({"SUMMARIZER_WORK_NICE": "0"}).work_nice == 0


def test_file_storage_without_a_file_is_named() -> None:
    from service.config import SettingsError
    from service.security import make_limiter

    settings = Settings.from_env({"SUMMARIZER_RATE_LIMIT_PER_MINUTE": "5", "SUMMARIZER_RATE_LIMIT_STORAGE": "file"})
    with pytest.raises(SettingsError, match="SUMMARIZER_RATE_LIMIT_FILE"):
        make_limiter(settings)


def _hit_many(path: str, limit: int, n: int, out) -> None:  # noqa: ANN001 - a multiprocessing queue
    from service.security import SharedFileRateLimiter

    limiter = SharedFileRateLimiter(path, limit)
    out.put(sum(limiter.hit("ip:1.2.3.4") is None for _ in range(n)))


def test_file_rate_limit_is_exact_across_processes(tmp_path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    path = str(tmp_path / "rl.sqlite3")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hit_many, args=(path, 50, 40, out)) for _ in range(4)]
    for p in procs:
        p.start()
    allowed = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    if int(time.time()) % 60 >= 58:  # the window may have turned during the test
        pytest.skip("ran across a minute boundary")
    assert sum(allowed) == 50  # 160 hits from 4 processes, exactly the limit let through


def test_store_outage_logged_once_and_counted(caplog) -> None:
    from prometheus_client import REGISTRY

    from models.cache import RedisCache

    def errors(component: str) -> float:
        return REGISTRY.get_sample_value("summarizer_shared_store_errors_total", {"component": component}) or 0.0

    before_rl, before_cache = errors("ratelimit"), errors("cache")
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", 1)
    cache = RedisCache("redis://127.0.0.1:1/0")
    with caplog.at_level("WARNING"):
        assert [limiter.hit("x") for _ in range(3)] == [None] * 3  # fails open
        assert cache.get("k") is None
        cache.set("k", "v")
    assert errors("ratelimit") - before_rl == 3 and errors("cache") - before_cache == 2
    lines = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(lines) == 2, lines  # one per store, not one per call
    assert any("rate limits" in m for m in lines) and any("result cache" in m for m in lines)


def test_store_recovery_is_logged(caplog) -> None:
    from models.cache import StoreHealth

    health = StoreHealth("cache", what="the Redis result cache")
    with caplog.at_level("WARNING"):
        health.failed(ConnectionError("down"))
        health.failed(ConnectionError("down"))
        health.ok()
        health.ok()
        health.failed(ConnectionError("down again"))
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unavailable" in m for m in messages) == 2  # two outages
    assert sum("answers again after 2 failed call(s)" in m for m in messages) == 1


# --- errors in words (item 5) ---------------------------------------------------------------------


def test_metrics_has_one_charset(client) -> None:
    resp = client.get("/metrics")
    assert resp.headers["Content-Type"].count("charset") == 1


def test_readyz_does_not_show_the_load_error(settings: Settings, caplog) -> None:
    from service.runtime import EngineHolder

    def broken() -> Engine:
        raise RuntimeError("/secret/path/model.bin: checksum mismatch")

    holder = EngineHolder(broken)
    with caplog.at_level("ERROR"), pytest.raises(RuntimeError):
        holder.load()
    assert holder.state == "failed" and "/secret" not in (holder.public_error or "")
    assert "see the server log" in (holder.public_error or "")
    record = next(r for r in caplog.records if r.getMessage() == "engine failed to load")
    assert record.worker_pid > 0 and "checksum mismatch" in (record.exc_text or "")


def test_bad_log_level_is_named() -> None:
    from service.config import SettingsError

    with pytest.raises(SettingsError, match="SUMMARIZER_LOG_LEVEL='LOUD'"):
        Settings.from_env({"SUMMARIZER_LOG_LEVEL": "LOUD"})
    assert Settings.from_env({"SUMMARIZER_LOG_LEVEL": "debug"}).log_level == "DEBUG"


CLI_MISTAKES = [
    ("summarize a missing file", ["summarize", "/nonexistent/a.txt"], None, {},
     "error: /nonexistent/a.txt: no such file"),
    ("summarize a folder", ["summarize", "/"], None, {}, "error: /: is a folder, not a file"),
    ("summarize empty stdin", ["summarize", "-"], b"  \n", {}, "error: standard input is empty"),
    ("summarize non-UTF-8 stdin", ["summarize", "-"], b"\xff\xfe abc", {}, "error: standard input: not UTF-8 text"),
    ("batch a missing input", ["batch", "/nonexistent/in.jsonl", "/tmp/out.jsonl"], None, {},
     "error: /nonexistent/in.jsonl: no such file"),
    ("batch zero workers", ["batch", "README.md", "/tmp/out.jsonl", "--workers", "0"], None, {},
     "error: --workers must be at least 1"),
    ("bad flag value", ["summarize", "-", "--max-bullets", "99"], b"x", {}, "invalid choice: 99"),
    ("bad log level", ["serve"], None, {"SUMMARIZER_LOG_LEVEL": "LOUD"}, "error: SUMMARIZER_LOG_LEVEL='LOUD'"),
]


@pytest.mark.parametrize(("name", "argv", "stdin", "env", "expected"), CLI_MISTAKES, ids=[c[0] for c in CLI_MISTAKES])
def test_cli_user_mistakes_in_words(name: str, argv: list[str], stdin: bytes | None, env: dict, expected: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "service", *argv], cwd=root, input=stdin or b"",
                          env={**os.environ, "PYTHONPATH": str(root), **env}, capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert expected in err and "Traceback" not in err
