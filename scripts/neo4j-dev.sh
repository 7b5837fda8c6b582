#!/usr/bin/env bash
# Local Neo4j 5 Community (embedded, Bolt only, 127.0.0.1) for breachpath development and tests.
# Launcher sources: tools/neo4j-dev/ (see its README.md). State: .build/neo4j/ in the repo.
#
#   scripts/neo4j-dev.sh up|down|status|uri|wipe
#   scripts/neo4j-dev.sh import DIR   stop, replace the database with the neo4j-admin import
#                                     files in DIR ('breachpath graph neo4j-import'), start
#
# Env: BREACHPATH_NEO4J_PORT (17687), BREACHPATH_NEO4J_PASSWORD (unset = auth disabled),
#      BREACHPATH_NEO4J_STATE (.build/neo4j: a second instance needs its own state and port),
#      BREACHPATH_NEO4J_HEAP (1g), BREACHPATH_NEO4J_PAGECACHE (128m), BREACHPATH_NEO4J_JAVA_OPTS,
#      BREACHPATH_NEO4J_START_TIMEOUT (180 s), BREACHPATH_NEO4J_STOP_TIMEOUT (60 s),
#      BREACHPATH_NEO4J_CONF (extra neo4j.conf-style settings file), JAVA (java), MVN (mvn).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL="$ROOT/tools/neo4j-dev"
STATE="${BREACHPATH_NEO4J_STATE:-$ROOT/.build/neo4j}"
HOME_DIR="$STATE/home"
PID_FILE="$STATE/neo4j.pid"
PORT_FILE="$STATE/neo4j.port"
READY_FILE="$STATE/ready"
LOG_FILE="$STATE/neo4j.log"
MAIN_CLASS="com.github.breachpath.neo4jdev.Neo4jDev"
JAR="$TOOL/target/neo4j-dev.jar"
STAMP="$TOOL/target/.neo4j-dev.built"

PORT="${BREACHPATH_NEO4J_PORT:-17687}"
HEAP="${BREACHPATH_NEO4J_HEAP:-1g}"
START_TIMEOUT="${BREACHPATH_NEO4J_START_TIMEOUT:-180}"
STOP_TIMEOUT="${BREACHPATH_NEO4J_STOP_TIMEOUT:-60}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"

log() { printf 'neo4j-dev: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "$PORT" in
  '' | *[!0-9]*) die "BREACHPATH_NEO4J_PORT must be a number, got '$PORT'" ;;
esac

# Prints the pid of our running launcher, or nothing. Checks the command line so that a stale
# pid file whose pid was reused by another process is not mistaken for the DBMS.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 0
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS"; then
    echo "$pid"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_port() { cat "$PORT_FILE" 2>/dev/null || echo "$PORT"; }

# Rebuild only when the pom or a source file is newer than the last successful build.
build_if_needed() {
  if [[ -f "$STAMP" && -f "$JAR" && -d "$TOOL/target/lib" ]] &&
    [[ -z "$(find "$TOOL/pom.xml" "$TOOL/src" -newer "$STAMP" -print -quit)" ]]; then
    return 0
  fi
  command -v "$MVN" >/dev/null || die "maven ($MVN) not found; install Maven 3.6.3+ and Java 17"
  log "building launcher (first build downloads the Neo4j jars into ~/.m2)..."
  local t0=$SECONDS
  # Remove stale jars (e.g. after a version bump) so the classpath holds one Neo4j only.
  rm -rf "$TOOL/target/lib"
  mkdir -p "$STATE"
  # Output goes to a file (Maven 3.8 prints stray colour codes even with -q -B) and is shown
  # only on failure.
  if ! (cd "$TOOL" && "$MVN" -B -Dstyle.color=never -Dmaven.test.skip=true package) >"$STATE/build.log" 2>&1; then
    tail -n 40 "$STATE/build.log" >&2 || true
    die "launcher build failed (full output: $STATE/build.log)"
  fi
  touch "$STAMP"
  log "built in $((SECONDS - t0))s"
}

