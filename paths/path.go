package paths

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// Hop is one attacker move of a path, with everything needed to explain it.
type Hop struct {
	From        string         `json:"from"` // native id (ARN, Azure resource id, GCP full resource name)
	To          string         `json:"to"`
	FromKind    graph.Kind     `json:"from_kind"`
	ToKind      graph.Kind     `json:"to_kind"`
	FromType    string         `json:"from_type,omitempty"` // native type
	ToType      string         `json:"to_type,omitempty"`
	FromName    string         `json:"from_name,omitempty"`
	ToName      string         `json:"to_name,omitempty"`
	Kind        graph.EdgeKind `json:"kind"`
	Technique   string         `json:"technique"`
	Likelihood  float64        `json:"likelihood"` // effective: default applied, conditional factor applied
	Evidence    []string       `json:"evidence,omitempty"`
	Findings    []string       `json:"findings,omitempty"`
	Conditional bool           `json:"conditional,omitempty"`
	// TagStep is a tag change the attacker makes first, as a step of this move of its own
	// (graph.PropTagStep: "<tag action> on <resource> sets <key>=<value>"); its evidence leads
	// Evidence and its finding is among Findings.
	TagStep string `json:"tag_step,omitempty"`
	// Stale is set when the edge or either endpoint could not be refreshed
	// by the last collection: the move may no longer hold.
	Stale bool `json:"stale,omitempty"`

	edge int32 // index in Graph.Edges
}

// EdgeIndex returns the position of the hop's edge in the searched graph's Edges.
func (h *Hop) EdgeIndex() int { return int(h.edge) }

// Explain renders the hop in one line: who does what to whom, how likely,
// because of which findings, proven by which facts.
func (h *Hop) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s -[", h.FromKind, display(h.From, h.FromName))
	if h.TagStep != "" {
		fmt.Fprintf(&b, "step 1: tag change %s; step 2: ", h.TagStep)
	}
	fmt.Fprintf(&b, "%s %s, p=%.2f]-> %s %s", h.Kind, h.Technique, h.Likelihood, h.ToKind, display(h.To, h.ToName))
	if h.Conditional {
		b.WriteString(" (conditional)")
	}
	if h.Stale {
		b.WriteString(" (stale)")
	}
	if len(h.Findings) > 0 {
		fmt.Fprintf(&b, "; enabled by %s", strings.Join(h.Findings, ", "))
	}
	if len(h.Evidence) > 0 {
		fmt.Fprintf(&b, "; evidence: %s", strings.Join(h.Evidence, "; "))
	}
	return b.String()
}

func display(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return name + " (" + id + ")"
}

// Path is one attack path from a source to a target.
type Path struct {
	// ID is a stable hash of the path's edge keys: the same path has the
	// same id across runs and stores.
	ID         string  `json:"id"`
	Source     string  `json:"source"`
	Target     string  `json:"target"`
	Hops       []Hop   `json:"hops"`
	Likelihood float64 `json:"likelihood"` // product of the hop likelihoods
	// Stale and Conditional are set when any hop is.
	Stale       bool `json:"stale,omitempty"`
	Conditional bool `json:"conditional,omitempty"`
	// Reach is the blast radius of the path's entry point (the node after
	// the source): how many targets are reachable from it within MaxDepth-1
	// moves. ReachTruncated says the count is a lower bound.
	Reach          int  `json:"reach"`
	ReachTruncated bool `json:"reach_truncated,omitempty"`
}

// Findings returns the distinct findings cited along the path, sorted.
func (p *Path) Findings() []string {
	var out []string
	for i := range p.Hops {
		out = append(out, p.Hops[i].Findings...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Entry returns the node the attacker lands on first.
func (p *Path) Entry() string { return p.Hops[0].To }

// Explain renders the path, one hop per line.
func (p *Path) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "path %s: %s -> %s, %d hops, likelihood %.3f", p.ID, p.Source, p.Target, len(p.Hops), p.Likelihood)
	if p.Stale {
		b.WriteString(", stale")
	}
	b.WriteByte('\n')
	for i := range p.Hops {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, p.Hops[i].Explain())
	}
	return b.String()
}

// PathID hashes edge keys into a path id.
func PathID(edgeKeys []string) string {
	h := sha256.New()
	for _, k := range edgeKeys {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	return "path:" + hex.EncodeToString(h.Sum(nil)[:10])
}

func (s *searcher) materialize(li int32) Path {
	g := s.p.g
	var edges []int32
	l := &s.labels[li]
	for ; l.edge >= 0; l = &s.labels[l.parent] {
		edges = append(edges, l.edge)
	}
	prev := -l.edge - 1 // the source
	slices.Reverse(edges)
	p := Path{Hops: make([]Hop, len(edges)), Likelihood: 1}
	keys := make([]string, len(edges))
	for i, pos := range edges {
		ei := s.p.Edge[pos]
		e := &g.Edges[ei]
		next := s.p.Targets[pos]
		from, to := &g.Nodes[prev], &g.Nodes[next]
		prev = next
		h := Hop{
			From: e.From, To: e.To,
			FromKind: from.Kind, ToKind: to.Kind,
			FromType: from.NativeType, ToType: to.NativeType,
			FromName: from.Name, ToName: to.Name,
			Kind: e.Kind, Technique: e.Technique,
			Likelihood:  EffectiveLikelihood(e), // exact, not the projection's float32 copy
			Evidence:    e.Evidence,
			Findings:    e.Findings,
			Conditional: e.Conditional,
			Stale:       e.Stale || from.Stale || to.Stale,
			edge:        ei,
		}
		h.TagStep, _ = e.Props[graph.PropTagStep].(string)
		p.Hops[i] = h
		p.Likelihood *= h.Likelihood
		p.Stale = p.Stale || h.Stale
		p.Conditional = p.Conditional || h.Conditional
		keys[i] = e.Key().String()
	}
	p.ID = PathID(keys)
	p.Source = p.Hops[0].From
	p.Target = p.Hops[len(p.Hops)-1].To
	return p
}

// sortPaths orders paths most likely first, then shorter, then by the node
// ids along them, then by id (parallel edges of different kinds).
func sortPaths(ps []Path) {
	slices.SortFunc(ps, func(a, b Path) int {
		if c := cmp.Compare(b.Likelihood, a.Likelihood); c != 0 && math.Abs(a.Likelihood-b.Likelihood) > 1e-12 {
			return c
		}
		if c := cmp.Compare(len(a.Hops), len(b.Hops)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		for i := range a.Hops {
			if c := cmp.Compare(a.Hops[i].To, b.Hops[i].To); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// filterScope keeps the paths whose target or any node along them is in
// the given clouds and accounts (each filter ignored when empty).
func filterScope(g *graph.Graph, ps []Path, clouds []graph.Cloud, accounts []string) []Path {
	if len(clouds) == 0 && len(accounts) == 0 {
		return ps
	}
	match := func(id string) bool {
		n := g.Node(id)
		return (len(clouds) == 0 || slices.Contains(clouds, n.Cloud)) &&
			(len(accounts) == 0 || slices.Contains(accounts, n.Account))
	}
	out := ps[:0]
	for _, p := range ps {
		keep := match(p.Source)
		for i := 0; !keep && i < len(p.Hops); i++ {
			keep = match(p.Hops[i].To)
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}
