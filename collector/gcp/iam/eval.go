// Package iam evaluates GCP IAM allow policies with inheritance: which
// member holds which permission on a resource, through bindings on the
// resource itself and on every ancestor (parent resource, project,
// folders, organisation).
//
// It answers for a fixed list of permissions (the ones the attack-path
// techniques and data moves need), as bit sets, so that the evaluation of
// thousands of resources stays cheap. Conditional bindings (IAM
// Conditions) are kept apart: the graph cannot resolve request-time
// attributes, so their grants become conditional edges. Deny policies
// (AddDeny) subtract from what the allow policies grant; Principal Access
// Boundary policies are not read (docs/gcp-collector.md).
package iam

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/roles"
)

// MaxPerms is how many permissions one Evaluator tracks.
const MaxPerms = 64

// Set is a set of tracked permissions (bit i = the evaluator's permission i).
type Set uint64

// Has reports whether the set holds permission bit i.
func (s Set) Has(i int) bool { return s&(1<<uint(i)) != 0 }

// Binding is one role grant on one resource.
type Binding struct {
	Resource    string // full resource name the binding is attached to
	Role        string
	Members     []string
	Conditional bool
	Condition   string
}

// Grant is what one member holds on one resource.
type Grant struct {
	Perms Set // unconditional
	Cond  Set // only under an IAM condition
	// Via lists the bindings that contributed, for evidence.
	Via []*Binding
	// Denied lists the deny rules that took permissions away.
	Denied []*Deny
}

// Deny is one rule of an IAM deny policy, attached to a resource (an
// organisation, folder or project) and inherited by everything below it.
// Deny wins over allow.
type Deny struct {
	Resource string
	Policy   string // the deny policy's name, for evidence
	// Principals are members as allow policies spell them ("user:a@x",
	// "group:g@x", "serviceAccount:s@x"); "*" is everyone.
	Principals []string
	Except     []string
	Perms      Set
	// Conditional denials apply only under their condition: the grants
	// they touch become conditional instead of disappearing.
	Conditional bool
	Condition   string
}

func (d *Deny) matches(member string) bool {
	if slices.Contains(d.Except, member) {
		return false
	}
	return slices.Contains(d.Principals, "*") || slices.Contains(d.Principals, member)
}

// All returns the permissions held unconditionally or under a condition.
func (g *Grant) All() Set { return g.Perms | g.Cond }

// Evaluator holds the bindings of an inventory and the tracked permissions.
type Evaluator struct {
	perms    []string
	index    map[string]int
	catalog  *roles.Catalog
	roleSets map[string]Set
	unknown  map[string]bool
	bindings map[string][]*Binding // by resource
	denies   map[string][]*Deny    // by attachment point
	// Expand resolves convenience members ("projectEditor:p") to the
	// members they stand for; nil leaves them as they are.
	Expand func(member string) []string
}

// New returns an evaluator tracking perms (at most MaxPerms).
func New(catalog *roles.Catalog, perms []string) (*Evaluator, error) {
	if len(perms) > MaxPerms {
		return nil, fmt.Errorf("iam: %d permissions tracked, at most %d", len(perms), MaxPerms)
	}
	e := &Evaluator{perms: perms, index: map[string]int{}, catalog: catalog,
		roleSets: map[string]Set{}, unknown: map[string]bool{}, bindings: map[string][]*Binding{},
		denies: map[string][]*Deny{}}
	for i, p := range perms {
		e.index[p] = i
	}
	return e, nil
}

// Bit returns the bit of a tracked permission, or -1.
func (e *Evaluator) Bit(perm string) int {
	if i, ok := e.index[perm]; ok {
		return i
	}
	return -1
}

// Mask returns the set of the given tracked permissions.
func (e *Evaluator) Mask(perms ...string) Set {
	var s Set
	for _, p := range perms {
		if i, ok := e.index[p]; ok {
			s |= 1 << uint(i)
		}
	}
	return s
}

// Names lists the permissions of a set.
func (e *Evaluator) Names(s Set) []string {
	var out []string
	for i, p := range e.perms {
		if s.Has(i) {
			out = append(out, p)
		}
	}
	return out
}

