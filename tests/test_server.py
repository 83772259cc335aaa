"""Tier 3: the real gunicorn server started by the serve command, on 127.0.0.1."""
from __future__ import annotations

import pytest
import requests

from bench.server import ROOT, start_server, stop_server


@pytest.fixture(scope="module")
def server():
    proc, base = start_server()
    yield base
    stop_server(proc)


@pytest.mark.parametrize(("sample", "lang"), [("ko.txt", "ko"), ("ko_no_periods.txt", "ko"), ("en.txt", "en")])
def test_real_server_summarizes(server: str, sample: str, lang: str) -> None:
    text = (ROOT / "samples" / sample).read_text(encoding="utf-8")
    resp = requests.post(f"{server}/v1/summarize", json={"text": text}, timeout=30)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["source_lang"] == lang and len(body["bullets"]) == 3
    assert resp.headers["X-Request-ID"] == body["request_id"]
    for bullet in body["bullets"]:
        for src in bullet["sources"]:
            assert text[src["start"] : src["end"]] == src["sentence"]


def test_real_server_errors_keep_the_shape(server: str) -> None:
    resp = requests.post(f"{server}/v1/summarize", data="{oops", headers={"Content-Type": "application/json"},
                         timeout=10)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"
    resp = requests.post(f"{server}/v1/summarize", data=b"x" * 2_000_000,
                         headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
