"""The README's example responses are the service's own (scripts/readme_examples.py writes them)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("readme_examples", ROOT / "scripts" / "readme_examples.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_examples_are_the_services_answers(capsys) -> None:  # noqa: ANN001
    assert _script().main(["--check"]) == 0, capsys.readouterr().err


def test_the_check_fails_on_a_stale_example(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    mod = _script()
    stale = tmp_path / "README.md"
    stale.write_text((ROOT / "README.md").read_text(encoding="utf-8").replace(
        "서울시가 내년 3월부터", "서울시가 내후년 3월부터", 1), encoding="utf-8")
    monkeypatch.setattr(mod, "README", stale)
    assert mod.main(["--check"]) == 1
