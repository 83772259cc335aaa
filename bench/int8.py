"""Which int8 runtime is faster on this CPU, and how often a text's output changes with its batch-mates.

    python -m bench.int8 [--rounds 3] [--workdir DIR] [--out artifacts/speed/int8.json]
    python -m bench.int8 --quick          # tiny model, one round (the test suite's smoke test)

The evidence behind ``SUMMARIZER_BACKEND=auto``'s choice (``models/inference/registry.py``,
``AUTO_CT2_REASON``). On the Marian shape of ``bench.speed`` (opus-mt-ko-en: d_model 512, 6+6 layers,
vocabulary 65,001; random weights, one Korean sentence of ~400 tokens in, exactly 64 tokens out) it
times, at batch 8, in a fresh process each and in alternating rounds (a shared machine drifts):

- ``ctranslate2-int8``: the service's CTranslate2 model as it runs by default (Intel MKL on Intel
  CPUs, oneDNN elsewhere: CTranslate2's own choice);
- ``ctranslate2-int8-mkl``: the same with ``CT2_USE_MKL=1`` (MKL forced on a non-Intel CPU), only
  where the CPU is not Intel's;
- ``torch-qint8``: transformers with torch dynamic int8 (``SUMMARIZER_BACKEND=transformers-int8``),
  as a script runs it: ``generate()`` on the main thread;
- ``torch-qint8-service``: the service's torch int8 model class, called from another thread (the
  batcher's) and run on the process's one torch thread (``models/inference/torch_thread.py``);
- ``torch-qint8-service-split``: the same with ``generate()`` run on the calling thread while the
  model was loaded on another, so two threads start OpenMP work (the service before
  ``torch_thread``); the voluntary context switches per batch show libgomp's throttled waiting.

Then, for the service's two int8 backends and fp32, how many of the 8 texts (cut to eight lengths)
get another output translated in one batch than alone: the server batches concurrent requests, so
this is how often a request's output depends on its batch-mates. torch's dynamic int8 scales a
layer's activations by one number per batch, which makes it the likeliest to differ; padding and
GEMM shapes move the others a little too, and random weights (flat, near-tied logits) exaggerate it.
Prints a table with the CPU vendor and flags, and writes the JSON report.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.speed import (
    BATCH,
    FULL_PLANS,
    FULL_SIZES,
    QUICK_PLAN,
    QUICK_SIZES,
    convert_ct2,
    cpu_info,
    ensure_model,
    make_inputs,
    run_worker,
    worker_cfg,
)

RUNTIMES = {"ctranslate2-int8": ("ctranslate2-int8", {}),
            "ctranslate2-int8-mkl": ("ctranslate2-int8", {"CT2_USE_MKL": "1"}),
            "torch-qint8": ("torch-qint8", {}),
            "torch-qint8-service": ("torch-qint8-service", {}),
            "torch-qint8-service-split": ("torch-qint8-service-split", {})}


def time_b8(runtime: str, env_extra: dict[str, str], ctx: dict[str, Any]) -> tuple[float, float]:
    """Tokens per second of ``runtime`` at batch 8 in a fresh process (bench.speed's worker), and its
    voluntary context switches per batch."""
    calls = ctx["plan"].b8_calls
    res = run_worker(worker_cfg(runtime, [(BATCH, calls)], ctx), env_extra)[0]
    return res["tokens"] / res["seconds"], res["voluntary_switches"] / calls


def batch_invariance(path: Path, models_dir: Path, texts: list[str], out_tokens: int, threads: int,
                     ) -> dict[str, int]:
    """Per backend, how many of ``texts``, cut to eight different lengths, get another output in one
    batch than alone (0: invariant), decoded as the service translates (4 beams), up to ``out_tokens``
    new tokens."""
    from models.inference.registry import load_model, spec_for
    from models.inference.seq2seq import GenerationSettings

    settings = GenerationSettings(num_beams=4, max_new_tokens=out_tokens, no_repeat_ngram_size=0,
                                  batch_size=len(texts))
    # of different lengths, as a server's concurrent requests are: the batch is padded to the longest
    texts = [t[: max(1, len(t) * (i + 1) // len(texts))] for i, t in enumerate(texts)]
    out = {}
    for backend in ("transformers", "ctranslate2", "transformers-int8"):
        model = load_model(path, spec_for(str(path), ("translate", "ko-en"), path), backend, str(models_dir),
                           threads=threads)
        batched = model.generate(texts, settings)
        alone = [model.generate([t], settings)[0] for t in texts]
        out[backend] = sum(a != b for a, b in zip(batched, alone, strict=True))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tiny model, one round")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the three timings (default 3)")
    ap.add_argument("--workdir", help="where the model is built and converted (default: a temporary folder)")
    ap.add_argument("--out", default="artifacts/speed/int8.json")
    args = ap.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    size, plan = (QUICK_SIZES, QUICK_PLAN) if args.quick else (FULL_SIZES, FULL_PLANS["marian"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        path = ensure_model(work, size["marian"])
        models_dir = work / "models_dir"
        convert_ct2(path, models_dir)
        from transformers import AutoTokenizer

        texts = make_inputs(AutoTokenizer.from_pretrained(path), plan.in_tokens, BATCH)
        ctx = {"path": path, "models_dir": models_dir, "texts": texts, "plan": plan,
               "threads": min(2, os.cpu_count() or 1), "pair": "ko-en"}
        info = cpu_info()
        names = [n for n in RUNTIMES if n != "ctranslate2-int8-mkl" or info["vendor"] != "GenuineIntel"]
        speeds: dict[str, list[float]] = {n: [] for n in names}
        switches: dict[str, list[float]] = {n: [] for n in names}
        for r in range(rounds):
            for name in names:
                runtime, env_extra = RUNTIMES[name]
                speed, switched = time_b8(runtime, env_extra, ctx)
                speeds[name].append(speed)
                switches[name].append(switched)
                print(f"round {r + 1}: {name} {speeds[name][-1]:.1f} tokens/s", file=sys.stderr, flush=True)
        differ = batch_invariance(path, models_dir, texts, plan.out_tokens, ctx["threads"])
    base = statistics.median(speeds["ctranslate2-int8"])
    print(f"CPU: {info['model']} ({info['vendor']}); flags: {' '.join(info['flags']) or 'none'}")
    print(f"batch {BATCH}, {plan.in_tokens} tokens in, {plan.out_tokens} out, {ctx['threads']} threads, "
          f"{rounds} round(s), median (min..max)")
    print("| runtime | tokens/s | x ctranslate2-int8 | voluntary context switches per batch |\n|---|---|---|---|")
    for name, values in speeds.items():
        print(f"| {name} | {statistics.median(values):.1f} ({min(values):.1f}..{max(values):.1f}) | "
              f"{statistics.median(values) / base:.2f} | {statistics.median(switches[name]):,.0f} |")
    print("outputs that change when the 8 texts share a batch: "
          + ", ".join(f"{b} {n} of {len(texts)}" for b, n in differ.items()))
    report = {"cpu": info, "rounds": rounds, "batch": BATCH, "threads": ctx["threads"], "quick": args.quick,
              "tokens_per_s": speeds, "voluntary_switches_per_batch": switches, "batch_variant_outputs": differ,
              "texts": len(texts)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
