package identity

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// The escalation step is split in three files: this one runs the techniques over the attackers
// and draws what they find (escalator, emit, the policy-hub shortcut); privesc_rules.go holds
// the rules, one per Target, and the preconditions of the technique table; privesc_cache.go
// holds the decision caches the rules ask through.

// escalator draws ESCALATES_TO edges. Its state is grouped by lifetime: the catalogue depends on
// the technique table alone; the targets on the account, filled before workers start and
// read-only afterwards; memo on the current attacker; drawn on the worker.
type escalator struct {
	b    *builder
	cat  *techCatalogue
	tg   *targets
	memo attackerMemo
	out  drawn
	// hubEdges records policy-node escalation edges: policy|technique|target -> conditional.
	// Written while the shared policies run, before any worker starts; read by workers.
	hubEdges map[hubKey]bool
	// capture, when set, receives the edges emit would draw instead of drawing them: used to ask
	// what an attacker could do with other permissions (a stored policy version in force).
	capture *[]capturedEdge
	// tagger, when set, is the principal that makes the tag steps (retag): one that can become
	// the attacker afterwards (assumerTagSteps), so the attacker's own tag permissions do not
	// matter.
	tagger *principal
}

// capturedEdge is an escalation emit would have drawn while capture was set.
type capturedEdge struct {
	tech        *Technique
	to          string
	conditional bool
	evidence    []string
	tag         *tagStep // the move's tag step, if any
}

// techCatalogue is what the technique table implies, independent of any account.
type techCatalogue struct {
	// order runs techniques with more permissions first. Every applicable technique is drawn,
	// also when one whose permissions include another's reaches the same target: the two cite
	// different findings, and a fix that removes only the larger one's extra permission leaves
	// the smaller one, which the plan's verification must see (TestFixingThePlanLeavesNoPath).
	order []*Technique
	// line is each technique's "technique <catalog id>" evidence line (read-only).
	line map[*Technique]string
}

// targets is what the techniques can reach in this account: principals, groups, roles trusting
// each service, inventoried workloads, and the per-technique pools built from them.
type targets struct {
	users     []string
	roles     []string // not service-linked
	groups    []string // sorted
	isTarget  map[string]bool
	groupByID map[string]*groupInfo
	trustOf   map[*principal]*roleTrust
	svcRoles  map[string][]*principal // service principal -> roles whose trust admits it
	functions []workload
	instances []workload // instances with a profile, once per role of the profile
	hosts     []host     // every inventoried instance
	tasks     []workload // ECS task definitions with a task role
	// adminGroups are the admin-equivalent groups (sorted): joining one makes a user administrator.
	adminGroups []string
	// svcCtx holds, per technique with services, its iam:PassedToService context and that
	// context's cache key, built once instead of once per attacker and role.
	svcCtx map[*Technique]svcContext
	pools  map[*Technique]*passPool
}

// drawn is what one worker has drawn so far, across attackers.
type drawn struct {
	hubOK    map[pairKey]bool     // attacker|technique -> may use policy hubs
	holds    map[pairKey]bool     // attacker|policy holds-policy edges drawn
	findings map[pairKey][]string // attacker|technique -> []string{finding id}
}

func newDrawn() drawn {
	return drawn{hubOK: map[pairKey]bool{}, holds: map[pairKey]bool{}, findings: map[pairKey][]string{}}
}

// workload is an inventoried function or instance that runs as a role.
type workload struct {
	arn    string
	region string
	role   *principal
	via    string   // instance profile, for instances
	extra  []string // evidence naming the workload's role, shared by its edges (read-only)
}

// host is an inventoried EC2 instance, with or without an instance profile.
type host struct {
	arn     string
	region  string
	profile string
	// terminated instances are kept for the launch-template techniques but are no landing place.
	terminated bool
}

// The escalator's map keys are structs rather than joined strings: they are looked up millions of
// times on a large account, and building a string per lookup dominated the allocations.
type (
	hubKey  struct{ policy, tech, to string }
	pairKey struct{ a, b string }
)

