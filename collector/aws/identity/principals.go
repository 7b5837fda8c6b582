package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

type groupInfo struct {
	arn      string
	name     string
	policies []*policy.Policy
	managed  []string // attached managed policy ARNs
	members  []*principal
}

// principal is an IAM user or role of the account with everything its evaluation needs.
type principal struct {
	id       string
	kind     graph.Kind
	name     string
	user     *inventory.User
	role     *inventory.Role
	groups   []*groupInfo
	caller   policy.Principal
	set      policy.PolicySet // identity, boundary, SCPs; Resource filled per request
	managed  []string         // managed policy ARNs that apply (direct and via groups)
	inline   []string         // inline policy node ids (own)
	class    *class
	admin    bool // admin-equivalent (see adminProbeActions)
	maxAdmin bool // would be admin-equivalent with AdministratorAccess attached (boundary and SCPs allow it)
	cred     credState
}

// class groups principals whose evaluation results are interchangeable: same kind, same policies,
// same boundary, and no policy that depends on who the caller is (variables, principal keys).
// Results computed for the class representative are reused for every member.
type class struct {
	key     string
	rep     *principal
	anyYes  catalog.ActionSet // allowed on at least one resource
	anyMay  catalog.ActionSet // conditionally allowed on at least one resource
	starYes catalog.ActionSet // allowed on every resource ("*")
	access  map[accessKey]accessResult
	grants  map[string][]policy.Grant
}

// adminProbeActions define admin-equivalence: a principal allowed, unconditionally and on every
// resource ("*"), to rewrite any identity's permissions and trust and to pass and assume any role
// can grant itself anything, so it is treated as the account administrator. `*:*` implies them;
// IAMFullAccess plus sts:AssumeRole also qualifies, which is the point.
var adminProbeActions = []string{
	"iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:AttachUserPolicy", "iam:PutUserPolicy",
	"iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy", "iam:PassRole", "iam:CreateAccessKey",
	"sts:AssumeRole",
}

// administratorAccess is the document of the AWS-managed AdministratorAccess policy, used to ask
// "would this principal be admin if it attached AdministratorAccess to itself" (boundary and SCPs
// still apply).
var administratorAccess = func() *policy.Policy {
	p := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	p.Label = "arn:aws:iam::aws:policy/AdministratorAccess"
	return p
}()

// policyVersion is a stored, non-default version of a customer-managed policy.
type policyVersion struct {
	id  string
	doc *policy.Policy
}

// withVersion returns p's policy set with managed policy arn (wherever p holds it: directly or
// through groups) replaced by version v.
func (b *builder) withVersion(p *principal, arn string, v *policy.Policy) policy.PolicySet {
	set := p.set
	cur := b.managed[arn]
	set.Identity = make([]*policy.Policy, 0, len(p.set.Identity))
	for _, x := range p.set.Identity {
		if x == cur {
			x = v
		}
		set.Identity = append(set.Identity, x)
	}
	return set
}

// parsePolicy parses a document and labels it; a bad document becomes a warning and nil.
func (b *builder) parsePolicy(label, doc string) *policy.Policy {
	if strings.TrimSpace(doc) == "" {
		return nil
	}
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		b.warn("skipping unparsable policy", "policy", label, "error", err)
		return nil
	}
	p.Label = label
	return p
}

// managedPolicy returns the parsed default version of a managed policy: from the inventory, or the
// embedded AWS-managed catalogue for AWS-managed policies the inventory does not carry.
func (b *builder) managedPolicy(arn string) *policy.Policy {
	if p, ok := b.managed[arn]; ok {
		return p
	}
	var p *policy.Policy
	if isAWSManagedARN(arn) {
		// The catalogue is keyed by the commercial-partition ARN.
		key := arn
		if b.partition != "aws" {
			key = strings.Replace(arn, "arn:"+b.partition+":", "arn:aws:", 1)
		}
		if doc, ok := catalog.ManagedPolicy(key); ok {
			p = b.parsePolicy(arn, string(doc))
		} else {
			b.warn("AWS-managed policy unknown to the catalogue; its permissions are ignored", "policy", arn)
		}
	} else {
		b.warn("managed policy missing from the inventory; its permissions are ignored", "policy", arn)
	}
	b.managed[arn] = p
	return p
}

