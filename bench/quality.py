"""Summary quality on the dev sets, scored by the project's scorer beside Lead-3, with targets.

    python -m bench.quality --eval ../shared/eval            # every set, then cross-validation
    python -m bench.quality --eval ../shared/eval --no-cv    # shipped weights only (faster)

For each data set (``dev.jsonl``: CNN/DM English + Korean sci-news; ``dev_cnndm.jsonl``;
``dev_bbc.jsonl``) the real pipeline runs through the batch path (``models.jobs.run_batch``) in
both styles; ``score.py`` (beside the data) scores the sentence-style bullets: ROUGE beside
Lead-3 and, where the references are extractive, ``picked`` beside Lead-3's. The shipped weights'
spread is shown over the same 5 folds the tuning uses, and ``bench.tune``'s cross-validation
(weights chosen on four folds, scored on the fifth) gives the held-out estimate with its spread.
Then every target of issue 12 is checked and marked met or NOT MET. The data is read where it
lies and never copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from bench.tune import FOLDS, Harness, cross_validate, fold_of, load_scorer

FILES = ("dev.jsonl", "dev_cnndm.jsonl", "dev_bbc.jsonl")
ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _preds(path: Path) -> dict[str, list[str]]:
    return {r["id"]: r["bullets"] for r in _rows(path)}


def _folds(rows: list[dict], folds: int = FOLDS) -> list[list[dict]]:
    """``rows`` by cross-validation fold: bench.tune's own assignment (a hash of each id)."""
    return [[r for r in rows if fold_of(r["id"], folds) == f] for f in range(folds)]


def _spread(values: list[float]) -> str:
    return f"{statistics.fmean(values):+.2f} (folds {min(values):+.2f}..{max(values):+.2f})"


def run_set(engine, scorer, data: Path, out: Path, max_bullets: int, workers: int) -> dict:  # noqa: ANN001
    from models.jobs import run_batch

    report: dict = {"file": data.name}
    preds = {}
    for style in ("sentence", "concise"):
        pred = out / f"{data.stem}.{style}.pred.jsonl"
        pred.unlink(missing_ok=True)  # a quality run always scores the current code
        res = run_batch(engine, data, pred, max_bullets=max_bullets, workers=workers, style=style,
                        progress=False)
        if res.failed:
            print(f"{data.name} ({style}): {len(res.failed)} rows failed: {res.failed[:3]}", file=sys.stderr)
        preds[style] = _preds(pred)
    rows = _rows(data)
    result = scorer.score(rows, preds["sentence"])
    print(f"== {data.name}: sentence style, {max_bullets} bullets, shipped weights")
    print(scorer._table(result))
    report["score"] = result
    # the shipped weights on each fold (the same folds bench.tune uses per language)
    by_lang: dict[str, dict] = {}
    for lang in result:
        lang_rows = [r for r in rows if r["lang"] == lang]
        per_fold = [scorer.score(f, preds["sentence"]).get(lang) for f in _folds(lang_rows)]
        per_fold = [p for p in per_fold if p]
        d1 = [p["main"]["delta"]["rouge1"] for p in per_fold]
        d2 = [p["main"]["delta"]["rouge2"] for p in per_fold]
        line = f"  [{lang}] per fold: R1 - lead3 {_spread(d1)}; R2 - lead3 {_spread(d2)}"
        fold_pk = [p["picked"]["delta"] for p in per_fold if "picked" in p and p["picked"]["delta"] is not None]
        if fold_pk:
            line += f"; picked - lead3 {_spread(fold_pk)}"
        print(line)
        # style figures
        stats = {}
        for style, pr in preds.items():
            bullets = [b for r in lang_rows for b in pr.get(r["id"], [])]
            stats[style] = {
                "bullets": len(bullets),
                "mean_chars": statistics.fmean(len(b) for b in bullets) if bullets else 0.0,
                "ellipsis": sum(bool(ELLIPSIS.search(b)) for b in bullets),
            }
        if lang == "ko":
            from models.text.sentences import SentenceSplitter
            from models.text.style import is_nominal_ko

            kiwi = SentenceSplitter().kiwi
            concise = [b for r in lang_rows for b in preds["concise"].get(r["id"], [])]
            stats["concise"]["nominal"] = sum(is_nominal_ko(b, kiwi) for b in concise)
        print("  " + "; ".join(
            f"{style}: {s['bullets']} bullets, mean {s['mean_chars']:.1f} chars, {s['ellipsis']} end in an ellipsis"
            + (f", {s['nominal']} nominal" if "nominal" in s else "") for style, s in stats.items()))
        by_lang[lang] = {"folds": {"d_rouge1": d1, "d_rouge2": d2, "d_picked": fold_pk}, "styles": stats}
    report["langs"] = by_lang
    return report


