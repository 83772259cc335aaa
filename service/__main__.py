"""Command line: ``python -m service serve|summarize|batch|models``."""
from __future__ import annotations

import argparse
import os
import sys

from .config import Settings


def _serve(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    for name, value in (("HOST", args.host), ("PORT", args.port), ("WORKERS", args.workers),
                        ("THREADS", args.threads)):
        if value is not None:
            env[f"SUMMARIZER_{name}"] = str(value)
    Settings.from_env(env)  # fail fast on a bad setting, before gunicorn starts
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf",
            "service.wsgi:app"]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def _engine():  # noqa: ANN202
    from .runtime import build_engine

    engine = build_engine(Settings.from_env())
    engine.splitter.warm_up()
    return engine


def _summarize(args: argparse.Namespace) -> int:
    from models import SummarizeRequest, SummarizerError

    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
    engine = _engine()
    try:
        result = engine.summarize(SummarizeRequest(
            text=text, source_lang=args.source_lang, target_lang=args.target_lang,
            max_bullets=args.max_bullets, method=args.method))
    except SummarizerError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 2
    if args.json:
        from .serialize import summary_to_response

        print(summary_to_response(result, "cli").model_dump_json(indent=2, exclude_none=True))
    else:
        for b in result.bullets:
            print(f"• {b.text}")
        print(f"({result.source_lang}→{result.target_lang}, {result.method}, "
              f"{sum(result.timings_ms.values()):.0f} ms)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP service under gunicorn")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=_serve)

    p = sub.add_parser("summarize", help="print bullets for an article file (- for stdin)")
    p.add_argument("file")
    p.add_argument("--source-lang", default="auto", choices=["auto", "ko", "en"])
    p.add_argument("--target-lang", choices=["ko", "en"])
    p.add_argument("--max-bullets", type=int, default=3, choices=range(1, 11), metavar="1-10")
    p.add_argument("--method", default="auto", choices=["auto", "extractive", "abstractive"])
    p.add_argument("--json", action="store_true", help="print the API's JSON response")
    p.set_defaults(func=_summarize)

    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
