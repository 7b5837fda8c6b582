package entitlements

import (
	"slices"
	"sort"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// resourceGrant is an Allow statement of a resource policy that names a
// principal of the account by ARN.
type resourceGrant struct {
	resource string
	name     string
	pol      *policy.Policy
	st       *policy.Statement
}

// resourceGrants indexes, by principal ARN, the resource-policy statements
// that name the principal explicitly: grants that hold even without an
// identity-policy allow (S3, KMS, Secrets Manager, SQS, SNS, ECR, Lambda,
// DynamoDB). Grants to "*" or to the account root delegate to identity
// policies and are not the principal's own.
func (a *analyzer) resourceGrants() map[string][]resourceGrant {
	out := map[string][]resourceGrant{}
	add := func(arn, name, doc string) {
		if doc == "" {
			return
		}
		p := a.parse(arn+"#policy", doc)
		if p == nil {
			return
		}
		for _, st := range p.Statements {
			if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal {
				continue
			}
			for _, who := range st.Principal.AWS {
				out[who] = append(out[who], resourceGrant{resource: arn, name: name, pol: p, st: st})
			}
		}
	}
	for _, b := range a.inv.S3 {
		arn := b.ARN
		if arn == "" {
			arn = "arn:" + a.partition() + ":s3:::" + b.Name
		}
		add(arn, b.Name, b.Policy)
	}
	regions := make([]string, 0, len(a.inv.Regional))
	for r := range a.inv.Regional {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, r := range regions {
		rd := a.inv.Regional[r]
		for _, k := range rd.KMSKeys {
			add(k.ARN, lastSegment(k.ARN), k.Policy)
		}
		for _, s := range rd.Secrets {
			add(s.ARN, s.Name, s.Policy)
		}
		for _, q := range rd.Queues {
			add(q.ARN, q.Name, q.Policy)
		}
		for _, t := range rd.Topics {
			add(t.ARN, t.Name, t.Policy)
		}
		for _, e := range rd.Repositories {
			add(e.ARN, e.Name, e.Policy)
		}
		for _, f := range rd.Functions {
			add(f.ARN, f.Name, f.Policy)
		}
		for _, t := range rd.Tables {
			add(t.ARN, t.Name, t.Policy)
		}
	}
	return out
}

func (a *analyzer) partition() string {
	if a.inv.Partition == "" {
		return "aws"
	}
	return a.inv.Partition
}

// withResourceGrants returns allowed and conditional widened by the
// resource-policy statements naming the principal (unconditional statements
// into allowed, conditioned ones into conditional), and the grants as
// sourced policies for attribution.
func (a *analyzer) withResourceGrants(arn string, allowed, conditional catalog.ActionSet) (catalog.ActionSet, catalog.ActionSet, []sourcedPolicy) {
	grants := a.resGrants[arn]
	if len(grants) == 0 {
		return allowed, conditional, nil
	}
	allowed, conditional = allowed.Clone(), conditional.Clone()
	var pols []sourcedPolicy
	for _, g := range grants {
		set := a.statementSet(g.st)
		if len(g.st.Conditions) == 0 {
			allowed.Union(set)
		} else {
			conditional.Union(set)
		}
		// One statement per sourced policy keeps attribution to the statement that names the principal.
		one := &policy.Policy{Label: g.resource, Version: g.pol.Version, Statements: []*policy.Statement{g.st}}
		if !slices.ContainsFunc(pols, func(sp sourcedPolicy) bool { return sp.pol.Label == g.resource && sp.pol.Statements[0] == g.st }) {
			pols = append(pols, sourcedPolicy{pol: one, name: g.name + " (resource policy)", kind: entitlement.SourceResource})
		}
	}
	return allowed, conditional, pols
}
