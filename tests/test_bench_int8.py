"""bench.int8 --quick: the int8 timings and the batch-invariance counts come back for a tiny model."""
from __future__ import annotations

import json
from pathlib import Path

from bench import int8


def test_quick_run_reports_every_runtime_and_batch_invariance(tmp_path: Path, capsys) -> None:
    out = tmp_path / "int8.json"
    assert int8.main(["--quick", "--out", str(out), "--workdir", str(tmp_path / "work")]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    names = {"ctranslate2-int8", "torch-qint8", "torch-qint8-service", "torch-qint8-service-split"}
    if report["cpu"]["vendor"] != "GenuineIntel":
        names.add("ctranslate2-int8-mkl")
    assert set(report["tokens_per_s"]) == names
    assert all(len(v) == 1 and v[0] > 0 for v in report["tokens_per_s"].values())
    assert set(report["voluntary_switches_per_batch"]) == names
    differ = report["batch_variant_outputs"]
    assert set(differ) == {"transformers", "ctranslate2", "transformers-int8"}
    assert all(0 <= n <= report["texts"] for n in differ.values())
    assert "outputs that change when the 8 texts share a batch" in capsys.readouterr().out
