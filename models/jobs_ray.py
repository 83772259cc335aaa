"""The batch job on Ray Data: the rows of :mod:`models.jobs`, summarized by a pool of actors on a cluster.

    IN (files)  --scan-->  ids, line numbers, unreadable rows  --driver-->  the rows still to do
    IN (files)  --read (tasks)-->  those rows  --summarize (actors)-->  OUT/part-<hash>.jsonl|.parquet
                                                                  \\-->  OUT/_errors/<hash>.jsonl

IN is a ``.jsonl`` (``.json``, ``.ndjson``) or ``.parquet`` file, or a folder of them; OUT is a folder
of part files; both are anything pyarrow's filesystems open (a local path, ``s3://``, ``gs://``,
``abfs://``, ...). Each actor builds one engine (models loaded once per actor) and turns a batch of
rows into one part file with :func:`models.jobs.summarize_row`, the single-process job's function,
so every row is the one ``run_batch`` writes for it. A part is written beside its name and renamed
into place, and named by the rows it holds, so a batch that Ray retries after its actor died
replaces its own part instead of adding one. A rerun reads the ids already in OUT and does only the
rest; a row that fails (or cannot be read) goes to ``OUT/_errors`` with its id, where, and reason,
and is tried again by the next run, as the single-process job does.

Why the files are read here and not by ``ray.data.read_json``: that infers one Arrow schema per
file (an id that is a number on one line and a string on the next, or one malformed line, fails the
whole file) and gives no line numbers; ``read_text`` decodes whole files as strict UTF-8 and splits
on every Unicode line break, which a JSON string may hold. The job lists the files with pyarrow and
streams each one in a task, as the single-process job reads its one file, line by line.

Ray is imported only inside these functions: the service and the core install never need it.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from .jobs import ROW_ERRORS, dump_row, failure_message, parse_line, row_problem, summarize_row

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

    from .contracts import SummaryEngine

INSTALL_HINT = "bash scripts/setup.sh --ray"
FORMATS = ("jsonl", "parquet")
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
ERRORS_DIR = "_errors"  # names starting with "_" or "." are skipped by Ray's and pyarrow's dataset readers
READ_ERRORS = "read.jsonl"  # rows that could not be read, written by the driver


# what every row is summarized with unless it says otherwise: target_lang, max_bullets, style, max_chars
JobOptions = tuple[str | None, int, str, int | None]

class RayNotInstalled(RuntimeError):
    """``--engine ray`` without Ray Data installed; the message names the command that adds it."""


class BatchInputError(ValueError):
    """IN or OUT cannot be used (no input files, an unknown format, OUT a file): said in words."""


@dataclass(slots=True)
class RayBatchReport:
    total: int = 0
    done: int = 0
    skipped: int = 0  # already in OUT from an earlier run
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"id", "where", "error"}
    errors_path: str = ""


def import_ray() -> ModuleType:
    """The ``ray`` module with Ray Data, or :class:`RayNotInstalled` naming the install command."""
    try:
        import ray
        import ray.data  # noqa: F401 - ray without the [data] extra has no Ray Data
    except ImportError as err:
        raise RayNotInstalled(
            f"--engine ray needs Ray Data (requirements-ray.txt), which is not installed ({err}); "
            f"install it with: {INSTALL_HINT}") from None
    return ray


# --- files -------------------------------------------------------------------------------------


def resolve(uri: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path of ``uri``: a URI pyarrow understands, else a local path."""
    import pyarrow.fs as pafs

    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def _kind(path: str) -> str | None:
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    return "jsonl" if name.endswith(JSONL_SUFFIXES) else None


def _join(uri: str, name: str) -> str:
    return uri.rstrip("/") + "/" + name


