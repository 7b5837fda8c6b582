package transform

import (
	"sort"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of RBAC data access and escalation.
const (
	TechBlobRead             = "azure.storage.blob-read"
	TechBlobWrite            = "azure.storage.blob-write"
	TechStorageListKeys      = "azure.storage.list-keys"
	TechSecretGet            = "azure.keyvault.secret-get"
	TechAccessPolicySecret   = "azure.keyvault.access-policy-secret-get"
	TechAccessPolicyKey      = "azure.keyvault.access-policy-key-decrypt"
	TechKeyDecrypt           = "azure.keyvault.key-decrypt"
	TechAccessPolicyWrite    = "azure.keyvault.access-policy-write"
	TechSQLAdminTakeover     = "azure.sql.admin-takeover"
	TechCosmosListKeys       = "azure.cosmosdb.list-keys"
	TechACRPull              = "azure.acr.pull"
	TechACRPush              = "azure.acr.push"
	TechAppSettingsList      = "azure.appservice.config-list"
	TechRunCommand           = "azure.compute.run-command"
	TechVMExtension          = "azure.compute.vm-extension"
	TechVMWrite              = "azure.compute.vm-write"
	TechCodeDeploy           = "azure.appservice.code-deploy"
	TechFunctionHostKeys     = "azure.appservice.function-host-keys"
	TechRunbookEdit          = "azure.automation.runbook-edit"
	TechLogicAppEdit         = "azure.logic.workflow-edit"
	TechAKSAdminCredentials  = "azure.aks.admin-credentials"
	TechFederatedCredential  = "azure.managedidentity.federated-credential-write"
	TechOperatorAssign       = "azure.managedidentity.operator-assign"
	TechRoleAssignmentWrite  = "azure.authorization.role-assignment-write"
	TechScopeAdministrator   = "azure.authorization.scope-administrator"
	TechGroupMember          = "azure.entra.group-member"
	TechGroupOwner           = "azure.entra.group-owner-add-member"
	TechGroupMemberWrite     = "azure.entra.group-member-write"
	TechOwnerAddCredential   = "azure.entra.owner-add-credential"
	TechAppAdminCredential   = "azure.entra.app-admin-add-credential"
	TechRoleManagement       = "azure.entra.role-management"
	TechAppRoleGrant         = "azure.entra.app-role-assignment-grant"
	TechGlobalAdminElevation = "azure.entra.global-admin-elevate-access"
	TechForeignApp           = "azure.entra.foreign-application"
)

// op is one operation a move needs, on the target or on a related scope.
type op struct {
	name string
	data bool
}

func act(name string) op  { return op{name: name} }
func dact(name string) op { return op{name: name, data: true} }

// escalation is a technique that gives control of a workload's identities.
type escalation struct {
	tech string
	ops  []op // all needed
	lk   float64
	what string
	// kind, when set, must appear in the resource's kind (functionapp:
	// host keys exist on Function apps only).
	kind string
	// flagged moves raise azure.authorization.privesc-identity-code when the
	// workload's identity holds privileges: they open code execution
	// through a side door (keys, the SCM site) rather than a deployment.
	flagged bool
}

var escalations = map[string][]escalation{
	inventory.TypeVM: {
		{tech: TechRunCommand, ops: []op{act("Microsoft.Compute/virtualMachines/runCommand/action")}, lk: 0.85, what: "run a command on"},
		{tech: TechVMExtension, ops: []op{act("Microsoft.Compute/virtualMachines/extensions/write")}, lk: 0.8, what: "install a custom script extension on"},
		{tech: TechVMWrite, ops: []op{act("Microsoft.Compute/virtualMachines/write")}, lk: 0.6, what: "rewrite (custom data, reset access) of"},
	},
	inventory.TypeVMSS: {
		{tech: TechRunCommand, ops: []op{act("Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action")}, lk: 0.85, what: "run a command on"},
		{tech: TechVMExtension, ops: []op{act("Microsoft.Compute/virtualMachineScaleSets/extensions/write")}, lk: 0.8, what: "install an extension on"},
		{tech: TechVMWrite, ops: []op{act("Microsoft.Compute/virtualMachineScaleSets/write")}, lk: 0.6, what: "rewrite of"},
	},
	inventory.TypeWebSite: {
		{tech: TechCodeDeploy, ops: []op{act("Microsoft.Web/sites/publishxml/action")}, lk: 0.8, what: "deploy code to (publishing credentials of)"},
		{tech: TechCodeDeploy, ops: []op{act("Microsoft.Web/sites/write")}, lk: 0.7, what: "reconfigure and deploy to"},
		{tech: TechCodeDeploy, ops: []op{act("Microsoft.Web/sites/config/write")}, lk: 0.7, what: "change the configuration (startup command, package URL) of"},
		{tech: TechCodeDeploy, ops: []op{act("Microsoft.Web/sites/publish/action")}, lk: 0.75,
			what: "run commands through the Kudu (SCM) API, with an Entra ID token, of", flagged: true},
		{tech: TechFunctionHostKeys, ops: []op{act("Microsoft.Web/sites/host/listkeys/action")}, lk: 0.8,
			what: "list the host master key and rewrite function code over the Functions admin API of", kind: "functionapp", flagged: true},
	},
	inventory.TypeAutomationAccount: {
		{tech: TechRunbookEdit, ops: []op{act("Microsoft.Automation/automationAccounts/runbooks/write"), act("Microsoft.Automation/automationAccounts/jobs/write")}, lk: 0.85, what: "edit and start a runbook of"},
	},
	inventory.TypeLogicApp: {
		{tech: TechLogicAppEdit, ops: []op{act("Microsoft.Logic/workflows/write")}, lk: 0.8,
			what: "add an HTTP action authenticating with the managed identity to (and run) the workflow of", flagged: true},
	},
	inventory.TypeAKS: {
		{tech: TechAKSAdminCredentials, ops: []op{act("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action")}, lk: 0.75, what: "get cluster-admin credentials of"},
	},
}

// holder is one principal that holds role assignments.
type holder struct {
	oid  string
	node string
	// scopes are the scopes of its own assignments; all is set when one is
	// the root or a management group (every collected resource is in reach).
	scopes []string
	all    bool
	// hub is set on a shared grant node (hubs.go): its decisions use this
	// one grant only.
	hub *rbac.Grant
	// hubbed are the principal's assignments drawn through grant nodes,
	// left out of its own decisions; hubs are those nodes' ids.
	hubbed map[*inventory.RoleAssignment]bool
	hubs   []string
}

// covers reports whether any of the holder's assignments can apply to id:
// a cheap prefix test that spares the full evaluation for resources
// outside every assignment's scope.
func (h *holder) covers(id string) bool {
	if h.all && h.hub == nil {
		return true
	}
	for _, s := range h.scopes {
		if id == s || strings.HasPrefix(id, s+"/") {
			return true
		}
	}
	return false
}

func (b *builder) holders() []holder {
	var out []holder
	for _, oid := range b.ev.Principals() {
		ptype := ""
		for i := range b.inv.RoleAssignments {
			if b.inv.RoleAssignments[i].PrincipalID == oid {
				ptype = b.inv.RoleAssignments[i].PrincipalType
				break
			}
		}
		h := holder{oid: oid, node: b.principal(oid, ptype)}
		for i := range b.inv.RoleAssignments {
			a := &b.inv.RoleAssignments[i]
			if a.PrincipalID != oid {
				continue
			}
			if scopeDepth(a.Scope) == 0 {
				h.all = true
			}
			h.scopes = append(h.scopes, a.Scope)
		}
		out = append(out, h)
	}
	return out
}

// decide evaluates all ops for a holder on a target and returns one
// decision: allowed only when all are, conditional when any is.
func (b *builder) decide(h holder, target string, ops []op) rbac.Decision {
	if !h.covers(target) && (h.hub == nil || !h.all) {
		return rbac.Decision{}
	}
	return b.decideWith(h.oid, target, b.grantsOf(h, target), ops)
}

// grantsOf returns the grants a holder's own decisions use at target: a
// grant node's one grant, or the principal's direct grants less those it
// reaches through grant nodes.
func (b *builder) grantsOf(h holder, target string) []rbac.Grant {
	if h.hub != nil {
		if !b.ev.AppliesTo(h.hub.Assignment.Scope, target) {
			return nil
		}
		return []rbac.Grant{*h.hub}
	}
	grants := b.ev.DirectGrantsAt(h.oid, target)
	if len(h.hubbed) == 0 {
		return grants
	}
	out := grants[:0]
	for _, g := range grants {
		if !h.hubbed[g.Assignment] {
			out = append(out, g)
		}
	}
	return out
}

// decideWith evaluates all ops over the given grants.
func (b *builder) decideWith(oid, target string, grants []rbac.Grant, ops []op) rbac.Decision {
	if len(grants) == 0 {
		return rbac.Decision{}
	}
	var out rbac.Decision
	for i, o := range ops {
		d := b.ev.CanWith(oid, target, grants, o.name, o.data)
		if !d.Allowed {
			return rbac.Decision{}
		}
		if i == 0 {
			out = d
			continue
		}
		out.Conditional = out.Conditional || d.Conditional
		out.Eligible = out.Eligible || d.Eligible
		out.Via = union(out.Via, d.Via)
	}
	return out
}

// grantMove draws a move when the decision allows it.
func (b *builder) grantMove(h holder, to string, kind graph.EdgeKind, tech string, lk float64, d rbac.Decision, what string, findings ...string) {
	if !d.Allowed {
		return
	}
	ev := []string{what + ": " + strings.Join(d.Via, "; ")}
	if d.Eligible {
		ev = append(ev, "PIM-eligible only: the principal must activate the role first")
		lk *= 0.7
	}
	if d.Conditional {
		ev = append(ev, "granted under an ABAC or role condition the graph does not resolve")
	}
	if h.hub != nil {
		b.hubMoved[h.node+"|"+tech+"|"+strings.ToLower(to)] = true
	}
	e := graph.Edge{From: h.node, To: to, Kind: kind, Technique: tech, Likelihood: lk, Evidence: ev, Conditional: d.Conditional,
		Findings: union(nil, findings)}
	if netGated[tech] {
		b.gatedMove(e, b.gateCallers(h), h.hub != nil)
		return
	}
	b.move(e)
}

// identityMoves is a placeholder step kept for ordering: workload identity
// moves are drawn when workloads are read (compute).
func (b *builder) identityMoves() {}

// rbacMoves draws, for every principal holding role assignments (through
// its own assignments; group grants are drawn on the group), data access,
// workload-identity escalations and role-assignment escalation.
func (b *builder) rbacMoves() {
	hs := b.holders()
	b.cosmos = b.inv.OfType(inventory.TypeCosmosAccount)
	b.acrs = b.inv.OfType(inventory.TypeACR)
	b.uamis = b.inv.OfType(inventory.TypeUserAssignedID)
	b.autoSecrets = map[string][]string{}
	for id, n := range b.nodes {
		if !n.Stub && n.Kind == graph.KindSecret && n.NativeType == "Microsoft.Automation/automationAccounts/variables" {
			acct := inventory.Parent(id)
			b.autoSecrets[acct] = append(b.autoSecrets[acct], id)
		}
	}
	for _, l := range b.autoSecrets {
		sort.Strings(l)
	}
	hubs := b.grantHubs(hs)
	b.hubMoved = map[string]bool{}
	for _, h := range hubs {
		b.dataMoves(h)
		b.escalationMoves(h)
	}
	for _, h := range hs {
		if len(h.scopes) > 0 {
			b.dataMoves(h)
			b.escalationMoves(h)
		}
		if len(h.hubs) > 0 && len(h.hubs)+len(h.scopes) >= 2 {
			b.comboMoves(h)
		}
	}
	b.accessPolicyMoves()
	b.adminMoves()
}

func (b *builder) dataMoves(h holder) {
	for _, acct := range sortedKeys(b.storage) {
		si := b.storage[acct]
		targets := si.containers
		if len(targets) == 0 {
			targets = []string{acct}
		}
		for _, c := range targets {
			b.grantMove(h, c, graph.EdgeReads, TechBlobRead, 0.95,
				b.decide(h, c, []op{dact("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read")}), "blob data read")
			b.grantMove(h, c, graph.EdgeWrites, TechBlobWrite, 0.85,
				b.decide(h, c, []op{dact("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write")}), "blob data write")
		}
		if si.sharedKey {
			d := b.decide(h, acct, []op{act("Microsoft.Storage/storageAccounts/listkeys/action")})
			f := graph.FindingID("azure.storage.shared-key-access", acct)
			for _, c := range targets {
				b.grantMove(h, c, graph.EdgeReads, TechStorageListKeys, 0.9, d, "list the account keys of "+short(acct)+" (shared key access on)", f)
				b.grantMove(h, c, graph.EdgeWrites, TechStorageListKeys, 0.85, d, "list the account keys of "+short(acct)+" (shared key access on)", f)
			}
		}
	}
	for _, vault := range sortedKeys(b.vaults) {
		vi := b.vaults[vault]
		if !vi.rbacMode {
			// Access-policy vaults ignore RBAC data actions; writing the vault
			// (Contributor has it) lets a principal grant itself a policy.
			d := b.decide(h, vault, []op{act("Microsoft.KeyVault/vaults/accessPolicies/write")})
			if !d.Allowed {
				d = b.decide(h, vault, []op{act("Microsoft.KeyVault/vaults/write")})
			}
			f := graph.FindingID("azure.keyvault.rbac-disabled", vault)
			for _, s := range append(append([]string{}, vi.secrets...), vi.keys...) {
				kind := graph.EdgeReads
				if strings.Contains(s, "/keys/") {
					kind = graph.EdgeDecrypts
				}
				b.grantMove(h, s, kind, TechAccessPolicyWrite, 0.8, d, "add an access policy for itself to vault "+short(vault), f)
			}
			continue
		}
		for _, s := range vi.secrets {
			b.grantMove(h, s, graph.EdgeReads, TechSecretGet, 0.95, b.decide(h, s, []op{dact("Microsoft.KeyVault/vaults/secrets/getSecret/action")}), "secret read")
		}
		for _, k := range vi.keys {
			b.grantMove(h, k, graph.EdgeDecrypts, TechKeyDecrypt, 0.85, b.decide(h, k, []op{dact("Microsoft.KeyVault/vaults/keys/decrypt/action")}), "key decrypt")
		}
	}
	for _, srv := range sortedKeys(b.sqlServers) {
		targets := b.sqlServers[srv]
		if len(targets) == 0 {
			targets = []string{srv}
		}
		d := b.decide(h, srv, []op{act("Microsoft.Sql/servers/administrators/write")})
		if !d.Allowed {
			d = b.decide(h, srv, []op{act("Microsoft.Sql/servers/write")})
		}
		for _, db := range targets {
			b.grantMove(h, db, graph.EdgeAdministers, TechSQLAdminTakeover, 0.7, d, "set the server's Entra admin or reset its administrator password on "+short(srv))
		}
	}
	for _, r := range b.cosmos {
		n, ok := b.nodes[r.ID]
		if !ok || n.Stub || n.Props["local_auth"] != true {
			continue
		}
		d := b.decide(h, r.ID, []op{act("Microsoft.DocumentDB/databaseAccounts/listKeys/action")})
		b.grantMove(h, r.ID, graph.EdgeReads, TechCosmosListKeys, 0.9, d, "list the account keys of "+r.Name)
		b.grantMove(h, r.ID, graph.EdgeWrites, TechCosmosListKeys, 0.85, d, "list the account keys of "+r.Name)
	}
	for _, r := range b.acrs {
		if _, ok := b.owner[r.ID]; !ok {
			continue
		}
		b.grantMove(h, r.ID, graph.EdgeReads, TechACRPull, 0.9, b.decide(h, r.ID, []op{act("Microsoft.ContainerRegistry/registries/pull/read")}), "image pull")
		b.grantMove(h, r.ID, graph.EdgeWrites, TechACRPush, 0.8, b.decide(h, r.ID, []op{act("Microsoft.ContainerRegistry/registries/push/write")}), "image push")
	}
	for _, site := range sortedKeys(b.secretSettings) {
		d := b.decide(h, site, []op{act("Microsoft.Web/sites/config/list/action")})
		for _, s := range b.secretSettings[site] {
			b.grantMove(h, s, graph.EdgeReads, TechAppSettingsList, 0.9, d, "list the application settings of "+short(site),
				graph.FindingID("azure.appservice.secret-in-app-settings", site))
		}
	}
}

func (b *builder) escalationMoves(h holder) {
	for _, w := range sortedKeys(b.identitiesOf) {
		ids := b.identitiesOf[w]
		if len(ids) == 0 {
			continue
		}
		t := typeOfID(w)
		for _, esc := range escalations[t] {
			if esc.kind != "" && !b.kindHas(w, esc.kind) {
				continue
			}
			d := b.decide(h, w, esc.ops)
			if !d.Allowed {
				continue
			}
			for _, mi := range ids {
				if mi == h.node {
					continue
				}
				what := esc.what + " " + short(w) + ", which runs as " + short(strings.TrimSuffix(mi, "/providers/microsoft.managedidentity/identities/default"))
				var fs []string
				if esc.flagged && b.identityPrivileged(mi) {
					fs = nonEmpty(b.finding("azure.authorization.privesc-identity-code", w, short(h.node)+" can "+what))
				}
				b.grantMove(h, mi, graph.EdgeEscalatesTo, esc.tech, esc.lk, d, what, fs...)
			}
			if t == inventory.TypeAutomationAccount {
				for _, s := range b.autoSecrets[w] {
					b.grantMove(h, s, graph.EdgeReads, esc.tech, esc.lk, d, esc.what+" "+short(w)+" and print its variables")
				}
			}
		}
	}
	writable, checked := "", false
	for _, r := range b.uamis {
		if _, ok := b.owner[r.ID]; !ok || r.ID == h.node {
			continue
		}
		b.grantMove(h, r.ID, graph.EdgeEscalatesTo, TechFederatedCredential, 0.8,
			b.decide(h, r.ID, []op{act("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write")}),
			"add a federated credential (an issuer the attacker controls) to "+r.Name)
		if d := b.decide(h, r.ID, []op{act("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")}); d.Allowed {
			if !checked {
				writable, checked = b.writableVM(h), true
			}
			if vm := writable; vm != "" {
				d.Via = append(d.Via, "and can write VM "+short(vm)+" to attach it")
				b.grantMove(h, r.ID, graph.EdgeEscalatesTo, TechOperatorAssign, 0.6, d, "assign "+r.Name+" to a VM it controls")
			}
		}
	}
	// Role assignment writes: the principal can make itself Owner of the
	// scope of the assignment that grants it.
	seen := map[string]bool{}
	for _, sub := range b.inv.Subscriptions {
		for _, g := range b.grantsOf(h, "/subscriptions/"+sub.ID) {
			b.roleWriteMove(h, g, "/subscriptions/"+sub.ID, seen)
		}
	}
	for _, scope := range h.scopes {
		if scopeDepth(scope) < 2 || !b.subsIn[inventory.SubscriptionOf(scope)] {
			continue
		}
		for _, g := range b.grantsOf(h, scope) {
			if strings.EqualFold(g.Assignment.Scope, scope) {
				b.roleWriteMove(h, g, scope, seen)
			}
		}
	}
}

// roleWriteMove draws principal -> administrator of scope when the grant
// allows role assignment writes there.
func (b *builder) roleWriteMove(h holder, g rbac.Grant, scope string, seen map[string]bool) {
	d := b.ev.CanWith(h.oid, scope, []rbac.Grant{g}, "Microsoft.Authorization/roleAssignments/write", false)
	if !d.Allowed || seen[scope+"|"+g.Assignment.ID] {
		return
	}
	seen[scope+"|"+g.Assignment.ID] = true
	admin := b.adminNode(scope)
	if admin == "" {
		return
	}
	var fs []string
	if f := graph.FindingID("azure.authorization.workload-privileged-role", g.Assignment.ID); b.hasFinding(g.Assignment.ID, f) {
		fs = append(fs, f)
	}
	absent, conditional, why := b.roleWriteGuard(scope)
	if absent {
		return // an enforced Azure Policy Deny refuses every role assignment there
	}
	what := "write role assignments at " + scope + " (grant itself Owner)"
	if conditional {
		what += "; " + why
	}
	b.grantMove(h, admin, graph.EdgeEscalatesTo, TechRoleAssignmentWrite, 0.9, d, what, fs...)
	if conditional {
		key := graph.Edge{From: strings.ToLower(h.node), To: admin, Kind: graph.EdgeEscalatesTo, Technique: TechRoleAssignmentWrite}
		if e := b.part(b.keyFor(h.node, admin)).edges[key.Key()]; e != nil {
			e.Conditional = true // the policy decides at request time which roles can be assigned
		}
	}
}

func (b *builder) hasFinding(resource, fid string) bool {
	p := b.parts[b.owner[resource]]
	return p != nil && p.findings[fid] != nil
}

// writableVM returns a VM the holder can rewrite, or "".
func (b *builder) writableVM(h holder) string {
	for _, vm := range sortedKeys(b.vmNICs) {
		if b.decide(h, vm, []op{act("Microsoft.Compute/virtualMachines/write")}).Allowed {
			return vm
		}
	}
	return ""
}

// adminNode returns the administrator node of a subscription or resource
// group scope, creating it: a crown-jewel Role standing for "whoever can
// write role assignments here", which can take every identity and every
// data store under the scope.
func (b *builder) adminNode(scope string) string {
	scope = strings.ToLower(scope)
	sub := inventory.SubscriptionOf(scope)
	if !b.subsIn[sub] || scopeDepth(scope) > 2 {
		return ""
	}
	id := scope + "/providers/microsoft.authorization/administrator"
	if _, ok := b.nodes[id]; !ok {
		b.own(sub, graph.Node{ID: id, Kind: graph.KindRole, NativeType: nativeAdministrator, Name: "administrator of " + short(scope),
			Account: sub, Region: "global", Service: inventory.AreaAuthorization, CrownJewel: true, Props: graph.Props{"scope": scope}})
		b.adminScopes[scope] = true
	}
	return id
}

// adminMoves draws what each scope administrator can take: every managed
// identity and every data store under its scope.
func (b *builder) adminMoves() {
	owned := sortedKeys(b.owner)
	for _, scope := range sortedKeys(b.adminScopes) {
		admin := scope + "/providers/microsoft.authorization/administrator"
		// Ids under the scope are one contiguous run of the sorted list.
		start := sort.SearchStrings(owned, scope)
		for _, id := range owned[start:] {
			if !strings.HasPrefix(id, scope) {
				break
			}
			if id != scope && !strings.HasPrefix(id, scope+"/") {
				continue // a sibling whose name extends the scope's ("rg-1-x" after "rg-1")
			}
			if id == admin {
				continue
			}
			n := b.nodes[id]
			switch {
			case n.Kind == graph.KindServiceAccount:
				b.move(graph.Edge{From: admin, To: id, Kind: graph.EdgeEscalatesTo, Technique: TechScopeAdministrator, Likelihood: 0.9,
					Evidence: []string{"an administrator of " + scope + " can run code as " + short(id) + " (grant itself any role on its workload)"}})
			case n.Kind.IsDataStore() || n.Kind == graph.KindKey:
				b.move(graph.Edge{From: admin, To: id, Kind: graph.EdgeAdministers, Technique: TechScopeAdministrator, Likelihood: 0.9,
					Evidence: []string{"an administrator of " + scope + " can grant itself data roles on " + short(id)}})
			case n.Kind == graph.KindRole && n.NativeType == nativeAdministrator:
				b.move(graph.Edge{From: admin, To: id, Kind: graph.EdgeEscalatesTo, Technique: TechScopeAdministrator, Likelihood: 1,
					Evidence: []string{"administrator of " + scope + " administers " + short(strings.TrimSuffix(id, "/providers/microsoft.authorization/administrator"))}})
			}
		}
	}
}

// accessPolicyMoves draws Key Vault access-policy data access: the object
// an access policy names (a user, group, service principal or managed
// identity) reads the vault's secrets or decrypts with its keys.
func (b *builder) accessPolicyMoves() {
	for _, vault := range sortedKeys(b.vaults) {
		vi := b.vaults[vault]
		if vi.rbacMode {
			continue
		}
		for _, ap := range vi.policies {
			pid := b.principal(ap.ObjectID, "")
			if hasPerm(ap.Permissions.Secrets, "get") {
				var f []string
				if hasPerm(ap.Permissions.Secrets, "list") {
					f = append(f, b.finding("azure.keyvault.access-policy-broad", vault, "access policy grants "+short(pid)+" secrets get,list"))
				}
				for _, s := range vi.secrets {
					e := graph.Edge{From: pid, To: s, Kind: graph.EdgeReads, Technique: TechAccessPolicySecret, Likelihood: 0.95,
						Evidence: []string{"vault " + short(vault) + " access policy: " + short(pid) + " secrets " + strings.Join(ap.Permissions.Secrets, ",")},
						Findings: f}
					b.gatedMove(e, []string{pid}, false)
				}
			}
			if hasPerm(ap.Permissions.Keys, "decrypt") || hasPerm(ap.Permissions.Keys, "unwrapkey") {
				for _, k := range vi.keys {
					e := graph.Edge{From: pid, To: k, Kind: graph.EdgeDecrypts, Technique: TechAccessPolicyKey, Likelihood: 0.85,
						Evidence: []string{"vault " + short(vault) + " access policy: " + short(pid) + " keys " + strings.Join(ap.Permissions.Keys, ",")}}
					b.gatedMove(e, []string{pid}, false)
				}
			}
		}
	}
}

func hasPerm(perms []string, p string) bool {
	for _, x := range perms {
		if strings.EqualFold(x, p) || strings.EqualFold(x, "all") {
			return true
		}
	}
	return false
}
