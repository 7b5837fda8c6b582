#!/usr/bin/env bash
# Runs the Go benchmarks recorded in docs/benchmarks.md. Benchmarks against
# external servers need them running: BREACHPATH_BENCH_NEO4J=1 with
# BREACHPATH_TEST_NEO4J_URI for Neo4j, BREACHPATH_MOTO_ENDPOINT for moto.
# BENCH_SCALE=1 adds the 1M-resource cases (a few GB of memory).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-1}
run() { echo "== $*"; go test -run '^$' -benchmem -count "$count" "$@"; }

large='100k'
if [ -n "${BENCH_SCALE:-}" ]; then large='100k|1M'; export BREACHPATH_SCALE=1; fi

run -bench "BenchmarkGenerate(${large})\$" ./collector/synthetic
run -bench 'BenchmarkSync100k|BenchmarkLoad100k|BenchmarkSyncSyntheticEstate100k' -benchtime 1x ./graph/embedded
run -bench 'BenchmarkSearchScore|BenchmarkProjection|BenchmarkTraversal|BenchmarkPlan' ./paths
run -bench 'BenchmarkDominators|BenchmarkCycles|BenchmarkViewFrom' -benchtime 3x ./paths
run -bench 'BenchmarkEffectiveActions10kPrincipals' -benchtime 3x ./collector/aws/policy
run -bench 'BenchmarkBuild10kPrincipals' -benchtime 1x ./collector/aws/identity
run -bench 'BenchmarkDefaultLoad' ./collector/aws/catalog
run -bench 'BenchmarkWriteImportFiles' -benchtime 3x ./graph/neo4j
if [ -n "${BREACHPATH_BENCH_NEO4J:-}" ]; then
  # Sync, Import, AttackPaths, WriteCeiling, BatchSize (docs/benchmarks-neo4j.md)
  run -bench . -benchtime 1x -timeout 120m ./graph/neo4j
fi
if [ -n "${BREACHPATH_MOTO_ENDPOINT:-}" ]; then
  run -bench BenchmarkCollectMoto5k -benchtime 1x -timeout 30m ./collector/aws/fetch
fi
