package entitlement

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/breachpath/breachpath/graph"
)

// serviceWire is the stored form of a ServiceEntitlement: short keys and the
// access levels as a fixed array in Levels order, because an administrator
// holds some 450 services and a graph property is at most
// graph.MaxStringProp bytes.
type serviceWire struct {
	S  string   `json:"s"`
	L  []int    `json:"l"`
	T  int      `json:"t"`
	X  int      `json:"x,omitempty"`
	C  int      `json:"c,omitempty"`
	A  bool     `json:"a,omitempty"`
	N  []string `json:"n,omitempty"`
	SX []string `json:"sx,omitempty"`
	ST bool     `json:"st,omitempty"`
	R  []int    `json:"r,omitempty"`
}

// MarshalJSON writes the compact stored form.
func (s ServiceEntitlement) MarshalJSON() ([]byte, error) {
	w := serviceWire{S: s.Service, L: make([]int, len(Levels)), T: s.Total, X: s.Sensitive, C: s.Conditional, A: s.All,
		N: s.Actions, SX: s.SensitiveActions, ST: s.SensitiveTruncated, R: s.Sources}
	for i, l := range Levels {
		w.L[i] = s.Levels[l]
	}
	for i := len(w.L); i > 0 && w.L[i-1] == 0; i-- {
		w.L = w.L[:i-1]
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the compact stored form.
func (s *ServiceEntitlement) UnmarshalJSON(b []byte) error {
	var w serviceWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if len(w.L) > len(Levels) {
		return fmt.Errorf("service %q: %d access levels, want at most %d", w.S, len(w.L), len(Levels))
	}
	*s = ServiceEntitlement{Service: w.S, Levels: map[AccessLevel]int{}, Total: w.T, Sensitive: w.X, Conditional: w.C, All: w.A,
		Actions: w.N, SensitiveActions: w.SX, SensitiveTruncated: w.ST, Sources: w.R}
	for i, n := range w.L {
		if n != 0 {
			s.Levels[Levels[i]] = n
		}
	}
	return nil
}

// encodeEntitlements encodes e within graph.MaxStringProp: when it does not
// fit, the longest action-name lists go first (the row then says a
// least-privilege policy for that service cannot be built), then the
// sensitive-name lists.
func encodeEntitlements(id string, e *Entitlements) (string, error) {
	for {
		buf, err := json.Marshal(e)
		if err != nil {
			return "", fmt.Errorf("entitlement: encode entitlements of %s: %w", id, err)
		}
		if len(buf) <= graph.MaxStringProp {
			return string(buf), nil
		}
		i := longest(e.Services, func(s *ServiceEntitlement) int { return len(s.Actions) })
		if i < 0 {
			i = longest(e.Services, func(s *ServiceEntitlement) int { return len(s.SensitiveActions) })
			if i < 0 {
				return "", fmt.Errorf("entitlement: entitlements of %s are %d bytes without any action list (max %d)", id, len(buf), graph.MaxStringProp)
			}
			e.Services[i].SensitiveActions, e.Services[i].SensitiveTruncated = nil, true
			continue
		}
		e.Notes = append(e.Notes, "action names of "+e.Services[i].Service+" dropped to fit the graph property limit")
		e.Services[i].Actions = nil
	}
}

func longest(ss []ServiceEntitlement, size func(*ServiceEntitlement) int) int {
	best, at := 0, -1
	for i := range ss {
		if n := size(&ss[i]); n > best {
			best, at = n, i
		}
	}
	return at
}

// encodeUsage encodes u within graph.MaxStringProp, dropping the per-action
// lists of the services with the most tracked actions when it does not fit
// (those services then count at service level).
func encodeUsage(id string, u *UsageData) (string, error) {
	u.Services = slices.Clone(u.Services)
	for {
		buf, err := json.Marshal(u)
		if err != nil {
			return "", fmt.Errorf("entitlement: encode usage of %s: %w", id, err)
		}
		if len(buf) <= graph.MaxStringProp {
			return string(buf), nil
		}
		best, at := 0, -1
		for i, s := range u.Services {
			if len(s.Actions) > best {
				best, at = len(s.Actions), i
			}
		}
		if at < 0 {
			return "", fmt.Errorf("entitlement: usage of %s is %d bytes without per-action lists (max %d)", id, len(buf), graph.MaxStringProp)
		}
		u.Services[at].Actions, u.Services[at].ActionLevel = nil, false
	}
}

// Decode reads a node's PropEntitlements; nil when absent.
func Decode(n *graph.Node) (*Entitlements, error) {
	return decodeProp(n, PropEntitlements, func(e *Entitlements) int { return e.Version })
}

// DecodeUsage reads a node's PropLastAccessed; nil when absent.
func DecodeUsage(n *graph.Node) (*UsageData, error) {
	return decodeProp(n, PropLastAccessed, func(u *UsageData) int { return u.Version })
}

// decodeProp reads the JSON document in a node's prop and checks its version.
func decodeProp[T any](n *graph.Node, prop string, version func(*T) int) (*T, error) {
	s, ok := n.Props[prop].(string)
	if !ok || s == "" {
		return nil, nil
	}
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("entitlement: %s: decode %s: %w", n.ID, prop, err)
	}
	if got := version(&v); got != Version {
		return nil, fmt.Errorf("entitlement: %s: %s version %d, want %d (re-collect)", n.ID, prop, got, Version)
	}
	return &v, nil
}

// Annotate records entitlements and usage on the nodes they belong to (by
// node id), so that a stored graph carries what the CIEM report needs. Nodes without
// an entry are left as they are; a nil usage entry leaves usage unknown.
func Annotate(nodes []graph.Node, ents map[string]*Entitlements, usage map[string]*UsageData) error {
	for i := range nodes {
		n := &nodes[i]
		if e, ok := ents[n.ID]; ok && e != nil {
			e.Version = Version
			v, err := encodeEntitlements(n.ID, e)
			if err != nil {
				return err
			}
			if n.Props == nil {
				n.Props = graph.Props{}
			}
			n.Props[PropEntitlements] = v
		}
		if u, ok := usage[n.ID]; ok && u != nil {
			u.Version = Version
			v, err := encodeUsage(n.ID, u)
			if err != nil {
				return err
			}
			if n.Props == nil {
				n.Props = graph.Props{}
			}
			n.Props[PropLastAccessed] = v
		}
	}
	return nil
}