// escalation emits ESCALATES_TO edges for every technique in Techniques.
func (b *builder) escalation(ctx context.Context) error {
	e := b.newEscalator()
	// Shared policies first: a workload technique one policy grants on its own is drawn once from
	// the policy node, and its unrestricted holders reach it through aws.iam.holds-policy (see
	// hubs.go; the same decomposition argument holds for these identity-only requests).
	for _, x := range e.hubPolicies() {
		if err := ctx.Err(); err != nil {
			return err
		}
		pa := e.policyAttacker(x)
		e.memo.reset()
		for _, t := range e.cat.order {
			if hubCategory(t) && e.mayHave(pa, t) {
				e.apply(pa, t)
			}
		}
	}
	// An admin-equivalent principal already holds the administrator node: every escalation
	// from it is implied, and emitting them would only multiply edges.
	var attackers []*principal
	for _, p := range b.principals {
		// A service-linked role acts only as its service does and no one can assume it: its
		// permissions are no attacker's.
		if !p.admin && !p.caller.IsServiceLinkedRole {
			attackers = append(attackers, p)
		}
	}
	attackers = append(attackers, b.groupAttackers()...)
	// Principals are independent from here on: workers compute them in parallel, each into its
	// own sink, and the sinks are replayed in principal order, so edges merge exactly as they
	// would sequentially. Batches bound the memory the sinks hold.
	e.prepareShared()
	escs := make([]*escalator, workers(len(attackers)))
	views := make([]*builder, len(escs))
	for w := range escs {
		escs[w] = e.worker()
		views[w] = escs[w].b
	}
	// Workers read no nodes, edges or findings: replays may overlap the next batch.
	return b.ordered(ctx, len(attackers), views, true, func(w, i int) {
		we, p := escs[w], attackers[i]
		we.memo.reset()
		for _, t := range we.cat.order {
			if we.mayHave(p, t) {
				we.apply(p, t)
			}
		}
	})
}

// prepareShared fills every lazily built cache the workers read (per-technique contexts and role
// pools, per-policy info, request contexts), so that they only read shared state.
func (e *escalator) prepareShared() {
	b := e.b
	for _, t := range e.cat.order {
		if len(t.Services) > 0 {
			e.serviceContext(t)
			e.passPool(t)
		}
	}
	b.preparePolicies()
	b.requestContext(b.globalRegion())
	b.requestContext(b.homeRegion())
	for name := range b.inv.Regional {
		b.requestContext(name)
	}
}

// worker returns an escalator for one escalation worker: shared read-only catalogue and targets,
// its own attacker memo, drawn state and a builder view that records into a sink.
func (e *escalator) worker() *escalator {
	we := *e
	we.b = e.b.view()
	we.memo = newAttackerMemo()
	we.out = newDrawn()
	return &we
}

func newTechCatalogue(techs []Technique) *techCatalogue {
	c := &techCatalogue{line: map[*Technique]string{}}
	for i := range techs {
		c.order = append(c.order, &techs[i])
		c.line[&techs[i]] = "technique " + techs[i].CatalogID
	}
	slices.SortStableFunc(c.order, func(x, y *Technique) int { return len(y.Perms) - len(x.Perms) })
	return c
}

func (b *builder) newEscalator() *escalator {
	return &escalator{b: b, cat: newTechCatalogue(Techniques), tg: b.newTargets(), memo: newAttackerMemo(), out: newDrawn(),
		hubEdges: map[hubKey]bool{}}
}

