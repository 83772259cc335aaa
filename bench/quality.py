"""Summary quality on a JSONL data set, scored by the project's scorer beside Lead-3.

    python -m bench.quality --data ../shared/eval/dev.jsonl

Runs the real pipeline through the batch path (``models.batch.run_batch``), writes the
predictions, then runs ``score.py`` (found beside the data, or ``--scorer``) on them and checks
the targets: en R1 >= Lead-3 + 1.0 and R2 >= Lead-3; ko R1 (word tokens) >= Lead-3 + 9.0.
The data is read from where it lies and never copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

TARGETS = {"en": {"rouge1": 1.0, "rouge2": 0.0}, "ko": {"rouge1": 9.0}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="JSONL with id, lang, text, reference")
    ap.add_argument("--scorer", help="score.py (default: beside --data)")
    ap.add_argument("--out", default="artifacts/quality", help="folder for predictions and scores")
    ap.add_argument("--max-bullets", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    from models import Engine
    from models.batch import run_batch

    data = Path(args.data)
    scorer = Path(args.scorer) if args.scorer else data.parent / "score.py"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pred = out / f"{data.stem}.pred.jsonl"
    pred.unlink(missing_ok=True)  # a quality run always scores the current code
    engine = Engine()
    engine.warm_up()
    report = run_batch(engine, data, pred, max_bullets=args.max_bullets, workers=args.workers)
    if report.failed:
        print(f"{len(report.failed)} rows failed: {report.failed[:3]}", file=sys.stderr)
    table = subprocess.run([sys.executable, str(scorer), "--data", str(data), "--pred", str(pred)],
                           capture_output=True, text=True, check=True).stdout
    scores = json.loads(subprocess.run(
        [sys.executable, str(scorer), "--data", str(data), "--pred", str(pred), "--json"],
        capture_output=True, text=True, check=True).stdout)
    (out / f"{data.stem}.scores.json").write_text(json.dumps(scores, indent=1), encoding="utf-8")
    print(table)
    ok = True
    print("targets:")
    for lang, targets in TARGETS.items():
        if lang not in scores:
            continue
        for metric, margin in targets.items():
            delta = scores[lang]["main"]["delta"][metric]
            met = delta >= margin
            ok &= met
            print(f"  {lang} {metric}: system - lead3 = {delta:+.2f} (target >= {margin:+.1f}) "
                  f"{'met' if met else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
