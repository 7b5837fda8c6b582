package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// assumer is a principal that can become a role, and how.
type assumer struct {
	p           *principal
	conditional bool
	evidence    string
}

// assumerTagSteps draws the escalations a role's ABAC condition blocks today that become possible
// once a principal able to assume the role changes the target's tags first (CloudGoat
// iam_privesc_by_ec2: the user may delete the instance's Name tag, the role it assumes may modify
// instances not named so). The role's own escalation step only lets the role itself make tag
// steps; here every technique is run again for the role with the assumer making them (escalator
// tagger), moves captured, and each target only that run reaches becomes a move from the
// assumer: its tag step first, then sts:AssumeRole, then the role's technique.
func (b *builder) assumerTagSteps(ctx context.Context) error {
	if !b.tagConditions {
		return nil
	}
	assumers := b.assumersByRole()
	var e *escalator
	for _, y := range b.principals {
		if err := ctx.Err(); err != nil {
			return err
		}
		if y.role == nil || y.admin || y.caller.IsServiceLinkedRole || len(assumers[y.id]) == 0 || !b.resourceTagKeyed(y) {
			continue
		}
		if e == nil {
			e = b.newEscalator()
			e.prepareShared()
		}
		var own []capturedEdge
		ownRun := false
		for _, a := range assumers[y.id] {
			if a.p == y || !b.mayTagAnything(a.p) {
				continue
			}
			if !ownRun {
				own, ownRun = b.captureEscalations(e, y, nil, nil), true
			}
			b.drawAssumerTagSteps(e, y, a, own, b.captureEscalations(e, y, a.p, nil))
		}
	}
	return nil
}

// captureEscalations runs every technique for p (with tagger making the tag steps, and through's
// keys on the requests to its services, when set) and returns the moves instead of drawing them.
// It runs on a fresh view: its decision caches and evaluator see only this run's requests.
func (b *builder) captureEscalations(e *escalator, p, tagger *principal, through map[string]map[string][]string) []capturedEdge {
	we, got := b.capturing(e, tagger, through)
	for _, t := range we.cat.order {
		if we.mayHave(p, t) {
			we.apply(p, t)
		}
	}
	return *got
}

// capturing returns a copy of e that captures its moves into got instead of drawing them, on a
// fresh view: its decision caches and evaluator see only this run's requests.
func (b *builder) capturing(e *escalator, tagger *principal, through map[string]map[string][]string) (we *escalator, got *[]capturedEdge) {
	vb := b.view()
	vb.sink = &sink{} // what the techniques record besides the captured moves is not kept
	vb.ev.Through = through
	c := *e
	c.b, c.memo, c.out, c.tagger = vb, newAttackerMemo(), newDrawn(), tagger
	got = &[]capturedEdge{}
	c.capture = got
	return &c, got
}

// drawAssumerTagSteps draws assumer a -> target for each move of with (y's moves with a making
// the tag steps) that needs a tag step and that y does not have as surely on its own (own).
func (b *builder) drawAssumerTagSteps(e *escalator, y *principal, a assumer, own, with []capturedEdge) {
	best := map[string]bool{}
	for _, x := range own {
		best[x.to] = best[x.to] || !x.conditional
	}
	drawn := map[string]bool{}
	for _, x := range with {
		if x.tag == nil || x.to == a.p.id || drawn[x.to+"|"+x.tech.ID] {
			continue
		}
		if sure, ok := best[x.to]; ok && (sure || x.conditional) {
			continue
		}
		drawn[x.to+"|"+x.tech.ID] = true
		b.addEdge(b.withTagStep(b.assumerEdge(e, y, a, x), a.p.id, x.tag))
	}
}

// assumerEdge is the move assumer a makes by becoming role y and then making y's move x: from
// a, with via_role naming y, the assume evidence first and y's finding cited.
func (b *builder) assumerEdge(e *escalator, y *principal, a assumer, x capturedEdge) graph.Edge {
	sev := graph.SeverityHigh
	if x.to == b.adminNode || (b.byARN[x.to] != nil && b.byARN[x.to].admin) {
		sev = graph.SeverityCritical
	}
	ev := []string{a.evidence, "then, as " + y.id + ":"}
	for _, line := range x.evidence {
		if !strings.HasPrefix(line, "tag step: ") { // withTagStep writes the step, once
			ev = append(ev, line)
		}
	}
	return graph.Edge{From: a.p.id, To: x.to, Kind: graph.EdgeEscalatesTo, Technique: x.tech.ID, Likelihood: x.tech.Likelihood,
		Conditional: x.conditional || a.conditional, Evidence: ev, Findings: e.finding(y, x.tech, sev),
		Props: graph.Props{"via_role": y.id}}
}

// assumersByRole maps each role to the principals with an ASSUMES move to it: directly, or
// through a policy they hold (assumeViaPolicy draws holder -> policy -> role); and to the
// principals with an escalation (ESCALATES_TO) to it, which gives them its credentials.
func (b *builder) assumersByRole() map[string][]assumer {
	holders := map[string][]*principal{}
	for i := range b.edges {
		e := &b.edges[i]
		if e.Kind == graph.EdgeEscalatesTo && e.Technique == TechHoldsPolicy {
			if p := b.byARN[e.From]; p != nil {
				holders[e.To] = append(holders[e.To], p)
			}
		}
	}
	out := map[string][]assumer{}
	add := func(role string, p *principal, conditional bool, ev string) {
		if slices.ContainsFunc(out[role], func(a assumer) bool { return a.p == p }) {
			return
		}
		out[role] = append(out[role], assumer{p: p, conditional: conditional, evidence: ev})
	}
	for i := range b.edges {
		e := &b.edges[i]
		// An escalation that hands a principal a role's credentials (a task definition run with a
		// passed role, ...) makes it the role as surely as sts:AssumeRole does (CloudGoat
		// ecs_efs_attack: the ruse box's role repoints an ECS service at a task definition with the
		// task role, and tags the admin instance that role may open a session on).
		if e.Kind == graph.EdgeEscalatesTo && e.Technique != TechHoldsPolicy {
			if p, y := b.byARN[e.From], b.byARN[e.To]; p != nil && y != nil && y.role != nil && p != y {
				add(e.To, p, e.Conditional, p.id+" becomes "+e.To+" ("+e.Technique+")")
			}
			continue
		}
		if e.Kind != graph.EdgeAssumes || e.Technique != TechAssumeRole || b.byARN[e.To] == nil {
			continue
		}
		if p := b.byARN[e.From]; p != nil {
			add(e.To, p, e.Conditional, p.id+" may assume "+e.To+" (sts:AssumeRole)")
			continue
		}
		for _, p := range holders[e.From] {
			add(e.To, p, e.Conditional, p.id+" may assume "+e.To+" (sts:AssumeRole, through "+e.From+")")
		}
	}
	return out
}

// resourceTagKeyed reports whether p's own policies test a resource tag: otherwise no tag step
// changes what p may do.
func (b *builder) resourceTagKeyed(p *principal) bool {
	return slices.ContainsFunc(p.set.Identity, testsResourceTag) || testsResourceTag(p.set.Boundary) || slices.ContainsFunc(p.set.Session, testsResourceTag)
}

// mayTagAnything is the cheap prefilter: p may (maybe conditionally) call some tag or untag action
// of the services whose workloads and principals techniques act on.
func (b *builder) mayTagAnything(p *principal) bool {
	for tag, untag := range untagActions {
		for _, act := range []string{tag, untag} {
			if a, ok := b.lookup(act); ok && (p.class.anyYes.Has(a) || p.class.anyMay.Has(a)) {
				return true
			}
		}
	}
	return false
}
