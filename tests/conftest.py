"""Fixture chain: one engine per session (kiwipiepy is slow to build), an app and client per test."""
from __future__ import annotations

from pathlib import Path

import pytest

from models import Engine
from service import Settings, create_app

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
