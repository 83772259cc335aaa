"""Tier 3: /metrics of a real gunicorn server with two workers sums them; its stderr is JSON lines."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from prometheus_client.multiprocess import MultiProcessCollector

from bench.server import start_server, stop_server
from tests.conftest import TINY_MODEL_MAX_CHARS

TEXT = "The zebra council approved the plan on Monday. Work starts in May. Critics called it rushed."


def value(text: str, name: str, **labels: str) -> float:
    """The sum of every sample of ``name`` whose labels include ``labels`` (Prometheus text format)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _stale_file(folder: Path) -> None:
    """What a previous run in the same folder (an emptyDir after a container restart) leaves behind."""
    code = ("from prometheus_client import Counter; Counter('summarizer_http_requests', 'HTTP requests', "
            "['route', 'method', 'status']).labels('/v1/summarize', 'POST', '200').inc(1000)")
    subprocess.run([sys.executable, "-c", code], env={"PROMETHEUS_MULTIPROC_DIR": str(folder)}, check=True)
    assert list(folder.glob("counter_*.db"))


def _counts_per_worker(folder: Path, route: str) -> list[float]:
    """``summarizer_http_requests_total{route}`` as each worker's own file (one per pid) holds it."""
    counts = []
    for db in sorted(folder.glob("counter_*.db")):
        own = MultiProcessCollector.merge([str(db)], accumulate=True)
        counts.append(sum(s.value for m in own for s in m.samples
                          if s.name == "summarizer_http_requests_total" and s.labels.get("route") == route))
    return counts


def _until_both_workers_answer(base: str, folder: Path) -> None:
    """With models loaded before a worker accepts, a worker that answers is ready; wait for two."""
    deadline = time.monotonic() + 60
    while sum(c > 0 for c in _counts_per_worker(folder, "/readyz")) < 2:
        assert time.monotonic() < deadline, "the second worker never answered"
        requests.get(f"{base}/readyz", timeout=30)


def test_metrics_summed_across_two_gunicorn_workers(tmp_path: Path, tiny_models: dict[str, Path]) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    _stale_file(folder)
    env = {"SUMMARIZER_CACHE_SIZE": "4", "SUMMARIZER_MODEL_SUMMARIZE_EN": str(tiny_models["bart"]),
           "SUMMARIZER_TORCH_THREADS": "1", "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "SUMMARIZER_LOAD_IN_BACKGROUND": "false",  # a worker accepts only once loaded: no 503 not_ready
           # random weights write token soup that no compression can shorten: see TINY_MODEL_MAX_CHARS
           "SUMMARIZER_MAX_CHARS_EN": str(TINY_MODEL_MAX_CHARS),
           "SUMMARIZER_MODELS_DIR": str(tmp_path / "models")}  # CTranslate2 converts into it
    proc, base = start_server(env, workers=2)
    log = open(proc.log_path, encoding="utf-8")  # type: ignore[attr-defined] - read after the server stops
    try:
        _until_both_workers_answer(base, folder)

        def summarize(i: int) -> int:
            body = {"text": f"{TEXT} Item {i % 3}.", "method": "extractive"}
            # a new connection each: the two workers' accept loops share the requests
            return requests.post(f"{base}/v1/summarize", json=body, headers={"X-Request-ID": f"m-{i}"},
                                 timeout=30).status_code

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(summarize, range(24))) == [200] * 24
        abstractive = requests.post(f"{base}/v1/summarize", json={"text": TEXT, "method": "abstractive"}, timeout=60)
        assert abstractive.status_code == 200 and abstractive.json()["method"] == "abstractive", abstractive.text
        assert requests.post(f"{base}/v1/summarize", json={"text": ""}, timeout=10).status_code == 422
        assert requests.get(f"{base}/nowhere", timeout=10).status_code == 404

        metrics = requests.get(f"{base}/metrics", timeout=10).text
        # every request counted once, whichever worker served it; nothing from the stale file
        assert value(metrics, "summarizer_http_requests_total", route="/v1/summarize", status="200") == 25
        assert value(metrics, "summarizer_http_requests_total", route="/v1/summarize", status="422") == 1
        assert value(metrics, "summarizer_http_requests_total", route="unmatched", status="404") == 1
        assert value(metrics, "summarizer_http_request_duration_seconds_count", route="/v1/summarize") == 26
        assert value(metrics, "summarizer_stage_duration_seconds_count", route="/v1/summarize", stage="split") >= 1
        assert value(metrics, "summarizer_stage_duration_seconds_count", route="/v1/summarize", stage="cache") >= 1
        assert value(metrics, "summarizer_cache_requests_total", result="hit") >= 1
        assert value(metrics, "summarizer_cache_requests_total", result="miss") >= 3
        assert value(metrics, "summarizer_inference_duration_seconds_count", backend="ctranslate2") >= 1  # conftest
        assert value(metrics, "summarizer_batch_size_count") >= 1
        assert value(metrics, "summarizer_http_requests_in_flight") == 1  # this /metrics request, summed over workers

        # the sum really is over both workers: each pid's own file holds part of the count
        per_worker = _counts_per_worker(folder, "/v1/summarize")
        assert len(per_worker) == 2 and sum(per_worker) == 26 and min(per_worker) > 0, per_worker
        print(f"\n/v1/summarize requests per worker: {per_worker}")
    finally:
        stop_server(proc)
    lines = [line for line in log.read().splitlines() if line.strip()]
    log.close()
    records = [json.loads(line) for line in lines]  # every line on stderr/stdout is one JSON object
    assert all(isinstance(r, dict) and r.get("logger") for r in records)
    access = [r for r in records if r["logger"] == "service.access" and str(r.get("request_id")).startswith("m-")]
    assert sorted(r["request_id"] for r in access) == sorted(f"m-{i}" for i in range(24))  # once each
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
    assert not any(r["logger"] == "gunicorn.access" for r in records)
    assert not any("zebra" in line for line in lines)  # never the article text
