package identity

import (
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// rule draws the edges of technique t for attacker p. There is one rule per Target: the target
// decides which principals or workloads are candidates, the table's Perms say on which resource
// each permission is checked, and its Attacker and Pre fields what must hold besides.
type rule func(e *escalator, p *principal, t *Technique)

// rules maps every Target to its rule; TestEveryTargetHasARule keeps the table covered. It is
// filled in init because the stored-version rule runs the other rules (an initialisation cycle
// otherwise).
var rules map[Target]rule

func init() { rules = ruleTable() }

func ruleTable() map[Target]rule {
	return map[Target]rule{
		TargetSelfPolicy:        (*escalator).selfPolicy,
		TargetSelfPolicyVersion: (*escalator).selfPolicyVersion,
		TargetSelf:              (*escalator).self,
		TargetSelfGroup:         (*escalator).selfGroup,
		TargetGroup:             (*escalator).joinGroup,
		TargetUser:              (*escalator).otherUser,
		TargetUserMod:           (*escalator).otherUser,
		TargetRole:              (*escalator).otherRole,
		TargetAssumableRoleMod:  (*escalator).otherRole,
		TargetTrustRoleMod:      (*escalator).otherRole,
		TargetPassedRole:        (*escalator).serviceRole,
		TargetUninventoriedRole: (*escalator).serviceRole,
		TargetPassedToExisting:  (*escalator).serviceRole,
		TargetTaskRole:          (*escalator).workload,
		TargetInvokerAdmin:      (*escalator).invokerAdmin,
		TargetProfileRole:       (*escalator).profileRole,
		TargetHostRole:          (*escalator).hostRole,
		TargetFunctionRole:      (*escalator).workload,
		TargetInstanceRole:      (*escalator).workload,
	}
}

// apply runs t's rule for p when p is of the kind t's attacker must be.
func (e *escalator) apply(p *principal, t *Technique) {
	if !e.admits(t.Attacker, p) {
		return
	}
	if r := rules[t.Target]; r != nil {
		r(e, p, t)
	}
}

// admits reports whether p may be a technique's attacker.
func (e *escalator) admits(s Subject, p *principal) bool {
	switch s {
	case AnyPrincipal:
		return true
	case UserOnly:
		return p.user != nil
	case RoleOnly:
		return p.role != nil
	}
	if svc, ok := strings.CutPrefix(string(s), "service-role:"); ok && p.role != nil {
		rt := e.tg.trustOf[p]
		return rt != nil && slices.Contains(rt.services, svc)
	}
	return false
}

// needs reports whether t has precondition pc.
func (t *Technique) needs(pc Precondition) bool { return slices.Contains(t.Pre, pc) }

// holds reports whether no precondition of t fails for q, the principal t acts on. A precondition
// the collection could not check does not fail: unknown is not "no" (see unknowns).
func (e *escalator) holds(t *Technique, q *principal) bool {
	for _, pc := range t.Pre {
		if ok, _ := e.holdsOne(pc, q); !ok {
			return false
		}
	}
	return true
}

// unknowns names the preconditions of t that could not be checked for q; the move is then drawn
// conditional with them as evidence.
func (e *escalator) unknowns(t *Technique, q *principal) []string {
	var out []string
	for _, pc := range t.Pre {
		if _, missing := e.holdsOne(pc, q); missing != "" {
			out = append(out, missing)
		}
	}
	return out
}

// holdsOne checks one precondition of q; missing is set (and ok true) when the inventory lacks
// the fact it needs.
func (e *escalator) holdsOne(pc Precondition, q *principal) (ok bool, missing string) {
	switch pc {
	case PreEmptyProfile, PreOccupiedProfile, PreNoHostProfile, PreHostProfile:
		return true, "" // of the profile or instance used: the rule checks them (profileRole, hostRole)
	case PreHeadroom:
		return q.maxAdmin && !q.admin, ""
	case PreFreeKeySlot:
		if !q.cred.keysKnown && len(q.cred.keys) < 2 {
			return true, "unknown whether " + q.id + " has a free access-key slot (access keys not collected)"
		}
		return len(q.cred.keys) < 2, ""
	case PreTwoKeys:
		if !q.cred.keysKnown && len(q.cred.keys) < 2 {
			return true, "unknown whether " + q.id + " has two access keys (access keys not collected)"
		}
		return len(q.cred.keys) >= 2, ""
	case PreNoLoginProfile:
		if !q.cred.consoleKnown {
			return true, "unknown whether " + q.id + " has a console password (login profile not collected)"
		}
		return !q.cred.console, ""
	case PreLoginProfile:
		if !q.cred.consoleKnown {
			return true, "unknown whether " + q.id + " has a console password (login profile not collected)"
		}
		return q.cred.console, ""
	case PreInstanceProfile:
		return len(e.b.profiles[q.id]) > 0, ""
	case PreLaunchTemplateProfile:
		known, profiles := e.b.launchTemplateProfiles()
		if !known {
			return true, "unknown whether a launch template launches with " + q.id + "'s instance profile (launch templates not collected)"
		}
		for _, ip := range e.b.profiles[q.id] {
			if profiles[ip] || profiles[lastName(ip)] {
				return true, ""
			}
		}
		return false, ""
	case PreEventSource:
		return true, "requires an event source (SQS queue, Kinesis or DynamoDB stream) mapped to the new function; not checked"
	}
	return false, "" // an unknown precondition never holds: a new one must be taught here first
}

// markUnknown makes c conditional on the facts in missing, citing them.
func markUnknown(c *permCheck, missing []string) {
	if len(missing) > 0 {
		c.dec = policy.Conditional
		c.add(missing...)
	}
}

// selfPolicy: the attacker rewrites a customer-managed policy attached to itself.
func (e *escalator) selfPolicy(p *principal, t *Technique) {
	if !e.holds(t, p) {
		return
	}
	action := t.Perms[0].Action
	for _, m := range p.managed {
		if isAWSManagedARN(m) {
			continue // AWS-managed policies cannot be changed by customers
		}
		var c permCheck
		if e.and(&c, action, m, e.evalOn(p, action, m, e.b.globalRegion(), nil)) {
			e.emit(p, t, e.b.adminNode, c, "policy "+m+" is attached to "+p.id)
		}
	}
}

// selfPolicyVersion: the attacker puts in force a stored version of a customer-managed policy it
// holds. Every non-default version is evaluated as a potential grant, with everything else the
// attacker holds, under its boundary, the SCPs and each resource's policy: a version that makes it
// administrator is an escalation to the administrator node; otherwise every data access the
// version allows and the default does not (or allows only conditionally) is drawn as a move to
// that resource, with the rollback as its technique.
func (e *escalator) selfPolicyVersion(p *principal, t *Technique) {
	if !e.holds(t, p) {
		return
	}
	action := t.Perms[0].Action
	for _, m := range p.managed {
		var c permCheck
		checked, allowed := false, false
		rollback := func() bool {
			if !checked {
				checked = true
				allowed = e.and(&c, action, m, e.evalOn(p, action, m, e.b.globalRegion(), nil))
			}
			return allowed
		}
		for _, v := range e.b.versions[m] {
			set := e.b.withVersion(p, m, v.doc)
			if e.b.adminWith(p, set) {
				if rollback() {
					e.emit(p, t, e.b.adminNode, c, "policy "+m+" is attached to "+p.id,
						"stored version "+v.id+" of "+m+" (not the default) makes "+p.id+" administrator")
				}
				break // administrator implies every other grant of the policy's versions
			}
			e.versionAccess(p, t, m, v, set, rollback, &c)
			e.versionEscalation(p, t, m, v, set, rollback, &c)
		}
	}
	e.rollbackAssumable(p, t)
}

// rollbackAssumable: the attacker puts in force a stored version of a customer-managed policy
// attached to a role it can assume, a version that makes that role administrator, then assumes
// the role. The attacker need not hold the policy itself: it only needs iam:SetDefaultPolicyVersion
// on it and sts:AssumeRole through the role's trust. The move goes to the administrator node and
// cites both decisions.
func (e *escalator) rollbackAssumable(p *principal, t *Technique) {
	action := t.Perms[0].Action
	for _, id := range e.tg.roles {
		q := e.b.byARN[id]
		if q == nil || q == p || q.admin {
			continue
		}
		rt := e.tg.trustOf[q]
		if rt == nil {
			continue
		}
		for _, m := range q.managed {
			if isAWSManagedARN(m) || len(e.b.versions[m]) == 0 || slices.Contains(p.managed, m) {
				continue // p's own policies are selfPolicyVersion's
			}
			var c permCheck
			if !e.and(&c, action, m, e.evalOn(p, action, m, e.b.globalRegion(), nil)) {
				continue
			}
			for _, v := range e.b.versions[m] {
				if !e.b.adminWith(q, e.b.withVersion(q, m, v.doc)) {
					continue
				}
				if e.and(&c, "sts:AssumeRole", q.id, e.b.canAssume(p.caller, p.set, rt.doc, q.id, nil)) {
					e.emit(p, t, e.b.adminNode, c, "policy "+m+" is attached to "+q.id,
						"stored version "+v.id+" of "+m+" (not the default) makes "+q.id+" administrator",
						p.id+" then assumes "+q.id)
				}
				break
			}
		}
	}
}

// versionEscalation draws the escalations a stored policy version enables beyond those p has:
// every other technique is run for p with the version in force and for p as it is, with edges
// captured instead of drawn, and each target only the first run reaches becomes a move of the
// rollback technique (conditional when the rollback or the enabled technique is).
func (e *escalator) versionEscalation(p *principal, t *Technique, m string, v policyVersion, set policy.PolicySet, rollback func() bool, c *permCheck) {
	b := e.b
	shadow := *p
	shadow.set = set
	cl := &class{key: "version|" + p.id + "|" + m + "?versionId=" + v.id, rep: &shadow, access: map[accessKey]accessResult{}, grants: map[string][]policy.Grant{}}
	cl.anyYes, cl.anyMay = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: p.caller, Context: b.requestContext(b.homeRegion())}, set)
	cl.starYes, _ = policy.EffectiveActionsRequest(policy.Request{AbsentKeys: vpcSourceKeys, Principal: p.caller, Resource: "*", Context: b.requestContext(b.globalRegion())}, set)
	shadow.class = cl
	shadow.maxAdmin = b.wouldBeAdmin(&shadow)
	run := func(q *principal) []capturedEdge {
		var got []capturedEdge
		prev := e.capture
		e.capture = &got
		e.memo.reset() // the memo holds decisions for one attacker's permissions
		for _, other := range e.cat.order {
			if other.Target != TargetSelfPolicyVersion && e.mayHave(q, other) {
				e.apply(q, other)
			}
		}
		e.capture = prev
		e.memo.reset()
		return got
	}
	with := run(&shadow)
	if len(with) == 0 {
		return
	}
	// best: per target, whether p reaches it unconditionally (true) or only conditionally.
	best := map[string]bool{}
	for _, x := range run(p) {
		best[x.to] = best[x.to] || !x.conditional
	}
	drawn := map[string]bool{}
	for _, x := range with {
		if sure, ok := best[x.to]; (ok && (sure || x.conditional)) || drawn[x.to] || x.to == p.id {
			continue // p reaches it as surely already, or the target is drawn for this version
		}
		if !rollback() {
			return
		}
		drawn[x.to] = true
		sev := graph.SeverityHigh
		if x.to == b.adminNode || (b.byARN[x.to] != nil && b.byARN[x.to].admin) {
			sev = graph.SeverityCritical
		}
		ev := make([]string, 0, c.evidenceLen()+len(x.evidence)+3)
		for _, part := range c.parts[:c.n] {
			ev = append(ev, part...)
		}
		ev = append(ev, "policy "+m+" is attached to "+p.id,
			"stored version "+v.id+" of "+m+" (not the default) enables "+x.tech.ID+" ("+x.tech.CatalogID+")")
		ev = append(ev, x.evidence...)
		ev = append(ev, e.cat.line[t])
		b.addEdge(graph.Edge{From: p.id, To: x.to, Kind: graph.EdgeEscalatesTo, Technique: t.ID, Likelihood: t.Likelihood * x.tech.Likelihood,
			Conditional: c.dec == policy.Conditional || x.conditional, Evidence: ev, Findings: e.finding(p, t, sev)})
	}
}

