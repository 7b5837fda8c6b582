#!/usr/bin/env bash
# Refresh the GCP predefined-role permissions embedded by collector/gcp/roles.
#
# Usage:
#   scripts/refresh-gcp-roles.sh --from DIR
#       Copy predefined-roles.json.gz from DIR (for example the shared reference-data folder
#       data/gcp) into collector/gcp/roles/data/.
#   scripts/refresh-gcp-roles.sh --gcloud
#       Rebuild it with an authenticated gcloud: `gcloud iam roles list` then
#       `gcloud iam roles describe` per role (read-only; needs no special role).
#
# Needs: bash, gzip, python3; --gcloud also needs gcloud. After a refresh, update
# collector/gcp/roles/data/SOURCE.md and run `go test ./collector/gcp/...`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/collector/gcp/roles/data"
mode=""
src=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) mode="from"; src="${2:?--from needs a directory}"; shift 2 ;;
    --gcloud) mode="gcloud"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

case "$mode" in
  from)
    gzip -t "$src/predefined-roles.json.gz"
    install -m 0644 "$src/predefined-roles.json.gz" "$dest/predefined-roles.json.gz"
    ;;
  gcloud)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    gcloud iam roles list --format='value(name)' > "$work/names"
    while read -r name; do
      gcloud iam roles describe "$name" --format=json > "$work/$(basename "$name").json"
    done < "$work/names"
    python3 - "$work" "$work/out.json" <<'PY'
import glob, json, os, sys
src, out = sys.argv[1], sys.argv[2]
roles = []
for p in sorted(glob.glob(os.path.join(src, "*.json"))):
    if p == out:
        continue
    with open(p) as f:
        roles.append(json.load(f))
roles.sort(key=lambda r: r["name"])
with open(out, "w") as f:
    json.dump({"source": {"tool": "gcloud iam roles describe"}, "roles": roles}, f, separators=(",", ":"))
PY
    gzip -9 -c "$work/out.json" > "$dest/predefined-roles.json.gz"
    ;;
  *) echo "usage: $0 --from DIR | --gcloud" >&2; exit 2 ;;
esac
echo "refreshed $dest/predefined-roles.json.gz"
