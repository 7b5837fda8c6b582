#!/usr/bin/env bash
# bench-aws-collect.sh — measure the AWS collector against a moto account
# seeded with ~5,000 resources: resources/s and API calls per collection.
# Starts moto if it is not running and stops it again if it started it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
started=0
if ! scripts/moto.sh status >/dev/null 2>&1; then
	scripts/moto.sh up
	started=1
fi
trap '[[ $started == 1 ]] && scripts/moto.sh down' EXIT
export BREACHPATH_MOTO_ENDPOINT="$(scripts/moto.sh endpoint)"
export BREACHPATH_BENCH_AWS=1
go test ./collector/aws/fetch -run '^$' -bench BenchmarkCollectMoto5k -benchtime "${BENCHTIME:-3x}" -timeout 30m "$@"
