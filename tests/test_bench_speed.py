"""bench.speed --quick runs end to end and reports every runtime row (numbers checked, timings not)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

IN_PROCESS = {("baseline", 1), ("baseline-end", 1), ("ctranslate2-int8", 1), ("ctranslate2-int8", 8),
              ("torch-qint8", 1), ("torch-qint8", 8)}
HTTP = {(f"http-{backend}", clients) for backend in ("ctranslate2", "transformers") for clients in (1, 4, 8, 16)}
POSITIVE = ("requests", "tokens", "seconds", "tokens_per_s", "requests_per_s", "x_throughput", "p50_ms", "p95_ms",
            "x_p50", "peak_rss_mb", "x_rss")


def test_quick_speed_report_has_every_row(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.speed", "--quick", "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads((tmp_path / "speed.json").read_text(encoding="utf-8"))
    rows = report["rows"]
    assert {(r["runtime"], r["batch"]) for r in rows if r["mode"] == "in-process"} == IN_PROCESS
    assert {(r["runtime"], r["clients"]) for r in rows if r["mode"] == "http"} == HTTP
    assert len(rows) == len(IN_PROCESS) + len(HTTP)
    for row in rows:
        assert row["model"] == "marian"
        for key in POSITIVE:
            assert row[key] > 0, (row["runtime"], row["batch"], row["clients"], key)
        assert row["p95_ms"] >= row["p50_ms"]
        if row["mode"] == "in-process":  # every runtime decoded exactly the forced number of tokens
            assert row["tokens_exact"], row
    # every derived figure recomputed here from the row's own measurements: rates from counts and
    # seconds, ratios against the mean of the first and last baseline (RSS: the larger of the two)
    first, last = (next(r for r in rows if r["runtime"] == name) for name in ("baseline", "baseline-end"))
    base_tps = (first["tokens_per_s"] + last["tokens_per_s"]) / 2
    base_p50 = (first["p50_ms"] + last["p50_ms"]) / 2
    base_rss = max(first["peak_rss_mb"], last["peak_rss_mb"])
    for row in rows:
        name = (row["runtime"], row["batch"], row["clients"])
        # seconds are reported to the microsecond (to the millisecond, a --quick row of 13 ms
        # was 2.5 % off): 2 %
        assert row["tokens_per_s"] == pytest.approx(row["tokens"] / row["seconds"], rel=0.02), name
        assert row["requests_per_s"] == pytest.approx(row["requests"] / row["seconds"], rel=0.02), name
        assert row["x_throughput"] == pytest.approx(row["tokens_per_s"] / base_tps, rel=1e-9), name
        assert row["x_p50"] == pytest.approx(row["p50_ms"] / base_p50, rel=1e-9), name
        assert row["x_rss"] == pytest.approx(row["peak_rss_mb"] / base_rss, rel=1e-9), name
    assert first["baseline_drift"] == round(last["tokens_per_s"] / first["tokens_per_s"], 3)
    for target in report["targets"]:  # each verdict agrees with its (rounded) figure and its goal
        op, threshold = target["goal"].split()
        if abs(target["value"] - float(threshold)) > 0.01:
            expected = target["value"] >= float(threshold) if op == ">=" else target["value"] <= float(threshold)
            assert target["met"] == expected, target
    extractive = report["extractive"]
    for key in ("requests", "articles_per_s", "p50_ms", "p95_ms", "peak_rss_mb"):
        assert extractive[key] > 0, key
    assert {t["runtime"] for t in report["targets"]} == {"http-ctranslate2", "http-transformers", "http"}
    assert "| marian | baseline |" in proc.stdout  # the table was printed
