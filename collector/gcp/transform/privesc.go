package transform

import (
	"slices"
	"strings"

	gcpiam "github.com/breachpath/breachpath/collector/gcp/iam"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// The escalations of Rhino Security Labs' GCP privilege-escalation
// catalogue that are not "gain a service account from a permission on it"
// (moves.go): rewriting a custom role one is bound to, swapping the service
// account of an instance one can run code on, HMAC keys, lifting the
// key-creation constraint with orgpolicy.policy.set, and API keys (a
// finding: an API key carries no identity). Calling a function or service
// one may invoke is here too: it is how the Thunder CTF levels reach a
// function's runtime account.

// hasAll reports whether an attacker holds every permission of perms in a
// grant, and whether any of them is held only under a condition.
func (b *builder) hasAll(a attacker, g *gcpiam.Grant, perms ...string) (ok, conditional bool) {
	u, c := held(g, a)
	m := b.eval.Mask(perms...)
	if (u|c)&m != m {
		return false, false
	}
	return true, u&m != m
}

// customRoleBindings indexes every binding of a custom role by role name,
// once per transform.
func (b *builder) customRoleBindings() map[string][]*gcpiam.Binding {
	if b.roleBindings != nil {
		return b.roleBindings
	}
	b.roleBindings = map[string][]*gcpiam.Binding{}
	for _, res := range b.eval.Resources() {
		for _, bd := range b.eval.Bindings(res) {
			if strings.HasPrefix(bd.Role, "projects/") || strings.HasPrefix(bd.Role, "organizations/") {
				b.roleBindings[bd.Role] = append(b.roleBindings[bd.Role], bd)
			}
		}
	}
	return b.roleBindings
}

// roleUpdates draws the iam.roles.update escalation for the custom roles
// defined under parent ("projects/<id>" or "organizations/<number>"),
// whose iam.roles.update holders are in grants: a holder bound to such a
// role may add any permission to it, so it gains whatever the binding's
// resource allows. A binding on a project or an ancestor makes the holder
// owner-equivalent of the projects below; a binding on a service account
// or data store gives that resource.
func (b *builder) roleUpdates(parent string, grants map[string]*gcpiam.Grant, ownerEq map[string]bool) {
	index := b.customRoleBindings()
	var roles []string
	for r := range index {
		if strings.HasPrefix(r, parent+"/roles/") {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return
	}
	slices.Sort(roles)
	bit := b.eval.Mask(pRolesUpdate)
	for _, a := range b.attackers(grants) {
		// A scoped token's new permissions would still be cut by its
		// scopes: only full credentials get the edge.
		if ownerEq[a.id] || a.mask != ^gcpiam.Set(0) {
			continue
		}
		u, c := held(grants[a.src], a)
		if (u|c)&bit == 0 {
			continue
		}
		ev := b.eval.Evidence(grants[a.src], bit)
		for _, r := range roles {
			for _, bd := range index[r] {
				if !slices.ContainsFunc(bd.Members, func(m string) bool { return strings.EqualFold(m, a.src) }) {
					continue
				}
				why := append(slices.Clone(ev), "bound to "+r+" on "+bd.Resource+": permissions added to the role are granted there")
				if bd.Conditional {
					why = append(why, "the binding holds only under its condition: "+bd.Condition)
				}
				f := b.finding("gcp.iam.privesc-roles-update", a.id, "may update "+r+", which it holds on "+bd.Resource)
				cond := u&bit == 0 || bd.Conditional
				for _, to := range b.roleUpdateTargets(bd.Resource) {
					kind := graph.EdgeEscalatesTo
					if n := b.nodes[to.id]; to.data && n != nil {
						kind = graph.EdgeAdministers
					}
					b.move(graph.Edge{From: a.id, To: to.id, Kind: kind, Technique: "gcp.iam.roles-update", Evidence: why,
						Findings: compact([]string{f}), Conditional: cond})
				}
			}
		}
	}
}

type roleTarget struct {
	id   string
	data bool // a data store (ADMINISTERS) rather than an identity (ESCALATES_TO)
}

// roleUpdateTargets returns what a binding on res gives once its role can
// be rewritten: the owner node of every project at or below res, or res
// itself when it is a service account or a data store.
func (b *builder) roleUpdateTargets(res string) []roleTarget {
	if strings.HasPrefix(res, crmPrefix) {
		var out []roleTarget
		for _, p := range b.projects() {
			if slices.Contains(b.h.projectChain(p), res) {
				out = append(out, roleTarget{id: b.ownerNode(p)})
			}
		}
		return out
	}
	n := b.nodes[res]
	a := b.inv.Assets[res]
	if n == nil || n.Stub || a == nil {
		return nil
	}
	switch {
	case a.AssetType == inventory.TypeServiceAccount:
		return []roleTarget{{id: res}}
	case dataMoves[a.AssetType] != nil:
		return []roleTarget{{id: res, data: true}}
	}
	return nil
}

// orgRoleUpdates draws the iam.roles.update escalation for custom roles
// defined on organisations, whose holders need the permission on the
// organisation itself.
func (b *builder) orgRoleUpdates() {
	seen := map[string]bool{}
	for _, p := range b.projects() {
		for _, anc := range p.Ancestors {
			if !strings.HasPrefix(anc, crmPrefix+"organizations/") || seen[anc] {
				continue
			}
			seen[anc] = true
			b.roleUpdates(strings.TrimPrefix(anc, crmPrefix), b.eval.Grants([]string{anc}), nil)
		}
	}
}

// instanceSwaps returns, per attacker of the project, an instance whose
// service account it may swap and whose code it controls:
// compute.instances.setServiceAccount with stop and start (the account of
// a running instance cannot change) and compute.instances.setMetadata (a
// startup script runs at the next boot, with or without OS Login). The
// first such instance by name is kept: one edge per attacker and account.
func (b *builder) instanceSwaps(insts []projectInstance) map[string]swap {
	out := map[string]swap{}
	for _, pi := range insts {
		in, g := pi.in, pi.g
		for _, a := range pi.attackers {
			if _, ok := out[a.id]; ok {
				continue
			}
			ok, cond := b.hasAll(a, g[a.src], pSetServiceAccount, pInstanceStop, pInstanceStart, pSetMetadata)
			if !ok {
				continue
			}
			out[a.id] = swap{instance: in.asset.Name, cond: cond,
				evidence: b.eval.Evidence(g[a.src], b.eval.Mask(pSetServiceAccount, pInstanceStop, pInstanceStart, pSetMetadata))}
		}
	}
	return out
}

// projectInstance is an instance of the project being evaluated, with the
// grants on it and the attackers among them, evaluated once for every
// instance technique.
type projectInstance struct {
	in        *instanceInfo
	g         map[string]*gcpiam.Grant
	attackers []attacker
}

func (b *builder) projectInstances(p *project) []projectInstance {
	var out []projectInstance
	for i := range b.instances {
		if in := &b.instances[i]; in.project == p {
			g := b.eval.Grants(b.h.chain(in.asset))
			out = append(out, projectInstance{in: in, g: g, attackers: b.attackers(g)})
		}
	}
	return out
}

type swap struct {
	instance string
	cond     bool
	evidence []string
}

// hmacTokens adds, before any move is drawn, the storage-only credential
// node of every service account of a project where someone may create
// HMAC keys: the data moves of every project then see it as an attacker.
func (b *builder) hmacTokens(byProject map[string][]*inventory.Asset) {
	bit := b.eval.Mask(pHMACCreate)
	for _, p := range b.projects() {
		holder := false
		for m, g := range b.projGrants[p.ID] {
			if g.All()&bit != 0 && !strings.HasPrefix(m, "projectOwner:") {
				holder = true
				break
			}
		}
		if !holder {
			continue
		}
		for _, a := range byProject[p.ID] {
			if a.AssetType != inventory.TypeServiceAccount {
				continue
			}
			var d inventory.ServiceAccount
			if err := a.Decode(&d); err == nil && d.Email != "" {
				b.identityFor(d.Email, []string{hmacScope}, b.scopeOf(a), "", true)
			}
		}
	}
}

// hmacScope is the OAuth scope that covers what an HMAC key can do: an
// HMAC key authenticates as its service account to Cloud Storage (the XML
// API) and to nothing else.
const hmacScope = "devstorage.full_control"

// hmacMoves draws attacker -> the account's storage-only credential for
// every holder of storage.hmacKeys.create in the account's project.
func (b *builder) hmacMoves(p *project, pgrants map[string]*gcpiam.Grant, sas []*inventory.Asset, ownerEq map[string]bool) {
	bit := b.eval.Mask(pHMACCreate)
	for _, sa := range sas {
		var d inventory.ServiceAccount
		if err := sa.Decode(&d); err != nil || d.Email == "" {
			continue
		}
		tok, _ := b.identityFor(d.Email, []string{hmacScope}, b.scopeOf(sa), "", true)
		if tok == "" {
			continue
		}
		for _, a := range b.attackers(pgrants) {
			if ownerEq[a.id] || a.id == sa.Name || b.scopedNodes[a.id].sa == sa.Name {
				continue
			}
			u, c := held(pgrants[a.src], a)
			if (u|c)&bit == 0 {
				continue
			}
			f := b.finding("gcp.iam.privesc-hmac-key-create", a.id, "storage.hmacKeys.create in "+p.ID+" mints Cloud Storage credentials for "+d.Email)
			b.move(graph.Edge{From: a.id, To: tok, Kind: graph.EdgeEscalatesTo, Technique: "gcp.storage.hmac-key-create",
				Evidence: append(b.eval.Evidence(pgrants[a.src], bit),
					"an HMAC key for "+d.Email+" authenticates as the account to Cloud Storage only (the node stands for that storage-only credential)"),
				Findings: compact([]string{f}), Conditional: u&bit == 0})
		}
	}
}

// apiKeyFindings reports holders of API-key creation or key-string reads.
// An API key carries no identity: it identifies a project to the APIs that
// accept keys and grants no IAM permission, so no move is drawn.
func (b *builder) apiKeyFindings(p *project, pgrants map[string]*gcpiam.Grant, ownerEq map[string]bool) {
	need := b.eval.Mask(pAPIKeysCreate, pAPIKeysGetString, pAPIKeysCreateLegacy, pAPIKeysListLegacy)
	for _, a := range b.attackers(pgrants) {
		if ownerEq[a.id] || a.mask != ^gcpiam.Set(0) {
			continue
		}
		if pgrants[a.src].All()&need == 0 {
			continue
		}
		b.finding("gcp.iam.privesc-api-keys", a.id, "may create or read API keys of "+p.ID+" ("+
			strings.Join(b.eval.Evidence(pgrants[a.src], need), "; ")+")")
	}
}

// invokerMoves draws principal -> function / Cloud Run service for every
// principal (other than allUsers and allAuthenticatedUsers, drawn from the
// Internet) that may invoke it: as for a public one, a caller reaches the
// code and, through its bugs, the runtime account. Ingress other than
// "all" makes the hop conditional: the caller must come from an allowed
// network.
func (b *builder) invokerMoves(assets []*inventory.Asset, ownerEq map[string]bool) {
	for _, a := range assets {
		var perm, tech string
		switch a.AssetType {
		case inventory.TypeFunctionV1, inventory.TypeFunctionV2:
			perm, tech = pFunctionInvoke, "gcp.cloudfunctions.authenticated-invoker"
		case inventory.TypeRunService:
			perm, tech = pRunInvoke, "gcp.run.authenticated-invoker"
		default:
			continue
		}
		n := b.nodes[a.Name]
		if n == nil || n.Stub {
			continue
		}
		ingress, _ := n.Props["ingress"].(string)
		open := strings.EqualFold(ingress, "ALLOW_ALL") || ingress == "all" || ingress == "INGRESS_TRAFFIC_ALL"
		need := b.eval.Mask(perm)
		if a.AssetType == inventory.TypeFunctionV2 {
			need |= b.eval.Mask(pRunInvoke) // 2nd gen functions are Cloud Run services
		}
		g := b.eval.Grants(b.h.chain(a))
		for _, at := range b.attackers(g) {
			if ownerEq[at.id] || at.id == AllUsersID || at.id == AllAuthenticatedUsersID {
				continue
			}
			u, c := held(g[at.src], at)
			if (u|c)&need == 0 {
				continue
			}
			ev := b.eval.Evidence(g[at.src], need)
			if !open {
				ev = append(ev, "ingress "+ingress+": the call must come from an allowed network")
			}
			b.move(graph.Edge{From: at.id, To: a.Name, Kind: graph.EdgeReaches, Technique: tech, Evidence: ev,
				Conditional: u&need == 0 || !open, Props: graph.Props{"ports": []string{"tcp/443"}}})
		}
	}
}

// liftKeyConstraint draws the key-creation escalation that
// constraints/iam.disableServiceAccountKeyCreation blocks, for an attacker
// who may also set organisation policies on the account's project: a
// project policy that stops enforcing the boolean constraint overrides the
// inherited one, and the key can then be created.
func (b *builder) liftKeyConstraint(p *project, a attacker, sa *inventory.Asset, saGrant, projGrant *gcpiam.Grant, where string, keyCond bool) {
	ok, cond := b.hasAll(a, projGrant, pOrgPolicySet)
	if !ok {
		return
	}
	ev := append(b.eval.Evidence(saGrant, b.eval.Mask(pKeyCreate)), b.eval.Evidence(projGrant, b.eval.Mask(pOrgPolicySet))...)
	ev = append(ev, ConstraintDisableKeyCreation+" is enforced on "+where+"; a policy on "+p.ID+" that does not enforce it overrides it")
	f := b.finding("gcp.iam.privesc-org-policy-set", a.id, "orgpolicy.policy.set on "+p.ID+" lifts "+ConstraintDisableKeyCreation+
		" and iam.serviceAccountKeys.create on "+inventory.LastSegment(sa.Name)+" mints a key")
	b.move(graph.Edge{From: a.id, To: sa.Name, Kind: graph.EdgeEscalatesTo, Technique: "gcp.orgpolicy.lift-key-creation-constraint",
		Evidence: ev, Findings: compact([]string{f}), Conditional: keyCond || cond})
}

// defaultObjectACL adds, for a fine-grained bucket, one binding per entry
// of its default object ACL: objects written without an ACL get it, so its
// READER / OWNER entries read them (the Thunder CTF levels grant their
// accounts a bucket this way). The binding is conditional: an object
// written with an explicit ACL, or before the default changed, may say
// otherwise, and object ACLs are not read. Uniform bucket-level access
// disables every ACL.
func (b *builder) defaultObjectACL(a *inventory.Asset, name string) {
	var d inventory.Bucket
	if err := a.Decode(&d); err != nil || d.IAMConfiguration.UniformBucketLevelAccess.Enabled {
		return
	}
	for _, e := range d.DefaultObjectACL {
		role := map[string]string{"READER": "roles/storage.legacyObjectReader", "OWNER": "roles/storage.legacyObjectOwner"}[e.Role]
		member := aclMember(e.Entity)
		if role == "" || member == "" {
			continue
		}
		b.eval.Add(&gcpiam.Binding{Resource: name, Role: role, Members: []string{member}, Conditional: true,
			Condition: aclCondition + e.Entity + " " + e.Role + ")"})
	}
}

const aclCondition = "objects written without an ACL (default object ACL: "

// aclFinding returns the uniform-access finding of a bucket when a grant's
// permissions in need come from its default object ACL: turning on uniform
// bucket-level access removes them, so the plan can cut the move.
func (b *builder) aclFinding(bucket string, g *gcpiam.Grant, need gcpiam.Set) string {
	for _, bd := range g.Via {
		if bd.Conditional && strings.HasPrefix(bd.Condition, aclCondition) && b.eval.RoleSet(bd.Role)&need != 0 {
			return b.finding("gcp.storage.uniform-access-disabled", bucket, "the default object ACL gives "+
				strings.TrimSuffix(strings.TrimPrefix(bd.Condition, aclCondition), ")"))
		}
	}
	return ""
}

// aclMember turns a Cloud Storage ACL entity into an IAM member, or "".
func aclMember(entity string) string {
	switch {
	case entity == "allUsers" || entity == "allAuthenticatedUsers":
		return entity
	case strings.HasPrefix(entity, "user-"):
		email := strings.TrimPrefix(entity, "user-")
		if strings.HasSuffix(email, ".gserviceaccount.com") {
			return "serviceAccount:" + email
		}
		return "user:" + email
	case strings.HasPrefix(entity, "group-"):
		return "group:" + strings.TrimPrefix(entity, "group-")
	case strings.HasPrefix(entity, "domain-"):
		return "domain:" + strings.TrimPrefix(entity, "domain-")
	}
	for acl, member := range map[string]string{"project-owners-": "projectOwner:", "project-editors-": "projectEditor:", "project-viewers-": "projectViewer:"} {
		if n, ok := strings.CutPrefix(entity, acl); ok {
			return member + n
		}
	}
	return ""
}

// instanceActAs reports whether an attacker may act as the account an
// instance runs as (always true for an instance without one), and whether
// only under a condition: Compute Engine refuses a metadata change, and
// OS Login a session, to a caller without iam.serviceAccounts.actAs on
// the instance's account. The check is Compute Engine's check of the
// caller's IAM permissions, not an API call of its token, so a scoped
// token's scopes do not cut it (GCPGoat's compute-scoped token passes).
// An account the inventory does not hold is judged by the grants on the
// instance's project.
func (b *builder) instanceActAs(in *instanceInfo, a attacker) (ok, conditional bool, evidence []string) {
	if in.sa == "" {
		return true, false, nil
	}
	if b.saGrants == nil {
		b.saGrants = map[string]map[string]*gcpiam.Grant{}
	}
	id := b.saID(in.sa)
	grants, seen := b.saGrants[id]
	if !seen {
		if sa := b.inv.Assets[id]; sa != nil {
			grants = b.eval.Grants(b.h.chain(sa))
		} else {
			grants = b.projGrants[in.project.ID]
		}
		b.saGrants[id] = grants
	}
	g := grants[a.src]
	bit := b.eval.Mask(pActAs)
	if g == nil || g.All()&bit == 0 {
		return false, false, nil
	}
	return true, g.Perms&bit == 0, append(b.eval.Evidence(g, bit), "iam.serviceAccounts.actAs on "+in.sa+", which the instance runs as")
}
