#!/usr/bin/env bash
# Quick start: install, summarize the bundled sample articles, then serve on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
echo "== samples/ko.txt"; .venv/bin/python -m service summarize samples/ko.txt 2>/dev/null
echo "== samples/en.txt"; .venv/bin/python -m service summarize samples/en.txt 2>/dev/null
echo "== serving on http://${SUMMARIZER_HOST:-127.0.0.1}:${SUMMARIZER_PORT:-8000} (Ctrl-C stops)"
exec .venv/bin/python -m service serve "$@"