cmd_up() {
  mkdir -p "$STATE"
  # Serialise concurrent `up`s (e.g. make and a test runner) so only one builds and starts.
  if command -v flock >/dev/null; then
    exec 9>"$STATE/.lock"
    flock 9
  fi
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    local rport
    rport="$(running_port)"
    if [[ "$rport" != "$PORT" ]]; then
      die "already running (pid $pid) on port $rport, not $PORT; run '$0 down' first"
    fi
    log "already running (pid $pid) at bolt://127.0.0.1:$rport"
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE" "$READY_FILE"
  if port_open "$PORT"; then
    die "port $PORT on 127.0.0.1 is already in use by another process; set BREACHPATH_NEO4J_PORT"
  fi
  command -v "$JAVA" >/dev/null || die "java ($JAVA) not found; Java 17 or 21 is needed"
  if [[ -n "${BREACHPATH_NEO4J_PASSWORD:-}" && ${#BREACHPATH_NEO4J_PASSWORD} -lt 8 ]]; then
    die "BREACHPATH_NEO4J_PASSWORD must be at least 8 characters (Neo4j's minimum)"
  fi
  build_if_needed

  mkdir -p "$HOME_DIR"
  local -a jvm=(
    "-Xmx$HEAP"
    -XX:+UseG1GC
    -XX:-OmitStackTraceInFastThrow
    -XX:+DisableExplicitGC
    # Neo4j reaches into JDK internals (direct buffers, NIO channels); without these opens
    # it logs warnings and falls back to slower paths. Same flags as Neo4j's own neo4j.conf.
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true
    -Djdk.nio.maxCachedBufferSize=1024
    -Dlog4j2.disable.jmx=true
  )
  # shellcheck disable=SC2206 # word splitting of user-supplied extra options is intended
  [[ -n "${BREACHPATH_NEO4J_JAVA_OPTS:-}" ]] && jvm+=(${BREACHPATH_NEO4J_JAVA_OPTS})

  {
    echo "==== $(date -u +%Y-%m-%dT%H:%M:%SZ) starting on 127.0.0.1:$PORT (heap $HEAP)"
  } >>"$LOG_FILE"
  local -a launch=()
  # Own session: Ctrl-C in the caller's terminal or a killed process group of the caller
  # must not take the DBMS down uncleanly.
  command -v setsid >/dev/null && launch=(setsid)
  # stdin/stdout/stderr detached so callers that capture output (CI, $(...)) do not hang;
  # fd 9 (the flock) closed so the DBMS does not hold the lock for its whole life.
  nohup "${launch[@]}" "$JAVA" "${jvm[@]}" -cp "$JAR:$TOOL/target/lib/*" "$MAIN_CLASS" \
    "$HOME_DIR" "$PORT" "$READY_FILE" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$PORT" >"$PORT_FILE"

  local t0=$SECONDS
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE" "$PORT_FILE"
      log "process exited during startup; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2 || true
      die "Neo4j did not start (full log: $LOG_FILE)"
    fi
    # Ready file = DBMS started and password applied; the open port confirms Bolt is serving.
    if [[ -f "$READY_FILE" ]] && port_open "$PORT"; then
      break
    fi
    if ((SECONDS - t0 >= START_TIMEOUT)); then
      log "Bolt not ready on 127.0.0.1:$PORT after ${START_TIMEOUT}s; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2 || true
      log "leaving pid $pid running for inspection; '$0 down' stops it"
      die "startup timed out (full log: $LOG_FILE)"
    fi
    sleep 0.5
  done
  log "up (pid $pid) at bolt://127.0.0.1:$PORT in $((SECONDS - t0))s, auth $([[ -n "${BREACHPATH_NEO4J_PASSWORD:-}" ]] && echo "on (user neo4j)" || echo off), log $LOG_FILE"
}

cmd_down() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE" "$PORT_FILE" "$READY_FILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - t0 >= STOP_TIMEOUT)); then
      log "pid $pid still running after ${STOP_TIMEOUT}s; sending SIGKILL (next start runs recovery)"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE" "$PORT_FILE" "$READY_FILE"
  log "stopped (pid $pid) in $((SECONDS - t0))s"
}

cmd_status() {
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    local rport
    rport="$(running_port)"
    if port_open "$rport"; then
      echo "running (pid $pid) at bolt://127.0.0.1:$rport"
    else
      echo "starting or unhealthy (pid $pid), Bolt port $rport not accepting connections; see $LOG_FILE"
    fi
    return 0
  fi
  echo "not running"
  return 3
}

# The offline importer (neo4j-admin database import full) is on the launcher's classpath:
# it comes with the org.neo4j:neo4j artifact. It writes the store files of a stopped
# database directly, which is why it is so much faster than transactions for a first load.
cmd_import() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || die "usage: $0 import DIR (a directory written by 'breachpath graph neo4j-import')"
  [[ -f "$dir/neo4j-admin.args" ]] || die "$dir has no neo4j-admin.args; write it with 'breachpath graph neo4j-import --out $dir ...'"
  command -v "$JAVA" >/dev/null || die "java ($JAVA) not found; Java 17 or 21 is needed"
  build_if_needed
  cmd_down
  mkdir -p "$HOME_DIR"
  local t0=$SECONDS
  log "importing $dir into the database (replaces everything in it)..."
  if ! (cd "$dir" && NEO4J_HOME="$HOME_DIR" "$JAVA" "-Xmx${BREACHPATH_NEO4J_IMPORT_HEAP:-1g}" \
    --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    -cp "$JAR:$TOOL/target/lib/*" org.neo4j.cli.AdminTool \
    database import full --overwrite-destination=true --report-file="$STATE/import.report" \
    @neo4j-admin.args neo4j) >"$STATE/import.log" 2>&1; then
    grep -v '^[.-]' "$STATE/import.log" | tail -n 30 >&2 || true
    die "import failed (full output: $STATE/import.log); the database was left as the importer left it"
  fi
  log "imported in $((SECONDS - t0))s: $(grep -A4 '^IMPORT DONE' "$STATE/import.log" | tr -s ' \n' ' ')"
  cmd_up
}

cmd_wipe() {
  cmd_down
  rm -rf "$STATE"
  log "wiped $STATE"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  uri) echo "bolt://127.0.0.1:$(if [[ -n "$(running_pid)" ]]; then running_port; else echo "$PORT"; fi)" ;;
  wipe) cmd_wipe ;;
  import) cmd_import "${2:-}" ;;
  *)
    echo "usage: $0 up|down|status|uri|wipe|import DIR" >&2
    exit 2
    ;;
esac
