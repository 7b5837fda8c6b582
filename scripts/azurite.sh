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

running() {
	[[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

ready() {
	# Any HTTP answer (Azurite says 400 to a bare GET) means it listens.
	curl -s -o /dev/null -w '%{http_code}' "$endpoint/devstoreaccount1?comp=list" 2>/dev/null | grep -qv '^000$'
}

up() {
	install
	mkdir -p "$state/data"
	if running; then
		ready && { echo "azurite.sh: already running at $endpoint (pid $(cat "$pidfile"))" >&2; return 0; }
	fi
	if ready; then
		echo "azurite.sh: port $port already answers but is not ours; set BREACHPATH_AZURITE_PORT" >&2
		return 1
	fi
	nohup "$prefix/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$state/data" \
		--skipApiVersionCheck --loose >"$logfile" 2>&1 &
	echo $! >"$pidfile"
	for _ in $(seq 1 150); do
		if ready; then
			echo "azurite.sh: azurite $AZURITE_VERSION ready at $endpoint (pid $(cat "$pidfile"))" >&2
			return 0
		fi
		running || { echo "azurite.sh: azurite exited; see $logfile" >&2; tail -n 20 "$logfile" >&2; return 1; }
		sleep 0.2
	done
	echo "azurite.sh: azurite not ready after 30s; see $logfile" >&2
	down
	return 1
}

down() {
	if running; then
		local pid
		pid="$(cat "$pidfile")"
		kill "$pid"
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
		echo "azurite.sh: stopped (pid $pid)" >&2
	else
		echo "azurite.sh: not running" >&2
	fi
	rm -f "$pidfile"
}

case "${1:-}" in
	up) up ;;
	down) down ;;
	status) if running; then echo "running at $endpoint (pid $(cat "$pidfile"))"; else echo "not running"; fi ;;
	endpoint) echo "$endpoint" ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
esac
