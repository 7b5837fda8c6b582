package graph

// PropAnonymous is the node property (bool) a collector sets on an
// ExternalPrincipal that stands for everybody: anonymous callers, "*",
// allUsers / allAuthenticatedUsers. Scoring weighs such a source above a
// named external principal, because no credential is needed to use it.
const PropAnonymous = "anonymous"

// IsAnonymous reports whether the node is an exposure source that needs no
// credential at all: an ExternalPrincipal with PropAnonymous set.
func (n *Node) IsAnonymous() bool {
	if n.Kind != KindExternalPrincipal {
		return false
	}
	v, _ := n.Props[PropAnonymous].(bool)
	return v
}

// PropServiceOnly is the node property (bool) a collector sets on a principal
// that only a cloud service can act as (a role whose trust admits only service
// principals, a service-linked role): no attacker starts as it; it is reached
// through a workload running as it. Such principals are never listed as able
// to become administrator on their own (paths.AdminReachers).
const PropServiceOnly = "service_only"
