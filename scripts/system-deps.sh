#!/usr/bin/env bash
# System packages the tests need (Debian). Run as root by .ci/run; skipped when all are present.
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
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
