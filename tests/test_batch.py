"""The batch path: resumable, one bad row reported and skipped, progress shown."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from models import Engine
from models.batch import run_batch

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
