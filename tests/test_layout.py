"""The house's rooms stay readable: no module of models/ or service/ over MAX_LINES lines, and
models/ never imports Flask (the HTTP layer is service/'s alone)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_no_module_of_models_or_service_runs_past_the_line_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules("models", "service")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split along a seam: {long}"


def test_models_never_imports_flask() -> None:
    found = []
    for p in _modules("models"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{p.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ("flask", "werkzeug")]
    assert not found, found
