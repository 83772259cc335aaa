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
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        # one fresh folder per server: the workers' metrics files are summed by /metrics
        import tempfile

        from .gunicorn_conf import METRICS_DIR_PREFIX

        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX)  # gunicorn removes it
    # the app (service.asgi:app or service.wsgi:app) is named by the config, with the worker type
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def _engine():  # noqa: ANN202
    from .runtime import build_engine

    engine = build_engine(Settings.from_env())
    engine.pipeline.splitter.warm_up()
    return engine


class CliError(Exception):
    """A user mistake (a missing or unreadable file, an empty input): printed in words, exit status 2."""


def _read_error(name: str, err: OSError | UnicodeDecodeError) -> CliError:
    """The reason a file could not be read, in words."""
    if isinstance(err, UnicodeDecodeError):
        return CliError(f"{name}: not UTF-8 text (byte {err.start})")
    if isinstance(err, FileNotFoundError):
        return CliError(f"{name}: no such file")
    if isinstance(err, IsADirectoryError):
        return CliError(f"{name}: is a folder, not a file")
    if isinstance(err, PermissionError):
        return CliError(f"{name}: permission denied")
    return CliError(f"{name}: cannot be read ({err.strerror or err})")


def _read_text(path: str) -> str:
    """The file's text (``-``: standard input), or a :class:`CliError` naming the file and the reason."""
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise _read_error("standard input" if path == "-" else path, err) from None


def _check_readable(path: str) -> None:
    """Fail before loading any model when ``path`` cannot be opened for reading."""
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        raise _read_error(path, err) from None


def _summarize(args: argparse.Namespace) -> int:
    from models import SummarizeRequest, SummarizerError

    text = _read_text(args.file)
    if not text.strip():
        raise CliError(f"{'standard input' if args.file == '-' else args.file} is empty: nothing to summarize")
    engine = _engine()
    try:
        result = engine.summarize(SummarizeRequest(
            text="" if args.html else text, html=text if args.html else None,
            source_lang=args.source_lang, target_lang=args.target_lang, max_bullets=args.max_bullets,
            method=args.method, style=args.style, max_chars=args.max_chars))
    except SummarizerError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 2
    if args.json:
        from .serialize import summary_to_response

        response = summary_to_response(result, "cli")
        print(response.model_dump_json(indent=2, exclude_none=True))
    else:
        if result.title:
            print(f"# {result.title}")
        for b in result.bullets:
            print(f"• {b.text}")
        print(f"({result.source_lang}→{result.target_lang}, {result.method}, {result.style}, "
              f"{sum(result.timings_ms.values()):.0f} ms)", file=sys.stderr)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from models.jobs import run_batch

    if args.engine == "ray":
        return _batch_ray(args)
    ray_only = [f"--{name.replace('_', '-')}" for name in RAY_BATCH_OPTIONS if getattr(args, name) is not None]
    if ray_only:
        raise CliError(f"{', '.join(ray_only)}: only with --engine ray")
    _check_readable(args.input)
    if args.workers < 1:
        raise CliError(f"--workers must be at least 1 (got {args.workers})")
    report = run_batch(_engine(), args.input, args.output, target_lang=args.target_lang,
                       max_bullets=args.max_bullets, workers=args.workers, progress=not args.no_progress,
                       max_chars=args.max_chars,
                       style=args.style)
    print(f"{report.done} summarized, {report.skipped} already done, {len(report.failed)} failed "
          f"of {report.total} rows", file=sys.stderr)
    return 1 if report.failed else 0


RAY_BATCH_OPTIONS = ("actors", "batch_size", "cpus_per_actor", "gpus_per_actor", "format")


def _batch_ray(args: argparse.Namespace) -> int:
    """``batch --engine ray``: the same rows on a Ray cluster (models.jobs_ray); OUT is a folder."""
    import dataclasses
    import functools

    from models.jobs_ray import BatchInputError, RayNotInstalled, import_ray, run_ray_batch

    from .runtime import build_engine, check_models

    try:
        import_ray()
    except RayNotInstalled as err:
        raise CliError(str(err)) from None
    for name, value, least in (("--workers", args.workers, 1), ("--actors", args.actors, 1),
                               ("--batch-size", args.batch_size, 1),
                               ("--cpus-per-actor", args.cpus_per_actor, 0.01),
                               ("--gpus-per-actor", args.gpus_per_actor, 0)):
        if value is not None and value < least:
            raise CliError(f"{name} must be at least {least:g} (got {value:g})")
    settings = Settings.from_env()
    check_models(settings)  # a missing model stops here, not in every actor
    cpus = args.cpus_per_actor or 1.0
    if not settings.torch_threads:  # an actor's share of the node, not the whole node
        settings = dataclasses.replace(settings, torch_threads=max(1, int(cpus)))
    try:
        report = run_ray_batch(
            functools.partial(build_engine, settings), args.input, args.output,
            target_lang=args.target_lang, max_bullets=args.max_bullets, style=args.style, max_chars=args.max_chars,
            out_format=args.format or "jsonl", actors=args.actors, batch_size=args.batch_size or 32,
            workers=args.workers, cpus_per_actor=cpus, gpus_per_actor=args.gpus_per_actor or 0.0,
            progress=not args.no_progress)
    except BatchInputError as err:
        raise CliError(str(err)) from None
    print(f"{report.done} summarized, {report.skipped} already done, {len(report.failed)} failed "
          f"of {report.total} rows" + (f"; failures in {report.errors_path}" if report.failed else ""),
          file=sys.stderr)
    return 1 if report.failed else 0


