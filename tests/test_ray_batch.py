"""The batch job on Ray Data (``batch --engine ray``, models/jobs_ray.py) on a local Ray with 2 CPUs: every
id gets exactly the single-process job's row, bad rows land in the errors output, an actor killed
mid-run costs nothing but time, and a second run on a finished OUT does no work.

Skipped when Ray is not installed (``bash scripts/setup.sh --ray``), except under CI, where the test
command installs it and a skip would hide the tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import Engine
from models.jobs import run_batch

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
N = 240  # articles, half Korean, half English


@pytest.fixture(scope="module")
def ray_local():
    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("ray is not installed (bash scripts/setup.sh --ray installs requirements-ray.txt)")
        pytest.skip("ray is not installed (bash scripts/setup.sh --ray)")
    # the actors import models/ and this module (the factories below) as the tests do: PYTHONPATH
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    yield ray
    ray.shutdown()


def _articles() -> list[dict]:
    """N articles built from the NTREX sentence pairs (6 sentences each, a different mix per row), some
    with a title, a style or a bullet count of their own, and the samples; plus two HTML pages."""
    pairs = [json.loads(line) for line in (DATA / "ntrex_ko_en.jsonl").read_text(encoding="utf-8").splitlines()]
    rows: list[dict] = []
    for i in range(N):
        lang = "ko" if i % 2 else "en"
        text = " ".join(pairs[(i * 7 + k * 13) % len(pairs)][lang] for k in range(6))
        row: dict = {"id": f"{lang}-{i}" if i % 5 else i, "text": text}  # ids: strings and numbers
        if i % 3 == 0:
            row["title"] = pairs[i % len(pairs)][lang][:40]
        if i % 4 == 1:
            row["style"] = "concise"
        if i % 7 == 2:
            row["max_bullets"] = 2
        rows.append(row)
    for lang in ("ko", "en"):
        article = (ROOT / "samples" / f"{lang}.txt").read_text(encoding="utf-8")
        rows.append({"id": f"sample-{lang}", "text": article})
        paragraphs = "".join(f"<p>{p}</p>" for p in article.split("\n") if p.strip())
        rows.append({"id": f"page-{lang}", "html": f"<html><head><title>{lang}</title></head><body><article>"
                                                   f"{paragraphs}</article></body></html>"})
    return rows


BAD = [  # (line as written, what the errors output says)
    ("{this is not json", "malformed JSON"),
    (json.dumps({"id": "empty", "text": "   "}), "non-empty 'text'"),
    (json.dumps({"text": "no id here."}), "no 'id'"),
    (json.dumps({"id": "ko-3", "text": "A repeated id."}), "repeats"),
    (json.dumps({"id": "digits", "text": "12345 67890"}), "language"),  # fails in the engine, not before
    (json.dumps({"id": "poetic", "text": "The plan starts.", "style": "poetic"}), "style"),
]


def _write_jsonl(path: Path, rows: list[dict], bad: list[str] = ()) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    for k, line in enumerate(bad):  # spread among the good rows
        lines.insert(3 + k * 37, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _out_rows(out: Path) -> list[dict]:
    """Every row of OUT's part files (JSONL or Parquet), the errors folder left out."""
    rows = []
    for part in sorted(out.glob("part-*")):
        if part.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows += pq.read_table(part).to_pylist()
        else:
            rows += [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines()]
    return rows


