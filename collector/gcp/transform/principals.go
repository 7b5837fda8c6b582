package transform

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// Ids of the two everybody principals. allUsers matches the synthetic
// estate's anonymous principal id.
const (
	AllUsersID              = "anonymous:gcp"
	AllAuthenticatedUsersID = "authenticated:gcp"
)

// everybody returns the node of one of the two everybody principals.
func everybody(id string) graph.Node {
	if id == AllAuthenticatedUsersID {
		return graph.Node{ID: AllAuthenticatedUsersID, Kind: graph.KindExternalPrincipal, Name: "allAuthenticatedUsers", Service: "external", Region: "global",
			Props: graph.Props{graph.PropAnonymous: true, "any_google_account": true}}
	}
	return graph.Node{ID: AllUsersID, Kind: graph.KindExternalPrincipal, Name: "allUsers", Service: "external", Region: "global",
		Props: graph.Props{graph.PropAnonymous: true}}
}

// SAPrefix is the prefix of service-account full names.
const saPrefix = "//iam.googleapis.com/projects/"

// saID returns the full name of a service account from its email: the
// inventoried name when the account was read, else the name derived from
// the email's domain (user-managed accounts, App Engine and Compute
// Engine defaults), else the project-wildcard form the IAM API accepts.
func (b *builder) saID(email string) string {
	email = strings.ToLower(email)
	if id, ok := b.saByEmail[email]; ok {
		return id
	}
	local, domain, _ := strings.Cut(email, "@")
	switch {
	case strings.HasSuffix(domain, ".iam.gserviceaccount.com"):
		return saPrefix + strings.TrimSuffix(domain, ".iam.gserviceaccount.com") + "/serviceAccounts/" + email
	case domain == "appspot.gserviceaccount.com":
		return saPrefix + local + "/serviceAccounts/" + email
	case domain == "developer.gserviceaccount.com" || domain == "cloudservices.gserviceaccount.com" || domain == "cloudbuild.gserviceaccount.com":
		num, _, _ := strings.Cut(local, "-")
		if p, ok := b.h.byNumber[num]; ok {
			return saPrefix + p.ID + "/serviceAccounts/" + email
		}
	}
	return saPrefix + "-/serviceAccounts/" + email
}

// principal returns the node id of an IAM member and adds its node (a
// stub unless the inventory owns it), or "" for members that grant
// nothing to an attacker (deleted principals, convenience values).
func (b *builder) principal(member string) string {
	kind, value, _ := strings.Cut(member, ":")
	if strings.HasPrefix(member, "principal://") || strings.HasPrefix(member, "principalSet://") {
		kind, value = "federated", member
	}
	var n graph.Node
	switch kind {
	case "allUsers":
		if member != "allUsers" {
			return ""
		}
		n = everybody(AllUsersID)
	case "allAuthenticatedUsers":
		n = everybody(AllAuthenticatedUsersID)
	case "user":
		n = graph.Node{ID: "//cloudidentity.googleapis.com/users/" + strings.ToLower(value), Kind: graph.KindUser,
			NativeType: "cloudidentity.googleapis.com/User", Name: value, Service: "cloudidentity", Region: "global"}
		if b.external(value) {
			n.Kind = graph.KindExternalPrincipal
			n.Props = graph.Props{"outside_organization": true}
		}
	case "group":
		n = graph.Node{ID: "//cloudidentity.googleapis.com/groups/" + strings.ToLower(value), Kind: graph.KindGroup,
			NativeType: "cloudidentity.googleapis.com/Group", Name: value, Service: "cloudidentity", Region: "global"}
	case "domain":
		n = graph.Node{ID: "//cloudidentity.googleapis.com/domains/" + strings.ToLower(value), Kind: graph.KindGroup,
			NativeType: "cloudidentity.googleapis.com/Domain", Name: "everyone in " + value, Service: "cloudidentity", Region: "global"}
	case "serviceAccount":
		id := b.saID(value)
		if _, ok := b.nodes[id]; ok {
			return id
		}
		n = graph.Node{ID: id, Kind: graph.KindServiceAccount, NativeType: "iam.googleapis.com/ServiceAccount", Name: value,
			Service: "iam", Region: "global", Account: saProject(id)}
		if b.external(value) {
			n.Props = graph.Props{"outside_organization": true}
		}
	case "federated":
		n = graph.Node{ID: value, Kind: graph.KindExternalPrincipal, NativeType: "iam.googleapis.com/WorkloadIdentityPoolPrincipal",
			Name: value, Service: "external", Region: "global"}
	default:
		// deleted:..., projectOwner:... (expanded by the evaluator), unknown forms.
		return ""
	}
	n.Cloud = graph.CloudGCP
	if _, ok := b.nodes[n.ID]; !ok {
		owner := ""
		if kind == "user" || kind == "group" || kind == "domain" {
			owner = b.principalScope()
			n.Account = owner
		}
		b.addNode(n, owner)
	}
	return n.ID
}

// external reports whether an email is outside the organisation's domains,
// when the domains are known (organisation display name, Options.Domains).
func (b *builder) external(email string) bool {
	if len(b.domains) == 0 {
		return false
	}
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	if strings.HasSuffix(domain, "gserviceaccount.com") {
		// Service agents and accounts of other projects: outside only when
		// their project is not ours, which the id tells.
		return false
	}
	for _, d := range b.domains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return false
		}
	}
	return true
}

func saProject(id string) string {
	rest := strings.TrimPrefix(id, saPrefix)
	p, _, _ := strings.Cut(rest, "/")
	if p == "-" {
		return ""
	}
	return p
}
