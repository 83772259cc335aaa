"""Request ids, JSON logs, /metrics (token, and summed across two real gunicorn workers)."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

import requests

from models import Engine
from service import Settings, create_app
from tests.test_server import start_server, stop_server


def test_every_response_carries_a_request_id(client, settings: Settings) -> None:
    responses = [
        client.post("/v1/summarize", json={"text": "The plan starts next year."}),
        client.get("/nowhere"), client.get("/v1/summarize"),
        client.post("/v1/summarize", data="x" * (settings.max_body_bytes + 1), content_type="application/json"),
        client.post("/v1/summarize", data="{}", content_type="text/plain"),
        client.get("/metrics"), client.get("/docs/"), client.get("/healthz"), client.get("/openapi.json"),
    ]
    for resp in responses:
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-ID"]), resp.status_code


def test_logs_are_json_lines_without_the_article(client, caplog) -> None:
    from pythonjsonlogger.json import JsonFormatter

    secret = "The zebra council approved a secret plan on Monday."
    with caplog.at_level("INFO"):
        client.post("/v1/summarize", json={"text": secret}, headers={"X-Request-ID": "log-check-1"})
    formatter = next(h.formatter for h in logging.getLogger().handlers if getattr(h, "_summarizer", False))
    assert isinstance(formatter, JsonFormatter)
    lines = [formatter.format(r) for r in caplog.records]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in parsed if r["logger"] == "service.access" and r.get("request_id") == "log-check-1"]
    assert len(access) == 1
    rec = access[0]
    assert rec["route"] == "/v1/summarize" and rec["status"] == 200 and rec["duration_ms"] > 0
    assert rec["source_lang"] == "en" and rec["method"] == "extractive"
    assert not any("zebra" in line for line in lines)


def test_metrics_token(settings: Settings, engine: Engine) -> None:
    client = create_app(replace(settings, metrics_token="s3cret"), engine=engine).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and b"summarizer_http_requests_total" in ok.data
    for name in (b"summarizer_batch_size", b"summarizer_inference_duration_seconds", b"summarizer_cache_requests_total",
                 b"summarizer_stage_duration_seconds", b"summarizer_http_requests_in_flight"):
        assert b"# HELP " + name in ok.data


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_summed_across_two_gunicorn_workers() -> None:
    proc, base = start_server({"SUMMARIZER_CACHE_SIZE": "4"}, workers=2)
    try:
        s = requests.Session()
        text = "The council approved the plan on Monday. Work starts in May. Critics called it rushed."
        for _ in range(20):  # new connections spread over both workers
            assert requests.post(f"{base}/v1/summarize", json={"text": text}, timeout=30).status_code == 200
        assert s.post(f"{base}/v1/summarize", json={"text": ""}, timeout=10).status_code == 422
        metrics = ""
        pids = set()
        for _ in range(10):
            r = requests.get(f"{base}/metrics", timeout=10)
            metrics = r.text
            pids.add(r.headers.get("X-Request-ID"))
        assert _value(metrics, "summarizer_http_requests_total", route="/v1/summarize", status="200") == 20
        assert _value(metrics, "summarizer_http_requests_total", route="/v1/summarize", status="422") == 1
        assert _value(metrics, "summarizer_http_request_duration_seconds_count", route="/v1/summarize") == 21
        assert _value(metrics, "summarizer_stage_duration_seconds_count", stage="split") >= 1
        assert _value(metrics, "summarizer_cache_requests_total", result="hit") >= 1
        assert _value(metrics, "summarizer_cache_requests_total", result="miss") >= 1
        assert "summarizer_http_requests_in_flight" in metrics
        # (batch size and inference series appear once a seq2seq model has run: none is configured here)
    finally:
        stop_server(proc)
