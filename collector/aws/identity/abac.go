package identity

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// ABAC and tag steps. A condition on a resource's tags (aws:ResourceTag/<key>, iam:ResourceTag/<key>)
// is decided against the tags collected with the resource. When it fails today and the attacker may
// tag the resource, the attacker sets the tags first: that tag change is a step of the move of its
// own, with its own decision, evidence and finding (RuleABACRetag), recorded on the move's edge
// (graph.PropTagStep) so that the path, its explanation, the plan (fixing the tag permission cuts
// the move) and the explorer show it. Which tags to set is the attacker's choice, like the tags of
// its own requests (aws:RequestTag/<key>, aws:TagKeys): policy.TagChoices lists the choices worth
// trying and each is decided with an ordinary evaluation.

// RuleABACRetag is the finding a tag step cites: the attacker may change the tags an ABAC grant
// depends on.
const RuleABACRetag = "aws.iam.abac-retag"

// maxTagChoices bounds the tag changes tried per decision.
const maxTagChoices = 64

// dataTagActions is, per data-resource service, the action that sets tags on one of its resources
// (S3: the ABAC-enabled bucket's TagResource; PutBucketTagging is refused once ABAC is on).
var dataTagActions = map[string]string{
	"s3": "s3:TagResource", "secretsmanager": "secretsmanager:TagResource", "kms": "kms:TagResource",
	"lambda": "lambda:TagResource", "sqs": "sqs:TagQueue", "sns": "sns:TagResource",
	"dynamodb": "dynamodb:TagResource", "rds": "rds:AddTagsToResource", "ecr": "ecr:TagResource",
}

// untagActions is, per action that sets a resource's tags, the action that removes them. The
// Resource Groups Tagging API (tag:TagResources, tag:UntagResources) is no alternative: AWS
// requires the service's own tag permission as well, so it never opens a step these do not.
var untagActions = map[string]string{
	"iam:TagRole": "iam:UntagRole", "iam:TagUser": "iam:UntagUser", "ec2:CreateTags": "ec2:DeleteTags",
	"s3:TagResource": "s3:UntagResource", "secretsmanager:TagResource": "secretsmanager:UntagResource",
	"kms:TagResource": "kms:UntagResource", "lambda:TagResource": "lambda:UntagResource", "sqs:TagQueue": "sqs:UntagQueue",
	"sns:TagResource": "sns:UntagResource", "dynamodb:TagResource": "dynamodb:UntagResource",
	"rds:AddTagsToResource": "rds:RemoveTagsFromResource", "ecr:TagResource": "ecr:UntagResource", "ecs:TagResource": "ecs:UntagResource",
}

// removeTag is the candidate value that stands for removing the key in a tag change. Tag values
// cannot hold a NUL, so it never collides with a value a condition names.
const removeTag = "\x00remove"

// tagStep is a tag change the attacker makes before a move: tag action on resource setting sets,
// and/or untag action removing the keys removes.
type tagStep struct {
	action, untag, resource string
	sets                    map[string]string
	removes                 []string
	res                     policy.Result
	evidence                []string
}

// line is the step as the move's first evidence line and its graph.PropTagStep.
func (s *tagStep) line() string {
	var parts []string
	if len(s.sets) > 0 {
		parts = append(parts, s.action+" on "+s.resource+" sets "+formatTags(s.sets))
	}
	if len(s.removes) > 0 {
		parts = append(parts, s.untag+" on "+s.resource+" to remove tag "+strings.Join(s.removes, ", "))
	}
	return strings.Join(parts, "; ")
}

func formatTags(tags map[string]string) string {
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}

// tagValues lists the tag values worth trying for caller under set: those its conditions name.
func tagValues(caller policy.Principal, set *policy.PolicySet) map[string][]string {
	pols := append(slices.Clip(set.Identity), set.Boundary, set.Resource)
	pols = append(pols, set.Session...)
	for _, level := range set.SCPs {
		pols = append(pols, level...)
	}
	for _, level := range set.RCPs {
		pols = append(pols, level...)
	}
	return policy.TagValues(caller, pols...)
}