def input_files(uri: str) -> list[tuple[str, str]]:
    """``(uri, kind)`` of every input file: IN itself, or the JSONL and Parquet files under the folder
    IN (sorted, names starting with ``_`` or ``.`` left out, as dataset readers do)."""
    import pyarrow.fs as pafs

    fs, path = resolve(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise BatchInputError(f"{uri}: no such file or folder")
    if info.type == pafs.FileType.File:
        kind = _kind(path)
        if kind is None:
            raise BatchInputError(f"{uri}: not a .jsonl, .json, .ndjson or .parquet file")
        return [(uri, kind)]
    base = uri.rstrip("/")
    found = []
    for entry in fs.get_file_info(pafs.FileSelector(path, recursive=True)):
        relative = entry.path[len(path.rstrip("/")) + 1:]
        if entry.type != pafs.FileType.File or any(p.startswith(("_", ".")) for p in relative.split("/")):
            continue
        kind = _kind(entry.path)
        if kind is not None:
            found.append((base + "/" + relative, kind))
    if not found:
        raise BatchInputError(f"{uri}: no .jsonl, .json, .ndjson or .parquet files in this folder")
    return sorted(found)


def _output_dir(uri: str) -> None:
    """Create OUT, drop temporary files of killed runs and the last run's errors."""
    import pyarrow.fs as pafs

    fs, path = resolve(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        raise BatchInputError(f"{uri}: is a file; with --engine ray, OUT is a folder of part files")
    fs.create_dir(path, recursive=True)
    for entry in fs.get_file_info(pafs.FileSelector(path)):
        if entry.base_name.startswith(".tmp-") and entry.type == pafs.FileType.File:
            fs.delete_file(entry.path)
    errors = _join(path, ERRORS_DIR)
    if fs.get_file_info(errors).type == pafs.FileType.Directory:
        fs.delete_dir_contents(errors)


def _output_parts(uri: str) -> list[tuple[str, str]]:
    import pyarrow.fs as pafs

    fs, path = resolve(uri)
    return sorted((_join(uri, e.base_name), _kind(e.base_name) or "")
                  for e in fs.get_file_info(pafs.FileSelector(path))
                  if e.type == pafs.FileType.File and e.base_name.startswith("part-") and _kind(e.base_name))


def _lines(stream: Any, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The lines of a binary stream, each with its ``\\n``, split as Python splits a file opened "rb"."""
    rest = b""
    while data := stream.read(chunk):
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest


def _rows(uri: str, kind: str) -> Iterator[tuple[int, Any, str | None, int]]:
    """``(position, row or raw line, error, bytes)`` of each row of one file: JSONL line numbers (blank
    lines are no rows, but counted, as in the single-process job's messages) or Parquet row numbers,
    from 1; bytes is the line's length, or a Parquet row's share of its batch."""
    fs, path = resolve(uri)
    if kind == "parquet":
        import pyarrow.parquet as pq

        with fs.open_input_file(path) as f:
            position = 0
            for record_batch in pq.ParquetFile(f).iter_batches(batch_size=1024):
                size = record_batch.nbytes // max(1, record_batch.num_rows)
                for row in record_batch.to_pylist():
                    position += 1
                    yield position, row, None if row.get("id") is not None else "row has no 'id'", size
        return
    with fs.open_input_stream(path) as f:  # a .gz or .zst file is decompressed on the way
        for lineno, line in enumerate(_lines(f), 1):
            if line.strip():
                yield lineno, line, None, len(line)


def _key(row: Any) -> str | None:
    return str(row["id"]) if isinstance(row, dict) and "id" in row else None


# --- the stages (plain functions and a class: Ray runs them as tasks and actors) -------------------


def _scan(batch: pa.Table, options: JobOptions | None) -> Iterator[pa.Table]:
    """Per input file: each row's position, size, id (as the single-process job compares them:
    ``str(id)``) and, for a row that cannot be read or summarized whatever the model (``options``:
    target_lang, max_bullets, style; None for OUT's parts), why."""
    import pyarrow as pa

    for item in batch.to_pylist():
        positions: list[int] = []
        keys: list[str | None] = []
        errors: list[str | None] = []
        sizes: list[int] = []
        for position, row, error, size in _rows(item["uri"], item["kind"]):
            if error is None and item["kind"] == "jsonl":
                row, error = parse_line(row)
            key = None if error else _key(row)
            if error is None and options is not None:
                error = row_problem(row, *options)
            positions.append(position)
            keys.append(key)
            errors.append(error)
            sizes.append(size)
            if len(positions) >= 65536:
                yield _scan_table(pa, item["file"], positions, keys, errors, sizes)
                positions, keys, errors, sizes = [], [], [], []
        if positions:
            yield _scan_table(pa, item["file"], positions, keys, errors, sizes)


def _scan_table(pa: Any, file: int, positions: list[int], keys: list[str | None],
                errors: list[str | None], sizes: list[int]) -> pa.Table:
    return pa.table({"file": pa.array([file] * len(positions), pa.int32()),
                     "pos": pa.array(positions, pa.int64()),
                     "key": pa.array(keys, pa.string()),
                     "error": pa.array(errors, pa.string()),
                     "size": pa.array(sizes, pa.int64())})


def _read_todo(batch: pa.Table, batch_rows: int) -> Iterator[pa.Table]:
    """Per input file: the rows its mask marks as to do, as ``where`` and the row as JSON bytes."""
    import pyarrow as pa

    for item in batch.to_pylist():
        mask: bytes = item["mask"]
        wheres: list[str] = []
        raws: list[bytes] = []
        for position, row, _error, _size in _rows(item["uri"], item["kind"]):
            if position >= len(mask) or not mask[position]:
                continue
            wheres.append(f"{item['uri']}:{position}")
            raws.append(row if isinstance(row, bytes) else json.dumps(row, ensure_ascii=False, default=str).encode())
            if len(wheres) >= batch_rows:
                yield pa.table({"where": wheres, "row": pa.array(raws, pa.binary())})
                wheres, raws = [], []
        if wheres:
            yield pa.table({"where": wheres, "row": pa.array(raws, pa.binary())})


def _parquet_schema() -> pa.Schema:
    """The output row as Parquet: ``id`` as a string (ids are compared as strings, as in the resume),
    ``text`` and ``title`` null where the JSONL row has none."""
    import pyarrow as pa

    return pa.schema([
        ("id", pa.string()),
        ("bullets", pa.list_(pa.string())),
        ("sources", pa.list_(pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64())])))),
        ("source_lang", pa.string()), ("target_lang", pa.string()), ("method", pa.string()),
        ("style", pa.string()), ("models", pa.map_(pa.string(), pa.string())),
        ("text", pa.string()), ("title", pa.string()),
    ])