// versionAccess draws the data access a stored policy version grants p beyond what its current
// permissions grant: the same evaluation as the data-access edges (evalAccess), once with the
// version in force and once without. rollback decides (once) whether p may make the version the
// default; c is that decision's evidence.
func (e *escalator) versionAccess(p *principal, t *Technique, m string, v policyVersion, set policy.PolicySet, rollback func() bool, c *permCheck) {
	b := e.b
	for _, r := range b.resources {
		for _, a := range r.accesses {
			now, _ := b.evalAccess(p.caller, set, r, a)
			if !granted(now.Decision) {
				continue
			}
			before, _ := b.evalAccess(p.caller, p.set, r, a)
			if rank(before.Decision) >= rank(now.Decision) {
				continue // the default already grants it as well
			}
			if !rollback() {
				return
			}
			ev := make([]string, 0, c.evidenceLen()+4)
			for _, part := range c.parts[:c.n] {
				ev = append(ev, part...)
			}
			ev = append(ev, "policy "+m+" is attached to "+p.id,
				"stored version "+v.id+" of "+m+" (not the default) grants "+strings.Join(a.actions, "|")+" on "+r.target(a))
			ev = append(ev, decisionEvidence(strings.Join(a.actions, "|"), r.target(a), now)...)
			ev = append(ev, e.cat.line[t])
			b.addEdge(graph.Edge{From: p.id, To: r.id, Kind: a.edge, Technique: t.ID, Likelihood: t.Likelihood,
				Conditional: c.dec == policy.Conditional || now.Decision == policy.Conditional,
				Evidence:    ev, Findings: e.finding(p, t, graph.SeverityHigh)})
		}
	}
}