// loadPolicies parses every policy and assembles each principal's policy set.
func (b *builder) loadPolicies(ctx context.Context) error {
	iam := &b.inv.IAM
	for i := range iam.Policies {
		mp := &iam.Policies[i]
		b.managed[mp.ARN] = b.parsePolicy(mp.ARN, mp.Document)
		for _, v := range mp.OtherVersions {
			if pv := b.parsePolicy(mp.ARN+"?versionId="+v.ID, v.Document); pv != nil {
				b.versions[mp.ARN] = append(b.versions[mp.ARN], policyVersion{id: v.ID, doc: pv})
			}
		}
	}
	b.orgPolicies()
	for i := range iam.Groups {
		g := &iam.Groups[i]
		gi := &groupInfo{arn: g.ARN, name: g.Name}
		for _, a := range g.AttachedPolicies {
			gi.managed = append(gi.managed, a.ARN)
			gi.policies = appendNonNil(gi.policies, b.managedPolicy(a.ARN))
		}
		for _, ip := range g.InlinePolicies {
			gi.policies = appendNonNil(gi.policies, b.parsePolicy(InlinePolicyID(g.ARN, ip.Name), ip.Document))
		}
		b.groups[g.Name] = gi
	}
	rows := map[string]*inventory.CredentialReportRow{}
	for i := range iam.CredentialReport {
		rows[iam.CredentialReport[i].ARN] = &iam.CredentialReport[i]
	}
	for i := range iam.Users {
		if i%512 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		u := &iam.Users[i]
		p := &principal{id: u.ARN, kind: graph.KindUser, name: u.Name, user: u, cred: b.credentials(u, rows[u.ARN])}
		p.caller = policy.Principal{ARN: u.ARN, AccountID: b.account, Type: policy.TypeUser, Name: u.Name, UserID: u.ID, Tags: tagMap(u.Tags)}
		b.ownPolicies(p, u.AttachedPolicies, u.InlinePolicies, u.PermissionBoundary)
		for _, gn := range u.Groups {
			if g, ok := b.groups[gn]; ok {
				p.groups = append(p.groups, g)
				g.members = append(g.members, p)
				p.set.Identity = append(p.set.Identity, g.policies...)
				p.managed = append(p.managed, g.managed...)
			}
		}
		b.addPrincipal(p)
		b.users[u.Name] = p
	}
	for i := range iam.Roles {
		r := &iam.Roles[i]
		p := &principal{id: r.ARN, kind: graph.KindRole, name: r.Name, role: r}
		p.caller = policy.Principal{ARN: r.ARN, AccountID: b.account, Type: policy.TypeRole, Name: r.Name, UserID: r.ID,
			SourceARN: r.ARN, Tags: tagMap(r.Tags), IsServiceLinkedRole: r.ServiceLinked}
		b.ownPolicies(p, r.AttachedPolicies, r.InlinePolicies, r.PermissionBoundary)
		b.addPrincipal(p)
	}
	b.adminProbe = make([]int32, 0, len(adminProbeActions))
	for _, a := range adminProbeActions {
		if act, ok := b.cat.Lookup(a); ok {
			b.adminProbe = append(b.adminProbe, act.Index)
		}
	}
	return nil
}

func (b *builder) addPrincipal(p *principal) {
	p.set.SCPs = b.scps
	p.set.CallerIsManagementAccount = b.mgmt
	b.principals = append(b.principals, p)
	b.byARN[p.id] = p
}

func (b *builder) ownPolicies(p *principal, attached []inventory.AttachedPolicy, inline []inventory.InlinePolicy, boundary string) {
	for _, a := range attached {
		p.managed = append(p.managed, a.ARN)
		p.set.Identity = appendNonNil(p.set.Identity, b.managedPolicy(a.ARN))
	}
	for _, ip := range inline {
		id := InlinePolicyID(p.id, ip.Name)
		p.inline = append(p.inline, id)
		p.set.Identity = appendNonNil(p.set.Identity, b.parsePolicy(id, ip.Document))
	}
	if boundary != "" {
		p.set.Boundary = b.managedPolicy(boundary)
		if p.set.Boundary == nil {
			// Treating an unreadable boundary as deny-all would hide real paths; evaluate without it and say so.
			b.warn("permission boundary could not be read; evaluating without it", "principal", p.id, "boundary", boundary)
		}
	}
}

func appendNonNil(list []*policy.Policy, p *policy.Policy) []*policy.Policy {
	if p == nil {
		return list
	}
	return append(list, p)
}

