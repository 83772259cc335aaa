#!/usr/bin/env bash
# The locks: requirements-core.txt, requirements.txt, requirements-dev.txt and requirements-ray.txt,
# compiled by pip-tools (pip-compile) from requirements-core.in, requirements.in, requirements-dev.in and
# requirements-ray.in, in that order (the Ray lock is constrained by the dev one, so both install together):
# each .in constrains itself to the lock before it (-c), so the core lock is a subset of the full
# one and the full one of the dev one, with the same pins.
#   bash scripts/refresh-lock.sh            upgrade on purpose: every package to the newest version its
#                                           .in range allows, then install the new locks into .venv and run
#                                           the fast test tier; the locks' diff is what a reviewer reads
#   bash scripts/refresh-lock.sh --compile  after an edit of an .in file: recompile, keeping every pin the
#                                           .in files still allow
#   bash scripts/refresh-lock.sh --check    recompile the locks in a scratch folder, keeping every pin, and
#                                           fail if any differs from the committed one (a hand-edited lock,
#                                           an .in edit not compiled); run by tests/test_lock.py
#   bash scripts/refresh-lock.sh --canary   the server's tests against the newest gunicorn release of the
#                                           locked major version, installed into a scratch folder that
#                                           shadows the locked one (the lock and .venv stay as they are): the
#                                           server uses gunicorn's documented settings only, and this is
#                                           how a release that changes them is caught before the lock moves
# pip-compile resolves with pip and this machine's pip configuration (indexes, wheel folders), the
# same installer that installs the locks: that is how the CPU torch wheel (2.13.0+cpu) is found.
# The core lock carries hashes; the others cannot (the CPU torch wheel comes from a wheel folder or
# PyTorch's CPU index, whose files pip-compile cannot hash for every platform), see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# (not PIP_COMPILE: pip reads every PIP_* variable as one of its options)
COMPILER=${LOCK_COMPILER:-$ROOT/.venv/bin/pip-compile}
[ -x "$COMPILER" ] || { echo "pip-compile not found: bash scripts/setup.sh --dev installs it" >&2; exit 2; }
mode=${1:-upgrade}
case "$mode" in upgrade|--compile|--check|--canary) ;; *) echo "usage: $0 [--compile|--check|--canary]" >&2; exit 2 ;; esac

# the tests that run the real server (gunicorn), for the canary
SERVER_TESTS=(tests/test_server.py tests/test_metrics_server.py
  tests/test_resilience.py::test_slow_body_gets_408_then_close
  tests/test_resilience.py::test_200_slow_clients_do_not_starve_ordinary_requests
  tests/test_resilience.py::test_sigterm_lets_in_flight_requests_finish
  tests/test_resilience.py::test_rate_limit_holds_across_two_workers)
if [ "$mode" = --canary ]; then
  locked=$(sed -n 's/^gunicorn==\([0-9.]*\).*/\1/p' requirements-core.txt)
  major=${locked%%.*}
  [ -n "$major" ] || { echo "no gunicorn pin in requirements-core.txt" >&2; exit 2; }
  scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
  # gunicorn needs only 'packaging', which the lock already has: --no-deps keeps everything else locked
  "$ROOT/.venv/bin/pip" install --quiet --no-deps --target "$scratch" "gunicorn>=$major,<$((major + 1))"
  export PYTHONPATH="$ROOT:$scratch"  # ahead of .venv's site-packages; bench.server passes it to the servers
  newest=$("$ROOT/.venv/bin/python" -c 'import gunicorn; print(gunicorn.__version__)')
  echo "canary: gunicorn $newest (locked: $locked) from $scratch"
  "$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider "${SERVER_TESTS[@]}"
  exit $?
fi

# extras a locked package asks for under a spelling pip < 23.3 does not match to the project's own
# (scripts/pin_extras.py says why); each lock gets a pin of that spelling beside the project's
EXTRA_SPELLINGS=("lxml[html_clean]:justext")

compile() {  # compile DIR [pip-compile options...]: the three locks in DIR, in order
  local dir=$1; shift
  # the header names this script, not pip-compile's options, so it reads the same whatever the mode
  export CUSTOM_COMPILE_COMMAND="bash scripts/refresh-lock.sh"
  local common=(--quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links "$@")
  (cd "$dir" &&
    "$COMPILER" "${common[@]}" --generate-hashes -o requirements-core.txt requirements-core.in &&
    python3 "$ROOT/scripts/pin_extras.py" requirements-core.txt "${EXTRA_SPELLINGS[@]}" &&
    "$COMPILER" "${common[@]}" -o requirements.txt requirements.in &&
    python3 "$ROOT/scripts/pin_extras.py" requirements.txt "${EXTRA_SPELLINGS[@]}" &&
    "$COMPILER" "${common[@]}" -o requirements-dev.txt requirements-dev.in &&
    python3 "$ROOT/scripts/pin_extras.py" requirements-dev.txt "${EXTRA_SPELLINGS[@]}" &&
    "$COMPILER" "${common[@]}" -o requirements-ray.txt requirements-ray.in &&
    python3 "$ROOT/scripts/pin_extras.py" requirements-ray.txt "${EXTRA_SPELLINGS[@]}") \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

LOCKS=(requirements-core.txt requirements.txt requirements-dev.txt requirements-ray.txt)
case "$mode" in
  --check)
    scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
    cp requirements-core.in requirements.in requirements-dev.in requirements-ray.in "${LOCKS[@]}" "$scratch/"
    compile "$scratch"
    status=0
    for f in "${LOCKS[@]}"; do
      if ! diff -u "$f" "$scratch/$f" > "$scratch/$f.diff"; then
        echo "$f is not what pip-compile makes of the .in files (bash scripts/refresh-lock.sh --compile):" >&2
        head -40 "$scratch/$f.diff" >&2
        status=1
      fi
    done
    [ "$status" = 0 ] && echo "locks in sync with their .in files: ${LOCKS[*]}"
    exit "$status"
    ;;
  --compile)
    compile "$ROOT"
    ;;
  upgrade)
    compile "$ROOT" --upgrade
    git --no-pager diff --stat -- "${LOCKS[@]}" 2>/dev/null || true
    bash scripts/setup.sh --dev
    # the fast tier: text helpers, the HTTP contract, tiny real models, the slim and cold core installs
    PYTHONPATH=$ROOT .venv/bin/python -m pytest -q -p no:cacheprovider \
      tests/test_text.py tests/test_extractive.py tests/test_page.py tests/test_bullets.py \
      tests/test_compress.py tests/test_api.py tests/test_openapi.py tests/test_models.py \
      tests/test_slim.py tests/test_lock.py
    ;;
esac