def _write_atomic(uri: str, write: Callable[[Any], None]) -> None:
    """Write a file beside ``uri`` under a temporary name, then move it into place: a kill leaves
    either no file or the whole one (the temporary ones are removed by the next run)."""
    fs, path = resolve(uri)
    folder, name = path.rsplit("/", 1)
    fs.create_dir(folder, recursive=True)
    tmp = f"{folder}/.tmp-{uuid.uuid4().hex}-{name}"
    with fs.open_output_stream(tmp, compression=None) as f:
        write(f)
    fs.move(tmp, path)


class Summarize:
    """A Ray Data actor: one engine, built once; each batch of rows becomes one part file in OUT."""

    def __init__(self, engine_factory: Callable[[], SummaryEngine], out_uri: str, out_format: str,
                 target_lang: str | None, max_bullets: int, style: str, workers: int,
                 max_chars: int | None = None) -> None:
        self.engine = engine_factory()
        self.engine.pipeline.splitter.warm_up()
        self.out_uri, self.out_format = out_uri, out_format
        self.options = (target_lang, max_bullets, style, max_chars)
        # threads let concurrent rows share a model call (the engine batches them), as --workers does
        self.pool = ThreadPoolExecutor(max(1, workers))

    def _one(self, raw: bytes) -> tuple[dict[str, Any] | None, Any, str | None]:
        row, error = parse_line(raw)  # read once already: fails only if the file changed since
        if error is not None:
            return None, None, error
        try:
            return summarize_row(self.engine, row, *self.options), None, None
        except ROW_ERRORS as err:
            return None, row.get("id") if isinstance(row, dict) else None, failure_message(err)

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        wheres: list[str] = batch["where"].to_pylist()
        results: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for where, (result, row_id, error) in zip(wheres, self.pool.map(self._one, batch["row"].to_pylist())):
            if result is not None:
                results.append(result)
            else:
                failures.append({"id": row_id, "where": where, "error": error})
        # named by the rows it holds: Ray's retry of this batch (its actor died) replaces this part
        name = "part-" + hashlib.blake2b("\n".join(wheres).encode(), digest_size=16).hexdigest()
        if results:
            self._write_results(name, results)
        if failures:
            _write_atomic(_join(_join(self.out_uri, ERRORS_DIR), name + ".jsonl"),
                          lambda f: f.write(b"".join(dump_row(x) for x in failures)))
        return pa.table({"done": [len(results)], "failed": [len(failures)],
                         "failures": [json.dumps(failures, ensure_ascii=False)]})

    def _write_results(self, name: str, results: list[dict[str, Any]]) -> None:
        if self.out_format == "jsonl":
            _write_atomic(_join(self.out_uri, name + ".jsonl"),
                          lambda f: f.write(b"".join(dump_row(r) for r in results)))
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([{**r, "id": str(r["id"])} for r in results], schema=_parquet_schema())
        _write_atomic(_join(self.out_uri, name + ".parquet"), lambda f: pq.write_table(table, f))


