"""Text as people send it: every dev article in each unnormalized form against its clean text.

    python -m bench.normalization --eval ../shared/eval

For each article of the summary dev sets (``dev.jsonl``, ``dev_cnndm.jsonl``, ``dev_bbc.jsonl``,
``dev_ko_news.jsonl``) the engine summarizes the text as it is, then the same text in each form
below; a form passes an article when the bullets are the same and every source offset slices the
text as sent. The data is read where it lies and never copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from models import Engine, InputRejected, SummarizeRequest

FILES = ("dev.jsonl", "dev_cnndm.jsonl", "dev_bbc.jsonl", "dev_ko_news.jsonl")
_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789"})

FORMS: dict[str, Callable[[str], str]] = {
    "nfd": lambda t: unicodedata.normalize("NFD", t),
    "invisible": lambda t: "\ufeff" + t.replace(" ", " \u200b").replace("ti", "t\u00adi").replace("다.", "다\u200d."),
    "bidi": lambda t: "\u200e" + t.replace("\n", "\u200f\n\u2066") + "\u2069",
    "spaces": lambda t: t.replace(" ", "\u00a0"),
    "breaks": lambda t: t.replace("\n", "\r\n"),
    "fullwidth-digits": lambda t: t.translate(_FULLWIDTH),
    "all": lambda t: "\ufeff" + unicodedata.normalize("NFD", t).replace("\n", "\r\n").replace(" ", "\u00a0\u200b"),
}


def _run(engine: Engine, text: str, lang: str) -> list[str] | None:
    try:
        result = engine.summarize(SummarizeRequest(text=text, source_lang=lang, method="extractive"))
    except InputRejected:
        return None
    for bullet in result.bullets:
        for s in bullet.sources:
            if text[s.start:s.end] != s.text:
                raise AssertionError(f"offsets do not slice the text as sent: {s}")
    return [b.text for b in result.bullets]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, required=True, help="the folder of the dev sets (../shared/eval)")
    parser.add_argument("--limit", type=int, default=0, help="at most this many articles per file (0: all)")
    args = parser.parse_args()
    engine = Engine()
    t0 = time.perf_counter()
    print(f"{'file':<20} {'lang':<4} {'articles':>8} " + " ".join(f"{f:>16}" for f in FORMS))
    for name in FILES:
        rows = [json.loads(line) for line in (args.eval / name).read_text(encoding="utf-8").splitlines() if line]
        if args.limit:
            rows = rows[: args.limit]
        for lang in sorted({r["lang"] for r in rows}):
            same = dict.fromkeys(FORMS, 0)
            subset = [r for r in rows if r["lang"] == lang]
            for row in subset:
                clean = _run(engine, row["text"], lang)
                for form, make in FORMS.items():
                    same[form] += _run(engine, make(row["text"]), lang) == clean
            print(f"{name:<20} {lang:<4} {len(subset):>8} "
                  + " ".join(f"{same[f]:>9} ({same[f] / len(subset):4.0%})" for f in FORMS))
    print(f"same bullets as the clean text, offsets valid in every run; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
