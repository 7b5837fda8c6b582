package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
)

// Bounds of the neighbourhood and search endpoints.
const (
	maxDepth              = 3
	defaultNeighbourLimit = 100
	maxNeighbourLimit     = 2000
	defaultSearchLimit    = 20
	maxSearchLimit        = 100
	// searchScanCap bounds the matches ranked per search: a one-letter query
	// matches everything, and ranking it all buys nothing.
	searchScanCap = 5000
)

// Neighbourhood is GET /nodes/neighbourhood.
type Neighbourhood struct {
	Generation string        `json:"generation"`
	Center     string        `json:"center"`
	Depth      int           `json:"depth"`
	Nodes      []NodeSummary `json:"nodes"`
	Edges      []EdgeView    `json:"edges"`
	// Truncated says the limit stopped the walk: more nodes are around.
	Truncated bool `json:"truncated"`
}

// SearchResult is GET /search.
type SearchResult struct {
	Generation string        `json:"generation"`
	Query      string        `json:"q"`
	Items      []NodeSummary `json:"items"`
	// Truncated says more nodes matched than were returned.
	Truncated bool `json:"truncated"`
}

// Stats is GET /stats.
type Stats struct {
	Generation         string         `json:"generation"`
	ComputedAt         string         `json:"computed_at"`
	AnalysisMillis     int64          `json:"analysis_ms"`
	Nodes              int            `json:"nodes"`
	Edges              int            `json:"edges"`
	MoveEdges          int            `json:"move_edges"`
	Findings           int            `json:"findings"`
	FindingsOnPath     int            `json:"findings_on_path"`
	Paths              int            `json:"paths"`
	Truncated          bool           `json:"truncated"`
	NodesByKind        map[string]int `json:"nodes_by_kind"`
	NodesByCloud       map[string]int `json:"nodes_by_cloud"`
	FindingsBySeverity map[string]int `json:"findings_by_severity"`
	Accounts           []string       `json:"accounts"`
	// IncompleteWrite is set when the store's last multi-scope write did
	// not finish: the answers may mix new and old scopes.
	IncompleteWrite *IncompleteWrite `json:"incomplete_write,omitempty"`
}

// IncompleteWrite says that the store's last multi-scope write (a collect
// or demo of many scopes) did not finish (graph.Generation).
type IncompleteWrite struct {
	Generation int64    `json:"generation"`
	Started    string   `json:"started"`
	Scopes     []string `json:"scopes"`
	Message    string   `json:"message"`
}

// incompleteWrite asks the store for its last generation: nil when it is
// complete, none was recorded or the store cannot say (logged).
func (s *Server) incompleteWrite(ctx context.Context) *IncompleteWrite {
	g, err := s.cfg.Store.LastGeneration(ctx)
	if err != nil {
		s.log.Warn("read the last sync generation", "err", err)
		return nil
	}
	if g == nil || g.Complete() {
		return nil
	}
	w := &IncompleteWrite{Generation: g.ID, Started: g.Started.UTC().Format(time.RFC3339), Scopes: []string{}, Message: g.Describe()}
	for _, sc := range g.Scopes {
		w.Scopes = append(w.Scopes, sc.String())
	}
	return w
}

func (s *Server) getNode(c *gin.Context) { s.nodeAnswer(c, c.Param("id")) }

func (s *Server) getNodeByQuery(c *gin.Context) {
	id := c.Query("id")
	if id == "" {
		badParam(c, "id: required (the node id, URL-encoded)")
		return
	}
	s.nodeAnswer(c, id)
}

// nodeAnswer answers a node's detail; its degree counts fact edges: the
// edges on the node, from the fact stage or the scopes that hold them.
func (s *Server) nodeAnswer(c *gin.Context, id string) {
	s.near(c, id, func(ctx context.Context, an *analysis, v int32, f nearEdges) (any, error) {
		if err := f.ensure(ctx, []int32{v}); err != nil {
			return nil, err
		}
		return an.nodeDetail(&an.g.Nodes[v], f), nil
	})
}

func intParam(c *gin.Context, name string, def, lo, hi int) (int, bool) {
	v := c.Query(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		badParam(c, fmt.Sprintf("%s %q: want an integer from %d to %d", name, v, lo, hi))
		return 0, false
	}
	return n, true
}

// neighbourhood walks every edge (facts and moves, both directions)
// breadth-first from the node, up to depth hops and limit nodes.
func (s *Server) neighbourhood(c *gin.Context) {
	id := c.Query("id")
	if id == "" {
		badParam(c, "id: required (the node id, URL-encoded)")
		return
	}
	depth, ok := intParam(c, "depth", 1, 1, maxDepth)
	if !ok {
		return
	}
	limit, ok := intParam(c, "limit", defaultNeighbourLimit, 1, maxNeighbourLimit)
	if !ok {
		return
	}
	// the walk follows fact edges too: the edges near the node, from the
	// fact stage or from the scopes that hold them (near.go)
	s.near(c, id, func(ctx context.Context, an *analysis, start int32, f nearEdges) (any, error) {
		return an.walk(ctx, f, id, start, depth, limit)
	})
}