// self: the attacker rewrites its own permissions.
func (e *escalator) self(p *principal, t *Technique) {
	if !e.holds(t, p) {
		return
	}
	if c, ok := e.onPrincipal(p, t, p); ok {
		e.emit(p, t, e.b.adminNode, c)
	}
}

// selfGroup: the attacker rewrites the permissions of a group it belongs to.
func (e *escalator) selfGroup(p *principal, t *Technique) {
	if !e.holds(t, p) {
		return
	}
	action := t.Perms[0].Action
	for _, g := range p.groups {
		var c permCheck
		if e.and(&c, action, g.arn, e.evalOn(p, action, g.arn, e.b.globalRegion(), nil)) {
			e.emit(p, t, e.b.adminNode, c, p.id+" is a member of "+g.arn)
		}
	}
}

// joinGroup: the attacker joins a group it is not in, whose policies it then holds.
func (e *escalator) joinGroup(p *principal, t *Technique) {
	action := t.Perms[0].Action
	for _, ga := range e.candidates(p, action, e.tg.groups) {
		g := e.tg.groupByID[ga]
		if g == nil || len(g.policies) == 0 || slices.Contains(p.groups, g) {
			continue
		}
		var c permCheck
		if e.and(&c, action, ga, e.evalOn(p, action, ga, e.b.globalRegion(), nil)) {
			e.emit(p, t, ga, c)
		}
	}
}

