package entitlement

import (
	"crypto/sha256"
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
// sensitive-name lists. The lists are dropped from a copy of e.Services
// (analysers share one slice between principals); the notes it adds are
// returned too.
func encodeEntitlements(id string, e *Entitlements) (string, []string, error) {
	var added []string
	cloned := false
	for {
		buf, err := json.Marshal(e)
		if err != nil {
			return "", nil, fmt.Errorf("entitlement: encode entitlements of %s: %w", id, err)
		}
		if len(buf) <= graph.MaxStringProp {
			return string(buf), added, nil
		}
		if !cloned {
			e.Services, e.Notes, cloned = slices.Clone(e.Services), slices.Clone(e.Notes), true
		}
		i := longest(e.Services, func(s *ServiceEntitlement) int { return len(s.Actions) })
		if i < 0 {
			i = longest(e.Services, func(s *ServiceEntitlement) int { return len(s.SensitiveActions) })
			if i < 0 {
				return "", nil, fmt.Errorf("entitlement: entitlements of %s are %d bytes without any action list (max %d)", id, len(buf), graph.MaxStringProp)
			}
			e.Services[i].SensitiveActions, e.Services[i].SensitiveTruncated = nil, true
			continue
		}
		note := "action names of " + e.Services[i].Service + " dropped to fit the graph property limit"
		e.Notes, added = append(e.Notes, note), append(added, note)
		e.Services[i].Actions = nil
	}
}

// minShared is the size of the shared part (services, sources, wildcards)
// from which Annotate stores it once per snapshot rather than per principal:
// below it a reference saves little and costs a lookup.
const minShared = 1 << 10

// sharedPart is what principals with the same policies hold identically.
type sharedPart struct {
	Services  []ServiceEntitlement `json:"services"`
	Sources   []Source             `json:"sources,omitempty"`
	Wildcards []Wildcard           `json:"wildcards,omitempty"`
}

// sliceKey identifies the slices of a shared part by identity: analysers
// hand principals with the same policies the same slices, so their part is
// encoded once, not once per principal.
type sliceKey struct {
	svc  *ServiceEntitlement
	nsvc int
	src  *Source
	nsrc int
	wc   *Wildcard
	nwc  int
}

func first[T any](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// sharer stores each large shared part once per snapshot: the first
// principal with it (its holder) keeps it, the others name the holder.
type sharer struct {
	bySlices map[sliceKey][sha256.Size]byte
	holders  map[[sha256.Size]byte]holder
}

type holder struct {
	id    string
	notes []string // notes the holder's fitting added, which hold for all
}

// encode encodes e, as a reference to an earlier principal's document when
// it holds the same large shared part.
func (sh *sharer) encode(id string, e *Entitlements) (string, error) {
	e.SharedFrom = ""
	sk := sliceKey{first(e.Services), len(e.Services), first(e.Sources), len(e.Sources), first(e.Wildcards), len(e.Wildcards)}
	sum, known := sh.bySlices[sk]
	if !known {
		buf, err := json.Marshal(sharedPart{e.Services, e.Sources, e.Wildcards})
		if err != nil {
			return "", fmt.Errorf("entitlement: encode entitlements of %s: %w", id, err)
		}
		if len(buf) >= minShared {
			sum = sha256.Sum256(buf)
		}
		if sk.svc != nil {
			sh.bySlices[sk] = sum
		}
	}
	if sum == ([sha256.Size]byte{}) {
		v, _, err := encodeEntitlements(id, e)
		return v, err
	}
	if h, ok := sh.holders[sum]; ok {
		ref := *e
		ref.Services, ref.Sources, ref.Wildcards, ref.SharedFrom = nil, nil, nil, h.id
		ref.Notes = append(slices.Clip(e.Notes), h.notes...)
		buf, err := json.Marshal(&ref)
		if err != nil {
			return "", fmt.Errorf("entitlement: encode entitlements of %s: %w", id, err)
		}
		return string(buf), nil
	}
	v, added, err := encodeEntitlements(id, e)
	if err != nil {
		return "", err
	}
	sh.holders[sum] = holder{id: id, notes: added}
	return v, nil
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
		u.Services[at].Actions, u.Services[at].ActionLevel, u.Services[at].Exhaustive = nil, false, false
	}
}

// Decode reads a node's PropEntitlements; nil when absent. A document that
// shares its services with another principal's (SharedFrom) needs that
// node: use DecodeWith.
func Decode(n *graph.Node) (*Entitlements, error) { return DecodeWith(n, nil) }

// DecodeWith reads a node's PropEntitlements; nil when absent. When the
// stored document shares its services, sources and wildcards with another
// principal's, lookup (graph.Graph.Node, say) finds that node and they are
// filled in from its document.
func DecodeWith(n *graph.Node, lookup func(id string) *graph.Node) (*Entitlements, error) {
	e, err := decodeProp(n, PropEntitlements, func(e *Entitlements) int { return e.Version })
	if err != nil || e == nil || e.SharedFrom == "" {
		return e, err
	}
	var h *graph.Node
	if lookup != nil {
		h = lookup(e.SharedFrom)
	}
	if h == nil {
		return nil, fmt.Errorf("entitlement: %s: shares the entitlements of %s, which is not loaded", n.ID, e.SharedFrom)
	}
	he, err := decodeProp(h, PropEntitlements, func(e *Entitlements) int { return e.Version })
	if err != nil {
		return nil, err
	}
	if he == nil || he.SharedFrom != "" {
		return nil, fmt.Errorf("entitlement: %s: shares the entitlements of %s, which holds none of its own", n.ID, e.SharedFrom)
	}
	e.Services, e.Sources, e.Wildcards, e.SharedFrom = he.Services, he.Sources, he.Wildcards, ""
	return e, nil
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
//
// Principals whose services, sources and wildcards are identical and large
// share one stored copy: the first of them (in node order) holds it, the
// others name it (Entitlements.SharedFrom), so the stored size stays linear
// in the distinct policy sets rather than in principals times services.
// Entitlements that share slices are encoded once; slices must not change
// during the call.
func Annotate(nodes []graph.Node, ents map[string]*Entitlements, usage map[string]*UsageData) error {
	sh := &sharer{bySlices: map[sliceKey][sha256.Size]byte{}, holders: map[[sha256.Size]byte]holder{}}
	for i := range nodes {
		n := &nodes[i]
		if e, ok := ents[n.ID]; ok && e != nil {
			e.Version = Version
			v, err := sh.encode(n.ID, e)
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
