#!/usr/bin/env bash
# Refresh the Azure built-in role definitions embedded by collector/azure/rbac.
#
# Usage:
#   scripts/refresh-azure-roles.sh --from FILE
#       Trim FILE (the output of `az role definition list --query "[?roleType=='BuiltInRole']" -o json`,
#       for example ../shared/data/azure/builtin-role-definitions.json) into
#       collector/azure/rbac/data/builtin-roles.json.gz.
#   scripts/refresh-azure-roles.sh --az
#       Run that az command (needs a signed-in Azure CLI) and trim its output.
#
# Only the fields the evaluator needs are kept: name (the role definition GUID), roleName and the
# permission blocks (actions, notActions, dataActions, notDataActions, condition). After a refresh,
# update collector/azure/rbac/data/SOURCE.md and run `go test ./collector/azure/...`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/collector/azure/rbac/data/builtin-roles.json.gz"
src=""
case "${1:-}" in
  --from) src="${2:?--from needs a file}" ;;
  --az)
    src="$(mktemp)"; trap 'rm -f "$src"' EXIT
    az role definition list --query "[?roleType=='BuiltInRole']" -o json >"$src"
    ;;
  -h|--help|"") sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "unknown argument: $1" >&2; exit 2 ;;
esac

python3 - "$src" "$dest" <<'PY'
import gzip, json, sys
src, dest = sys.argv[1], sys.argv[2]
with open(src) as f:
    roles = json.load(f)
out = []
for r in roles:
    if r.get("roleType", "BuiltInRole") != "BuiltInRole":
        continue
    perms = []
    for p in r.get("permissions") or []:
        blk = {k: sorted(p.get(k) or []) for k in ("actions", "notActions", "dataActions", "notDataActions")}
        if p.get("condition"):
            blk["condition"] = p["condition"]
        perms.append(blk)
    out.append({"name": r["name"], "roleName": r["roleName"], "permissions": perms})
out.sort(key=lambda r: r["name"])
data = json.dumps(out, separators=(",", ":"), sort_keys=True).encode()
with gzip.GzipFile(dest, "wb", mtime=0) as g:
    g.write(data)
print(f"{len(out)} built-in roles -> {dest}")
PY