// otherUser: the attacker takes over another user (TargetUser), or makes it administrator and
// takes it over (TargetUserMod).
func (e *escalator) otherUser(p *principal, t *Technique) {
	for _, ua := range e.candidates(p, t.Perms[0].Action, e.tg.users) {
		u := e.b.byARN[ua]
		if u == nil || u == p || !e.holds(t, u) {
			continue
		}
		c, ok := e.onPrincipal(p, t, u)
		if !ok {
			continue
		}
		markUnknown(&c, e.unknowns(t, u))
		if t.Target == TargetUserMod {
			e.emit(p, t, e.b.adminNode, c, "then act as "+u.id)
			return // one intermediate user is enough
		}
		e.emit(p, t, u.id, c)
	}
}

// otherRole: the attacker takes over another role (TargetRole), or makes a role it can assume,
// or whose trust it can rewrite, administrator and assumes it.
func (e *escalator) otherRole(p *principal, t *Technique) {
	first := t.Perms[0]
	var pool []string
	if first.On == OnPolicy {
		pool = e.rolesWithCustomerPolicies()
	} else {
		pool = e.candidates(p, first.Action, e.tg.roles)
	}
	for _, ra := range pool {
		r := e.b.byARN[ra]
		if r == nil || r == p || !e.holds(t, r) {
			continue
		}
		c, ok := e.onPrincipal(p, t, r)
		if !ok {
			continue
		}
		if t.Target == TargetRole {
			e.emit(p, t, r.id, c)
			continue
		}
		// One intermediate role is enough to reach the administrator; more would only pile
		// evidence onto the same edge.
		e.emit(p, t, e.b.adminNode, c, "then act as "+r.id)
		return
	}
}

