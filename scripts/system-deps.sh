#!/usr/bin/env bash
# System packages the tests need (Debian): Redis for the shared cache and rate-limit tests, Chromium
# for the page's browser test. Installs the missing ones (as root); skipped when all are present.
#   bash scripts/system-deps.sh           install what is missing (needs root)
#   bash scripts/system-deps.sh --check   print the missing packages; exit 1 if any
set -euo pipefail
PACKAGES=(
  redis-server
  chromium
  chromium-driver
  fonts-noto-cjk
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${1:-}" = "--check" ]; then
  echo "${missing[*]}"
  [ "${#missing[@]}" -eq 0 ]
  exit
fi
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