// newTargets collects what techniques can reach: principals, groups, service roles, workloads.
func (b *builder) newTargets() *targets {
	tg := &targets{isTarget: map[string]bool{}, svcRoles: map[string][]*principal{}, trustOf: map[*principal]*roleTrust{},
		groupByID: map[string]*groupInfo{}, svcCtx: map[*Technique]svcContext{}, pools: map[*Technique]*passPool{}}
	for _, p := range b.principals {
		tg.isTarget[p.id] = true
		if p.user != nil {
			tg.users = append(tg.users, p.id)
		} else if !p.role.ServiceLinked {
			tg.roles = append(tg.roles, p.id)
		}
	}
	for _, g := range b.groups {
		tg.groups = append(tg.groups, g.arn)
		tg.isTarget[g.arn] = true
		tg.groupByID[g.arn] = g
	}
	slices.Sort(tg.groups)
	for _, ga := range tg.groups {
		if n := b.node(ga); n != nil && n.Props["admin"] == true {
			tg.adminGroups = append(tg.adminGroups, ga)
		}
	}
	// A workload the attacker creates or takes over runs in this account: aws:SourceAccount is
	// known, and a trust that confines the service to another account admits none of them.
	// aws:SourceArn stays unknown (the attacker may name the workload to fit), which leaves the
	// trust conditional, and a conditional service trust still counts.
	svcCtx := map[string][]string{"aws:SourceAccount": {b.account}}
	for _, rt := range b.trusts {
		tg.trustOf[rt.p] = rt
		for _, svc := range rt.services {
			caller := policy.Principal{Type: policy.TypeService, Name: svc, ARN: svc}
			r := b.canAssume(caller, policy.PolicySet{}, rt.doc, rt.p.id, svcCtx)
			if granted(r.Decision) && !rt.p.role.ServiceLinked {
				tg.svcRoles[svc] = append(tg.svcRoles[svc], rt.p)
			}
		}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range b.inv.Regional {
			if !yield(k) {
				return
			}
		}
	}) {
		rd := b.inv.Regional[name]
		for _, f := range rd.Functions {
			if r := b.byARN[f.Role]; r != nil {
				tg.functions = append(tg.functions, workload{arn: f.ARN, region: name, role: r, extra: []string{f.ARN + " runs as " + r.id}})
			}
		}
		for _, td := range rd.TaskDefinitions {
			if r := b.byARN[td.TaskRoleARN]; r != nil {
				tg.tasks = append(tg.tasks, workload{arn: td.ARN, region: name, role: r, extra: []string{td.ARN + " runs tasks as " + r.id}})
			}
		}
		for _, in := range rd.Instances {
			tags := map[string]string(in.Tags)
			if tags == nil {
				tags = map[string]string{} // collected with the instance: none
			}
			b.instanceTags[instanceARN(b, name, in.ID, in.ARN)] = tags
			tg.hosts = append(tg.hosts, host{arn: instanceARN(b, name, in.ID, in.ARN), region: name, profile: in.InstanceProfileARN,
				terminated: in.State == "terminated" || in.State == "shutting-down"})
			if in.InstanceProfileARN == "" {
				continue
			}
			arn := instanceARN(b, name, in.ID, in.ARN)
			for _, ip := range b.inv.IAM.InstanceProfiles {
				if ip.ARN != in.InstanceProfileARN {
					continue
				}
				for _, ra := range ip.Roles {
					if r := b.byARN[ra]; r != nil {
						extra := []string{arn + " runs as " + r.id}
						if ip.ARN != "" {
							extra = append(extra, "via instance profile "+ip.ARN)
						}
						tg.instances = append(tg.instances, workload{arn: arn, region: name, role: r, via: ip.ARN, extra: slices.Clip(extra)})
					}
				}
			}
		}
	}
	return tg
}

// instanceARN is an instance's ARN, built from its id when the inventory has none.
func instanceARN(b *builder, region, id, arn string) string {
	if arn != "" {
		return arn
	}
	return "arn:" + b.partition + ":ec2:" + region + ":" + b.account + ":instance/" + id
}

// mayHave is the cheap prefilter: every required action is allowed (maybe conditionally) somewhere.
func (e *escalator) mayHave(p *principal, t *Technique) bool {
	for _, perm := range t.Perms {
		a, ok := e.b.lookup(perm.Action)
		if !ok {
			continue // not in the catalog: left to Evaluate
		}
		if !p.class.anyYes.Has(a) && !p.class.anyMay.Has(a) {
			return false
		}
	}
	return true
}

