package transform

import (
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// netGated are the data-plane moves a store's network settings gate: the
// request goes to the store's data endpoint, which answers only the
// networks its settings admit, whatever role the caller holds.
var netGated = map[string]bool{
	TechBlobRead: true, TechBlobWrite: true, TechSecretGet: true, TechKeyDecrypt: true,
	TechAccessPolicySecret: true, TechAccessPolicyKey: true,
	// Keys, images and a taken-over SQL admin are listed or set through
	// the management plane but used on the data endpoint.
	TechStorageListKeys: true, TechCosmosListKeys: true, TechACRPull: true, TechACRPush: true, TechSQLAdminTakeover: true,
}

// netReach indexes, per store, the nodes the network moves reaching it
// start from (private endpoint, service endpoint, hub transit): a caller
// placed at one of them is let in by the store's network settings.
func (b *builder) netReach() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range b.parts {
		for _, e := range p.edges {
			switch e.Technique {
			case TechPrivateEndpoint, TechServiceEndpoint, TechHubTransit:
			default:
				continue
			}
			store := storeOf(e.To) // a SQL database's moves stand for its server's network
			if out[store] == nil {
				out[store] = map[string]string{}
			}
			out[store][e.From] = e.Technique
		}
	}
	return out
}

// storeOf returns the store whose network settings gate a data target: a
// container's storage account, a database's SQL server, a secret's or
// key's vault, else the target.
func storeOf(target string) string {
	if i := strings.Index(target, "/blobservices/"); i > 0 {
		return target[:i]
	}
	if i := strings.Index(target, "/databases/"); i > 0 && strings.Contains(target, "/microsoft.sql/servers/") {
		return target[:i]
	}
	if i := strings.Index(target, "/secrets/"); i > 0 && strings.Contains(target, "/microsoft.keyvault/vaults/") {
		return target[:i]
	}
	if i := strings.Index(target, "/keys/"); i > 0 && strings.Contains(target, "/microsoft.keyvault/vaults/") {
		return target[:i]
	}
	return target
}

// placesOf returns where a principal's calls come from when it is a
// managed identity: the workloads running as it, their subnets and their
// virtual networks (each paired with the workload). Any other principal
// (user, service principal, group) has no known place.
func (b *builder) placesOf(principal string) map[string]string {
	if b.places == nil {
		b.places = map[string]map[string]string{}
		add := func(mi, node, w string) {
			if b.places[mi] == nil {
				b.places[mi] = map[string]string{}
			}
			if _, ok := b.places[mi][node]; !ok {
				b.places[mi][node] = w
			}
		}
		for _, w := range sortedKeys(b.identitiesOf) {
			var subnets []string
			for _, nic := range b.vmNICs[w] {
				if ni := b.nics[nic]; ni != nil {
					subnets = append(subnets, ni.subnet)
				}
			}
			for _, ni := range b.scaleSets[w] {
				subnets = append(subnets, ni.subnet)
			}
			for _, mi := range b.identitiesOf[w] {
				add(mi, w, w)
				for _, s := range subnets {
					add(mi, s, w)
					add(mi, vnetOf(s), w)
				}
			}
		}
	}
	return b.places[principal]
}

// place says where a caller is let into a restricted store: which of its
// workloads reaches the store and by what move, or "" when none does (or
// the caller is not a managed identity, whose place is unknown).
func (b *builder) place(caller, store string) string {
	if b.reach == nil {
		b.reach = b.netReach()
	}
	reach := b.reach[store]
	places := b.placesOf(caller)
	for _, node := range sortedKeys(places) {
		if tech, ok := reach[node]; ok {
			return short(places[node]) + " reaches it (" + tech + " from " + short(node) + ")"
		}
	}
	return ""
}

// gateCallers returns the principals whose calls a holder's move stands
// for: the holder itself, or every assignee of a shared grant.
func (b *builder) gateCallers(h holder) []string {
	if h.hub == nil {
		return []string{h.node}
	}
	key := hubKey(h.hub.Assignment)
	var out []string
	for i := range b.inv.RoleAssignments {
		a := &b.inv.RoleAssignments[i]
		if hubKey(a) == key {
			out = append(out, b.principal(a.PrincipalID, a.PrincipalType))
		}
	}
	return union(nil, out)
}

// gatedMove draws a data-plane move the target store's network settings
// gate. A store that answers the Internet lets every caller in. Otherwise
// a caller that is a managed identity of a workload placed where a network
// move reaches the store keeps the move unconditional, with that place in
// evidence; any other caller gets it conditional (it holds only from an
// admitted network). For a shared grant node (callers are its assignees)
// the node's move is conditional when any assignee is outside, and each
// assignee inside gets its own unconditional move.
func (b *builder) gatedMove(e graph.Edge, callers []string, shared bool) {
	store := storeOf(e.To)
	pn := b.paas[store]
	if !netGated[e.Technique] || pn == nil || pn.public {
		b.move(e)
		return
	}
	head := "network: " + short(store) + " is restricted (" + pn.why + "); "
	var inside, outside []string
	for _, c := range callers {
		if where := b.place(c, store); where != "" {
			inside = append(inside, where)
			if shared {
				d := e
				d.From, d.Evidence = c, append(slices.Clone(e.Evidence), head+where)
				b.move(d)
			}
		} else {
			outside = append(outside, c)
		}
	}
	e.Evidence = slices.Clone(e.Evidence)
	if len(outside) == 0 {
		e.Evidence = append(e.Evidence, head+strings.Join(inside, "; "))
		b.move(e)
		return
	}
	var why []string
	for _, c := range outside {
		if len(b.placesOf(c)) > 0 {
			why = append(why, short(c)+" is a managed identity whose workloads are in no network the store admits")
		} else {
			why = append(why, short(c)+" has no known place in a network the store admits")
		}
	}
	e.Conditional = true
	e.Evidence = append(e.Evidence, head+strings.Join(why, "; ")+": the move holds only from an admitted network")
	b.move(e)
}
