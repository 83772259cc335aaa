"""The slim install (requirements-core.txt, the default container image) has no model libraries.

Every process below runs with a ``sitecustomize`` import hook that refuses the modules of the
packages requirements.txt adds to requirements-core.txt (torch, transformers, CTranslate2, ...) and
logs each attempt, so the extractive CLI and a real gunicorn server are shown to work, and to never
even try those imports, exactly as in an environment where they are not installed.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bench.server import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent

HOOK = '''
import importlib.abc, os, sys

_BLOCKED = frozenset(os.environ["SLIM_TEST_BLOCKED"].split(","))
_LOG = os.environ["SLIM_TEST_LOG"]


class _Refuse(importlib.abc.MetaPathFinder):
    """Behave as if the model libraries were not installed, and log who asked."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED:
            with open(_LOG, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {name}\\n")
            raise ModuleNotFoundError(f"No module named {name!r} (not in requirements-core.txt)", name=name)
        return None


sys.meta_path.insert(0, _Refuse())
'''


def _pinned(path: Path) -> dict[str, str]:
    """``name -> version`` of the ``name==version`` lines of one requirements file (not its ``-r``)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            out[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    return out


def _blocked_modules() -> list[str]:
    """Top-level modules of the packages requirements.txt adds on top of requirements-core.txt."""
    model_dists = set(_pinned(ROOT / "requirements.txt")) - set(_pinned(ROOT / "requirements-core.txt"))
    modules = set()
    for module, dists in importlib.metadata.packages_distributions().items():
        if any(re.sub(r"[-_.]+", "-", d.lower()) in model_dists for d in dists) and module.isidentifier():
            modules.add(module)
    return sorted(modules)


@pytest.fixture(scope="module")
def slim_env(tmp_path_factory) -> dict[str, str]:
    hook_dir = tmp_path_factory.mktemp("slim-hook")
    (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    blocked = _blocked_modules()
    assert {"torch", "transformers", "ctranslate2", "huggingface_hub"} <= set(blocked), blocked
    return {
        "PYTHONPATH": f"{hook_dir}{os.pathsep}{ROOT}",
        "SLIM_TEST_BLOCKED": ",".join(blocked),
        "SLIM_TEST_LOG": str(hook_dir / "attempts.log"),
    }


def _attempts(env: dict[str, str]) -> str:
    log = Path(env["SLIM_TEST_LOG"])
    return log.read_text(encoding="utf-8") if log.exists() else ""


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_requirements_split() -> None:
    """requirements.txt is the complete list: the core file plus the model libraries, none twice."""
    full = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-r requirements-core.txt" in full
    core, models = _pinned(ROOT / "requirements-core.txt"), _pinned(ROOT / "requirements.txt")
    assert not set(core) & set(models), "pinned in both files"
    assert all(re.fullmatch(r"[\w.+]+", v) for v in {**core, **models}.values()), "every line pinned with =="
    assert {"torch", "transformers", "ctranslate2"} <= set(models)
    assert {"flask", "gunicorn", "kiwipiepy"} <= set(core)


def test_hook_refuses_model_libraries(slim_env: dict[str, str]) -> None:
    done = _run(slim_env, "-c", "import torch")
    assert done.returncode == 1 and "not in requirements-core.txt" in done.stderr
    assert "torch" in _attempts(slim_env)
    Path(slim_env["SLIM_TEST_LOG"]).unlink()


@pytest.mark.parametrize(("sample", "word"), [("ko.txt", "전기버스"), ("en.txt", "ferry")])
def test_cli_summarizes_without_model_libraries(slim_env: dict[str, str], sample: str, word: str) -> None:
    done = _run(slim_env, "-m", "service", "summarize", f"samples/{sample}")
    assert done.returncode == 0, done.stderr[-2000:]
    bullets = [line for line in done.stdout.splitlines() if line.startswith("• ")]
    assert len(bullets) == 3 and any(word in b for b in bullets), done.stdout
    assert "extractive" in done.stderr
    assert _attempts(slim_env) == ""


def test_server_serves_without_model_libraries(slim_env: dict[str, str], ko_article: str, en_article: str) -> None:
    proc, base = start_server(slim_env, workers=2)
    try:
        for text, lang in ((ko_article, "ko"), (en_article, "en")):
            r = requests.post(f"{base}/v1/summarize", json={"text": text}, timeout=30)
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["source_lang"] == lang and body["method"] == "extractive" and len(body["bullets"]) == 3
        r = requests.post(f"{base}/v1/translate", json={"text": en_article, "target_lang": "ko"}, timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "model_unavailable"
        models = requests.get(f"{base}/v1/models", timeout=10).json()["models"]
        assert {m["kind"] for m in models} == {"builtin"}
        os.killpg(proc.pid, signal.SIGTERM)  # and every worker exits by itself, as in `docker stop`
        assert proc.wait(30) == 0
        log = Path(proc.log_path).read_text(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
        assert "Shutting down: Master" in log
        assert "was sent SIG" not in log and "terminate called" not in log, log[-3000:]
    finally:
        stop_server(proc)
    assert _attempts(slim_env) == ""


def test_configured_model_without_libraries_stops_start_up(slim_env: dict[str, str], tmp_path: Path) -> None:
    env = {**slim_env, "SUMMARIZER_MODEL_TRANSLATE_KO_EN": str(tmp_path)}
    done = _run(env, "-m", "service", "serve", "--host", "127.0.0.1", "--port", "1")
    assert done.returncode == 2
    assert "torch, transformers, huggingface_hub is not installed" in done.stderr
    assert "requirements.txt" in done.stderr and "Traceback" not in done.stderr
