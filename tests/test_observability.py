"""Request ids on every response, JSON logs without article text, metrics recording and the token."""
from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from prometheus_client import REGISTRY

from models import Engine
from service import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent


def test_every_response_carries_a_request_id(client, settings: Settings) -> None:
    responses = {
        "200": client.post("/v1/summarize", json={"text": "The plan starts next year."}),
        "404": client.get("/nowhere"),
        "405": client.get("/v1/summarize"),
        "413": client.post("/v1/summarize", data="x" * (settings.max_body_bytes + 1),
                           content_type="application/json"),
        "415": client.post("/v1/summarize", data="{}", content_type="text/plain"),
        "422": client.post("/v1/summarize", json={"text": ""}),
        "metrics": client.get("/metrics"),
        "docs redirect": client.get("/docs"),
        "docs": client.get("/docs/"),
        "docs asset": client.get("/docs/swagger-ui.css"),
        "healthz": client.get("/healthz"),
        "openapi": client.get("/openapi.json"),
    }
    for name, resp in responses.items():
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers.get("X-Request-ID", "")), name
        if resp.status_code >= 400:  # the error body names the same id
            assert resp.get_json()["request_id"] == resp.headers["X-Request-ID"], name


def test_a_sent_request_id_is_kept_and_a_bad_one_replaced(client) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123:x"}).headers["X-Request-ID"] == "abc-123:x"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 200}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_logs_are_json_lines_without_the_article(client, caplog) -> None:
    from pythonjsonlogger.json import JsonFormatter

    secret = "The zebra council approved a secret plan on Monday."
    with caplog.at_level("INFO"):
        client.post("/v1/summarize", json={"text": secret}, headers={"X-Request-ID": "log-check-1"})
        client.post("/v1/summarize", json={"text": secret, "max_bullets": 0}, headers={"X-Request-ID": "log-check-2"})
    formatter = next(h.formatter for h in logging.getLogger().handlers if getattr(h, "_summarizer", False))
    assert isinstance(formatter, JsonFormatter)
    lines = [formatter.format(r) for r in caplog.records]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all("\n" not in line for line in lines)
    access = {r["request_id"]: r for r in parsed if r["logger"] == "service.access"}
    rec = access["log-check-1"]
    assert rec["route"] == "/v1/summarize" and rec["status"] == 200 and rec["duration_ms"] > 0
    assert rec["source_lang"] == "en" and rec["method"] == "extractive" and rec["chars"] == len(secret)
    assert access["log-check-2"]["status"] == 422
    assert not any("zebra" in line for line in lines)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_and_stages_are_recorded(client) -> None:
    before = {
        "ok": _sample("summarizer_http_requests_total", route="/v1/summarize", method="POST", status="200"),
        "missing": _sample("summarizer_http_requests_total", route="unmatched", method="GET", status="404"),
        "split": _sample("summarizer_stage_duration_seconds_count", route="/v1/summarize", stage="split"),
        "latency": _sample("summarizer_http_request_duration_seconds_count", route="/v1/summarize"),
    }
    assert client.post("/v1/summarize", json={"text": "The plan starts next year. Critics object."}).status_code == 200
    assert client.get("/no/such/page").status_code == 404
    assert _sample("summarizer_http_requests_total", route="/v1/summarize", method="POST", status="200") \
        == before["ok"] + 1
    assert _sample("summarizer_http_requests_total", route="unmatched", method="GET", status="404") \
        == before["missing"] + 1  # unknown paths share one label: no unbounded label values
    assert _sample("summarizer_stage_duration_seconds_count", route="/v1/summarize", stage="split") \
        == before["split"] + 1
    assert _sample("summarizer_http_request_duration_seconds_count", route="/v1/summarize") == before["latency"] + 1
    assert _sample("summarizer_http_requests_in_flight") == 0  # back to zero once answered


def test_model_metrics_helpers() -> None:
    from models import metrics

    before = _sample("summarizer_inference_duration_seconds_count", model="m", backend="transformers")
    metrics.observe_inference("m", 0.2)
    metrics.observe_batch("m", 3)
    metrics.observe_cache(True)
    assert _sample("summarizer_inference_duration_seconds_count", model="m", backend="transformers") == before + 1
    assert _sample("summarizer_batch_size_count", model="m") >= 1
    assert _sample("summarizer_cache_requests_total", result="hit") >= 1


def test_model_code_never_imports_flask() -> None:
    code = ("import sys, models, models.metrics, models.inference.seq2seq, models.cache, models.inference.batching; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'service')); "
            "print(', '.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, check=True,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "", out.stdout


def test_metrics_token(settings: Settings, engine: Engine) -> None:
    client = create_app(replace(settings, metrics_token="s3cret"), engine=engine).test_client()
    wrong = ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, {"Authorization": "Basic s3cret"})
    for headers in wrong:
        denied = client.get("/metrics", headers=headers)
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Bearer"
        body = denied.get_json()
        assert body["error"]["code"] == "unauthorized" and body["request_id"] == denied.headers["X-Request-ID"]
        assert b"summarizer_" not in denied.data
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.mimetype == "text/plain"
    for name in ("summarizer_http_requests_total", "summarizer_http_request_duration_seconds",
                 "summarizer_stage_duration_seconds", "summarizer_inference_duration_seconds",
                 "summarizer_batch_size", "summarizer_cache_requests_total", "summarizer_http_requests_in_flight"):
        assert f"# HELP {name} ".encode() in ok.data, name
    # no token configured: open
    assert create_app(settings, engine=engine).test_client().get("/metrics").status_code == 200
