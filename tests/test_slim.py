"""The slim install (requirements-core.txt, the default container image) has no model libraries.

Two proofs. Every process of the first group runs in this venv with a ``sitecustomize`` import hook
that refuses the modules of the packages requirements.txt adds to requirements-core.txt (torch,
transformers, CTranslate2, ...) and logs each attempt, so the extractive CLI and a real gunicorn
server are shown to never even try those imports. The second group installs the core lock cold
into a new venv, as a user would (the venv's own pip, no upgrade, no pip cache, ``--no-deps`` from
the hashed lock), then imports every runtime module there, extracts real HTML, and serves plain
text, pasted pages and HTML in both languages from a real server: a package missing from the lock
fails here, not at a user's first start.
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
from tests.test_lock import pins

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


def _blocked_modules() -> list[str]:
    """Top-level modules of the packages requirements.txt adds on top of requirements-core.txt."""
    model_dists = set(pins("requirements.txt")) - set(pins("requirements-core.txt"))
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
    """The full lock holds the core lock, same pins, and adds the model libraries; the core lacks them."""
    core, full = pins("requirements-core.txt"), pins("requirements.txt")
    assert {"flask", "gunicorn", "kiwipiepy", "trafilatura", "lxml-html-clean"} <= set(core)
    assert {name: full.get(name) for name in core} == core, "a core pin differs in requirements.txt"
    assert {"torch", "transformers", "ctranslate2", "huggingface-hub"} <= set(full) - set(core)


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


# --- the core lock installed cold into a new venv --------------------------------------------------

SMOKE = r"""
import importlib, pkgutil, sys
import models, service
names = []
for pkg in (models, service):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if info.name != "service.__main__":  # runs the CLI; `python -m service` is run below
            importlib.import_module(info.name)
            names.append(info.name)
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in {"torch", "transformers", "ctranslate2"})
assert not loaded, loaded
from models.text.page import extract_page
body = {"en": ["The city council approved a new budget for its schools on Monday after a long debate.",
               "The plan adds 300 teachers over three years and repairs forty old buildings.",
               "Parents' groups welcomed the vote but warned that the money may not be enough."],
        "ko": ["시의회가 13일 긴 토론 끝에 학교 예산안을 통과시켰다.",
               "예산안은 3년 동안 교사 300명을 늘리고 낡은 건물 40곳을 고치는 내용을 담았다.",
               "학부모 단체들은 표결을 환영하면서도 예산이 부족할 수 있다고 우려했다."]}
for lang, paras in body.items():
    html = ("<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav><article>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article><footer>(c) Daily</footer></body></html>")
    page = extract_page(html)
    assert all(p in page.text for p in paras), (lang, page.text)
import lxml.html.clean  # what jusText, trafilatura's fallback, imports
print(len(names), "modules")
"""


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory) -> Path:
    """A new venv with the core lock alone, installed as the README's slim install says, by the venv's
    own pip (no upgrade: 23.2.1 on a stock Python 3.11) with no pip cache; the lock's hashes put pip
    in hash-checking mode, where a dependency the lock does not pin stops the install."""
    venv = tmp_path_factory.mktemp("core") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)  # the interpreter this venv was made from
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--disable-pip-version-check",
                           "-r", str(ROOT / "requirements-core.txt")],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return venv


def test_core_venv_is_complete_and_slim(core_venv: Path) -> None:
    done = subprocess.run([str(core_venv / "bin" / "pip"), "check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run([str(core_venv / "bin" / "pip"), "list", "--format", "freeze"],
                            capture_output=True, text=True, timeout=120).stdout
    installed = {re.sub(r"[-_.]+", "-", line.partition("==")[0].lower()) for line in listed.splitlines()}
    core = set(pins("requirements-core.txt"))
    assert core <= installed
    assert not {"torch", "transformers", "ctranslate2", "huggingface-hub"} & installed


def test_every_runtime_module_imports_and_pages_extract_in_core_venv(core_venv: Path) -> None:
    done = subprocess.run([str(core_venv / "bin" / "python"), "-c", SMOKE], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[0]) >= 30, done.stdout


def test_core_venv_server_answers_text_pasted_pages_and_html(core_venv: Path, ko_article: str, en_article: str) -> None:
    from tests.test_pages_e2e import EN_BODY, EN_PASTED, KO_BODY, KO_PASTED, html_page

    proc, base = start_server({"PYTHONPATH": str(ROOT)}, workers=1, python=str(core_venv / "bin" / "python"))
    try:
        cases = [({"text": ko_article}, "ko", None), ({"text": en_article}, "en", None),
                 ({"text": KO_PASTED}, "ko", KO_BODY), ({"text": EN_PASTED}, "en", EN_BODY),
                 ({"html": html_page("저커버그 방한", KO_BODY, "ko")}, "ko", KO_BODY),
                 ({"html": html_page("Zuckerberg to visit Korea", EN_BODY)}, "en", EN_BODY)]
        for payload, lang, body in cases:
            r = requests.post(f"{base}/v1/summarize", json=payload, timeout=60)
            assert r.status_code == 200, r.text
            out = r.json()
            assert out["source_lang"] == lang and out["method"] == "extractive" and len(out["bullets"]) == 3, out
            text = out.get("text", payload.get("text"))
            for bullet in out["bullets"]:
                for s in bullet["sources"]:
                    assert text[s["start"]:s["end"]] == s["sentence"]
                    assert body is None or any(s["sentence"] in para for para in body), s["sentence"]
    finally:
        stop_server(proc)
