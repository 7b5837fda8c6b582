#!/usr/bin/env bash
# Runs every fuzz target of the project for FUZZTIME each (default 30s).
# Fuzz targets parse untrusted input: policies, export files, truth files,
# stored rows. New crashers land in testdata/fuzz and become regression tests.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
# FUZZPKGS (an extended regular expression) limits the run to matching
# package directories; scripts/test.sh uses it for its short run.
git grep -l '^func Fuzz' -- '*_test.go' | grep -E "${FUZZPKGS:-.}" | while read -r file; do
  pkg=./$(dirname "$file")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
