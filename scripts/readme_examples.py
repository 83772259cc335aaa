"""Regenerate (or check) the README's example responses from the service itself.

    .venv/bin/python scripts/readme_examples.py          # rewrite every example block in README.md
    .venv/bin/python scripts/readme_examples.py --check  # exit 1 if an example no longer matches

An example is a request body in a marker comment, followed by the JSON block it answers:

    <!-- example: {"text": "@samples/ko.txt"} -->
    ```json
    ...
    ```

A string value "@PATH" is the content of that file (relative to the repository). The body is
POSTed to /v1/summarize of the app built with the default settings (the embedded extractive
path, no model), and the block is replaced by the response. ``--check`` compares everything but
what varies from run to run (``timings_ms``, ``request_id``), so tests/test_readme.py fails when
the service's output drifts from what the README shows.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = re.compile(r"<!-- example: (?P<body>\{.*?\}) -->\n```json\n(?P<json>.*?)\n```", re.S)
VARIES = ("timings_ms", "request_id")


def _body(spec: str) -> dict[str, Any]:
    body = json.loads(spec)
    return {k: (ROOT / v[1:]).read_text(encoding="utf-8") if isinstance(v, str) and v.startswith("@") else v
            for k, v in body.items()}


def respond(spec: str, client: Any) -> dict[str, Any]:  # noqa: ANN401 - a Flask test client
    resp = client.post("/v1/summarize", json=_body(spec))
    if resp.status_code != 200:
        raise SystemExit(f"example {spec} answered {resp.status_code}: {resp.get_data(as_text=True)}")
    return resp.get_json()


def render(data: dict[str, Any]) -> str:
    """The response as the README shows it: one bullet per entry, the other fields wrapped at 110."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    bullets = ",\n".join(f'  {{"text": {dump(b["text"])},\n   "sources": {dump(b["sources"])}}}'
                         for b in data["bullets"])
    lines, line = [], ""
    for key, value in data.items():
        if key == "bullets":
            continue
        item = f"{dump(key)}: {dump(value)}"
        if line and len(line) + len(item) + 2 > 110:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {item}" if line else f" {item}"
    lines.append(line + "}")
    return '{"bullets": [\n' + bullets + "],\n" + "\n".join(lines)


def _stable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in VARIES}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare instead of rewriting")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from service import create_app
    from service.config import Settings

    client = create_app(Settings(log_level="WARNING")).test_client()
    text = README.read_text(encoding="utf-8")
    stale = []

    def replace(m: re.Match[str]) -> str:
        data = respond(m.group("body"), client)
        if _stable(json.loads(m.group("json"))) != _stable(data):
            stale.append(m.group("body"))
        return f"<!-- example: {m.group('body')} -->\n```json\n{render(data)}\n```"

    new = EXAMPLE.sub(replace, text)
    if not EXAMPLE.search(text):
        raise SystemExit("no example markers in README.md")
    if args.check:
        for spec in stale:
            print(f"README example {spec} differs from the service's answer: "
                  "run .venv/bin/python scripts/readme_examples.py", file=sys.stderr)
        return 1 if stale else 0
    README.write_text(new, encoding="utf-8")
    print(f"{len(EXAMPLE.findall(text))} examples written ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
