#!/usr/bin/env bash
# Create .venv and install one of the locks (compiled by pip-tools from the requirements*.in files).
#   bash scripts/setup.sh          the complete runtime (requirements.txt: extractive core + model libraries)
#   bash scripts/setup.sh --core   the extractive service only (requirements-core.txt: no torch,
#                                  transformers or CTranslate2; what the default container image holds)
#   bash scripts/setup.sh --dev    the complete runtime plus the test tools (requirements-dev.txt)
#   bash scripts/setup.sh --ray    adds Ray Data for `python -m service batch --engine ray`
#                                  (requirements-ray.txt: the complete runtime plus ray[data,default]); its pins
#                                  agree with the dev lock's, so it also installs on top of --dev (CI does)
# Installs from the lock only: every package pinned there, nothing resolved on the day (--no-deps);
# the core lock carries hashes, so pip checks every file it installs. `pip check` then fails the run
# on any broken requirement. The venv's own pip does the install (the dev lock pins pip itself).
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
case "${1:-}" in
  "") req=requirements.txt ;;
  --core) req=requirements-core.txt ;;
  --dev) req=requirements-dev.txt ;;
  --ray) req=requirements-ray.txt ;;
  *) echo "usage: $0 [--core|--dev|--ray]" >&2; exit 2 ;;
esac
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# the stamp covers every lock, so a changed pin anywhere reinstalls
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$(basename "$req")"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
  .venv/bin/python -m pip check
  touch "$stamp"
fi