func tagMap(t inventory.Tags) map[string]string {
	m := make(map[string]string, len(t))
	for k, v := range t {
		m[k] = v
	}
	return m
}

// orgPolicies resolves the SCPs and RCPs that apply to the account: one level per root, OU on the
// path to the account, and the account itself.
func (b *builder) orgPolicies() {
	org := b.inv.Org
	if org == nil {
		return
	}
	b.mgmt = org.ManagementAccountID == b.account
	parent := map[string]string{}
	for _, ou := range org.OrganizationalUnits {
		parent[ou.ID] = ou.ParentID
	}
	var chain []string // account first, root last
	for _, a := range org.Accounts {
		if a.ID == b.account {
			chain = append(chain, a.ID)
			for id, seen := a.ParentID, 0; id != "" && seen < 64; id, seen = parent[id], seen+1 {
				chain = append(chain, id)
			}
		}
	}
	if len(chain) == 0 {
		b.warn("account not found in the organization structure; SCPs and RCPs not applied")
		return
	}
	slices.Reverse(chain)
	enabled := map[string]bool{}
	known := false
	for _, r := range org.Roots {
		for _, t := range r.PolicyTypes {
			enabled[t] = true
			known = true
		}
	}
	levels := func(typ string) [][]*policy.Policy {
		if known && !enabled[typ] {
			return nil
		}
		var out [][]*policy.Policy
		for _, target := range chain {
			var lvl []*policy.Policy
			for i := range org.Policies {
				op := &org.Policies[i]
				if op.Type != typ || !slices.Contains(op.Targets, target) {
					continue
				}
				lvl = appendNonNil(lvl, b.parsePolicy(op.ARN, op.Document))
			}
			if len(lvl) == 0 {
				// AWS never leaves a level without a policy, so an empty level means the data is
				// incomplete: skipping it is wrong in the safe direction (more paths, not fewer).
				b.warn("organization level without "+typ+" attachments; level skipped", "target", target)
				continue
			}
			out = append(out, lvl)
		}
		return out
	}
	b.scps = levels(inventory.PolicyTypeSCP)
	b.rcps = levels(inventory.PolicyTypeRCP)
}

// principalDependent reports whether a policy's effect varies with who the caller is (policy
// variables, principal condition keys), which rules out sharing results across a class.
func principalDependent(p *policy.Policy) bool {
	if p == nil {
		return false
	}
	for _, st := range p.Statements {
		for _, r := range st.Resources {
			if strings.Contains(r, "${") {
				return true
			}
		}
		for _, c := range st.Conditions {
			k := strings.ToLower(c.Key)
			if strings.HasPrefix(k, "aws:principal") || strings.HasPrefix(k, "aws:username") || strings.HasPrefix(k, "aws:userid") ||
				strings.HasPrefix(k, "aws:sourceidentity") || strings.HasPrefix(k, "iam:resourcetag") {
				return true
			}
			for _, v := range c.Values {
				if strings.Contains(v, "${") {
					return true
				}
			}
		}
	}
	return false
}

