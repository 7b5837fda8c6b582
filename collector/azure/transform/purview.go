package transform

import (
	"net/url"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// purviewPrefixLevels maps Microsoft Purview's system classification
// families (classification names MICROSOFT.<FAMILY>.<TYPE>) to the level
// they prove. Government identifiers, financial data and credentials are
// what a breach is measured in; personal data is regulated. Miscellaneous
// and custom classifications mean whatever their author defined, so they
// raise nothing on their own (docs/sensitivity.md).
var purviewPrefixLevels = []struct {
	prefix string
	level  graph.Sensitivity
}{
	{"MICROSOFT.GOVERNMENT.", graph.SensitivityRestricted},
	{"MICROSOFT.FINANCIAL.", graph.SensitivityRestricted},
	{"MICROSOFT.SECURITY.", graph.SensitivityRestricted},
	{"MICROSOFT.PERSONAL.", graph.SensitivityConfidential},
}

// purviewLevel returns the level a classification name proves.
func purviewLevel(name string) graph.Sensitivity {
	up := strings.ToUpper(strings.TrimSpace(name))
	for _, p := range purviewPrefixLevels {
		if strings.HasPrefix(up, p.prefix) {
			return p.level
		}
	}
	return graph.SensitivityNone
}

// purview sets the Data Map classifications on the nodes they belong to:
// an entity's qualified name names its storage account
// (https://<account>.core.windows.net), container or ADLS file system
// (https://<account>.blob|dfs.core.windows.net/<container>/...: paths and
// resource sets count for their container) or SQL database
// (mssql://<server>.database.windows.net/<db>/...: tables and columns
// count for their database). purview_sensitivity is the classifier
// property collector/sensitivity reads.
func (b *builder) purview() {
	if len(b.inv.PurviewAssets) == 0 {
		return
	}
	index := map[string]string{}
	for id, n := range b.nodes {
		if n.Stub {
			continue
		}
		segs := strings.Split(id, "/")
		switch n.NativeType {
		case "Microsoft.Storage/storageAccounts":
			index["account:"+segs[len(segs)-1]] = id
		case "Microsoft.Storage/storageAccounts/blobServices/containers":
			if i := slices.Index(segs, "storageaccounts"); i >= 0 && i+1 < len(segs) {
				index["container:"+segs[i+1]+"/"+segs[len(segs)-1]] = id
			}
		case "Microsoft.Sql/servers":
			index["server:"+segs[len(segs)-1]] = id
		case "Microsoft.Sql/servers/databases":
			if i := slices.Index(segs, "servers"); i >= 0 && i+1 < len(segs) {
				index["db:"+segs[i+1]+"/"+segs[len(segs)-1]] = id
			}
		}
	}
	classes := map[string][]string{}
	for _, a := range b.inv.PurviewAssets {
		key := purviewKey(a.QualifiedName)
		id, ok := index[key]
		if !ok || len(a.Classification) == 0 {
			continue // not collected here, or nothing classified
		}
		classes[id] = append(classes[id], a.Classification...)
	}
	for id, cs := range classes {
		n := b.nodes[id]
		for i := range cs {
			cs[i] = strings.ToUpper(strings.TrimSpace(cs[i]))
		}
		slices.Sort(cs)
		cs = slices.Compact(cs)
		var lvl graph.Sensitivity
		for _, c := range cs {
			lvl = max(lvl, purviewLevel(c))
		}
		n.Props["purview_classifications"] = cs
		verdict := "no level"
		if lvl > graph.SensitivityNone {
			verdict = lvl.String()
			n.Props["purview_sensitivity"] = verdict
			n.Sensitivity = max(n.Sensitivity, lvl)
		}
		n.Props["purview_evidence"] = "Microsoft Purview Data Map: " + strings.Join(cs, ", ") + " -> " + verdict
	}
}

// purviewKey returns the index key of the resource a qualified name lies
// in ("" when it names none this collector models).
func purviewKey(qn string) string {
	u, err := url.Parse(strings.TrimSpace(qn))
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	label, rest, _ := strings.Cut(host, ".")
	first, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	first = strings.ToLower(first)
	switch {
	case u.Scheme == "mssql" && strings.HasPrefix(rest, "database."):
		if first == "" {
			return "server:" + label
		}
		return "db:" + label + "/" + first
	case u.Scheme == "https" && (strings.HasPrefix(rest, "blob.") || strings.HasPrefix(rest, "dfs.")):
		if first == "" {
			return "account:" + label
		}
		return "container:" + label + "/" + first
	case u.Scheme == "https" && strings.HasPrefix(rest, "core."):
		return "account:" + label
	}
	return ""
}
