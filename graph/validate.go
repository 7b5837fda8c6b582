package graph

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidSnapshot is wrapped by every validation error so callers can
// tell bad input from store failures.
var ErrInvalidSnapshot = errors.New("invalid snapshot")

// Limits keep one hostile or broken snapshot from exhausting the machine.
const (
	MaxIDLength    = 2048
	MaxPropsPerObj = 256
	MaxStringProp  = 64 << 10
	// MaxListProp caps the bytes of one list property (all its strings
	// together; each one is also under MaxStringProp) and MaxListItems its
	// length: a list is no way around the string cap.
	MaxListProp  = 1 << 20
	MaxListItems = 16384
	// MaxNameLength caps a node's name, native type, account, region and
	// service.
	MaxNameLength = 2048
	// MaxTagsPerNode caps the tags of one node (clouds allow 50 to 64) and
	// MaxTagBytes each tag key and value.
	MaxTagsPerNode = 256
	MaxTagBytes    = 4 << 10
	// MaxTextLength caps a finding's title, evidence and remediation and
	// each evidence line of an edge; MaxEvidenceItems the lines of one edge
	// and the findings it cites, and a finding's controls.
	MaxTextLength    = 64 << 10
	MaxEvidenceItems = 1024
)

// Validate checks a snapshot before it reaches a store: known kinds, no
// duplicate ids, no dangling edges, typed properties, findings on known
// resources. The error names the first offender.
func (s *Snapshot) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrInvalidSnapshot, s.Scope, fmt.Sprintf(format, args...))
	}
	if s.Scope.Cloud == CloudNone || !s.Scope.Cloud.Valid() {
		return fmt.Errorf("%w: unknown scope cloud %q", ErrInvalidSnapshot, s.Scope.Cloud)
	}
	if s.Scope.ID == "" {
		return fmt.Errorf("%w: empty scope id", ErrInvalidSnapshot)
	}
	ids := make(map[string]int, len(s.Nodes))
	for i := range s.Nodes {
		n := &s.Nodes[i]
		switch {
		case n.ID == "":
			return fail("node %d has an empty id", i)
		case len(n.ID) > MaxIDLength:
			return fail("node %d id is %d bytes long (max %d)", i, len(n.ID), MaxIDLength)
		case !n.Kind.Valid():
			return fail("node %q has unknown kind %q", n.ID, n.Kind)
		case !n.Cloud.Valid():
			return fail("node %q has unknown cloud %q", n.ID, n.Cloud)
		case !n.Stub && n.Kind != KindInternet && n.Cloud != s.Scope.Cloud:
			return fail("node %q belongs to cloud %q, not the scope's (mark references to other clouds as stubs)", n.ID, n.Cloud)
		case !n.Sensitivity.Valid():
			return fail("node %q has invalid sensitivity %d", n.ID, int(n.Sensitivity))
		}
		if j, dup := ids[n.ID]; dup {
			return fail("duplicate node id %q (nodes %d and %d)", n.ID, j, i)
		}
		ids[n.ID] = i
		if err := validateNodeText(n); err != nil {
			return fail("node %q: %v", n.ID, err)
		}
		if err := validateProps(n.Props); err != nil {
			return fail("node %q: %v", n.ID, err)
		}
	}
	edges := make(map[EdgeKey]int, len(s.Edges))
	for i := range s.Edges {
		e := &s.Edges[i]
		// the description is built only for an error: formatting it for
		// every edge was a third of a large snapshot's validation
		desc := edgeDesc{i, e}
		switch {
		case !e.Kind.Valid():
			return fail("%s has unknown kind %q", desc, e.Kind)
		case e.From == "" || e.To == "":
			return fail("%s has an empty endpoint", desc)
		case e.Kind.IsMove() && e.Technique == "":
			return fail("%s is an attacker move without a technique", desc)
		case math.IsNaN(e.Likelihood) || e.Likelihood < 0 || e.Likelihood > 1:
			return fail("%s has likelihood %v outside [0,1]", desc, e.Likelihood)
		}
		if _, ok := ids[e.From]; !ok {
			return fail("%s is dangling: source node not in snapshot", desc)
		}
		if _, ok := ids[e.To]; !ok {
			return fail("%s is dangling: target node not in snapshot", desc)
		}
		if err := validateList("evidence", e.Evidence, MaxTextLength); err != nil {
			return fail("%s: %v", desc, err)
		}
		if len(e.Findings) > MaxEvidenceItems {
			return fail("%s cites %d findings (max %d)", desc, len(e.Findings), MaxEvidenceItems)
		}
		k := e.Key()
		if j, dup := edges[k]; dup {
			return fail("%s duplicates edge %d", desc, j)
		}
		edges[k] = i
		if err := validateProps(e.Props); err != nil {
			return fail("%s: %v", desc, err)
		}
	}
	findings := make(map[string]int, len(s.Findings))
	for i := range s.Findings {
		f := &s.Findings[i]
		switch {
		case f.ID == "":
			return fail("finding %d has an empty id", i)
		case f.RuleID == "":
			return fail("finding %q has no rule id", f.ID)
		case !f.Severity.Valid():
			return fail("finding %q has invalid severity %d", f.ID, int(f.Severity))
		case f.FixEffort < 0 || math.IsNaN(f.FixEffort) || math.IsInf(f.FixEffort, 0):
			return fail("finding %q has invalid fix effort %v", f.ID, f.FixEffort)
		case len(f.ID) > MaxIDLength || len(f.RuleID) > MaxIDLength:
			return fail("finding %q: id or rule id over %d bytes", clipID(f.ID), MaxIDLength)
		case len(f.Title) > MaxTextLength || len(f.Evidence) > MaxTextLength || len(f.Remediation) > MaxTextLength:
			return fail("finding %q: title, evidence or remediation over %d bytes", f.ID, MaxTextLength)
		}
		if err := validateList("controls", f.Controls, MaxTagBytes); err != nil {
			return fail("finding %q: %v", f.ID, err)
		}
		if _, ok := ids[f.Resource]; !ok {
			return fail("finding %q is on resource %q, which is not in the snapshot", f.ID, f.Resource)
		}
		if j, dup := findings[f.ID]; dup {
			return fail("duplicate finding id %q (findings %d and %d)", f.ID, j, i)
		}
		findings[f.ID] = i
	}
	for i := range s.Edges {
		for _, fid := range s.Edges[i].Findings {
			if _, ok := findings[fid]; !ok {
				e := &s.Edges[i]
				return fail("edge %d (%s -[%s]-> %s) cites finding %q, which is not in the snapshot", i, e.From, e.Kind, e.To, fid)
			}
		}
	}
	return nil
}