def check_targets(reports: dict[str, dict], cv: dict[str, dict]) -> bool:
    ok = True

    def mark(label: str, value: float, target: float, spread: str = "") -> None:
        nonlocal ok
        met = value >= target
        ok &= met
        print(f"  {label}: {value:+.2f} (target >= {target:+.2f}) {spread}{'met' if met else 'NOT MET'}")

    print("targets (shipped weights on the whole set; spread = held-out folds of bench.tune's CV):")
    cnn = reports["dev_cnndm.jsonl"]["score"]["en"]["main"]["delta"]

    def cv_spread(lang: str, name: str, key: str) -> str:
        folds = cv.get(lang, {}).get("folds", [])
        vals = [f["test"][name][key] for f in folds if name in f["test"] and key in f["test"][name]]
        return f"[CV held-out {_spread(vals)}] " if vals else ""

    mark("en CNN/DM (dev_cnndm) R1 - lead3", cnn["rouge1"], 1.0, cv_spread("en", "cnndm", "d_rouge1"))
    mark("en CNN/DM (dev_cnndm) R2 - lead3", cnn["rouge2"], 0.0, cv_spread("en", "cnndm", "d_rouge2"))
    dev_en = reports["dev.jsonl"]["score"]["en"]["main"]["delta"]
    print(f"  (en CNN/DM in dev.jsonl, 30 articles: R1 {dev_en['rouge1']:+.2f}, R2 {dev_en['rouge2']:+.2f})")
    bbc = reports["dev_bbc.jsonl"]["score"]["en"]["picked"]
    mark("en BBC picked - lead3 (points)", bbc["delta"], 12.0, cv_spread("en", "bbc", "d_picked"))
    ko = reports["dev.jsonl"]["score"]["ko"]
    mark("ko R1 - lead3", ko["main"]["delta"]["rouge1"], 12.0, cv_spread("ko", "ko", "d_rouge1"))
    mark("ko picked (%)", ko["picked"]["system"]["share"], 65.0)
    ellipses = sum(s["ellipsis"] for r in reports.values() for lang in r["langs"].values()
                   for s in lang["styles"].values())
    mark("bullets ending in an ellipsis (negated count)", -ellipses, 0.0)
    ko_styles = reports["dev.jsonl"]["langs"]["ko"]["styles"]["concise"]
    mark("ko concise bullets nominal (%)", 100 * ko_styles["nominal"] / max(ko_styles["bullets"], 1), 100.0)
    for name, r in reports.items():
        for lang, v in r["langs"].items():
            s, c = v["styles"]["sentence"]["mean_chars"], v["styles"]["concise"]["mean_chars"]
            mark(f"{name} {lang} concise shorter than sentence (chars saved)", s - c, 0.01)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", required=True, help="folder with score.py and the dev sets")
    ap.add_argument("--out", default="artifacts/quality", help="folder for predictions and scores")
    ap.add_argument("--max-bullets", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-cv", action="store_true", help="skip bench.tune's cross-validation")
    args = ap.parse_args(argv)

    from models import Engine

    eval_dir = Path(args.eval)
    scorer = load_scorer(eval_dir / "score.py")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    engine = Engine()
    engine.warm_up()
    reports = {name: run_set(engine, scorer, eval_dir / name, out, args.max_bullets, args.workers)
               for name in FILES}
    cv: dict[str, dict] = {}
    if not args.no_cv:
        for lang in ("en", "ko"):
            cv[lang] = cross_validate(Harness(eval_dir, lang, args.max_bullets), FOLDS)
    (out / "quality.json").write_text(json.dumps({"sets": reports, "cv": cv}, indent=1, default=str),
                                      encoding="utf-8")
    return 0 if check_targets(reports, cv) else 1


if __name__ == "__main__":
    sys.exit(main())
