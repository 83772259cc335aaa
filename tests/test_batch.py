"""The batch path: resumable, one bad row reported and skipped, progress shown."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from models import Engine
from models.jobs import run_batch

ROOT = Path(__file__).resolve().parent.parent


def _rows(ko: str, en: str) -> list[str]:
    return [
        json.dumps({"id": "ko-1", "text": ko}, ensure_ascii=False),
        "{this is not json",
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps({"id": "en-1", "text": en, "max_bullets": 2}),
        json.dumps({"text": "no id here."}),
        json.dumps({"id": "digits", "text": "12345 67890"}),
    ]


def test_batch_survives_bad_rows_and_resumes(engine: Engine, tmp_path: Path, ko_article: str, en_article: str,
                                              capsys) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(_rows(ko_article, en_article)) + "\n", encoding="utf-8")
    report = run_batch(engine, src, out, workers=2, progress=False)
    assert (report.total, report.done, report.skipped) == (6, 2, 0)
    assert {f["line"] for f in report.failed} == {2, 3, 5, 6}
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {"ko-1", "en-1"}
    assert len(rows["ko-1"]["bullets"]) == 3 and len(rows["en-1"]["bullets"]) == 2
    assert all(isinstance(b, str) for b in rows["ko-1"]["bullets"])
    assert "line 2" in capsys.readouterr().err

    # a rerun skips what is done and does not duplicate rows
    again = run_batch(engine, src, out, progress=False)
    assert (again.done, again.skipped) == (0, 2)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_batch_redoes_a_row_cut_short(engine: Engine, tmp_path: Path, en_article: str) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "a", "text": en_article}) + "\n", encoding="utf-8")
    out.write_text('{"id": "a", "bull', encoding="utf-8")  # an interrupted earlier run
    report = run_batch(engine, src, out, progress=False)
    assert report.done == 1


def test_batch_cli_shows_progress(tmp_path: Path, en_article: str) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "a", "text": en_article}) + "\n{bad\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "service", "batch", str(src), str(out), "--max-bullets", "2"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1  # one row failed
    assert "summarizing" in proc.stderr and "100%" in proc.stderr
    assert "1 summarized, 0 already done, 1 failed of 2 rows" in proc.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["bullets"]) == 2


def _valid_rows(out: Path) -> list[dict]:
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b"", "the last line is complete"
    return [json.loads(line) for line in lines[:-1]]  # every line is JSON, or this raises


def test_batch_killed_with_sigkill_resumes_every_id_once(tmp_path: Path, ko_article: str, en_article: str) -> None:
    """A real ``python -m service batch`` killed with SIGKILL while writing, twice, then a last line cut
    mid-write by hand and a stray tail: each resume leaves only valid JSON lines, the last one ends every
    id exactly once."""
    import signal
    import time

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    articles = [ko_article, en_article]
    n = 400
    src.write_text("".join(json.dumps({"id": f"row-{i}", "text": f"Row {i}.\n" + articles[i % 2]},
                                      ensure_ascii=False) + "\n" for i in range(n)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "service", "batch", str(src), str(out), "--no-progress", "--workers", "2"]
    kills = 0
    for wanted in (20, 120):  # kill once some rows are written, at no particular byte
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < wanted):
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += proc.returncode == -signal.SIGKILL
        assert out.read_bytes().count(b"\n") < n, "killed before it finished"
    assert kills == 2
    # a line cut mid-write (as a kill inside write() leaves it), then the rerun must not glue onto it
    data = out.read_bytes()
    out.write_bytes(data + data[: len(data.split(b"\n")[0]) // 2])
    done_before = len(_valid_rows_lenient(out))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "removed 1 damaged or repeated line(s)" in proc.stderr
    assert f"{n - done_before} summarized, {done_before} already done, 0 failed of {n} rows" in proc.stderr
    rows = _valid_rows(out)
    assert sorted(r["id"] for r in rows) == sorted(f"row-{i}" for i in range(n))
    assert all(len(r["bullets"]) == 3 for r in rows)


def _valid_rows_lenient(out: Path) -> list[dict]:
    rows = []
    for line in out.read_bytes().splitlines(keepends=True):
        try:
            if line.endswith(b"\n"):
                rows.append(json.loads(line))
        except ValueError:
            pass
    return rows


def test_batch_repairs_damage_anywhere_and_repeated_ids(engine: Engine, tmp_path: Path, en_article: str,
                                                       capsys) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"".join(json.dumps({"id": i, "text": en_article}).encode() + b"\n" for i in "abc")
                    + b'{"id": "a", "text": "The plan starts."}\n' + b'{"id": "d", "text": "\xff\xfe"}\n')
    good = json.dumps({"id": "a", "bullets": ["x"]})
    # a row glued onto a cut line by an older resume, a repeated id, and a cut tail
    out.write_text(good + "\n" + '{"id": "b", "bull{"id": "c", "bullets": []}\n' + good + "\n" + '{"id"',
                   encoding="utf-8")
    report = run_batch(engine, src, out, progress=False)
    assert (report.done, report.skipped) == (2, 1)
    assert sorted(f["line"] for f in report.failed) == [4, 5]  # the repeated id and the non-UTF-8 row
    assert "removed 3 damaged or repeated line(s)" in capsys.readouterr().err
    assert sorted(r["id"] for r in _valid_rows(out)) == ["a", "b", "c"]


def test_batch_style_per_run_and_per_row(engine: Engine, tmp_path: Path, ko_article: str) -> None:
    from models.text.style import is_nominal_ko

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "run-style", "text": ko_article}, ensure_ascii=False),
        json.dumps({"id": "row-style", "text": ko_article, "style": "sentence"}, ensure_ascii=False),
        json.dumps({"id": "bad-style", "text": ko_article, "style": "poetic"}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    report = run_batch(engine, src, out, progress=False, style="concise")
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["run-style"]["style"] == "concise" and rows["row-style"]["style"] == "sentence"
    assert all(is_nominal_ko(b, engine.splitter.kiwi) for b in rows["run-style"]["bullets"])
    assert rows["run-style"]["bullets"] != rows["row-style"]["bullets"]
    assert [f["line"] for f in report.failed] == [3] and "style" in report.failed[0]["error"]


def test_batch_reports_falsy_and_wrong_typed_rows(engine: Engine, tmp_path: Path, en_article: str) -> None:
    """Each such row is a reported, skipped row; the rows after it are still summarized ("text": ""
    stopped the whole job with an AttributeError, and every rerun at the same row)."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    bad = [{"id": "empty", "text": ""}, {"id": "empty-html", "html": ""}, {"id": "number", "text": 5},
           {"id": "list", "html": ["<p>x</p>"]}, {"id": "null", "text": None}, {"id": "false", "text": False},
           {"id": "object", "text": {"a": 1}}]
    rows = [*bad, {"id": "after", "text": en_article}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = run_batch(engine, src, out, progress=False)
    assert report.done == 1 and len(report.failed) == len(bad)
    assert {f["id"] for f in report.failed} == {r["id"] for r in bad}
    errors = {f["id"]: f["error"] for f in report.failed}
    assert "non-empty 'text'" in errors["empty"] and "non-empty 'html'" in errors["empty-html"]
    assert "must be a string (got int)" in errors["number"] and "(got list)" in errors["list"]
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["after"]


def test_a_rows_max_chars_is_its_bullets_target(tmp_path, engine) -> None:  # noqa: ANN001
    """max_chars per row (else the job's) is the target length, with the API's range (40-400)."""
    import json

    from models.jobs import run_batch

    text = (Path(__file__).resolve().parents[1] / "samples" / "en.txt").read_text(encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in (
        {"id": "wide", "text": text, "max_chars": 400}, {"id": "narrow", "text": text},
        {"id": "bad", "text": text, "max_chars": 20})), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    report = run_batch(engine, src, out, progress=False, max_chars=60)
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {"wide", "narrow"} and [f["id"] for f in report.failed] == ["bad"]
    assert "max_chars must be a whole number 40-400" in report.failed[0]["error"]
    assert all(len(b) <= 90 for b in rows["narrow"]["bullets"])  # 60, and its 1.5 x ceiling
    assert sum(map(len, rows["narrow"]["bullets"])) < sum(map(len, rows["wide"]["bullets"]))