# --- the driver ------------------------------------------------------------------------------------


def _collect(ray: Any, files: list[tuple[str, str]], options: JobOptions | None) -> pa.Table:
    """The scan of ``files``: one row per input row, in file then position order."""
    import pyarrow as pa

    items = [{"uri": uri, "kind": kind, "file": i} for i, (uri, kind) in enumerate(files)]
    ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        _scan, batch_size=1, batch_format="pyarrow", fn_kwargs={"options": options})
    tables = list(ds.iter_batches(batch_size=None, batch_format="pyarrow"))
    if not tables:
        return _scan_table(pa, 0, [], [], [], [])
    return pa.concat_tables(tables).sort_by([("file", "ascending"), ("pos", "ascending")])


def _plan(scan: pa.Table, done_keys: pa.Array, files: list[tuple[str, str]],
          report: RayBatchReport) -> tuple[list[bytes], int, int]:
    """Per file, a mask of the positions to summarize, how many, and their mean size in bytes; the
    rows that cannot be summarized go to ``report``.

    The checks run in the single-process job's order: rows that cannot be read or have no id,
    repeated ids (the first in file and line order is the one kept), ids already in OUT, rows that
    cannot be summarized whatever the model.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def where(i: int) -> str:
        return f"{files[scan['file'][i].as_py()][0]}:{scan['pos'][i].as_py()}"

    report.total = scan.num_rows
    scan = scan.append_column("idx", pa.array(np.arange(scan.num_rows, dtype=np.int64)))
    failed: list[tuple[int, dict[str, Any]]] = []
    keyless = scan.filter(pc.is_null(scan["key"]))
    for i, error in zip(keyless["idx"].to_pylist(), keyless["error"].to_pylist()):
        failed.append((i, {"id": None, "where": where(i), "error": error}))
    keyed = scan.filter(pc.is_valid(scan["key"]))
    first = keyed.group_by("key").aggregate([("idx", "min")])
    keyed = keyed.join(first, "key").sort_by("idx")
    repeated = pc.not_equal(keyed["idx"], keyed["idx_min"])
    for key, i, j in zip(*(keyed.filter(repeated)[c].to_pylist() for c in ("key", "idx", "idx_min"))):
        failed.append((i, {"id": key, "where": where(i), "error": f"id {key!r} repeats {where(j)}"}))
    keyed = keyed.filter(pc.invert(repeated))
    done = pc.is_in(keyed["key"], value_set=done_keys)
    report.skipped = pc.sum(done).as_py() or 0
    keyed = keyed.filter(pc.invert(done))
    invalid = keyed.filter(pc.is_valid(keyed["error"]))
    for key, i, error in zip(*(invalid[c].to_pylist() for c in ("key", "idx", "error"))):
        failed.append((i, {"id": key, "where": where(i), "error": error}))
    report.failed = [f for _, f in sorted(failed, key=lambda x: x[0])]
    todo = keyed.filter(pc.is_null(keyed["error"]))
    masks = []
    file_of, pos_of = todo["file"].to_numpy(), todo["pos"].to_numpy()
    for i in range(len(files)):
        positions = pos_of[file_of == i]
        mask = np.zeros(int(positions.max()) + 1 if len(positions) else 0, dtype=np.uint8)
        mask[positions] = 1
        masks.append(mask.tobytes())
    return masks, todo.num_rows, int(pc.mean(todo["size"]).as_py() or 0)


def run_ray_batch(
    engine_factory: Callable[[], SummaryEngine],
    in_uri: str,
    out_uri: str,
    target_lang: str | None = None,
    max_bullets: int = 3,
    style: str = "sentence",
    out_format: str = "jsonl",
    actors: int | None = None,
    batch_size: int = 32,
    workers: int = 1,
    cpus_per_actor: float = 1.0,
    gpus_per_actor: float = 0.0,
    progress: bool = True,
    log: TextIO | None = None,
    max_chars: int | None = None,
) -> RayBatchReport:
    """Write a summary row into the folder ``out_uri`` for every row of ``in_uri`` not already there.

    ``engine_factory`` builds each actor's engine (it travels to the actors, so it must pickle: a
    class, or ``functools.partial`` of a module's function). ``actors`` defaults to the cluster's CPUs
    (or GPUs) divided by what one actor asks for. Connects to the cluster ``ray.init()`` finds
    (``RAY_ADDRESS``, or a new local one) unless Ray is already initialized.
    """
    ray = import_ray()
    import pyarrow as pa

    if out_format not in FORMATS:
        raise BatchInputError(f"output format must be one of {', '.join(FORMATS)} (got {out_format!r})")
    log = log or sys.stderr
    files = input_files(in_uri)
    _output_dir(out_uri)
    if not ray.is_initialized():
        ray.init(logging_level="warning")
    ray.data.DataContext.get_current().enable_progress_bars = False  # the job shows its own

    report = RayBatchReport(errors_path=_join(out_uri, ERRORS_DIR))
    parts = _output_parts(out_uri)
    done_keys = _collect(ray, parts, None)["key"] if parts else pa.array([], pa.string())
    options = (target_lang, max_bullets, style, max_chars)
    masks, todo, row_bytes = _plan(_collect(ray, files, options), done_keys, files, report)
    if report.failed:
        unread = [dump_row(f) for f in report.failed]
        _write_atomic(_join(report.errors_path, READ_ERRORS), lambda f: f.write(b"".join(unread)))
        for failure in report.failed:
            print(f"{failure['where']}: skipped: {failure['error']}", file=log)
    if todo == 0:
        return report

    if actors is None:
        resources = ray.cluster_resources()
        actors = int(resources.get("GPU", 0) // gpus_per_actor if gpus_per_actor
                     else resources.get("CPU", 1) // cpus_per_actor)
    context = ray.data.DataContext.get_current()  # a dataset keeps the context it was made in
    block_size = context.target_max_block_size
    # blocks of about one actor call's rows: a task's output is otherwise merged into blocks of up to
    # 128 MB, and a whole file would go to one actor while the others wait
    context.target_max_block_size = max(1, row_bytes * batch_size)
    items = [{"uri": uri, "kind": kind, "mask": mask}
             for (uri, kind), mask in zip(files, masks) if any(mask)]
    ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        # reading is light next to summarizing; asking no CPU keeps it from being fused into the
        # actors (one file would then be one actor's work) and lets it run beside a full pool
        _read_todo, batch_size=1, batch_format="pyarrow", fn_kwargs={"batch_rows": batch_size}, num_cpus=0,
    ).map_batches(
        Summarize,
        compute=ray.data.ActorPoolStrategy(size=max(1, actors)),
        batch_size=batch_size,
        batch_format="pyarrow",
        fn_constructor_kwargs={"engine_factory": engine_factory, "out_uri": out_uri, "out_format": out_format,
                               "target_lang": target_lang, "max_bullets": max_bullets, "style": style,
                               "max_chars": max_chars, "workers": workers},
        num_cpus=cpus_per_actor,
        num_gpus=gpus_per_actor or None,
    )
    try:
        _summarize_all(ds, todo, report, progress, log)
    finally:
        context.target_max_block_size = block_size
    return report


def _summarize_all(ds: Any, todo: int, report: RayBatchReport, progress: bool, log: TextIO) -> None:
    from tqdm import tqdm

    with tqdm(total=todo, disable=not progress, unit="article", file=log, desc="summarizing") as bar:
        for counts in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            for done, failed, failures in zip(*(counts[c].to_pylist() for c in ("done", "failed", "failures"))):
                report.done += done
                for failure in json.loads(failures):
                    report.failed.append(failure)
                    bar.write(f"{failure['where']} (id {failure['id']}): skipped: {failure['error']}", file=log)
                bar.update(done + failed)
