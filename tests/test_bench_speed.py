"""bench.speed --quick runs end to end and reports every runtime row (numbers checked, timings not)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    # ratios are against the mean of the first and last baseline
    first, last = (next(r for r in rows if r["runtime"] == name) for name in ("baseline", "baseline-end"))
    assert abs((first["x_throughput"] + last["x_throughput"]) / 2 - 1.0) < 1e-9
    assert abs((first["x_p50"] + last["x_p50"]) / 2 - 1.0) < 1e-9
    assert max(first["x_rss"], last["x_rss"]) == 1.0
    assert first["baseline_drift"] == round(last["tokens_per_s"] / first["tokens_per_s"], 3)
    extractive = report["extractive"]
    for key in ("requests", "articles_per_s", "p50_ms", "p95_ms", "peak_rss_mb"):
        assert extractive[key] > 0, key
    assert {t["runtime"] for t in report["targets"]} == {"http-ctranslate2", "http-transformers", "http"}
    assert "| marian | baseline |" in proc.stdout  # the table was printed