def _models_download(args: argparse.Namespace) -> int:
    from models.inference.registry import PRESETS, download, prepare_backend

    settings = Settings.from_env()
    refs: list[str] = list(args.model)
    if args.preset:
        if args.preset not in PRESETS:
            print(f"error: unknown preset {args.preset!r}; known: {', '.join(PRESETS)}", file=sys.stderr)
            return 2
        refs += [r for r in PRESETS[args.preset].values() if r not in refs]
    if not refs:
        from .runtime import configured_models

        refs = [r for r in configured_models(settings).values() if r]
    if not refs:
        print("error: name models, a --preset, or configure SUMMARIZER_MODEL_* variables", file=sys.stderr)
        return 2
    failed = 0
    for ref in dict.fromkeys(refs):
        print(f"downloading {ref} ...", file=sys.stderr)
        try:
            path = download(ref, settings.models_dir or None)
        except Exception as err:  # noqa: BLE001 - report each model and go on with the rest
            print(f"error: could not download {ref}: {type(err).__name__}: {str(err).splitlines()[0]}",
                  file=sys.stderr)
            failed += 1
            continue
        print(f"{ref}\t{path}")
        backend = args.backend or settings.backend
        try:
            converted = prepare_backend(path, backend, settings.models_dir or None)
        except Exception as err:  # noqa: BLE001 - the download stands; loading would convert again
            print(f"error: could not convert {ref} for CTranslate2: {type(err).__name__}: "
                  f"{str(err).splitlines()[0] if str(err) else ''}", file=sys.stderr)
            failed += 1
            continue
        if converted is not None:
            cost = ""
            if converted.peak_rss_mb is not None:
                budget = 1.5 * (converted.checkpoint_mb or 0) + 500
                cost = (f"; converted in {converted.seconds:.0f} s, peak memory {converted.peak_rss_mb:.0f} MB "
                        f"for {converted.checkpoint_mb:.0f} MB of weights (budget 1.5x + 500 MB = {budget:.0f} MB)")
            print(f"{ref}\t{converted.path}\t(CTranslate2 int8, for SUMMARIZER_BACKEND={backend}{cost})")
    return 1 if failed else 0


def _models_check(args: argparse.Namespace) -> int:
    from models.inference.doctor import check_configured

    from .runtime import configured_models

    settings = Settings.from_env()
    backend = args.backend or settings.backend
    configured = configured_models(settings)
    if not args.model and not any(configured.values()):
        print("error: no model configured: set SUMMARIZER_MODEL_* (or SUMMARIZER_PRESET), or name models",
              file=sys.stderr)
        return 2
    results = check_configured(configured, settings.models_dir or None, backend, args.model,
                               settings.torch_threads_effective, settings.workers)
    for result in results:
        print("\n".join(result.lines()))
    failed = [r for r in results if r.error]
    print(f"{len(results) - len(failed)} of {len(results)} model(s) OK", file=sys.stderr)
    return 1 if failed else 0


