"""Metrics and API docs wiring (filled in by the shipping issue)."""
from __future__ import annotations

from flask import Flask

from .config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Attach metrics, /openapi.json and /docs to ``app``."""
