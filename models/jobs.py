"""Summarize a JSONL file of articles: resumable, one bad row reported and skipped, with progress."""
from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .contracts import MAX_MAX_CHARS, MIN_MAX_CHARS, SummarizeRequest, SummaryEngine
from .errors import SummarizerError
from .text.style import STYLES, Style


@dataclass(slots=True)
class BatchReport:
    total: int = 0
    done: int = 0
    skipped: int = 0  # already in the output from an earlier run
    failed: list[dict[str, Any]] = field(default_factory=list)


def _valid_row(line: bytes) -> dict[str, Any] | None:
    """The output row a complete line holds, or None for a damaged one."""
    if not line.endswith(b"\n"):
        return None  # cut short by an interrupted run: redone
    try:
        row = json.loads(line)
    except ValueError:  # UnicodeDecodeError included
        return None
    return row if isinstance(row, dict) and "id" in row and "bullets" in row else None


def _done_ids(out_path: Path, log: TextIO | None = None) -> set[str]:
    """Ids already summarized in ``out_path``, after repairing it.

    A run killed at any moment leaves at most a last line cut mid-write; an older version's resume
    could also append a row onto such a line. Whenever any line is not a complete JSON row, or an
    id appears twice, the file is rewritten with only its valid rows (the first of each id): into
    a temporary file beside it, flushed to disk, then renamed over it, so a kill during the repair
    leaves either the old file or the repaired one. The dropped rows' ids are summarized again.
    """
    ids: set[str] = set()
    if not out_path.exists():
        return ids
    keep: list[bytes] = []
    damaged = 0
    with open(out_path, "rb") as f:
        for line in f:
            row = _valid_row(line)
            if row is None or str(row["id"]) in ids:
                damaged += 1
                continue
            ids.add(str(row["id"]))
            keep.append(line)
    if damaged:
        tmp = out_path.with_name(out_path.name + ".repair")
        with open(tmp, "wb") as f:
            f.writelines(keep)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_path)
        print(f"{out_path}: removed {damaged} damaged or repeated line(s) left by an interrupted run; "
              f"{len(keep)} row(s) kept", file=log or sys.stderr)
    return ids


# what summarize_row raises for one bad row: reported and skipped, never the end of a job
ROW_ERRORS = (SummarizerError, ValueError, TypeError)


def failure_message(err: BaseException) -> str:
    """The reason one of :data:`ROW_ERRORS` gives, in words."""
    return str(getattr(err, "message", err))


def parse_line(line: bytes) -> tuple[Any, str | None]:
    """One input line's row, or None and the reason it cannot be one (not UTF-8, not JSON, no id).

    A row that is JSON but not an object comes back as it is: :func:`summarize_row` rejects it.
    """
    try:
        row = json.loads(line)
    except UnicodeDecodeError as err:
        return None, f"not UTF-8 (byte {err.start})"
    except ValueError as err:
        return None, f"malformed JSON: {err}"
    if isinstance(row, dict) and "id" not in row:
        return None, "row has no 'id'"
    return row, None


def row_problem(
    row: Any, target_lang: str | None, max_bullets: int, style: str = "sentence", max_chars: int | None = None,
) -> str | None:
    """Why :func:`summarize_row` would reject ``row`` before any model sees it, or None."""
    try:
        _request(row, target_lang, max_bullets, style, max_chars)
    except ROW_ERRORS as err:
        return failure_message(err)
    return None


def dump_row(result: dict[str, Any]) -> bytes:
    """One output line: the row as JSON, UTF-8 (not escaped), ending in a newline."""
    return (json.dumps(result, ensure_ascii=False) + "\n").encode("utf-8")


