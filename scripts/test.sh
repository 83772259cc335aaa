#!/usr/bin/env bash
# The test command: install with test tools, lint, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/ruff check .
bash scripts/lint-deploy.sh
.venv/bin/bandit -q -r models service -ll   # medium and high severity fail the build
# Known vulnerabilities in the installed packages. Where the vulnerability service cannot be
# reached (these machines see only package indexes), packages are listed as skipped, not passed.
.venv/bin/pip-audit -l --progress-spinner off || { echo "pip-audit found vulnerable packages" >&2; exit 1; }
.venv/bin/python -m pytest "$@"