// tagKey returns the key of tags equal to key ignoring case (condition keys name tag keys
// case-insensitively), or "" when tags carry none.
func tagKey(tags map[string]string, key string) string {
	for k := range tags {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return ""
}

// mayRetag reports whether caller may change tagged's tags at all under set: the tag or the
// untag action is granted (under some request tags: the cheap exit before chooseTags).
func (b *builder) mayRetag(caller policy.Principal, set policy.PolicySet, tagAction, tagged, region string, current map[string]string) bool {
	ctx := b.requestContext(region)
	for _, act := range []string{tagAction, untagActions[tagAction]} {
		if act == "" {
			continue
		}
		if t := b.ev.Evaluate(policy.Request{Principal: caller, Action: act, Resource: tagged, ResourceTags: current, ResourceAccount: b.account,
			Context: ctx}, set); granted(t.Decision) {
			return true
		}
	}
	return false
}

// chooseTags decides a move once caller has changed some of the tags of tagged, trying the
// changes policy.TagChoices lists: setting a key to a value a condition names (or to another one,
// overwriting the current value) with tagAction, and removing a key the resource carries with
// tagAction's untag action (untagActions). A condition that fails because a tag is present — a
// StringNotEquals, a Null check, or an explicit Deny on the tag's value — holds once the tag is
// removed or overwritten. A change counts when its requests are granted (the tag request with
// aws:RequestTag/<key> and aws:TagKeys being the keys set, the untag request with aws:TagKeys
// being the keys removed) and gate, given tagged's tags after the change, grants the move. The
// result is Allowed when all are, Conditional otherwise; ok is false when no change works.
func (b *builder) chooseTags(caller policy.Principal, set policy.PolicySet, tagAction, tagged, region string, current map[string]string, gate func(tags map[string]string) policy.Result) (policy.Result, *tagStep, bool) {
	return b.chooseTagsWith(caller, set, tagValues(caller, &set), tagAction, tagged, region, current, gate)
}

// chooseTagsWith is chooseTags trying the given candidate values (tagValues of the policies the
// gate evaluates, when the tag change is another principal's than the move's).
func (b *builder) chooseTagsWith(caller policy.Principal, set policy.PolicySet, values map[string][]string, tagAction, tagged, region string, current map[string]string, gate func(tags map[string]string) policy.Result) (policy.Result, *tagStep, bool) {
	if len(values) == 0 {
		return policy.Result{}, nil, false
	}
	untag := untagActions[tagAction]
	if untag != "" {
		for k := range values {
			if tagKey(current, k) != "" {
				values[k] = append(values[k], removeTag)
			}
		}
	}
	ctx := b.requestContext(region)
	var best policy.Result
	var bestStep *tagStep
	for _, change := range policy.TagChoices(values, maxTagChoices) {
		if len(change) == 0 {
			continue
		}
		after := maps.Clone(current)
		if after == nil {
			after = map[string]string{}
		}
		sets := map[string]string{}
		var removes []string
		for k, v := range change {
			if old := tagKey(after, k); old != "" {
				delete(after, old)
				if v == removeTag {
					removes = append(removes, old)
					continue
				}
			}
			sets[k], after[k] = v, v
		}
		slices.Sort(removes)
		step := &tagStep{action: tagAction, untag: untag, resource: tagged, removes: removes}
		stepRes := policy.Result{Decision: policy.Allowed}
		if len(sets) > 0 {
			step.sets = sets
			tr := b.ev.Evaluate(policy.Request{Principal: caller, Action: tagAction, Resource: tagged, ResourceTags: current, RequestTags: sets,
				ResourceAccount: b.account, Context: ctx}, set)
			if !granted(tr.Decision) {
				continue
			}
			stepRes = tr
		}
		if len(removes) > 0 {
			ur := b.ev.Evaluate(policy.Request{Principal: caller, Action: untag, Resource: tagged, ResourceTags: current, UntagKeys: removes,
				ResourceAccount: b.account, Context: ctx}, set)
			if !granted(ur.Decision) {
				continue
			}
			if len(sets) == 0 || rank(ur.Decision) < rank(stepRes.Decision) {
				stepRes = ur
			}
		}
		r := gate(after)
		if !granted(r.Decision) {
			continue
		}
		if stepRes.Decision != policy.Allowed {
			r.Decision = policy.Conditional
			r.UnresolvedKeys = append(slices.Clone(r.UnresolvedKeys), stepRes.UnresolvedKeys...)
		}
		if bestStep == nil || rank(r.Decision) > rank(best.Decision) {
			best = r
			step.res = stepRes
			bestStep = step
			if r.Decision == policy.Allowed {
				break
			}
		}
	}
	if bestStep == nil {
		return policy.Result{}, nil, false
	}
	act := bestStep.action
	if len(bestStep.sets) == 0 {
		act = bestStep.untag
	}
	bestStep.evidence = decisionEvidence(act, tagged, bestStep.res)
	return best, bestStep, true
}

// evalGate is the gate of chooseTags for action on resource under set.
func (b *builder) evalGate(caller policy.Principal, set policy.PolicySet, action, resource, region string) func(map[string]string) policy.Result {
	ctx := b.requestContext(region)
	return func(tags map[string]string) policy.Result {
		return b.ev.Evaluate(policy.Request{Principal: caller, Action: action, Resource: resource, ResourceTags: tags, ResourceAccount: b.account, Context: ctx}, set)
	}
}

// actions names the actions the step uses.
func (s *tagStep) actions() string {
	var acts []string
	if len(s.sets) > 0 {
		acts = append(acts, s.action)
	}
	if len(s.removes) > 0 {
		acts = append(acts, s.untag)
	}
	return strings.Join(acts, " and ")
}

// tagStepFinding adds the finding a tag step cites (once per attacker and resource) and returns
// its id.
func (b *builder) tagStepFinding(attacker string, s *tagStep) string {
	return b.addFinding(graph.Finding{RuleID: RuleABACRetag, Resource: attacker, Severity: graph.SeverityHigh,
		Title:       "Attacker-controlled tags: the principal may change the tags an ABAC grant depends on",
		Evidence:    attacker + " may run " + s.line() + ", after which the tag conditions of its policies admit the move",
		Remediation: "Deny " + s.actions() + " (or the tag keys ABAC uses, with aws:TagKeys / aws:RequestTag conditions) to " + attacker + ", so that only administrators set or remove the tags ABAC decides on.",
		FixEffort:   1})
}

// withTagStep returns the move's edge with the tag step as its first step: the step's line and
// evidence first, graph.PropTagStep set, and the step's finding cited next to the move's own.
func (b *builder) withTagStep(e graph.Edge, attacker string, s *tagStep) graph.Edge {
	e.Evidence = append(append([]string{"tag step: " + s.line() + " first, so that its tags meet the condition"}, s.evidence...), e.Evidence...)
	if e.Props == nil {
		e.Props = graph.Props{}
	}
	e.Props[graph.PropTagStep] = s.line()
	e.Findings = unionSorted(slices.Clone(e.Findings), []string{b.tagStepFinding(attacker, s)})
	return e
}

// usesResourceTags reports whether any policy of the account (identity, boundary, resource, SCP,
// RCP) has a condition on resource tags:
// when none does, no tag step can open anything and retagAccess does nothing.
func (b *builder) usesResourceTags() bool {
	has := testsResourceTag
	for _, p := range b.principals {
		if slices.ContainsFunc(p.set.Identity, has) || has(p.set.Boundary) {
			return true
		}
	}
	for _, r := range b.resources {
		if has(r.policy) {
			return true
		}
	}
	// an SCP or RCP guardrail denying on a tag (protected=true) is escaped by removing the tag
	for _, level := range slices.Concat(b.scps, b.rcps) {
		if slices.ContainsFunc(level, has) {
			return true
		}
	}
	return false
}

// retagAccess draws the data accesses a principal gains by retagging the resource first: for
// every data resource whose tags are known and whose service has a tag action, every access the
// principal does not have today but has after setting tags it may set. Admin-equivalent
// principals reach everything through the administrator node and are skipped.
func (b *builder) retagAccess(ctx context.Context) error {
	if !b.usesResourceTags() {
		return nil
	}
	for i, p := range b.principals {
		if i%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if p.admin || p.caller.IsServiceLinkedRole {
			continue
		}
		for _, r := range b.resources {
			tag := dataTagActions[r.typ.service]
			if r.tags == nil || tag == "" || r.evalARN != "" {
				continue
			}
			set := p.set
			set.Resource = r.policy
			set.RCPs = b.rcps
			set.ResourceIsManagementAccount = b.mgmt
			set.ResourcePolicyRequired = r.typ.policyRequired
			// cheap exit: neither the tag nor the untag action is granted on the resource
			if !b.mayRetag(p.caller, set, tag, r.id, r.region, r.tags) {
				continue
			}
			for _, a := range r.accesses {
				if res, _ := b.evalAccess(p.caller, p.set, r, a); granted(res.Decision) {
					continue // drawn without a tag step
				}
				target := r.target(a)
				for _, act := range a.actions {
					res, step, ok := b.chooseTags(p.caller, set, tag, r.id, r.region, r.tags, b.evalGate(p.caller, set, act, target, r.region))
					if !ok {
						continue
					}
					e := graph.Edge{From: p.id, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
						Conditional: res.Decision == policy.Conditional, Evidence: decisionEvidence(act, target, res)}
					b.addEdge(b.withTagStep(e, p.id, step))
					break
				}
			}
		}
	}
	return nil
}

// testsResourceTag reports whether a policy has a condition on a resource tag (aws:ResourceTag/,
// iam:ResourceTag/, ...).
func testsResourceTag(x *policy.Policy) bool {
	if x == nil {
		return false
	}
	for _, st := range x.Statements {
		for _, c := range st.Conditions {
			if strings.Contains(strings.ToLower(c.Key), ":resourcetag/") {
				return true
			}
		}
	}
	return false
}