// evaluatePrincipals assigns classes and computes the per-class action sets and admin-equivalence.
func (b *builder) evaluatePrincipals(ctx context.Context) error {
	for _, lvl := range append(slices.Clone(b.scps), b.rcps...) {
		for _, p := range lvl {
			b.orgDependent = b.orgDependent || principalDependent(p)
		}
	}
	orgDependent := b.orgDependent
	var fresh []*class
	for i, p := range b.principals {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var key strings.Builder
		key.WriteString(string(p.kind))
		dependent := orgDependent || principalDependent(p.set.Boundary)
		for _, pol := range p.set.Identity {
			key.WriteString("|")
			key.WriteString(pol.Label)
			dependent = dependent || principalDependent(pol)
		}
		if p.set.Boundary != nil {
			key.WriteString("|boundary=" + p.set.Boundary.Label)
		}
		if p.caller.IsServiceLinkedRole {
			key.WriteString("|slr")
		}
		if dependent {
			key.WriteString("|principal=" + p.id)
		}
		k := key.String()
		c, ok := b.classes[k]
		if !ok {
			c = &class{key: k, rep: p, access: map[accessKey]accessResult{}, grants: map[string][]policy.Grant{}}
			b.classes[k] = c
			fresh = append(fresh, c)
		}
		p.class = c
	}
	// The action sets of each class, then each principal's admin-equivalence, are independent
	// computations on read-only inputs: run them in parallel, each writing its own class or
	// principal (the request contexts they read are built first).
	home, global := b.requestContext(b.homeRegion()), b.requestContext(b.globalRegion())
	parallelFor(len(fresh), func(i int) {
		c := fresh[i]
		p := c.rep
		c.anyYes, c.anyMay = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: p.caller, Context: home}, p.set)
		c.starYes, _ = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: p.caller, Resource: "*", Context: global}, p.set)
	})
	parallelFor(len(b.principals), func(i int) {
		p := b.principals[i]
		p.admin = b.isAdminSet(p.class.starYes)
		p.maxAdmin = p.admin
		if !p.admin {
			p.maxAdmin = b.wouldBeAdmin(p)
		}
	})
	for _, p := range b.principals {
		if !p.admin {
			continue
		}
		n := b.node(p.id)
		n.CrownJewel = true
		n.Props["admin"] = true
		b.addEdge(graph.Edge{From: p.id, To: b.adminID(b.account), Kind: graph.EdgeAdministers, Technique: TechAdminEquivalent,
			Likelihood: 1, Evidence: b.adminEvidence(p)})
	}
	// Groups whose own policies make any member admin-equivalent lead to the administrator node, so
	// that AddUserToGroup paths end there.
	for _, g := range b.groups {
		set := policy.PolicySet{Identity: g.policies, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}
		probe := policy.Principal{ARN: g.arn, AccountID: b.account, Type: policy.TypeUser, Name: g.name, Tags: map[string]string{}}
		yes, _ := policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: probe, Resource: "*", Context: b.requestContext(b.globalRegion())}, set)
		if b.isAdminSet(yes) {
			n := b.node(g.arn)
			n.CrownJewel = true
			n.Props["admin"] = true
			b.addEdge(graph.Edge{From: g.arn, To: b.adminID(b.account), Kind: graph.EdgeAdministers, Technique: TechAdminEquivalent,
				Likelihood: 1, Evidence: []string{"group policies allow " + strings.Join(adminProbeActions, ", ") + " on *"}})
		}
	}
	return nil
}

func (b *builder) isAdminSet(s catalog.ActionSet) bool {
	if len(b.adminProbe) == 0 {
		return false
	}
	for _, i := range b.adminProbe {
		if !s.Has(i) {
			return false
		}
	}
	return true
}

// adminWith reports whether p would be admin-equivalent holding set instead of its own.
func (b *builder) adminWith(p *principal, set policy.PolicySet) bool {
	yes, _ := policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: p.caller, Resource: "*", Context: b.requestContext(b.globalRegion())}, set)
	return b.isAdminSet(yes)
}

// wouldBeAdmin asks whether attaching AdministratorAccess to p would make it admin-equivalent, i.e.
// neither its boundary nor the SCPs stand in the way of a self-escalation.
func (b *builder) wouldBeAdmin(p *principal) bool {
	set := p.set
	set.Identity = []*policy.Policy{administratorAccess}
	yes, _ := policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: p.caller, Resource: "*", Context: b.requestContext(b.globalRegion())}, set)
	return b.isAdminSet(yes)
}

func (b *builder) adminEvidence(p *principal) []string {
	out := []string{"allowed on * without conditions: " + strings.Join(adminProbeActions, ", ")}
	r := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: "iam:AttachRolePolicy", Resource: "*", Context: b.requestContext(b.globalRegion())}, p.set)
	return append(out, reasonEvidence(r, policy.Allow, 4)...)
}

// resourceTags returns the tags of a resource the escalation rules act on, when the collection
// knows them: the tags of a user or role of the account, or of an inventoried EC2 instance (ABAC
// conditions on aws:ResourceTag/* and iam:ResourceTag/* are then decided against them). nil means
// unknown.
// canAssume decides sts:AssumeRole on a role of the account through its trust policy, with the
// role's collected tags answering ABAC conditions on it.
func (b *builder) canAssume(caller policy.Principal, set policy.PolicySet, trust *policy.Policy, roleARN string, ctx map[string][]string) policy.Result {
	return b.ev.CanAssumeTagged(caller, set, trust, roleARN, b.resourceTags(roleARN), ctx)
}

func (b *builder) resourceTags(arn string) map[string]string {
	if p := b.byARN[arn]; p != nil {
		return p.caller.Tags
	}
	if t, ok := b.instanceTags[arn]; ok {
		return t
	}
	return b.dataTags[arn]
}
