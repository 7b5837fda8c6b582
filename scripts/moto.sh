#!/usr/bin/env bash
# moto.sh — run the moto AWS API emulator (PyPI moto[server]) on 127.0.0.1 for
# the AWS collector's integration tests.
#
#   scripts/moto.sh up        install (once) and start moto_server, wait until ready
#   scripts/moto.sh down      stop it
#   scripts/moto.sh status    say whether it runs
#   scripts/moto.sh endpoint  print the endpoint (export it as BREACHPATH_MOTO_ENDPOINT)
#
# Port: BREACHPATH_MOTO_PORT (default 15000). State lives under .build/.
set -euo pipefail

MOTO_VERSION="${BREACHPATH_MOTO_VERSION:-5.1.22}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build/moto-venv"
state="$root/.build/moto"
port="${BREACHPATH_MOTO_PORT:-15000}"
pidfile="$state/moto.pid"
logfile="$state/moto.log"
endpoint="http://127.0.0.1:$port"

install() {
	# The stamp names the pinned version so a version bump reinstalls, and a
	# present stamp makes "up" fast when nothing changed.
	local stamp="$venv/.installed-$MOTO_VERSION"
	[[ -f "$stamp" ]] && return 0
	echo "moto.sh: installing moto[server]==$MOTO_VERSION into $venv" >&2
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
	touch "$stamp"
}

running() {
	[[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

ready() {
	curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null
}

up() {
	install
	mkdir -p "$state"
	if running; then
		ready && { echo "moto.sh: already running at $endpoint (pid $(cat "$pidfile"))" >&2; return 0; }
	fi
	if ready; then
		echo "moto.sh: port $port already answers but is not ours; set BREACHPATH_MOTO_PORT" >&2
		return 1
	fi
	# Lambda and other container-backed services must not try to reach Docker.
	MOTO_DOCKER_NETWORK_MODE=none nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
	echo $! >"$pidfile"
	for _ in $(seq 1 150); do
		if ready; then
			echo "moto.sh: moto $MOTO_VERSION ready at $endpoint (pid $(cat "$pidfile"))" >&2
			return 0
		fi
		running || { echo "moto.sh: moto_server exited; see $logfile" >&2; tail -n 20 "$logfile" >&2; return 1; }
		sleep 0.2
	done
	echo "moto.sh: moto_server not ready after 30s; see $logfile" >&2
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
		echo "moto.sh: stopped (pid $pid)" >&2
	else
		echo "moto.sh: not running" >&2
	fi
	rm -f "$pidfile"
}

status() {
	if running && ready; then
		echo "running at $endpoint (pid $(cat "$pidfile"))"
	elif running; then
		echo "starting (pid $(cat "$pidfile"))"
		return 1
	else
		echo "stopped"
		return 3
	fi
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
endpoint) echo "$endpoint" ;;
*)
	echo "usage: $0 up|down|status|endpoint" >&2
	exit 2
	;;
esac
