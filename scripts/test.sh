#!/usr/bin/env bash
# The test command: install the dev lock (runtime + test tools) and the Ray lock (Ray Data, for
# tests/test_ray_batch.py; same pins as the dev lock) into .venv, lint, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
bash scripts/setup.sh --ray
# System packages for the Redis and browser tests: installed here when we are root; otherwise the
# command to run is printed and the tests stop, unless SUMMARIZER_SKIP_SYSTEM_TESTS=1 says to run
# without them (pytest's summary then says how many tests that skipped).
if [ "${SUMMARIZER_SKIP_SYSTEM_TESTS:-}" != "1" ] && ! missing=$(bash scripts/system-deps.sh --check); then
  if [ "$(id -u)" = "0" ]; then
    echo "installing system packages for the tests: $missing" >&2
    bash scripts/system-deps.sh
  else
    echo "missing system packages for the Redis and browser tests: $missing" >&2
    echo "install them:  sudo bash scripts/system-deps.sh" >&2
    echo "or run without those tests:  SUMMARIZER_SKIP_SYSTEM_TESTS=1 bash scripts/test.sh" >&2
    exit 1
  fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/ruff check .
.venv/bin/mypy   # models/ and service/, as pyproject.toml's [tool.mypy] says
bash scripts/lint-deploy.sh
.venv/bin/bandit -q -r models service -ll   # medium and high severity fail the build
# Known vulnerabilities: tests/test_supply_chain.py runs pip-audit and reports the packages it could
# not check as "not audited" (a skip), never as passed. The locks' own checks (in sync with the .in
# files; installed cold from the core lock into a new venv, then served from) are tests/test_lock.py
# and tests/test_slim.py.
.venv/bin/python -m pytest -p tests.system_tests "$@"
