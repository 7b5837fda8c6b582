package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// Organisation policy constraints that change what is reachable.
const (
	// storage.publicAccessPrevention enforced: allUsers / allAuthenticatedUsers
	// grants on buckets below stop working (also for existing grants).
	ConstraintPublicAccessPrevention = "constraints/storage.publicAccessPrevention"
	// iam.disableServiceAccountKeyCreation enforced: nobody can mint a key.
	ConstraintDisableKeyCreation = "constraints/iam.disableServiceAccountKeyCreation"
	// compute.requireOsLogin enforced: metadata SSH keys are ignored.
	ConstraintRequireOsLogin = "constraints/compute.requireOsLogin"
	// iam.disableCrossProjectServiceAccountUsage enforced on a service
	// account's project: the account cannot be attached to workloads of
	// other projects (no cross-project actAs).
	ConstraintDisableCrossProjectSA = "constraints/iam.disableCrossProjectServiceAccountUsage"
	// iam.allowedPolicyMemberDomains and compute.vmExternalIpAccess are list
	// constraints that are not retroactive: existing grants and external IPs
	// stay. They are recorded on the project node (org_policy_* properties),
	// with the boolean constraints above.
	ConstraintAllowedDomains = "constraints/iam.allowedPolicyMemberDomains"
	ConstraintVMExternalIP   = "constraints/compute.vmExternalIpAccess"
)

// orgPolicies evaluates organisation policies with inheritance: the
// nearest policy that sets a constraint decides; restoreDefault resets to
// the default (not enforced).
type orgPolicies struct {
	byResource map[string][]inventory.OrgPolicy
	h          *hierarchy
}

func newOrgPolicies(b *builder) *orgPolicies {
	o := &orgPolicies{byResource: map[string][]inventory.OrgPolicy{}, h: b.h}
	for _, a := range b.inv.Assets {
		if len(a.OrgPolicy) > 0 {
			name := b.h.canonical(a.Name)
			o.byResource[name] = append(o.byResource[name], a.OrgPolicy...)
		}
	}
	return o
}

// Enforced reports whether a boolean constraint is enforced on a chain of
// resources (nearest first), and where it was set.
func (o *orgPolicies) Enforced(chain []string, constraint string) (bool, string) {
	for _, res := range chain {
		for _, p := range o.byResource[res] {
			if !sameConstraint(p.Constraint, constraint) {
				continue
			}
			if p.RestoreDefault != nil {
				return false, res
			}
			if p.BooleanPolicy != nil {
				return p.BooleanPolicy.Enforced, res
			}
		}
	}
	return false, ""
}

// List returns the nearest list policy of a constraint on a chain.
func (o *orgPolicies) List(chain []string, constraint string) *inventory.ListPolicy {
	for _, res := range chain {
		for _, p := range o.byResource[res] {
			if sameConstraint(p.Constraint, constraint) && p.ListPolicy != nil {
				return p.ListPolicy
			}
		}
	}
	return nil
}

func sameConstraint(a, b string) bool {
	return strings.TrimPrefix(a, "constraints/") == strings.TrimPrefix(b, "constraints/")
}