// emit adds an escalation edge and the finding that names the attacker's dangerous permission.
func (e *escalator) emit(p *principal, t *Technique, to string, c permCheck, extra ...string) {
	if to == p.id {
		return
	}
	b := e.b
	conditional := c.dec == policy.Conditional
	if e.capture != nil {
		ev := make([]string, 0, c.evidenceLen()+len(extra))
		for _, part := range c.parts[:c.n] {
			ev = append(ev, part...)
		}
		if c.tag != nil {
			ev = append(append([]string{"tag step: " + c.tag.line() + " first, so that its tags meet the condition"}, c.tag.evidence...), ev...)
		}
		*e.capture = append(*e.capture, capturedEdge{tech: t, to: to, conditional: conditional, evidence: append(ev, extra...), tag: c.tag})
		return
	}
	if p.kind == graph.KindPolicy {
		e.hubEdges[hubKey{p.id, t.ID, to}] = conditional
	} else if e.viaPolicy(p, t, to, conditional) {
		return
	}
	sev := graph.SeverityHigh
	if to == b.adminNode || (b.byARN[to] != nil && b.byARN[to].admin) {
		sev = graph.SeverityCritical
	}
	fids := e.finding(p, t, sev)
	ev := make([]string, 0, c.evidenceLen()+len(extra)+1)
	for _, part := range c.parts[:c.n] {
		ev = append(ev, part...)
	}
	ev = append(ev, extra...)
	ev = append(ev, e.cat.line[t])
	edge := graph.Edge{From: p.id, To: to, Kind: graph.EdgeEscalatesTo, Technique: t.ID, Likelihood: t.Likelihood,
		Conditional: c.dec == policy.Conditional, Evidence: ev, Findings: fids}
	if c.tag != nil {
		edge = b.withTagStep(edge, p.id, c.tag)
	}
	b.addEdge(edge)
}

// finding adds (once per attacker and technique, and again when critical) the finding that names
// the attacker's dangerous permission, and returns the finding ids its edges cite.
func (e *escalator) finding(p *principal, t *Technique, sev graph.Severity) []string {
	fk := pairKey{p.id, t.ID}
	// One finding per attacker and technique (its id depends on nothing else): its edges share
	// one read-only Findings slice.
	fids, ok := e.out.findings[fk]
	if !ok || sev == graph.SeverityCritical {
		fid := e.b.addFinding(graph.Finding{RuleID: PrivescRuleID(*t), Resource: p.id, Severity: sev,
			Title:       "Privilege escalation: " + t.Summary,
			Evidence:    fmt.Sprintf("%s (%s) holds %s", p.id, t.CatalogID, permList(t)),
			Remediation: "Remove or scope " + permList(t) + " (restrict Resource, add iam:PassedToService / tag conditions, or deny it in a boundary or SCP).",
			FixEffort:   1})
		if !ok {
			fids = []string{fid}
			e.out.findings[fk] = fids
		}
	}
	return fids
}

func permList(t *Technique) string {
	names := make([]string, len(t.Perms))
	for i, pm := range t.Perms {
		names[i] = pm.Action
	}
	return strings.Join(names, " + ")
}

// hubCategory: techniques whose targets do not depend on who the attacker is (workload roles),
// which a policy node can hold on behalf of its holders.
func hubCategory(t *Technique) bool {
	return t.Category == NewPassRole || t.Category == ExistingPassRole
}

// hubPolicies lists the shared, caller-independent policies held by at least one principal.
func (e *escalator) hubPolicies() []*policy.Policy {
	seen := map[*policy.Policy]bool{}
	var out []*policy.Policy
	for _, p := range e.b.principals {
		if p.admin {
			continue
		}
		for _, x := range p.set.Identity {
			if seen[x] || strings.HasPrefix(x.Label, p.id+"#inline/") || e.b.polInfo(x).dependent || e.b.node(x.Label) == nil {
				continue
			}
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// groupAttackers returns, for every group with policies that is not admin-equivalent itself, a
// pseudo-principal standing for whoever joins the group: a user holding only the group's policies
// (no boundary), under the SCPs. Its edges start at the group node, so that a path which adds a
// user to the group (aws.iam.add-user-to-group) continues with what the group's policies allow:
// the group is not a dead end. Members keep their own edges, computed with all they hold.
func (b *builder) groupAttackers() []*principal {
	var out []*principal
	for _, name := range slices.Sorted(maps.Keys(b.groups)) {
		g := b.groups[name]
		if len(g.policies) == 0 {
			continue
		}
		if n := b.node(g.arn); n == nil || n.Props["admin"] == true {
			continue
		}
		caller := policy.Principal{ARN: g.arn, AccountID: b.account, Type: policy.TypeUser, Name: g.name, Tags: map[string]string{}}
		// user is the joining user's stand-in, so that techniques for users only admit the group.
		p := &principal{id: g.arn, kind: graph.KindGroup, name: g.name, user: &inventory.User{ARN: g.arn, Name: g.name},
			groups: []*groupInfo{g}, caller: caller, managed: g.managed,
			set: policy.PolicySet{Identity: g.policies, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}}
		c := &class{key: "group|" + g.arn, rep: p, access: map[accessKey]accessResult{}, grants: map[string][]policy.Grant{}}
		c.anyYes, c.anyMay = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: caller, Context: b.requestContext(b.homeRegion())}, p.set)
		c.starYes, _ = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: caller, Resource: "*", Context: b.requestContext(b.globalRegion())}, p.set)
		p.class = c
		p.maxAdmin = b.wouldBeAdmin(p)
		out = append(out, p)
	}
	return out
}

