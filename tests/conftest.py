"""Fixture chain: one engine per session (kiwipiepy is slow to build), an app and client per test."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from models import Engine
from models.cache import RedisCache
from service import Settings, create_app

# The tests run their models on CTranslate2 wherever they run, unless a test names a backend:
# SUMMARIZER_BACKEND=auto picks the int8 runtime by the CPU's vendor and memory
# (models/inference/auto.py), which would make an AMD CI machine run them on torch int8 and an Intel one
# on CTranslate2. The rule, and the service on each runtime it picks, are tested in test_auto_backend.py.
os.environ.setdefault("SUMMARIZER_BACKEND", "ctranslate2")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="session")
def engine() -> Engine:
    e = Engine()
    e.warm_up()
    return e


@pytest.fixture()
def settings() -> Settings:
    return Settings(max_body_bytes=64 * 1024, max_text_chars=20_000)


@pytest.fixture()
def app(settings: Settings, engine: Engine):
    return create_app(settings, engine=engine)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def ko_article() -> str:
    return (SAMPLES / "ko.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def ko_article_no_periods() -> str:
    return (SAMPLES / "ko_no_periods.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def en_article() -> str:
    return (SAMPLES / "en.txt").read_text(encoding="utf-8")


# --- tier 3: tiny real seq2seq models, built once per test session ---------------------------


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """Directories of tiny random-weight models that load through ``from_pretrained``."""
    from tests.tiny_models import build_bart, build_marian, build_t5

    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "marian_ko_en": build_marian(root / "marian-ko-en", seed=1),
        "marian_en_ko": build_marian(root / "marian-en-ko", seed=2),
        "bart": build_bart(root / "bart", seed=3),
        "t5": build_t5(root / "t5", seed=4),
        "mt5_nc": build_t5(root / "mt5-nc", seed=5, mt5=True, licence="cc-by-nc-sa-4.0"),
    }


# the longest bullet the tiny models' token soup makes (no limit applies to a model's own sentence)
TINY_MODEL_MAX_CHARS = 1000


@pytest.fixture(scope="session")
def model_settings(tiny_models: dict[str, Path], tmp_path_factory) -> Settings:
    return Settings(
        models_dir=str(tmp_path_factory.mktemp("models-dir")),  # CTranslate2's conversions go here
        backend="ctranslate2",  # as every test's, above
        max_body_bytes=256 * 1024,
        max_text_chars=50_000,
        model_summarize_en=str(tiny_models["bart"]),
        model_summarize_ko=str(tiny_models["t5"]),
        model_translate_ko_en=str(tiny_models["marian_ko_en"]),
        model_translate_en_ko=str(tiny_models["marian_en_ko"]),
        torch_threads=1,
        # the default bullet lengths (140 / 100): random-weight models write 200-300 characters of
        # token soup that no compression can shorten, and a model's output is never refused for its
        # length (kept whole past the ceiling), so no request here may fail for it
    )


@pytest.fixture(scope="session")
def model_engine(model_settings: Settings, engine: Engine) -> Engine:
    """The production engine builder on tiny models, sharing the session's kiwipiepy."""
    from service.runtime import build_engine

    built = build_engine(model_settings, base=engine)
    built.warm_up()
    return built


@pytest.fixture()
def model_client(model_settings: Settings, model_engine: Engine):
    return create_app(model_settings, engine=model_engine).test_client()


@pytest.fixture()
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (scripts/system-deps.sh installs it)")
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if RedisCache(url).ping():
                break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)
