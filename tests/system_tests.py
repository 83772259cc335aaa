"""pytest plugin (``-p tests.system_tests``, loaded by scripts/test.sh): the summary says when tests
that need system packages (Redis, Chromium) were skipped, and whether that was asked for
(``SUMMARIZER_SKIP_SYSTEM_TESTS=1``)."""
from __future__ import annotations

import os

import pytest

_MARKERS = ("redis-server is not installed", "chromium and chromium-driver are not installed")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if any(m in str(getattr(r, "longrepr", "")) for m in _MARKERS)]
    opted_out = os.environ.get("SUMMARIZER_SKIP_SYSTEM_TESTS") == "1"
    if opted_out:
        terminalreporter.write_line(
            f"SUMMARIZER_SKIP_SYSTEM_TESTS=1: {len(skipped)} test(s) needing Redis or Chromium skipped "
            "(install them with: sudo bash scripts/system-deps.sh)", yellow=True, bold=True)
    elif skipped:
        terminalreporter.write_line(
            f"{len(skipped)} test(s) skipped for missing system packages: run sudo bash scripts/system-deps.sh",
            red=True, bold=True)
