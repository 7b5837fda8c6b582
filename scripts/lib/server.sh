# shellcheck shell=bash
# server.sh — sourced, not run: the background-server scaffolding that
# scripts/moto.sh and scripts/azurite.sh share (start once, wait until it
# answers, stop by pid, say whether it runs). Each script keeps what is its
# own: how to install, start and probe its server.
#
# The sourcing script sets
#   name      its own name, prefixed to every message ("moto.sh")
#   label     the server and version, in messages ("moto 5.1.22")
#   port_var  the variable that chooses the port ("BREACHPATH_MOTO_PORT")
#   port, endpoint, pidfile, logfile
# and defines
#   install   install the server once (idempotent and fast when done)
#   start     start it in the background with its output in $logfile; the
#             pid of the last background command ($!) is recorded
#   ready     succeed once the server answers at $endpoint
# then ends with: server_main "$@"

server_running() {
	[[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# server_up installs, starts and waits up to BREACHPATH_SERVER_WAIT_S seconds
# (120 by default: a JVM or node server starting on a loaded 2-core machine
# can take well over 30 s) for the server to answer.
server_up() {
	install
	mkdir -p "$(dirname "$pidfile")"
	if server_running; then
		ready && { echo "$name: already running at $endpoint (pid $(cat "$pidfile"))" >&2; return 0; }
	fi
	if ready; then
		# Another process answers on the port: never stop or reuse what is not ours.
		echo "$name: port $port already answers but is not ours; set $port_var" >&2
		return 1
	fi
	start
	echo $! >"$pidfile"
	local wait_s="${BREACHPATH_SERVER_WAIT_S:-120}"
	for _ in $(seq 1 $((wait_s * 5))); do
		if ready; then
			echo "$name: $label ready at $endpoint (pid $(cat "$pidfile"))" >&2
			return 0
		fi
		server_running || { echo "$name: the server exited; see $logfile" >&2; tail -n 20 "$logfile" >&2; return 1; }
		sleep 0.2
	done
	echo "$name: not ready after ${wait_s}s; see $logfile" >&2
	server_down
	return 1
}

# server_down stops the server: TERM, then KILL after 5 s.
server_down() {
	if server_running; then
		local pid
		pid="$(cat "$pidfile")"
		kill "$pid"
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
		echo "$name: stopped (pid $pid)" >&2
	else
		echo "$name: not running" >&2
	fi
	rm -f "$pidfile"
}

# server_status prints the state; exit status 0 running, 1 starting, 3 stopped.
server_status() {
	if server_running && ready; then
		echo "running at $endpoint (pid $(cat "$pidfile"))"
	elif server_running; then
		echo "starting (pid $(cat "$pidfile"))"
		return 1
	else
		echo "stopped"
		return 3
	fi
}

server_main() {
	case "${1:-}" in
	up) server_up ;;
	down) server_down ;;
	status) server_status ;;
	endpoint) echo "$endpoint" ;;
	*)
		echo "usage: $0 up|down|status|endpoint" >&2
		exit 2
		;;
	esac
}
