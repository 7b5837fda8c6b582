#!/usr/bin/env bash
# Runs every test of breachpath on this machine, from a fresh clone:
#   - installs what the tests need (Go modules, moto from PyPI, Neo4j jars from
#     Maven Central, Debian's chromium, the explorer's npm packages, Azurite from npm),
#   - starts a real Neo4j 5, a real moto server and Azurite (Azure Storage) on 127.0.0.1,
#   - runs gofmt/go vet, every Go test (unit, conformance, integration,
#     end-to-end in headless Chromium), and stops the servers again.
# Set BREACHPATH_SKIP_NEO4J=1 / BREACHPATH_SKIP_MOTO=1 / BREACHPATH_SKIP_BROWSER=1 / BREACHPATH_SKIP_AZURITE=1
# to skip a family explicitly (never the default; CI sets none of them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p .build artifacts

log() { printf '== %s\n' "$*" >&2; }

cleanup() {
  [ -n "${started_neo4j:-}" ] && scripts/neo4j-dev.sh down >/dev/null 2>&1 || true
  [ -n "${started_moto:-}" ] && scripts/moto.sh down >/dev/null 2>&1 || true
  [ -n "${started_azurite:-}" ] && scripts/azurite.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "go modules"
go mod download

# Start the servers in the background while Go compiles; each writes a status file.
pids=()
svcs=()
if [ -z "${BREACHPATH_SKIP_NEO4J:-}" ]; then
  log "starting Neo4j (scripts/neo4j-dev.sh)"
  ( rc=0; scripts/neo4j-dev.sh up > .build/neo4j-up.log 2>&1 || rc=$?; echo "$rc" > .build/neo4j-up.rc ) &
  svcs+=(neo4j-up)
  pids+=($!)
  started_neo4j=1
  export BREACHPATH_REQUIRE_NEO4J=1
  export BREACHPATH_TEST_NEO4J_URI="$(scripts/neo4j-dev.sh uri)"
fi
if [ -z "${BREACHPATH_SKIP_MOTO:-}" ]; then
  log "starting moto (scripts/moto.sh)"
  ( rc=0; scripts/moto.sh up > .build/moto-up.log 2>&1 || rc=$?; echo "$rc" > .build/moto-up.rc ) &
  svcs+=(moto-up)
  pids+=($!)
  started_moto=1
  export BREACHPATH_REQUIRE_MOTO=1
  export BREACHPATH_MOTO_ENDPOINT="$(scripts/moto.sh endpoint)"
fi
if [ -z "${BREACHPATH_SKIP_AZURITE:-}" ]; then
  log "starting Azurite (scripts/azurite.sh)"
  ( rc=0; scripts/azurite.sh up > .build/azurite-up.log 2>&1 || rc=$?; echo "$rc" > .build/azurite-up.rc ) &
  svcs+=(azurite-up)
  pids+=($!)
  started_azurite=1
  export BREACHPATH_REQUIRE_AZURITE=1
  export BREACHPATH_AZURITE_ENDPOINT="$(scripts/azurite.sh endpoint)"
fi
if [ -z "${BREACHPATH_SKIP_BROWSER:-}" ]; then
  log "browser and explorer dependencies (scripts/browser-deps.sh)"
  ( rc=0; scripts/browser-deps.sh > .build/browser-deps.log 2>&1 || rc=$?; echo "$rc" > .build/browser-deps.rc ) &
  svcs+=(browser-deps)
  pids+=($!)
  export BREACHPATH_REQUIRE_BROWSER=1
fi

log "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
go build -o bin/breachpath ./cmd/breachpath

for p in "${pids[@]}"; do wait "$p" || true; done
# Every server started above must have come up: a missing status file is a
# failure too (the subshells run under set -e, so the status is recorded
# with || rather than after the command).
for svc in "${svcs[@]}"; do
  if [ ! -f ".build/$svc.rc" ] || [ "$(cat ".build/$svc.rc")" != 0 ]; then
    echo "$svc failed:" >&2; tail -n 40 ".build/$svc.log" >&2; exit 1
  fi
  rm -f ".build/$svc.rc"
done

export BREACHPATH_ARTIFACTS="$root/artifacts"
# The disk-full test mounts a small tmpfs: as root it must run, not skip.
if [ "$(id -u)" = 0 ]; then
  export BREACHPATH_REQUIRE_DISKFULL=1
fi
# collector/aws/fetch resets the whole moto server between its tests; it runs
# on its own after everything else so it never wipes the accounts that other
# packages' moto tests are using at the same time.
serial=github.com/breachpath/breachpath/collector/aws/fetch
log "go test (all packages but $serial)"
go test -count=1 -timeout 25m $(go list ./... | grep -vx "$serial")
log "go test $serial"
go test -count=1 -timeout 10m "$serial"
# Every fuzz target's seeds and saved crashers already ran above as tests.
# A short live run of every parser of untrusted input whose package does not
# pull in a whole cloud SDK (instrumenting an SDK for fuzzing takes many
# minutes; the Terraform plan's package is the exception, since a plan is
# what a pull request writes): stored rows, snapshot files, policies, the AWS authorization
# details and last-accessed exports, the Azure and GCP offline exports, the
# Terraform plan, the --sensitivity-rules file. make fuzz runs them all
# (the API's too), longer.
log "fuzz targets (${BREACHPATH_FUZZTIME:-2s} each)"
FUZZTIME=${BREACHPATH_FUZZTIME:-2s} FUZZPKGS='^(graph/secrets|collector/credscan|graph/safetext|graph/blob|graph/embedded|collector/strictjson|collector/snapshotfile|collector/aws/policy|collector/aws/authdetails|collector/aws/entitlements|collector/azure/offline|collector/gcp/cai|collector/gcp/inventory|collector/terraform|collector/sensitivity|collector/synthetic)/' scripts/fuzz.sh