def _request(
    row: Any, target_lang: str | None, max_bullets: int, style: str = "sentence", max_chars: int | None = None,
) -> SummarizeRequest:
    if not isinstance(row, dict):
        raise ValueError("row is not a JSON object")
    text, html = row.get("text"), row.get("html")
    if (text is None) == (html is None):
        raise ValueError("row must have exactly one of 'text' and 'html'")
    name, value = ("text", text) if html is None else ("html", html)
    if not isinstance(value, str):
        raise ValueError(f"row's '{name}' must be a string (got {type(value).__name__})")
    if not value.strip():
        raise ValueError(f"row has no non-empty '{name}'")
    title = row.get("title")
    return SummarizeRequest(
        text=text or "",
        html=html,
        title=title if isinstance(title, str) else None,
        source_lang=row.get("source_lang") or row.get("lang") or "auto",
        target_lang=row.get("target_lang") or target_lang,
        max_bullets=int(row.get("max_bullets") or max_bullets),
        style=_style(row.get("style") or style),
        max_chars=_max_chars(row.get("max_chars") or max_chars),
    )


def _max_chars(value: Any) -> int | None:
    """A row's (or the job's) target bullet length: 40-400 characters, as the API takes it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MAX_CHARS <= value <= MAX_MAX_CHARS:
        raise ValueError(f"max_chars must be a whole number {MIN_MAX_CHARS}-{MAX_MAX_CHARS} (got {value!r})")
    return value


def _style(value: Any) -> Style:
    if value not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)} (got {value!r})")
    return value


def summarize_row(
    engine: SummaryEngine, row: Any, target_lang: str | None, max_bullets: int, style: str = "sentence",
    max_chars: int | None = None,
) -> dict[str, Any]:
    """The output row for one input row; raises ValueError or a SummarizerError."""
    result = engine.summarize(_request(row, target_lang, max_bullets, style, max_chars))
    return {
        "id": row["id"],
        "bullets": [b.text for b in result.bullets],
        "sources": [[{"start": s.start, "end": s.end} for s in b.sources] for b in result.bullets],
        "source_lang": result.source_lang,
        "target_lang": result.target_lang,
        "method": result.method,
        "style": result.style,
        "models": result.models,
        # html rows: the extracted article text, which the sources' offsets point into
        **({"text": result.text} if result.text is not None else {}),
        **({"title": result.title} if result.title else {}),
    }


def run_batch(
    engine: SummaryEngine,
    in_path: str | Path,
    out_path: str | Path,
    target_lang: str | None = None,
    max_bullets: int = 3,
    workers: int = 1,
    style: str = "sentence",
    progress: bool = True,
    log: TextIO | None = None,
    max_chars: int | None = None,
) -> BatchReport:
    """Append a summary row to ``out_path`` for every row of ``in_path`` not already there."""
    from tqdm import tqdm

    log = log or sys.stderr
    in_path, out_path = Path(in_path), Path(out_path)
    done = _done_ids(out_path, log)
    report = BatchReport()
    todo: list[tuple[int, Any]] = []
    first_line: dict[str, int] = {}  # id -> the line that has it: a repeated id is summarized once
    with open(in_path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            report.total += 1
            row, error = parse_line(line)
            if error is not None:
                report.failed.append({"line": lineno, "error": error})
                continue
            if isinstance(row, dict):
                rid = str(row["id"])
                if rid in first_line:
                    report.failed.append({"line": lineno, "error": f"id {rid!r} repeats line {first_line[rid]}"})
                    continue
                first_line[rid] = lineno
                if rid in done:
                    report.skipped += 1
                    continue
            todo.append((lineno, row))
    for failure in report.failed:
        print(f"line {failure['line']}: skipped: {failure['error']}", file=log)

    lock = threading.Lock()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "ab") as out, ThreadPoolExecutor(max(1, workers)) as pool, tqdm(
        total=len(todo), disable=not progress, unit="article", file=log, desc="summarizing"
    ) as bar:
        futures = {pool.submit(summarize_row, engine, row, target_lang, max_bullets, style, max_chars): (ln, row)
                   for ln, row in todo}
        for fut in as_completed(futures):
            lineno, row = futures[fut]
            try:
                result = fut.result()
            except ROW_ERRORS as err:
                message = failure_message(err)
                row_id = row.get("id") if isinstance(row, dict) else None
                report.failed.append({"line": lineno, "id": row_id, "error": message})
                bar.write(f"line {lineno} (id {row_id}): skipped: {message}", file=log)
            else:
                with lock:  # a kill can cut only the last line,, repaired on resume
                    out.write(dump_row(result))
                    out.flush()  # each finished row survives the process being killed
                report.done += 1
            bar.update(1)
    return report