// Filter returns the tracked permissions for which keep is true, as a set.
func (e *Evaluator) Filter(keep func(perm string) bool) Set {
	var s Set
	for i, p := range e.perms {
		if keep(p) {
			s |= 1 << uint(i)
		}
	}
	return s
}

// Add records a binding.
func (e *Evaluator) Add(b *Binding) {
	e.bindings[b.Resource] = append(e.bindings[b.Resource], b)
}

// AddDeny records a deny rule.
func (e *Evaluator) AddDeny(d *Deny) {
	e.denies[d.Resource] = append(e.denies[d.Resource], d)
}

// DenyMask returns the tracked permissions a deny rule's permission list
// names (IAM spelling, "iam.serviceAccountKeys.create"; a trailing "*"
// matches by prefix: "iam.*", "iam.serviceAccountKeys.*", "*").
func (e *Evaluator) DenyMask(perms []string) Set {
	var s Set
	for _, p := range perms {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			s |= e.Filter(func(q string) bool { return strings.HasPrefix(q, prefix) })
			continue
		}
		s |= e.Mask(p)
	}
	return s
}

// Resources lists every resource that has bindings, sorted.
func (e *Evaluator) Resources() []string {
	out := make([]string, 0, len(e.bindings))
	for r := range e.bindings {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Bindings returns the bindings attached to a resource.
func (e *Evaluator) Bindings(resource string) []*Binding { return e.bindings[resource] }

// UnknownRoles lists roles named by bindings that neither the predefined
// catalog nor the collected custom roles define (their grants are ignored).
func (e *Evaluator) UnknownRoles() []string {
	var out []string
	for r := range e.unknown {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// RoleSet returns the tracked permissions a role includes.
func (e *Evaluator) RoleSet(role string) Set {
	if s, ok := e.roleSets[role]; ok {
		return s
	}
	var s Set
	r, ok := e.catalog.Lookup(role)
	if !ok {
		e.unknown[role] = true
	} else {
		for _, p := range r.Permissions {
			if i, ok := e.index[p]; ok {
				s |= 1 << uint(i)
			}
		}
	}
	e.roleSets[role] = s
	return s
}

// Grants evaluates the bindings on a chain of resources (the resource
// first, then its ancestors) and returns what every member holds there.
func (e *Evaluator) Grants(chain []string) map[string]*Grant {
	out := map[string]*Grant{}
	for _, res := range chain {
		for _, b := range e.bindings[res] {
			rs := e.RoleSet(b.Role)
			if rs == 0 {
				continue
			}
			for _, m := range b.Members {
				for _, mm := range e.expand(m) {
					g := out[mm]
					if g == nil {
						g = &Grant{}
						out[mm] = g
					}
					if b.Conditional {
						g.Cond |= rs
					} else {
						g.Perms |= rs
					}
					g.Via = append(g.Via, b)
				}
			}
		}
	}
	for _, g := range out {
		g.Cond &^= g.Perms
	}
	for _, res := range chain {
		for _, d := range e.denies[res] {
			for m, g := range out {
				hit := g.All() & d.Perms
				if hit == 0 || !d.matches(m) {
					continue
				}
				if d.Conditional {
					g.Cond |= g.Perms & d.Perms
				} else {
					g.Cond &^= d.Perms
				}
				g.Perms &^= d.Perms
				g.Denied = append(g.Denied, d)
			}
		}
	}
	return out
}

func (e *Evaluator) expand(m string) []string {
	if e.Expand != nil && isConvenience(m) {
		if out := e.Expand(m); len(out) > 0 {
			return out
		}
	}
	return []string{m}
}

func isConvenience(m string) bool {
	return strings.HasPrefix(m, "projectOwner:") || strings.HasPrefix(m, "projectEditor:") || strings.HasPrefix(m, "projectViewer:")
}

// Evidence describes the bindings of g that grant any permission of need,
// as "roles/x on <resource>" (with the condition's title when conditional).
func (e *Evaluator) Evidence(g *Grant, need Set) []string {
	var out []string
	for _, b := range g.Via {
		if e.RoleSet(b.Role)&need == 0 {
			continue
		}
		s := b.Role + " on " + b.Resource
		if b.Conditional {
			s += " (condition: " + b.Condition + ")"
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
