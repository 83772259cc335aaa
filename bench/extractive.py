"""The embedded default (extractive, no model) over HTTP, against its two floors, in one run.

    python -m bench.extractive --data ../shared/eval [--workers 2] [--out artifacts/extractive.json]

Starts the real server (``python -m service serve``: gunicorn, 127.0.0.1, no model configured,
result cache off) and measures, in one run on this machine:

- **HTTP floor**: ``GET /healthz`` at the same concurrency (1 and 8 clients): what the HTTP layer
  alone can do here;
- **kiwipiepy floor**: one ``Kiwi.split_into_sents(text, return_tokens=True)`` per Korean article
  (the single analysis the pipeline needs), single-threaded in this process, times the CPUs the
  clients can keep busy (1 at 1 client); measured before the server starts and after it stops,
  the mean used;
- **articles/s** of ``POST /v1/summarize`` (``{"text": ...}``: language detected, as clients send
  it) at 1 and 8 clients for the English and the Korean rows of ``dev.jsonl`` (the dev articles:
  held-out-size news), with p50/p95 latency, each as a ratio of its floor;
- **PSS** (proportional set size: shared pages split between the processes sharing them, so the
  master's preloaded kiwipiepy counts once) of the gunicorn master plus its workers, after the
  load, with RSS beside it.

Targets (issue 15): English >= 0.5 of the HTTP floor and Korean >= 0.7 of the kiwipiepy floor,
both at 8 clients; server PSS <= 600 MB with 2 workers. Every row also reports the share of the
CPUs that other processes took while it ran: on a shared machine, read the ratios, not the rates.
The data is read where it lies and never copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.load import CpuWatch, closed_loop, cores, percentile, tree_memory

LEVELS = (1, 8)
TARGETS = {"en_http": 0.5, "ko_kiwi": 0.7, "pss_mb": 600.0}


def load(port: int, method: str, path: str, bodies: Sequence[bytes | None], clients: int,
         per_client: int) -> dict[str, Any]:
    """``clients`` threads, each sending ``per_client`` requests back to back on a keep-alive
    connection (:func:`bench.load.closed_loop`), summarized: requests per second, p50/p95 and the CPU
    share of other processes meanwhile."""
    watch = CpuWatch()
    run = closed_loop(f"http://127.0.0.1:{port}", path, bodies, clients, per_client, method=method, timeout=120)
    n, wall, latencies = clients * per_client, run.seconds, run.latencies()
    return {"clients": clients, "requests": n, "seconds": round(wall, 3), "per_s": n / wall,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
            "others_cpu_pct": watch.shares()[0]}


def kiwi_floor(texts: list[str], repeat: int = 3) -> float:
    """Korean articles per second of one kiwipiepy analysis each, one thread (best of ``repeat``)."""
    from kiwipiepy import Kiwi

    kiwi = Kiwi(load_multi_dict=False, num_workers=0)  # as the service builds it (models/text/sentences.py)
    kiwi.split_into_sents(texts[0], return_tokens=True)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for text in texts:
            kiwi.split_into_sents(text, return_tokens=True)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def server_memory(pid: int) -> dict[str, float]:
    """PSS and RSS (MB) of the gunicorn master and all its descendants, and how many there are."""
    mem = tree_memory(pid)
    master = mem.of(pid)
    return {"pss_mb": mem.pss / 2**20, "rss_mb": mem.rss / 2**20, "processes": len(mem.processes),
            "master_pss_mb": master.pss / 2**20 if master else float("nan")}


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="the eval folder (dev.jsonl)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None,
                    help="SUMMARIZER_THREADS per worker (default: the service's own default)")
    ap.add_argument("--requests", type=int, default=240, help="summarize requests per language and level")
    ap.add_argument("--out", default="artifacts/extractive.json")
    args = ap.parse_args(argv)

    from bench.server import EXTRACTIVE_ENV, start_server, stop_server
    from service.config import Settings

    if args.threads is None:
        args.threads = Settings().threads  # what ships: measured against 8, see the README's Speed

    rows = _read(Path(args.data) / "dev.jsonl")
    texts = {lang: [r["text"] for r in rows if r["lang"] == lang] for lang in ("en", "ko")}
    cpus = cores()
    print(f"bench.extractive: {cpus} CPUs, {args.workers} workers x {args.threads} threads; dev.jsonl: "
          + ", ".join(f"{len(t)} {lang} articles (mean {sum(map(len, t)) // len(t)} characters)"
                      for lang, t in texts.items()), flush=True)
    # the kiwipiepy floor is measured before the server starts and again after it stops, and the mean
    # is used: a shared machine's speed drifts over minutes (the HTTP floor is measured beside each level)
    kiwi_first = kiwi_floor(texts["ko"])
    report: dict[str, Any] = {"cpus": cpus, "workers": args.workers, "threads": args.threads, "rows": []}
    env = {**EXTRACTIVE_ENV, "SUMMARIZER_THREADS": str(args.threads), "SUMMARIZER_RATE_LIMIT_PER_MINUTE": "0"}
    proc, base = start_server(env, workers=args.workers)
    port = int(base.rsplit(":", 1)[1])
    try:
        bodies = {lang: [json.dumps({"text": t}).encode() for t in ts] for lang, ts in texts.items()}
        for lang in ("en", "ko"):  # warm-up, not timed: every article once per worker
            load(port, "POST", "/v1/summarize", bodies[lang], args.workers, len(bodies[lang]))
        for clients in LEVELS:
            per_client = max(1, args.requests // clients)
            health = load(port, "GET", "/healthz", [None], clients, max(200, 8 * per_client))
            report["rows"].append({"what": "HTTP floor: GET /healthz", **health})
            for lang in ("en", "ko"):
                row = load(port, "POST", "/v1/summarize", bodies[lang], clients, per_client)
                floor = health["per_s"]  # Korean rows get the kiwipiepy floor once it is measured again
                report["rows"].append({"what": f"summarize {lang}", "floor": floor, "ratio": row["per_s"] / floor,
                                       "floor_name": "HTTP floor" if lang == "en" else
                                       f"kiwipiepy x {min(cpus, clients)} CPU", **row})
        report["memory"] = server_memory(proc.pid)
    finally:
        stop_server(proc)
    kiwi_last = kiwi_floor(texts["ko"])
    kiwi_per_cpu = (kiwi_first + kiwi_last) / 2
    report.update(kiwi_floor_per_cpu=kiwi_per_cpu, kiwi_floor_first_last=[kiwi_first, kiwi_last])
    for row in report["rows"]:
        if row["what"] == "summarize ko":
            n_cpus = min(cpus, row["clients"])
            row["floor"] = kiwi_per_cpu * n_cpus
            row["ratio"] = row["per_s"] / row["floor"]

    by = {(r["what"], r["clients"]): r for r in report["rows"]}
    en8, ko8 = by[("summarize en", 8)], by[("summarize ko", 8)]
    mem = report["memory"]
    report["targets"] = [
        {"target": "English at 8 clients / HTTP floor", "value": round(en8["ratio"], 3),
         "goal": f">= {TARGETS['en_http']}", "met": en8["ratio"] >= TARGETS["en_http"]},
        {"target": "Korean at 8 clients / (kiwipiepy floor x CPUs)", "value": round(ko8["ratio"], 3),
         "goal": f">= {TARGETS['ko_kiwi']}", "met": ko8["ratio"] >= TARGETS["ko_kiwi"]},
        # the memory goal is for the default 2 workers; another count is reported, never marked met
        {"target": f"server PSS, master + {args.workers} workers (MB)", "value": round(mem["pss_mb"]),
         "goal": f"<= {TARGETS['pss_mb']:.0f}" + ("" if args.workers == 2 else " (set for 2 workers: not judged)"),
         "met": mem["pss_mb"] <= TARGETS["pss_mb"] if args.workers == 2 else None},
    ]
    print(f"kiwipiepy floor: {kiwi_per_cpu:.1f} Korean articles/s per CPU (split_into_sents with tokens; "
          f"{kiwi_first:.1f} before the server, {kiwi_last:.1f} after)\n")
    print("| what | clients | requests | articles/s | floor | ratio | p50 ms | p95 ms | others' CPU % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in report["rows"]:
        floor = f"{r['floor']:.0f} ({r['floor_name']})" if "floor" in r else "-"
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "-"
        print(f"| {r['what']} | {r['clients']} | {r['requests']} | {r['per_s']:.1f} | {floor} | {ratio} "
              f"| {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['others_cpu_pct']:.0f} |")
    print(f"\nserver memory after the load: PSS {mem['pss_mb']:.0f} MB (master {mem['master_pss_mb']:.0f} MB), "
          f"RSS {mem['rss_mb']:.0f} MB summed over {mem['processes']} processes")
    print("\ntargets:")
    for t in report["targets"]:
        verdict = "not judged" if t["met"] is None else "met" if t["met"] else "NOT MET"
        print(f"  {t['target']} = {t['value']} (goal {t['goal']}) {verdict}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
