#!/usr/bin/env bash
# Installs what the browser tests need: Debian's chromium (the tests drive it
# headless through npm playwright-core; no browser is downloaded by npm) and
# the explorer's npm packages, then builds the explorer's assets.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing; install Debian's package: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  echo "installing Debian chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version >&2

if [ -f web/package.json ]; then
  ( cd web && npm ci --no-audit --no-fund --loglevel=error )
fi
