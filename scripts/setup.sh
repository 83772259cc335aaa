#!/usr/bin/env bash
# Create .venv and install the pinned dependencies.
#   bash scripts/setup.sh          the complete runtime (requirements.txt: extractive core + model libraries)
#   bash scripts/setup.sh --core   the extractive service only (requirements-core.txt: no torch,
#                                  transformers or CTranslate2; what the default container image holds)
#   bash scripts/setup.sh --dev    the complete runtime plus the test tools (requirements-dev.txt)
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
case "${1:-}" in
  "") req=requirements.txt ;;
  --core) req=requirements-core.txt ;;
  --dev) req=requirements-dev.txt ;;
  *) echo "usage: $0 [--core|--dev]" >&2; exit 2 ;;
esac
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# the stamp covers every requirements file, so a changed pin anywhere reinstalls
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$(basename "$req")"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  touch "$stamp"
fi
