package graph

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// KindCount is a number of nodes or edges of one kind in one cloud.
type KindCount struct {
	Cloud Cloud  `json:"cloud"`
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// SeverityCount is a number of open findings of one severity.
type SeverityCount struct {
	Severity Severity `json:"severity"`
	Count    int      `json:"count"`
}

// ScopeStats describes one synced scope.
type ScopeStats struct {
	Scope    Scope     `json:"scope"`
	LastSync time.Time `json:"last_sync"` // when the newest sync ran
	SyncID   int64     `json:"sync_id"`
	Syncs    int       `json:"syncs"` // number of syncs recorded
}

// Stats counts the rows a store holds for the scopes a filter selects, as
// of each scope's newest sync: what `breachpath graph stats` prints.
// Stores answer it from counts kept at sync time (Store.Stats), without
// loading the graph.
type Stats struct {
	// Nodes counts nodes owned by their scope (stubs excluded) per cloud
	// and kind, ordered by cloud and kind.
	Nodes []KindCount `json:"nodes"`
	// Stubs counts stub rows: references to nodes other scopes (or nobody) own.
	Stubs int `json:"stubs"`
	// Edges counts edge rows per cloud of their scope and edge kind,
	// ordered by cloud and kind. Two scopes may hold an edge with the same
	// key: a Load of both merges them, so a loaded graph can hold fewer.
	Edges []KindCount `json:"edges"`
	// Findings counts open (unresolved) findings per severity, worst first.
	Findings []SeverityCount `json:"findings"`
	// Resolved counts findings marked resolved.
	Resolved int `json:"resolved"`
	// Stale counts rows kept from failed collections (open findings only).
	Stale Counts `json:"stale"`
	// Syncs is the number of syncs recorded for the selected scopes and
	// NewestSync the id of the newest of them, read in the same moment as
	// the counts: with the zero filter, the sync history (History of every
	// scope) the counts belong to.
	Syncs      int   `json:"syncs"`
	NewestSync int64 `json:"newest_sync"`
	// Scopes lists the selected scopes when StatsOptions.PerScope asks for it.
	Scopes []ScopeStats `json:"scopes,omitempty"`
}

// StatsOptions says what Store.Stats returns beyond the totals.
type StatsOptions struct {
	// PerScope also lists every selected scope (ScopeStats): one row per
	// scope, so the answer then grows with the number of scopes.
	PerScope bool
}

// NodeTotal is the number of owned nodes (stubs excluded).
func (s *Stats) NodeTotal() int { return sumCounts(s.Nodes) }

// EdgeTotal is the number of edge rows.
func (s *Stats) EdgeTotal() int { return sumCounts(s.Edges) }

// OpenFindings is the number of open findings.
func (s *Stats) OpenFindings() int {
	n := 0
	for _, f := range s.Findings {
		n += f.Count
	}
	return n
}

func sumCounts(cs []KindCount) int {
	n := 0
	for _, c := range cs {
		n += c.Count
	}
	return n
}

// StatsCounter accumulates Stats from rows one at a time: the reference
// every store's recorded counts are compared against (graph/storetest
// counts loaded graphs with it), and the way stores count rows they have
// no recorded counts for.
type StatsCounter struct {
	nodes, edges map[cloudKind]int
	findings     map[Severity]int
	st           Stats
}

type cloudKind struct {
	cloud Cloud
	kind  string
}

// NewStatsCounter returns an empty counter.
func NewStatsCounter() *StatsCounter {
	return &StatsCounter{nodes: map[cloudKind]int{}, edges: map[cloudKind]int{}, findings: map[Severity]int{}}
}

// AddCount adds n to one of the counts a store records, keyed as
// graph/embedded's scope_counts rows and graph/neo4j's projection counts
// are: what is node, stub, edge, finding (kind is the severity number),
// resolved, stale_node, stale_edge or stale_finding. Other keys (markers)
// are ignored; it reports whether the key was one of those.
func (c *StatsCounter) AddCount(what string, cloud Cloud, kind string, n int) bool {
	switch what {
	case "node":
		c.nodes[cloudKind{cloud, kind}] += n
	case "edge":
		c.edges[cloudKind{cloud, kind}] += n
	case "finding":
		sev, err := strconv.Atoi(kind)
		if err != nil {
			return false
		}
		c.findings[Severity(sev)] += n
	case "stub":
		c.st.Stubs += n
	case "resolved":
		c.st.Resolved += n
	case "stale_node":
		c.st.Stale.Nodes += n
	case "stale_edge":
		c.st.Stale.Edges += n
	case "stale_finding":
		c.st.Stale.Findings += n
	default:
		return false
	}
	return true
}

// AddRows counts one scope's rows as a store holds them (stubs, stale
// rows and resolved findings included); edges are counted under the
// scope's cloud.
func (c *StatsCounter) AddRows(scopeCloud Cloud, nodes []Node, edges []Edge, findings []Finding) {
	for key, n := range CountRows(scopeCloud, nodes, edges, findings) {
		c.AddCount(key.What, Cloud(key.Cloud), key.Kind, n)
	}
}

// Stats returns the counts so far, ordered as Store.Stats orders them
// (zero counts left out).
func (c *StatsCounter) Stats() *Stats {
	out := c.st
	kinds := func(m map[cloudKind]int) []KindCount {
		var l []KindCount
		for k, n := range m {
			if n != 0 {
				l = append(l, KindCount{k.cloud, k.kind, n})
			}
		}
		slices.SortFunc(l, func(a, b KindCount) int {
			return cmp.Or(cmp.Compare(a.Cloud, b.Cloud), cmp.Compare(a.Kind, b.Kind))
		})
		return l
	}
	out.Nodes, out.Edges = kinds(c.nodes), kinds(c.edges)
	for sev, n := range c.findings {
		if n != 0 {
			out.Findings = append(out.Findings, SeverityCount{sev, n})
		}
	}
	slices.SortFunc(out.Findings, func(a, b SeverityCount) int { return cmp.Compare(b.Severity, a.Severity) })
	return &out
}

// CountKey keys one recorded count (see StatsCounter.AddCount).
type CountKey struct{ What, Cloud, Kind string }

// CountRows counts what Stats reports for one scope's rows (stubs, stale
// rows and resolved findings included), keyed as stores record it. The
// "sync" key, always present with count 0, marks that the counts exist,
// even for an empty scope.
func CountRows(scopeCloud Cloud, nodes []Node, edges []Edge, findings []Finding) map[CountKey]int {
	out := map[CountKey]int{{"sync", "", ""}: 0}
	for i := range nodes {
		n := &nodes[i]
		if n.Stub {
			out[CountKey{"stub", "", ""}]++
		} else {
			out[CountKey{"node", string(n.Cloud), string(n.Kind)}]++
		}
		if n.Stale {
			out[CountKey{"stale_node", "", ""}]++
		}
	}
	for i := range edges {
		e := &edges[i]
		out[CountKey{"edge", string(scopeCloud), string(e.Kind)}]++
		if e.Stale {
			out[CountKey{"stale_edge", "", ""}]++
		}
	}
	for i := range findings {
		f := &findings[i]
		switch {
		case !f.ResolvedAt.IsZero():
			out[CountKey{"resolved", "", ""}]++
		default:
			out[CountKey{"finding", "", strconv.Itoa(int(f.Severity))}]++
			if f.Stale {
				out[CountKey{"stale_finding", "", ""}]++
			}
		}
	}
	return out
}