def _errors(out: Path) -> list[dict]:
    return [json.loads(line) for f in sorted((out / "_errors").glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def single(engine: Engine, tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """The input (good and bad rows) and the single-process job's output rows by id."""
    folder = tmp_path_factory.mktemp("ray-batch")
    src, out = folder / "in.jsonl", folder / "single.jsonl"
    _write_jsonl(src, _articles(), [line for line, _ in BAD])
    report = run_batch(engine, src, out, workers=2, progress=False)
    assert report.done == N + 4 and len(report.failed) == len(BAD)
    return src, {str(r["id"]): r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


class Built:
    """An engine factory that leaves a file per engine it builds, so a test sees whether actors ran."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self) -> Engine:
        Path(self.folder, f"built-{os.getpid()}-{time.monotonic_ns()}").touch()
        return Engine()


class KilledOnce(Built):
    """An engine whose actor is killed with ``ray.kill`` at its ``after``-th article, once per test:
    mid-run, with some parts written and a batch half done."""

    def __init__(self, folder: str, after: int) -> None:
        super().__init__(folder)
        self.after = after

    def __call__(self) -> Engine:
        import itertools

        import ray

        engine = super().__call__()
        marker = Path(self.folder, "killed")
        calls = itertools.count(1)
        summarize = engine.summarize

        def summarize_or_die(req):  # noqa: ANN001, ANN202
            if next(calls) == self.after and not marker.exists():
                marker.touch()
                ray.kill(ray.get_runtime_context().current_actor, no_restart=False)  # Ray restarts it
                time.sleep(60)  # the kill arrives while this batch is still in hand
            return summarize(req)

        engine.summarize = summarize_or_die  # type: ignore[method-assign]
        return engine


def test_every_id_gets_the_single_process_row(ray_local, single, tmp_path: Path) -> None:
    from models.jobs_ray import run_ray_batch

    src, expected = single
    out = tmp_path / "out"
    report = run_ray_batch(Engine, str(src), str(out), actors=2, batch_size=16, workers=2, progress=False)
    rows = _out_rows(out)
    ids = [str(r["id"]) for r in rows]
    assert len(ids) == len(set(ids)), "an id written twice"
    assert sorted(ids) == sorted(expected), "ids dropped or added"
    mismatched = [i for i, r in zip(ids, rows) if r != expected[i]]
    assert not mismatched, f"{len(mismatched)} rows differ from the single-process job's, e.g. {mismatched[:3]}"
    assert any(r["style"] == "concise" for r in rows) and any("title" in r for r in rows)
    assert {r["source_lang"] for r in rows} == {"ko", "en"}
    assert (report.total, report.done, report.skipped) == (N + 4 + len(BAD), N + 4, 0)

    # each bad row is in the errors output with its place, id and reason; the job went on
    errors = _errors(out)
    assert len(errors) == len(report.failed) == len(BAD)
    for (_line, reason), error in zip(BAD, sorted(errors, key=lambda e: int(e["where"].rsplit(":", 1)[1]))):
        assert reason in error["error"] and error["where"].startswith(str(src))
    assert {e["id"] for e in errors} == {None, "empty", "ko-3", "digits", "poetic"}
    first_ko3 = 1 + next(k for k, line in enumerate(src.read_text(encoding="utf-8").splitlines())
                         if '"id": "ko-3"' in line)
    assert f"repeats {src}:{first_ko3}" in next(e["error"] for e in errors if e["id"] == "ko-3")


def test_killed_actor_then_a_second_run_does_no_work(ray_local, single, tmp_path: Path) -> None:
    from models.jobs_ray import run_ray_batch

    src_all, expected = single
    src, out, built = tmp_path / "in.jsonl", tmp_path / "out", tmp_path / "built"
    built.mkdir()
    good: dict[str, dict] = {}
    for line in src_all.read_text(encoding="utf-8").splitlines()[:90]:
        row = json.loads(line) if line.startswith('{"id"') else {}
        if str(row.get("id")) in expected:
            good.setdefault(str(row["id"]), row)  # the first of a repeated id, as the single job kept
    good = list(good.values())
    _write_jsonl(src, good)
    report = run_ray_batch(KilledOnce(str(built), after=40), str(src), str(out), actors=2, batch_size=8,
                           progress=False)
    assert (built / "killed").exists(), "no actor was killed"
    assert len(list(built.glob("built-*"))) >= 3, "the killed actor was not restarted"
    ids = sorted(str(r["id"]) for r in _out_rows(out))
    assert ids == sorted(str(r["id"]) for r in good), "every id exactly once"
    assert all(r == expected[str(r["id"])] for r in _out_rows(out))
    assert (report.done, report.failed) == (len(good), [])

    parts = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    for f in built.glob("built-*"):
        f.unlink()
    again = run_ray_batch(Built(str(built)), str(src), str(out), actors=2, batch_size=8, progress=False)
    assert (again.total, again.done, again.skipped, again.failed) == (len(good), 0, len(good), [])
    assert not list(built.glob("built-*")), "an actor was started"
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == parts, "OUT was written"


def test_cli_parquet_in_and_out(ray_local, single, tmp_path: Path, capsys) -> None:
    """``python -m service batch --engine ray`` (the production engine builder), Parquet both ways,
    resumed after its first part files were removed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from service.__main__ import main

    src_all, expected = single
    rows = [r for r in map(json.loads, src_all.read_text(encoding="utf-8").splitlines()[:3])]
    rows += [r for r in _articles() if str(r["id"]).startswith(("page-", "sample-"))]
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    columns = {"id": pa.string(), "text": pa.string(), "html": pa.string(), "title": pa.string(),
               "style": pa.string(), "max_bullets": pa.int64()}
    table = pa.Table.from_pylist([{**r, "id": str(r["id"])} for r in rows], schema=pa.schema(list(columns.items())))
    pq.write_table(table.slice(0, 4), src / "a.parquet")
    pq.write_table(table.slice(4), src / "b.parquet")
    argv = ["batch", "--engine", "ray", str(src), str(out), "--format", "parquet", "--actors", "1",
            "--batch-size", "2", "--no-progress"]
    assert main(argv) == 0
    assert f"{len(rows)} summarized, 0 already done, 0 failed of {len(rows)} rows" in capsys.readouterr().err
    got = {r["id"]: r for r in _out_rows(out)}
    assert sorted(got) == sorted(str(r["id"]) for r in rows)
    for rid, row in got.items():
        want = {**expected[rid], "id": rid}
        assert {k: v for k, v in row.items() if v is not None} == {**want, "models": list(want["models"].items())}

    removed = sorted(out.glob("part-*.parquet"))[0]
    lost = len(pq.read_table(removed))
    removed.unlink()
    assert main(argv) == 0
    assert f"{lost} summarized, {len(rows) - lost} already done" in capsys.readouterr().err
    assert sorted(r["id"] for r in _out_rows(out)) == sorted(got)


def test_without_ray_the_cli_names_the_install_command(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "The plan starts."}\n', encoding="utf-8")
    code = ("import sys; sys.modules['ray'] = None; from service.__main__ import main; "  # ray unimportable
            f"sys.exit(main(['batch', '--engine', 'ray', {str(src)!r}, {str(tmp_path / 'out')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "bash scripts/setup.sh --ray" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_ray_options_need_the_ray_engine(tmp_path: Path, capsys) -> None:
    from service.__main__ import main

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "The plan starts."}\n', encoding="utf-8")
    assert main(["batch", str(src), str(tmp_path / "out.jsonl"), "--actors", "2", "--format", "parquet"]) == 2
    assert "--actors, --format: only with --engine ray" in capsys.readouterr().err


def test_a_retried_batch_replaces_its_own_part(engine: Engine, tmp_path: Path, en_article: str) -> None:
    """What makes a retry after a kill between writing a part and returning harmless: the part is
    named by its rows, so the same batch twice leaves one part (and no temporary file)."""
    pa = pytest.importorskip("pyarrow", reason="pyarrow comes with the Ray lock")
    from models.jobs_ray import Summarize

    actor = Summarize(lambda: engine, str(tmp_path), "jsonl", None, 2, "sentence", workers=1)
    batch = pa.table({"where": ["in.jsonl:1", "in.jsonl:2"],
                      "row": pa.array([json.dumps({"id": i, "text": en_article}).encode() for i in "ab"])})
    for _ in range(2):
        counts = actor(batch)
        assert counts["done"].to_pylist() == [2]
    assert len(list(tmp_path.iterdir())) == 1
    assert [r["id"] for r in _out_rows(tmp_path)] == ["a", "b"]
    other = actor(batch.slice(1))  # another batch: another part
    assert other["done"].to_pylist() == [1] and len(list(tmp_path.iterdir())) == 2


def test_rayjob_example_runs_the_ray_engine_with_real_options() -> None:
    """deploy/kuberay/rayjob-batch.yaml is outside kubernetes-validate's reach (no RayJob schema): at least
    it is a RayJob whose command is this CLI with options the batch command has."""
    import shlex

    import yaml

    manifest = yaml.safe_load((ROOT / "deploy" / "kuberay" / "rayjob-batch.yaml").read_text(encoding="utf-8"))
    assert (manifest["apiVersion"], manifest["kind"]) == ("ray.io/v1", "RayJob")
    argv = shlex.split(manifest["spec"]["entrypoint"])
    assert argv[:6] == ["python", "-m", "service", "batch", "--engine", "ray"]
    cli = (ROOT / "service" / "__main__.py").read_text(encoding="utf-8")
    assert all(f'"{a}"' in cli for a in argv if a.startswith("--")), argv
    head = manifest["spec"]["rayClusterSpec"]["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"  # the head runs the driver, no actor
