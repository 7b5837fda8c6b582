package aws

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/policy"
)

// managedPolicyLimit is the size limit of a customer-managed policy document
// (whitespace excluded), in characters.
const managedPolicyLimit = 6144

// PolicyWriter writes least-privilege IAM policies: one Allow statement per
// used service listing exactly the kept actions.
type PolicyWriter struct{}

type iamDocument struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

type iamStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// LeastPrivilege implements ciem.PolicyWriter. Actions must be catalog
// action names or "<service>:*"; anything else is an error, so a suggestion
// never grants what was not asked for.
func (PolicyWriter) LeastPrivilege(p *ciem.Principal, actions []string, removed int) (*ciem.Suggestion, error) {
	cat := catalog.Default()
	by := map[string][]string{}
	for _, a := range actions {
		svc, name, ok := strings.Cut(a, ":")
		if !ok || svc == "" || name == "" {
			return nil, fmt.Errorf("action %q: want service:Action", a)
		}
		if name == "*" {
			if !cat.HasService(svc) {
				return nil, fmt.Errorf("action %q: unknown service", a)
			}
		} else if act, ok := cat.Lookup(a); ok {
			a = act.Name
		} else {
			return nil, fmt.Errorf("action %q: not in the action catalog", a)
		}
		by[strings.ToLower(svc)] = append(by[strings.ToLower(svc)], a)
	}
	doc := iamDocument{Version: "2012-10-17"}
	var all []string
	for _, svc := range sortedKeys(by) {
		acts := slices.Compact(slices.Sorted(slices.Values(by[svc])))
		all = append(all, acts...)
		doc.Statement = append(doc.Statement, iamStatement{Sid: "Used" + sidPart(svc), Effect: "Allow", Action: acts, Resource: "*"})
	}
	buf, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	if _, err := policy.Parse(buf); err != nil {
		return nil, fmt.Errorf("generated policy does not parse: %w", err)
	}
	s := &ciem.Suggestion{Policy: string(buf), Actions: all, Removed: removed,
		Notes: []string{"Resource is \"*\": last-accessed data does not say which resources were used; narrow it with CloudTrail data events or keep the current resource scoping of each action"}}
	for _, a := range all {
		if strings.HasSuffix(a, ":*") {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: AWS reported only service-level use, so every action of the service is kept; narrow it with CloudTrail", a))
		}
	}
	compact, _ := json.Marshal(doc)
	if n := len(compact); n > managedPolicyLimit {
		s.Notes = append(s.Notes, fmt.Sprintf("%d characters: over the %d-character managed policy limit, split it by service", n, managedPolicyLimit))
	}
	return s, nil
}

// sidPart turns a service prefix into Sid characters ([A-Za-z0-9]).
func sidPart(svc string) string {
	var b strings.Builder
	up := true
	for _, r := range svc {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
