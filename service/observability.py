"""Prometheus metrics, /metrics, /openapi.json and the offline /docs page.

Several gunicorn workers share one /metrics through prometheus-client's multiprocess mode: the
serve command points PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start, and
gunicorn's ``child_exit`` hook marks dead workers (service/gunicorn_conf.py).
"""
from __future__ import annotations

import hmac
import os
import time
from collections.abc import Mapping

from flask import Flask, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .config import Settings
from .errors import error_response
from .openapi import openapi_document

REQUESTS = Counter("summarizer_http_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram(
    "summarizer_http_request_duration_seconds", "HTTP request latency", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
STAGE_LATENCY = Histogram(
    "summarizer_stage_duration_seconds",
    "Pipeline stage latency (detect, split, summarize, shape, translate, cache)",
    ["route", "stage"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_FLIGHT = Gauge("summarizer_http_requests_in_flight", "Requests being handled", multiprocess_mode="livesum")
# answered by the server's gate (service/server.py) in Flask's place: 408 (body too slow), 503 (overloaded),
# 504 (never reached a thread in time); these never reach the app's own counters above
GATE_ANSWERS = Counter("summarizer_gate_answers_total", "Answers the server gave before or instead of the app",
                       ["status"])


def observe_stages(route: str, timings_ms: Mapping[str, float]) -> None:
    """Record one request's per-stage timings (a domain result's ``timings_ms``) under ``route``."""
    for stage, ms in timings_ms.items():
        STAGE_LATENCY.labels(route=route, stage=stage).observe(ms / 1000)


def _registry() -> CollectorRegistry | None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return None  # the process's default registry


def init_app(app: Flask, settings: Settings) -> None:
    """Attach request metrics, /metrics, /openapi.json and /docs to ``app``."""
    from flask_swagger_ui import get_swaggerui_blueprint

    @app.before_request
    def _start() -> None:
        IN_FLIGHT.inc()
        g.in_flight = True

    @app.after_request
    def _record(resp: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(route=route, method=request.method, status=str(resp.status_code)).inc()
        # from the app's first before_request (g.started), so requests refused by the key check count too
        LATENCY.labels(route=route).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return resp

    @app.teardown_request
    def _done(_exc: BaseException | None) -> None:
        if g.pop("in_flight", False):
            IN_FLIGHT.dec()

    @app.get("/metrics")
    def metrics() -> Response:
        if settings.metrics_token:
            auth = request.headers.get("Authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else ""
            if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
                resp = error_response(401, "unauthorized", "send Authorization: Bearer <metrics token>")
                resp.headers["WWW-Authenticate"] = "Bearer"
                return resp
        registry = _registry()
        body = generate_latest(registry) if registry is not None else generate_latest()
        return Response(body, content_type=CONTENT_TYPE_LATEST)  # it names its charset once

    @app.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document())

    # Swagger UI 5 (OpenAPI 3.1) from the flask-swagger-ui package's own files: nothing from a CDN, and
    # validatorUrl None so the page never sends the document's address to validator.swagger.io
    app.register_blueprint(get_swaggerui_blueprint(
        "/docs", "/openapi.json", config={"app_name": "Bullets API", "validatorUrl": None}))
