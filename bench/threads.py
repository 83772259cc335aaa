"""Why threads per worker = CPUs // workers: two workers side by side, 1 vs 2 torch threads each.

    python -m bench.threads [--workdir artifacts/speed/work] [--workers 2]

Starts ``--workers`` processes at once on the opus-mt-ko-en-size random-weight model that
``bench.speed`` builds (reused from its work folder), each timing greedy ``generate()`` of 32 new
tokens on a ~400-token Korean input, first with ``CPUs // workers`` threads each, then with
``CPUs`` threads each (what every worker gets when each one sizes itself to the whole machine).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench.load import cores
from bench.speed import FULL_SIZES, ROOT, ensure_model

CHILD = r"""
import sys, time, torch
torch.set_num_threads(int(sys.argv[2]))
torch.set_num_interop_threads(1)
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModelForSeq2SeqLM.from_pretrained(sys.argv[1]).eval()
enc = tok(["정부는 오늘 새 정책을 발표했다. " * 20], return_tensors="pt")
with torch.inference_mode():
    model.generate(**enc, num_beams=1, min_new_tokens=4, max_new_tokens=4)
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for _ in range(4):
        model.generate(**enc, num_beams=1, min_new_tokens=32, max_new_tokens=32)
    print((time.perf_counter() - t0) / 4, flush=True)
"""


def side_by_side(model: Path, workers: int, threads: int) -> float:
    """Mean seconds per request over ``workers`` processes started together."""
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(model), str(threads)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(workers)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            raise RuntimeError("a worker failed to load the model")
    for p in procs:  # all start timing together
        p.stdin.write("go\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
    seconds = [float(p.stdout.readline()) for p in procs]  # type: ignore[union-attr]
    for p in procs:
        p.wait()
    return sum(seconds) / len(seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default=str(ROOT / "artifacts" / "speed" / "work"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    model = ensure_model(Path(args.workdir), FULL_SIZES["marian"])
    n = cores()
    shared = max(1, n // args.workers)
    fair = side_by_side(model, args.workers, shared)
    over = side_by_side(model, args.workers, n)
    print(f"{args.workers} workers on {n} CPUs, opus-mt-ko-en size, ~400 tokens in, 32 out:")
    print(f"  {shared} thread(s) each (CPUs // workers): {fair * 1000:.0f} ms per request")
    print(f"  {n} thread(s) each (oversubscribed):     {over * 1000:.0f} ms per request ({over / fair:.1f}x slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
