"""Structured logs: one JSON object per line, with the request id where there is one."""
from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    if any(getattr(h, "_summarizer", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                      rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    )
    handler._summarizer = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