// serviceRole: the attacker runs a workload as a role trusting t's services, either one it creates
// and passes the role to (TargetPassedRole), one that exists but is not inventoried
// (TargetUninventoriedRole), or one that exists, is not inventoried, and is reconfigured with the
// passed role (TargetPassedToExisting). The last two are conditional on such a workload existing.
func (e *escalator) serviceRole(p *principal, t *Technique) {
	pp := e.passPool(t)
	if len(pp.roles) == 0 {
		return
	}
	var base permCheck
	for _, perm := range t.Perms {
		if perm.On == OnAny && !e.andAny(&base, p, perm.Action) {
			return
		}
	}
	passed := t.Target != TargetUninventoriedRole
	var passable []bool // by pool index; nil: every role
	if passed {
		if cand := e.candidates(p, passRole.Action, pp.ids); len(cand) != len(pp.ids) || (len(cand) > 0 && &cand[0] != &pp.ids[0]) {
			passable = make([]bool, len(pp.ids))
			for _, id := range cand {
				for _, i := range pp.index[id] {
					passable[i] = true
				}
			}
		}
	}
	sc := e.serviceContext(t)
	// Pools of one service context list the same roles in the same order.
	var pm []passEntry
	if passed {
		pm = e.passMemo(sc, len(pp.roles))
	}
	global := e.b.globalRegion()
	for i, r := range pp.roles {
		if r == p || !e.holds(t, r) {
			continue
		}
		c := base // parts are shared read-only slices: base stays intact
		if passed {
			if passable != nil && !passable[i] {
				continue
			}
			if !e.andPass(&c, p, &pm[i], r.id, global, sc) {
				continue
			}
		}
		if t.Target != TargetPassedRole || t.Attacker == StackRole {
			c.dec = policy.Conditional
		}
		markUnknown(&c, e.unknowns(t, r))
		e.emit(p, t, r.id, c, pp.extras[i]...)
	}
}

// passedRoles runs the passed-role part shared by the rules whose target is a role trusting t's
// services: the creation permissions (OnAny) into base, then, for every role of the pool that
// the attacker may pass and t's preconditions hold of, draw(role, check with the PassRole).
func (e *escalator) passedRoles(p *principal, t *Technique, base permCheck, draw func(i int, r *principal, c permCheck)) {
	pp := e.passPool(t)
	sc := e.serviceContext(t)
	pm := e.passMemo(sc, len(pp.roles))
	global := e.b.globalRegion()
	for i, r := range pp.roles {
		if r == p || !e.holds(t, r) {
			continue
		}
		c := base
		if e.andPass(&c, p, &pm[i], r.id, global, sc) {
			draw(i, r, c)
		}
	}
}

// anyPerms adds t's creation permissions (OnAny) to c and reports whether they all hold.
func (e *escalator) anyPerms(p *principal, t *Technique, c *permCheck) bool {
	for _, perm := range t.Perms {
		if perm.On == OnAny && !e.andAny(c, p, perm.Action) {
			return false
		}
	}
	return true
}

