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

ready() {
	curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null
}

start() {
	# Lambda and other container-backed services must not try to reach Docker.
	MOTO_DOCKER_NETWORK_MODE=none nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
}

name=moto.sh label="moto $MOTO_VERSION" port_var=BREACHPATH_MOTO_PORT
# shellcheck source=scripts/lib/server.sh
source "$root/scripts/lib/server.sh"
server_main "$@"
