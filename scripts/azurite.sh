#!/usr/bin/env bash
# azurite.sh — run Azurite (npm azurite), Microsoft's Azure Storage emulator, on
# 127.0.0.1 for the Azure collector's storage data-plane tests.
#
#   scripts/azurite.sh up        install (once) and start the blob service, wait until ready
#   scripts/azurite.sh down      stop it
#   scripts/azurite.sh status    say whether it runs
#   scripts/azurite.sh endpoint  print the blob endpoint (export it as BREACHPATH_AZURITE_ENDPOINT)
#
# Port: BREACHPATH_AZURITE_PORT (default 10000, Azurite's own). State lives under .build/.
set -euo pipefail

AZURITE_VERSION="${BREACHPATH_AZURITE_VERSION:-3.37.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.build/azurite-npm"
state="$root/.build/azurite"
port="${BREACHPATH_AZURITE_PORT:-10000}"
pidfile="$state/azurite.pid"
logfile="$state/azurite.log"
endpoint="http://127.0.0.1:$port"

install() {
	local stamp="$prefix/.installed-$AZURITE_VERSION"
	[[ -f "$stamp" ]] && return 0
	echo "azurite.sh: installing azurite@$AZURITE_VERSION into $prefix" >&2
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-audit --no-fund --silent "azurite@$AZURITE_VERSION" >&2
	touch "$stamp"
}

ready() {
	# Any HTTP answer (Azurite says 400 to a bare GET) means it listens.
	curl -s -o /dev/null -w '%{http_code}' "$endpoint/devstoreaccount1?comp=list" 2>/dev/null | grep -qv '^000$'
}

start() {
	mkdir -p "$state/data"
	nohup "$prefix/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$state/data" \
		--skipApiVersionCheck --loose >"$logfile" 2>&1 &
}

name=azurite.sh label="azurite $AZURITE_VERSION" port_var=BREACHPATH_AZURITE_PORT
# shellcheck source=scripts/lib/server.sh
source "$root/scripts/lib/server.sh"
server_main "$@"