// profileRole: the attacker puts a role trusting ec2 into an existing instance profile (empty, or
// emptied first) and launches an instance with it; the role need not be in any profile.
func (e *escalator) profileRole(p *principal, t *Technique) {
	if len(e.passPool(t).roles) == 0 {
		return
	}
	var base permCheck
	if !e.anyPerms(p, t, &base) {
		return
	}
	for _, ip := range e.b.inv.IAM.InstanceProfiles {
		empty := len(ip.Roles) == 0
		if (t.needs(PreEmptyProfile) && !empty) || (t.needs(PreOccupiedProfile) && empty) {
			continue
		}
		c, ok := base, true
		for _, perm := range t.Perms {
			if perm.On == OnProfile && !e.and(&c, perm.Action, ip.ARN, e.evalOn(p, perm.Action, ip.ARN, e.b.globalRegion(), nil)) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		line := "instance profile " + ip.ARN + " holds no role"
		if !empty {
			line = "instance profile " + ip.ARN + " holds " + strings.Join(ip.Roles, ", ") + " (removed first)"
		}
		c.add(line)
		e.passedRoles(p, t, c, func(i int, r *principal, c permCheck) {
			if !slices.Contains(ip.Roles, r.id) {
				e.emit(p, t, r.id, c, e.passPool(t).extras[i]...)
			}
		})
		return // one usable profile is enough
	}
	if !t.needs(PreEmptyProfile) || e.b.inv.IAM.AllInstanceProfiles {
		return
	}
	// Profiles that hold no role are missing from an authorization-details export: one may exist.
	c := base
	for _, perm := range t.Perms {
		if perm.On == OnProfile && !e.andAny(&c, p, perm.Action) {
			return
		}
	}
	markUnknown(&c, []string{"requires an instance profile that holds no role; unknown (profiles without roles were not listed)"})
	e.passedRoles(p, t, c, func(i int, r *principal, c permCheck) { e.emit(p, t, r.id, c, e.passPool(t).extras[i]...) })
}

// hostRole: the attacker attaches (or swaps in) an instance profile holding a role trusting ec2
// to an inventoried instance. Using the role then needs code running on that instance, which
// the identity part cannot decide: the edge is conditional and says so.
func (e *escalator) hostRole(p *principal, t *Technique) {
	if len(e.passPool(t).roles) == 0 {
		return
	}
	var base permCheck
	if !e.anyPerms(p, t, &base) {
		return
	}
	for _, h := range e.tg.hosts {
		if (t.needs(PreNoHostProfile) && h.profile != "") || (t.needs(PreHostProfile) && h.profile == "") {
			continue
		}
		c, ok := base, true
		for _, perm := range t.Perms {
			if perm.On == OnHost && !e.and(&c, perm.Action, h.arn, e.evalOn(p, perm.Action, h.arn, h.region, nil)) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		c.dec = policy.Conditional
		c.add("requires running code on " + h.arn + " (shell, SSM or user data; not decided by the identity part)")
		e.passedRoles(p, t, c, func(i int, r *principal, c permCheck) {
			if h.profile != "" && slices.Contains(e.b.profiles[r.id], h.profile) {
				return // already its role
			}
			e.emit(p, t, r.id, c, e.passPool(t).extras[i]...)
		})
		return // one instance is enough: more would only add evidence
	}
}

// workloads is the pool of inventoried workloads a workload target takes over.
func (e *escalator) workloads(target Target) []workload {
	switch target {
	case TargetInstanceRole:
		return e.tg.instances
	case TargetTaskRole:
		return e.tg.tasks
	}
	return e.tg.functions
}

// landsOnHost lists the techniques that give the attacker code execution on an instance itself
// (a Session Manager shell, a Run Command, an SSH login through EC2 Instance Connect, user data run
// at boot). Their edges end on the instance, which then holds its network position and, through
// the metadata service, its role (the resources part's USES_IDENTITY edge) — not on the role
// directly, and instances without a role are reached too.
var landsOnHost = map[string]bool{
	"aws.ssm.start-session": true, "aws.ssm.send-command": true,
	"aws.ec2-instance-connect.send-ssh-public-key": true, "aws.ec2.modify-instance-user-data": true,
	TechSerialConsole: true,
}

// TechSerialConsole lands on an instance through the EC2 serial console. It needs the account's
// serial console access enabled in the instance's region (GetSerialConsoleAccessStatus); an
// unknown status (not readable) draws no edge.
const TechSerialConsole = "aws.ec2-instance-connect.send-serial-console-ssh-public-key"

// landOnHost draws the attacker's edge to every running instance on which t's permissions hold.
func (e *escalator) landOnHost(p *principal, t *Technique) {
	for _, h := range e.tg.hosts {
		if h.terminated {
			continue
		}
		var extra []string
		if t.ID == TechSerialConsole {
			rd := e.b.inv.Regional[h.region]
			if rd == nil || rd.SerialConsoleAccess != "enabled" {
				continue
			}
			extra = append(extra, "serial console access is enabled for the account in "+h.region)
		}
		var c permCheck
		ok := true
		for _, perm := range t.Perms {
			if perm.On == OnAny {
				ok = e.andAny(&c, p, perm.Action)
			} else {
				res := e.evalOn(p, perm.Action, h.arn, h.region, nil)
				if !granted(res.Decision) {
					// an ABAC condition on the instance's tags fails today: the attacker who may
					// retag the instance makes it hold (the tag change is the first step)
					if retagged, step, can := e.retag(p, h.arn, "ec2:CreateTags", perm.Action, h.region); can {
						c.tag = step
						res = retagged
					}
				}
				ok = e.and(&c, perm.Action, h.arn, res)
			}
			if !ok {
				break
			}
		}
		if ok {
			e.emit(p, t, h.arn, c, append(extra, "lands on "+h.arn+": its network position, and its role through the metadata service")...)
		}
	}
}

// workload: the attacker takes over an inventoried function or instance and uses its role.
func (e *escalator) workload(p *principal, t *Technique) {
	if landsOnHost[t.ID] {
		e.landOnHost(p, t)
		return
	}
	for wi, w := range e.workloads(t.Target) {
		if w.role == p {
			continue
		}
		var c permCheck
		ok := true
		for _, perm := range t.Perms {
			switch perm.On {
			case OnAny:
				ok = e.andAny(&c, p, perm.Action)
			case OnWorkloadRole:
				sc := e.serviceContext(t)
				ok = e.and(&c, perm.Action, w.role.id, e.evalOn(p, perm.Action, w.role.id, e.b.globalRegion(), sc.ctx))
			default:
				prev := c.dec
				if ok = e.andWorkload(&c, p, perm.Action, t.Target, wi, w); !ok && c.tag == nil {
					// ABAC on the workload's tags that fails today: retag it first, when the
					// attacker may (the tag change is the move's first step).
					if tag := workloadTagActions[serviceOf(w.arn)]; tag != "" && e.b.tagConditions {
						if res, step, can := e.retag(p, w.arn, tag, perm.Action, w.region); can {
							c.dec, c.tag = prev, step
							ok = e.and(&c, perm.Action, w.arn, res)
						}
					}
				}
			}
			if !ok {
				break
			}
		}
		if ok {
			e.emit(p, t, w.role.id, c, w.extra...)
		}
	}
}

// workloadTagActions is, per service of an inventoried workload, the action that sets its tags.
var workloadTagActions = map[string]string{"lambda": "lambda:TagResource", "ecs": "ecs:TagResource", "ec2": "ec2:CreateTags"}

// serviceOf returns the service field of an ARN ("" when it is not one).
func serviceOf(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[2]
}

// invokerModifications lists, per kind of invoker, the IAM actions with which a function's role
// could make the invoker administrator on its own ARN.
var invokerModifications = map[bool][]string{
	true:  {"iam:AttachUserPolicy", "iam:PutUserPolicy"}, // user (or group stand-in)
	false: {"iam:AttachRolePolicy", "iam:PutRolePolicy"}, // role
}

// invokerAdmin: the attacker invokes an inventoried function whose execution role may change the
// attacker's own permissions (attach or write a policy on it, add it to an admin-equivalent
// group). Whether the function's code does so is unknown: the edge is conditional and cites the
// role's permission.
func (e *escalator) invokerAdmin(p *principal, t *Technique) { e.invokerAdminOf(p, t, p) }

// invokerAdminOf is invokerAdmin with the principal the function's role changes, subject, apart
// from the invoker p: a principal that becomes p by assuming it (assumerInvokers, CloudGoat
// vulnerable_lambda: the user assumes the invoker role, and the function attaches a policy to the
// user).
func (e *escalator) invokerAdminOf(p *principal, t *Technique, subject *principal) {
	if !e.holds(t, subject) || p.kind == graph.KindPolicy || subject.kind == graph.KindPolicy {
		return
	}
	user := subject.user != nil
	actions := invokerModifications[user]
	if subject.kind == graph.KindGroup {
		actions = []string{"iam:AttachGroupPolicy", "iam:PutGroupPolicy"}
	}
	ctx := e.b.requestContext(e.b.globalRegion())
	for wi, w := range e.tg.functions {
		if w.role == p || w.role == subject {
			continue
		}
		var c permCheck
		if !e.andWorkload(&c, p, t.Perms[0].Action, t.Target, wi, w) {
			continue
		}
		r := w.role
		ask := func(action, resource string) bool {
			res := e.b.ev.Evaluate(policy.Request{Principal: r.caller, Action: action, Resource: resource, ResourceTags: e.b.resourceTags(resource), ResourceAccount: e.b.account, Context: ctx}, r.set)
			if !granted(res.Decision) {
				return false
			}
			c.add(w.extra...)
			c.add(append([]string{r.id + " may " + action + " on " + resource}, reasonEvidence(res, policy.Allow, 2)...)...)
			return true
		}
		found := false
		for _, a := range actions {
			if found = ask(a, subject.id); found {
				break
			}
		}
		if !found && user && subject.kind != graph.KindGroup {
			for _, g := range e.tg.adminGroups {
				if found = ask("iam:AddUserToGroup", g); found {
					break
				}
			}
		}
		if !found {
			continue
		}
		c.dec = policy.Conditional
		c.add("conditional: depends on what the function's code does when " + p.id + " invokes it")
		if subject != p {
			c.add("the function's role changes " + subject.id + ", which becomes " + p.id + " by assuming it")
		}
		e.emit(p, t, e.b.adminNode, c)
	}
}

// onPrincipal checks every permission of t against q, the principal t acts on: OnTarget on q's
// ARN, OnPolicy on a customer-managed policy attached to q, OnTrust through q's trust policy.
func (e *escalator) onPrincipal(p *principal, t *Technique, q *principal) (permCheck, bool) {
	var c permCheck
	region := e.b.globalRegion()
	for _, perm := range t.Perms {
		switch perm.On {
		case OnTrust:
			rt := e.tg.trustOf[q]
			if rt == nil || !e.and(&c, perm.Action, q.id, e.b.canAssume(p.caller, p.set, rt.doc, q.id, nil)) {
				return c, false
			}
		case OnPolicy:
			found := false
			for _, m := range q.managed {
				if isAWSManagedARN(m) {
					continue
				}
				res := e.evalOn(p, perm.Action, m, region, nil)
				if granted(res.Decision) {
					e.and(&c, perm.Action, m, res)
					c.add("policy " + m + " is attached to " + q.id)
					found = true
					break
				}
			}
			if !found {
				return c, false
			}
		default:
			res := e.evalOn(p, perm.Action, q.id, region, nil)
			if !granted(res.Decision) {
				if retagged, step, ok := e.afterTagging(p, q, perm.Action, region); ok {
					c.tag = step
					res = retagged
				}
			}
			if !e.and(&c, perm.Action, q.id, res) {
				return c, false
			}
		}
	}
	return c, true
}

// tagActions are the actions that change a principal's tags, by kind.
var tagActions = map[bool]string{true: "iam:TagUser", false: "iam:TagRole"}

// afterTagging decides action on q once the attacker has retagged q, when the attacker may tag
// it (see retag).
func (e *escalator) afterTagging(p, q *principal, action, region string) (policy.Result, *tagStep, bool) {
	if q.kind != graph.KindUser && q.kind != graph.KindRole {
		return policy.Result{}, nil, false
	}
	return e.retag(p, q.id, tagActions[q.kind == graph.KindUser], action, region)
}

// retag decides action on resource once the attacker has set some of its tags with tag
// (iam:TagRole, ec2:CreateTags, ...) or removed some with its untag action (untagActions), when
// the attacker may (builder.chooseTags: the tags the
// attacker's conditions name, set by a tag request its own policies grant). The tag change is the
// move's first step. The result is Allowed only when the tag request and the action both are.
//
// With e.tagger set, the tagger makes the tag change (its own tag permissions decide it) and p the
// move: the tags tried are still those p's conditions name.
func (e *escalator) retag(p *principal, resource, tag, action, region string) (policy.Result, *tagStep, bool) {
	current := e.b.resourceTags(resource)
	if current == nil {
		current = map[string]string{}
	}
	if tg := e.tagger; tg != nil {
		if !e.b.mayRetag(tg.caller, tg.set, tag, resource, region, current) {
			return policy.Result{}, nil, false
		}
		return e.b.chooseTagsWith(tg.caller, tg.set, tagValues(p.caller, &p.set), tag, resource, region, current,
			e.b.evalGate(p.caller, p.set, action, resource, region))
	}
	if tr := e.evalOn(p, tag, resource, region, nil); !granted(tr.Decision) {
		if untag := untagActions[tag]; untag == "" || !granted(e.evalOn(p, untag, resource, region, nil).Decision) {
			return policy.Result{}, nil, false
		}
	}
	return e.b.chooseTags(p.caller, p.set, tag, resource, region, current, e.b.evalGate(p.caller, p.set, action, resource, region))
}

func (e *escalator) rolesWithCustomerPolicies() []string {
	var out []string
	for _, id := range e.tg.roles {
		r := e.b.byARN[id]
		if slices.ContainsFunc(r.managed, func(m string) bool { return !isAWSManagedARN(m) }) {
			out = append(out, id)
		}
	}
	return out
}