def _models_list(args: argparse.Namespace) -> int:
    from models.errors import SummarizerError
    from models.inference.registry import PRESETS, SLOT_SETTINGS, resolve, spec_for

    from .runtime import configured_models

    settings = Settings.from_env()
    print("configured:")
    for slot, ref in configured_models(settings).items():
        if not ref:
            print(f"  {SLOT_SETTINGS[slot]:36} (not set: {'extractive' if slot[0] == 'summarize' else 'not served'})")
            continue
        try:
            path = resolve(ref, settings.models_dir or None)
            spec = spec_for(ref, slot, path)
            print(f"  {SLOT_SETTINGS[slot]:36} {ref}  [{spec.licence}]  {path}")
        except SummarizerError as err:
            print(f"  {SLOT_SETTINGS[slot]:36} {ref}  MISSING: {err.message}")
    print("presets:")
    for name, slots in PRESETS.items():
        print(f"  {name}:")
        for slot, ref in slots.items():
            print(f"    {SLOT_SETTINGS[slot]}={ref}")
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
    p.add_argument("--style", default="sentence", choices=["sentence", "concise"],
                   help="concise: Korean noun-ending bullets, English main clauses")
    p.add_argument("--max-chars", type=int, choices=range(40, 401), metavar="40-400",
                   help="target bullet length (default: SUMMARIZER_MAX_CHARS_EN/_KO for the bullets' language)")
    p.add_argument("--html", action="store_true",
                   help="the file is a web page's HTML: its article is extracted (nothing is fetched)")
    p.add_argument("--json", action="store_true", help="print the API's JSON response")
    p.set_defaults(func=_summarize)

    p = sub.add_parser("batch", help="summarize a JSONL file of {id, text or html, ...} rows (resumable)")
    p.add_argument("input", help="JSONL file; with --engine ray also Parquet, a folder, or s3://, gs://, ... URIs")
    p.add_argument("output", help="JSONL file; with --engine ray a folder of part files (local or a URI)")
    p.add_argument("--target-lang", choices=["ko", "en"])
    p.add_argument("--max-bullets", type=int, default=3, choices=range(1, 11), metavar="1-10")
    p.add_argument("--workers", type=int, default=1, help="threads (with --engine ray: per actor)")
    p.add_argument("--style", default="sentence", choices=["sentence", "concise"],
                   help="bullet style for rows without their own 'style'")
    p.add_argument("--max-chars", type=int, choices=range(40, 401), metavar="40-400",
                   help="target bullet length for rows without their own 'max_chars'")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="local: this process; ray: Ray Data actors on RAY_ADDRESS's cluster, or a local one "
                        "(needs bash scripts/setup.sh --ray)")
    p.add_argument("--actors", type=int, help="ray: actors, each with its own models (default: CPUs or GPUs "
                                              "of the cluster / per actor)")
    p.add_argument("--batch-size", type=int, help="ray: rows per actor call and per part file (default 32)")
    p.add_argument("--cpus-per-actor", type=float, help="ray: CPUs each actor reserves (default 1)")
    p.add_argument("--gpus-per-actor", type=float, help="ray: GPUs each actor reserves (a model on CUDA)")
    p.add_argument("--format", choices=["jsonl", "parquet"], help="ray: the part files' format (default jsonl)")
    p.set_defaults(func=_batch)

    p = sub.add_parser("models", help="download or list seq2seq models")
    msub = p.add_subparsers(dest="models_command", required=True)
    d = msub.add_parser("download", help="fetch models into SUMMARIZER_MODELS_DIR or HF_HOME (needs internet)")
    d.add_argument("model", nargs="*", help="model id, id@revision; default: the configured models")
    d.add_argument("--preset", help="a named preset (see `models list`)")
    d.add_argument("--backend", choices=("transformers", "transformers-int8", "ctranslate2", "auto"),
                   help="convert for this backend now (default: SUMMARIZER_BACKEND); ctranslate2 and auto "
                        "write the CTranslate2 int8 model beside the downloads, so start-up does not convert")
    d.set_defaults(func=_models_download)
    ls = msub.add_parser("list", help="show configured models, whether they are present, and presets")
    ls.set_defaults(func=_models_list)
    ck = msub.add_parser("check", help="load each configured model offline, run one short generation and report "
                                       "backend, special tokens, generation settings, limits, memory and speed")
    ck.add_argument("model", nargs="*", help="check only these (ids, folders or SUMMARIZER_MODEL_* names)")
    ck.add_argument("--backend", choices=("transformers", "transformers-int8", "ctranslate2", "auto"),
                    help="default: SUMMARIZER_BACKEND")
    ck.set_defaults(func=_models_check)

    args = ap.parse_args(argv)
    try:
        if args.command == "serve":
            from .runtime import check_models

            check_models(Settings.from_env())  # a missing model stops here, before gunicorn starts
        return args.func(args)
    except Exception as err:  # noqa: BLE001 - a CLI prints the reason, not a traceback
        from models.errors import SummarizerError

        from .config import SettingsError

        if isinstance(err, (SummarizerError, SettingsError, CliError)):
            print(f"error: {getattr(err, 'message', err)}", file=sys.stderr)
            return 2
        if isinstance(err, OSError):  # e.g. an output file that cannot be written
            where = f"{err.filename}: " if err.filename else ""
            print(f"error: {where}{err.strerror or err}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