// walk is the neighbourhood of node start: breadth-first over every edge,
// depth hops and limit nodes, and every edge between the nodes kept.
func (an *analysis) walk(ctx context.Context, f nearEdges, id string, start int32, depth, limit int) (*Neighbourhood, error) {
	seen := map[int32]bool{start: true}
	order := []int32{start}
	frontier := []int32{start}
	truncated := false
walk:
	for d := 0; d < depth && len(frontier) > 0; d++ {
		if err := f.ensure(ctx, frontier); err != nil {
			return nil, err
		}
		var nextFrontier []int32
		for _, v := range frontier {
			for _, ei := range f.around(v) {
				e := f.edge(ei)
				other, _ := an.g.NodeIndex(e.To)
				if other == v {
					other, _ = an.g.NodeIndex(e.From)
				}
				if seen[other] {
					continue
				}
				if len(order) >= limit {
					truncated = true
					break walk
				}
				seen[other] = true
				order = append(order, other)
				nextFrontier = append(nextFrontier, other)
			}
		}
		frontier = nextFrontier
	}
	if err := f.ensure(ctx, order); err != nil {
		return nil, err
	}
	out := &Neighbourhood{Generation: an.generation, Center: id, Depth: depth, Truncated: truncated,
		Nodes: make([]NodeSummary, 0, len(order)), Edges: []EdgeView{}}
	for _, v := range order {
		out.Nodes = append(out.Nodes, an.nodeSummary(&an.g.Nodes[v]))
	}
	// Every edge between kept nodes, each once (it is listed at both ends).
	edgeCap := limit * 4
	for _, v := range order {
		for _, ei := range f.around(v) {
			e := f.edge(ei)
			if e.From != an.g.Nodes[v].ID {
				continue
			}
			if t, ok := an.g.NodeIndex(e.To); ok && seen[t] {
				if len(out.Edges) >= edgeCap {
					out.Truncated = true
					break
				}
				out.Edges = append(out.Edges, edgeView(e))
			}
		}
	}
	return out, nil
}

// search finds nodes whose id, name or tag contains q (case-insensitive),
// exact matches first, then nodes on more attack paths.
func (s *Server) search(c *gin.Context) {
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	if q == "" {
		badParam(c, "q: required")
		return
	}
	if len(q) > maxQueryLen {
		badParam(c, fmt.Sprintf("q is longer than %d characters", maxQueryLen))
		return
	}
	limit, ok := intParam(c, "limit", defaultSearchLimit, 1, maxSearchLimit)
	if !ok {
		return
	}
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	nodeHay, ok := s.searchIndex(c, an)
	if !ok {
		return
	}
	type hit struct {
		i     int32
		exact bool
		paths int32
	}
	var hits []hit
	truncated := false
	for i, hay := range nodeHay {
		if !strings.Contains(hay, q) {
			continue
		}
		if len(hits) == searchScanCap {
			truncated = true
			break
		}
		n := &an.g.Nodes[i]
		exact := strings.EqualFold(n.ID, q) || strings.EqualFold(n.Name, q)
		hits = append(hits, hit{int32(i), exact, an.nodePaths[int32(i)]})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.exact != b.exact {
			if a.exact {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.paths, a.paths); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	out := SearchResult{Generation: an.generation, Query: q, Items: []NodeSummary{}, Truncated: truncated || len(hits) > limit}
	for _, h := range hits[:min(limit, len(hits))] {
		out.Items = append(out.Items, an.nodeSummary(&an.g.Nodes[h.i]))
	}
	s.writeJSON(c, http.StatusOK, out)
}

// stats counts every edge, facts included, so it waits for them.
func (s *Server) stats(c *gin.Context) {
	an, f, ok := s.withFacts(c)
	if !ok {
		return
	}
	st := Stats{
		Generation: an.generation, ComputedAt: an.builtAt.UTC().Format("2006-01-02T15:04:05Z07:00"),
		AnalysisMillis: an.took.Milliseconds(), Nodes: len(an.g.Nodes), Edges: f.numEdges(),
		MoveEdges: an.proj.NumEdges(), Findings: len(an.report.Queue), FindingsOnPath: an.onPathQueue,
		Paths: len(an.report.Paths), Truncated: an.report.Truncated,
		NodesByKind: map[string]int{}, NodesByCloud: map[string]int{}, FindingsBySeverity: map[string]int{},
		Accounts: []string{},
	}
	accounts := map[string]bool{}
	for i := range an.g.Nodes {
		n := &an.g.Nodes[i]
		if n.Stub {
			continue
		}
		st.NodesByKind[string(n.Kind)]++
		if n.Cloud != graph.CloudNone {
			st.NodesByCloud[string(n.Cloud)]++
		}
		if n.Account != "" && !accounts[n.Account] {
			accounts[n.Account] = true
			st.Accounts = append(st.Accounts, n.Account)
		}
	}
	slices.Sort(st.Accounts)
	for i := range an.report.Queue {
		st.FindingsBySeverity[an.report.Queue[i].Finding.Severity.String()]++
	}
	st.IncompleteWrite = s.incompleteWrite(c.Request.Context())
	s.writeJSON(c, http.StatusOK, st)
}
