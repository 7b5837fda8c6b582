package inventory

import (
	"fmt"
	"net/url"
	"strings"
)

// DenyPolicy is an IAM deny policy (IAM v2 policies of kind DenyPolicy),
// as policies.get and `gcloud iam policies get --kind=denypolicies
// --format=json` return it. Its name carries the attachment point:
// policies/<url-encoded resource>/denypolicies/<id>.
type DenyPolicy struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	DisplayName string `json:"displayName"`
	Rules       []struct {
		Description string    `json:"description"`
		DenyRule    *DenyRule `json:"denyRule"`
	} `json:"rules"`
}

// DenyRule denies permissions to principals, with exceptions and an
// optional condition.
type DenyRule struct {
	DeniedPrincipals     []string `json:"deniedPrincipals"`
	ExceptionPrincipals  []string `json:"exceptionPrincipals"`
	DeniedPermissions    []string `json:"deniedPermissions"`
	ExceptionPermissions []string `json:"exceptionPermissions"`
	DenialCondition      *Expr    `json:"denialCondition"`
}

// AttachmentPoint returns the full resource name the policy is attached to
// ("//cloudresourcemanager.googleapis.com/projects/123").
func (p *DenyPolicy) AttachmentPoint() (string, error) {
	rest, ok := strings.CutPrefix(p.Name, "policies/")
	if !ok {
		return "", fmt.Errorf("deny policy %q: name does not start with policies/", p.Name)
	}
	enc, _, ok := strings.Cut(rest, "/")
	if !ok {
		return "", fmt.Errorf("deny policy %q: no attachment point", p.Name)
	}
	att, err := url.PathUnescape(enc)
	if err != nil || !strings.Contains(att, "/") {
		return "", fmt.Errorf("deny policy %q: attachment point %q", p.Name, enc)
	}
	return "//" + strings.TrimPrefix(att, "//"), nil
}

// AddDenyPolicy records a deny policy; a policy of one name is kept once
// (the newer record wins).
func (inv *Inventory) AddDenyPolicy(p DenyPolicy) error {
	if _, err := p.AttachmentPoint(); err != nil {
		return err
	}
	for i := range inv.DenyPolicies {
		if inv.DenyPolicies[i].Name == p.Name {
			inv.DenyPolicies[i] = p
			return nil
		}
	}
	inv.DenyPolicies = append(inv.DenyPolicies, p)
	return nil
}

// DenyPermission converts a deny policy permission
// ("iam.googleapis.com/serviceAccountKeys.create") to the IAM permission
// name ("iam.serviceAccountKeys.create"). Wildcards stay: "iam.*",
// "iam.serviceAccountKeys.*".
func DenyPermission(p string) string {
	fqdn, rest, ok := strings.Cut(p, "/")
	if !ok {
		return p
	}
	svc, _, _ := strings.Cut(fqdn, ".")
	return svc + "." + rest
}

// DenyPrincipal converts a deny policy principal identifier to the member
// spelling of allow policies: principal://goog/subject/<email> -> user:,
// principalSet://goog/group/<email> -> group:,
// principal://iam.googleapis.com/projects/-/serviceAccounts/<email> ->
// serviceAccount:, principalSet://goog/public:all -> "*" (everyone).
// Other principal sets (a whole Cloud Identity customer, workforce or
// workload pools) return "" with ok=false: they are not matched.
func DenyPrincipal(p string) (member string, ok bool) {
	switch {
	case p == "principalSet://goog/public:all":
		return "*", true
	case strings.HasPrefix(p, "principal://goog/subject/"):
		return "user:" + strings.ToLower(strings.TrimPrefix(p, "principal://goog/subject/")), true
	case strings.HasPrefix(p, "principalSet://goog/group/"):
		return "group:" + strings.ToLower(strings.TrimPrefix(p, "principalSet://goog/group/")), true
	case strings.HasPrefix(p, "principal://iam.googleapis.com/projects/-/serviceAccounts/"):
		return "serviceAccount:" + strings.ToLower(strings.TrimPrefix(p, "principal://iam.googleapis.com/projects/-/serviceAccounts/")), true
	}
	return "", false
}
