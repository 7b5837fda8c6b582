package entitlements

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph/entitlement"
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

// maxListedAll is the most actions of a fully kept service the policy lists
// one by one; a larger one is written "<service>:*", which grants the same set.
const maxListedAll = 150

// LeastPrivilege implements entitlement.PolicyWriter. Kept actions must be catalog
// action names; anything else is an error, so a suggestion never grants
// what was not asked for.
func (PolicyWriter) LeastPrivilege(keep []entitlement.Keep, removed int) (*entitlement.Suggestion, error) {
	cat := catalog.Default()
	doc := iamDocument{Version: "2012-10-17"}
	var all, wholeServices []string
	for _, k := range keep {
		svc := strings.ToLower(k.Service)
		if !cat.HasService(svc) {
			return nil, fmt.Errorf("service %q: not in the action catalog", k.Service)
		}
		var acts []string
		if k.All {
			except := map[string]bool{}
			for _, a := range k.Except {
				if !strings.Contains(a, ":") {
					a = svc + ":" + a
				}
				except[strings.ToLower(a)] = true
			}
			for _, i := range cat.Expand(svc + ":*") {
				if name := cat.Action(i).Name; !except[strings.ToLower(name)] {
					acts = append(acts, name)
				}
			}
			if len(except) == 0 && len(acts) > maxListedAll {
				acts = []string{svc + ":*"}
				wholeServices = append(wholeServices, svc+":*")
			}
		} else {
			for _, a := range k.Actions {
				act, ok := cat.Lookup(a)
				if !ok || act.Service != svc {
					return nil, fmt.Errorf("action %q: not an action of %s in the catalog", a, svc)
				}
				acts = append(acts, act.Name)
			}
		}
		if len(acts) == 0 {
			continue
		}
		acts = slices.Compact(slices.Sorted(slices.Values(acts)))
		all = append(all, acts...)
		doc.Statement = append(doc.Statement, iamStatement{Sid: "Used" + sidPart(svc), Effect: "Allow", Action: acts, Resource: "*"})
	}
	if len(doc.Statement) == 0 {
		return nil, fmt.Errorf("nothing to keep")
	}
	slices.Sort(all)
	buf, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	if _, err := policy.Parse(buf); err != nil {
		return nil, fmt.Errorf("generated policy does not parse: %w", err)
	}
	s := &entitlement.Suggestion{Policy: string(buf), Actions: all, Removed: removed,
		Notes: []string{"Resource is \"*\": last-accessed data does not say which resources were used; narrow it with CloudTrail data events or keep the current resource scoping of each action"}}
	for _, w := range wholeServices {
		s.Notes = append(s.Notes, fmt.Sprintf("%s: AWS reported only service-level use of a service the principal fully holds, so every action of it is kept; narrow it with CloudTrail", w))
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
