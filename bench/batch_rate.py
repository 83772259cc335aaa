"""Rows per second of the batch job: the single-process job and the Ray Data job on the same rows.

    python -m bench.batch_rate --eval ../shared/eval [--actors N] [--batch-size 32] [--out FILE]

The rows are every distinct article of the dev sets in ``--eval`` (dev.jsonl, dev_cnndm.jsonl,
dev_bbc.jsonl, dev_ko_news.jsonl, and both sides of articles_ko_en_dev.jsonl: about 1,100 Korean
and English news articles), extractive bullets (no model configured), with the production engine
builder (service.runtime.build_engine) and its result cache off, so no article is answered twice.

Rows:
  single, 1 thread    models.jobs.run_batch, the engine built beforehand: rows / wall time
  single, N threads   the same with --workers N (N = the cores)
  ray                 models.jobs_ray.run_ray_batch on a local Ray with N CPUs and N actors (1 CPU
                      each): rows / wall time of the whole run (start-up included: scanning IN,
                      starting the actors, building their engines), and the steady rate, from the
                      first part file written to the last, which is what an archive of millions runs at
  per core            the steady rate / actors: what one CPU of a cluster node adds

Prints a table and, with --out, writes the figures as JSON. The node-hours for an archive follow
from the per-core rate (docs/archives.md).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

EVAL_FILES = ("dev.jsonl", "dev_cnndm.jsonl", "dev_bbc.jsonl", "dev_ko_news.jsonl")
PAIRS_FILE = "articles_ko_en_dev.jsonl"


def articles(eval_dir: Path) -> list[dict]:
    """Distinct articles of the dev sets as batch rows ``{"id", "text", "lang", "title"?}``."""
    rows: list[dict] = []
    seen: set[str] = set()

    def add(rid: str, text: str, lang: str, title: str | None = None) -> None:
        if text and text not in seen:
            seen.add(text)
            rows.append({"id": rid, "text": text, "lang": lang, **({"title": title} if title else {})})

    for name in EVAL_FILES:
        for line in (eval_dir / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            add(r["id"], r["text"], r["lang"], r.get("title"))
    for line in (eval_dir / PAIRS_FILE).read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        for lang in ("ko", "en"):
            add(f"{r['id']}-{lang}", r[lang], lang)
    return rows


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def steady_rate(out: Path) -> tuple[float, float]:
    """Rows per second between the first part file and the last (their rows after the first part),
    and the seconds from ``start`` to the first part, read from the parts' modification times."""
    parts = sorted((p.stat().st_mtime, sum(1 for _ in p.open("rb"))) for p in out.glob("part-*.jsonl"))
    (first, _), (last, _) = parts[0], parts[-1]
    return sum(n for _, n in parts[1:]) / (last - first), first


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", required=True, help="folder with the dev sets")
    ap.add_argument("--actors", type=int, help="Ray actors (default: the cores)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", help="write the figures here as JSON")
    args = ap.parse_args(argv)

    import ray

    from bench.speed import cores
    from models.jobs import run_batch
    from models.jobs_ray import run_ray_batch
    from service.config import Settings
    from service.runtime import build_engine

    n = cores()
    actors = args.actors or n
    rows = articles(Path(args.eval))
    work = Path(tempfile.mkdtemp(prefix="batch-rate-"))
    src = work / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    settings = Settings(cache_size=0, torch_threads=1)
    figures: dict = {"rows": len(rows), "ko": sum(r["lang"] == "ko" for r in rows),
                     "chars_per_row": round(sum(len(r["text"]) for r in rows) / len(rows)),
                     "cores": n, "actors": actors, "batch_size": args.batch_size,
                     "cpu": cpu_model(), "load_before": os.getloadavg()[0]}

    engine = build_engine(settings)
    engine.pipeline.splitter.warm_up()
    for threads in (1, n):
        out = work / f"single-{threads}.jsonl"
        t0 = time.perf_counter()
        report = run_batch(engine, src, out, workers=threads, progress=False)
        seconds = time.perf_counter() - t0
        assert report.done == len(rows), report.failed[:3]
        figures[f"single_{threads}_thread_rows_per_s"] = round(len(rows) / seconds, 1)

    import functools

    ray.init(num_cpus=n, include_dashboard=False, logging_level="warning")
    out = work / "ray"
    start = time.time()
    report = run_ray_batch(functools.partial(build_engine, settings), str(src), str(out), actors=actors,
                           batch_size=args.batch_size, progress=False)
    seconds = time.time() - start
    assert report.done == len(rows), report.failed[:3]
    rate, first = steady_rate(out)
    figures.update({"ray_rows_per_s": round(len(rows) / seconds, 1), "ray_startup_s": round(first - start, 1),
                    "ray_steady_rows_per_s": round(rate, 1), "per_core_rows_per_s": round(rate / actors, 1),
                    "load_after": os.getloadavg()[0]})
    single = {json.loads(line)["id"]: json.loads(line) for line in (work / "single-1.jsonl").open(encoding="utf-8")}
    ray_rows = [json.loads(line) for p in out.glob("part-*.jsonl") for line in p.open(encoding="utf-8")]
    figures["ray_rows_identical"] = len(ray_rows) == len(single) and all(r == single[r["id"]] for r in ray_rows)
    ray.shutdown()
    shutil.rmtree(work)

    print(f"{figures['rows']} articles ({figures['ko']} Korean, {figures['chars_per_row']} characters on "
          f"average), {n} cores, load average {figures['load_before']:.1f} before")
    print(f"  single, 1 thread    {figures['single_1_thread_rows_per_s']:8.1f} rows/s")
    print(f"  single, {n} threads   {figures[f'single_{n}_thread_rows_per_s']:8.1f} rows/s")
    print(f"  ray, {actors} actors       {figures['ray_rows_per_s']:8.1f} rows/s over the whole run "
          f"({figures['ray_startup_s']} s to the first part)")
    print(f"  ray, steady         {figures['ray_steady_rows_per_s']:8.1f} rows/s")
    print(f"  per core (ray)      {figures['per_core_rows_per_s']:8.1f} rows/s")
    print(f"  ray rows identical to the single-process job's: {figures['ray_rows_identical']}")
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