// policyAttacker is a pseudo-principal holding only policy x (under the SCPs).
func (e *escalator) policyAttacker(x *policy.Policy) *principal {
	b := e.b
	probe := policy.Principal{ARN: x.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(x.Label), Tags: map[string]string{}}
	pa := &principal{id: x.Label, kind: graph.KindPolicy, name: lastName(x.Label), caller: probe,
		set: policy.PolicySet{Identity: []*policy.Policy{x}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}}
	c := &class{key: "policy|" + x.Label, rep: pa, access: map[accessKey]accessResult{}, grants: map[string][]policy.Grant{}}
	c.anyYes, c.anyMay = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: probe, Context: b.requestContext(b.homeRegion())}, pa.set)
	pa.class = c
	return pa
}

// viaPolicy draws p -> policy when a policy p holds already reaches target with technique t at
// least as surely, and p has nothing (boundary, deny, SLR exemption) that the policy's edge ignores.
func (e *escalator) viaPolicy(p *principal, t *Technique, target string, conditional bool) bool {
	b := e.b
	if !hubCategory(t) {
		return false
	}
	ek := pairKey{p.id, t.ID}
	eligible, known := e.out.hubOK[ek]
	if !known {
		eligible = p.set.Boundary == nil && !p.caller.IsServiceLinkedRole && !b.orgDependent
		for _, x := range p.set.Identity {
			ds := b.polInfo(x).denySet
			for _, pm := range t.Perms {
				if a, ok := b.lookup(pm.Action); !ok || ds.Has(a) {
					eligible = false
				}
			}
		}
		e.out.hubOK[ek] = eligible
	}
	if !eligible {
		return false
	}
	for _, x := range p.set.Identity {
		hubCond, ok := e.hubEdges[hubKey{x.Label, t.ID, target}]
		if !ok || (hubCond && !conditional) {
			continue
		}
		hk := pairKey{p.id, x.Label}
		if e.out.holds[hk] {
			return true
		}
		e.out.holds[hk] = true
		ev := x.Label + " attached to " + p.id
		for _, g := range p.groups {
			if p.kind == graph.KindGroup {
				break // the group itself: "attached to" says it
			}
			if slices.Contains(g.policies, x) {
				ev = x.Label + " attached to group " + g.arn + ", of which " + p.id + " is a member"
				break
			}
		}
		b.addEdge(graph.Edge{From: p.id, To: x.Label, Kind: graph.EdgeEscalatesTo, Technique: TechHoldsPolicy, Likelihood: 1, Evidence: []string{ev}})
		return true
	}
	return false
}

// indexLaunchTemplates records the instance profiles (ARNs and names, as the templates name
// them) that existing launch templates' default versions launch with, and whether launch
// templates were collected at all: the ec2 area read in some region. An import without regional
// data knows nothing about them. It runs before the parallel workers copy the builder.
func (b *builder) indexLaunchTemplates() {
	for _, a := range b.inv.Coverage.Read {
		if a.Service == "ec2" && a.Region != "" {
			b.ltKnown = true
		}
	}
	b.ltProfiles = map[string]bool{}
	for _, rd := range b.inv.Regional {
		if rd == nil {
			continue
		}
		if len(rd.LaunchTemplates) > 0 {
			b.ltKnown = true
		}
		for _, lt := range rd.LaunchTemplates {
			if lt.InstanceProfile != "" {
				b.ltProfiles[lt.InstanceProfile] = true
			}
		}
	}
}

// launchTemplateProfiles returns what indexLaunchTemplates recorded.
func (b *builder) launchTemplateProfiles() (known bool, profiles map[string]bool) {
	return b.ltKnown, b.ltProfiles
}