// validateNodeText checks a node's strings and tags against their caps.
func validateNodeText(n *Node) error {
	for _, f := range []struct{ name, v string }{{"name", n.Name}, {"native type", n.NativeType}, {"account", n.Account}, {"region", n.Region}, {"service", n.Service}} {
		if len(f.v) > MaxNameLength {
			return fmt.Errorf("%s is %d bytes (max %d)", f.name, len(f.v), MaxNameLength)
		}
	}
	if len(n.Tags) > MaxTagsPerNode {
		return fmt.Errorf("%d tags (max %d)", len(n.Tags), MaxTagsPerNode)
	}
	for k, v := range n.Tags {
		if len(k) > MaxTagBytes || len(v) > MaxTagBytes {
			return fmt.Errorf("tag %q: key or value over %d bytes", clipID(k), MaxTagBytes)
		}
	}
	return nil
}

// validateList checks a list of strings: at most MaxEvidenceItems for
// evidence and controls (MaxListItems for properties), each at most
// maxItem bytes, MaxListProp bytes in all.
func validateList(name string, l []string, maxItem int) error {
	maxItems := MaxEvidenceItems
	if maxItem == MaxStringProp {
		maxItems = MaxListItems
	}
	if len(l) > maxItems {
		return fmt.Errorf("%s has %d items (max %d)", name, len(l), maxItems)
	}
	total := 0
	for _, s := range l {
		if len(s) > maxItem {
			return fmt.Errorf("%s has an item of %d bytes (max %d)", name, len(s), maxItem)
		}
		total += len(s)
	}
	if total > MaxListProp {
		return fmt.Errorf("%s is %d bytes in all (max %d)", name, total, MaxListProp)
	}
	return nil
}

// clipID shortens a hostile key or id for an error message.
func clipID(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func validateProps(p Props) error {
	if len(p) > MaxPropsPerObj {
		return fmt.Errorf("%d properties (max %d)", len(p), MaxPropsPerObj)
	}
	for k, v := range p {
		switch x := v.(type) {
		case string:
			if len(x) > MaxStringProp {
				return fmt.Errorf("property %q is %d bytes (max %d)", clipID(k), len(x), MaxStringProp)
			}
		case []string:
			if err := validateList(fmt.Sprintf("property %q", clipID(k)), x, MaxStringProp); err != nil {
				return err
			}
		case bool, int64:
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("property %q is not a finite number", k)
			}
		default:
			return fmt.Errorf("property %q has unsupported type %T (want string, bool, int64, float64 or []string)", k, v)
		}
	}
	return nil
}

// NormalizeProps converts values decoded from JSON (float64 for every number,
// []any for lists) back to the typed forms Validate accepts: whole numbers
// become int64, lists of strings become []string.
func NormalizeProps(p Props) Props {
	for k, v := range p {
		switch x := v.(type) {
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				p[k] = int64(x)
			}
		case int:
			p[k] = int64(x)
		case []any:
			ss := make([]string, 0, len(x))
			ok := true
			for _, e := range x {
				s, isStr := e.(string)
				if !isStr {
					ok = false
					break
				}
				ss = append(ss, s)
			}
			if ok {
				p[k] = ss
			}
		}
	}
	return p
}

// edgeDesc names an edge in validation errors.
type edgeDesc struct {
	i int
	e *Edge
}

func (d edgeDesc) String() string {
	return fmt.Sprintf("edge %d (%s -[%s]-> %s)", d.i, d.e.From, d.e.Kind, d.e.To)
}
