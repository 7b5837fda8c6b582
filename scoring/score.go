package scoring

import (
	"cmp"
	"math"
	"slices"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/owner"
)

// Labels of a prioritised finding.
const (
	LabelOnPath    = "on an attack path"
	LabelNotOnPath = "not on an attack path"
)

// Options tune scoring. The zero value means the defaults.
type Options struct {
	// Owners resolves a finding's owner (tags, mapping file, scope
	// defaults); nil reads owner.DefaultTagKeys only.
	Owners *owner.Resolver
	// ReachCap is where the blast-radius factor saturates (default 100).
	ReachCap int
	// IncludeResolved keeps findings with a ResolvedAt time in the queue.
	IncludeResolved bool
	// Centrality, when set, is an extra priority input: an on-path
	// finding's priority rises by CentralityBonus times its value (in
	// [0,1], Centrality.ByFinding), staying within the on-path band.
	Centrality map[string]float64
}

// CentralityBonus is the most priority points centrality adds (see
// Options.Centrality and docs/scoring.md): enough to reorder findings of
// similar risk by how many attack paths run through their moves, too little
// to outrank a clearly riskier path.
const CentralityBonus = 5.0

// ScoredPath is an attack path with its risk.
type ScoredPath struct {
	paths.Path
	Risk    float64 `json:"risk"`
	Factors Factors `json:"factors"`
}

// Prioritised is one row of the risk queue: a finding with its priority.
type Prioritised struct {
	Finding *graph.Finding `json:"finding"`
	// Priority is 0-100; every finding on an attack path has 50 or more,
	// every other finding less than 50.
	Priority float64 `json:"priority"`
	OnPath   bool    `json:"on_path"`
	// Conditional is set when every kept attack path the finding enables has a conditional hop
	// (paths.Path.Conditional): the finding matters only if something the collection could not
	// decide holds (an MFA condition, a source IP, a tag the attacker would have to change).
	Conditional bool   `json:"conditional"`
	Label       string `json:"label"`
	// Paths counts the kept attack paths (Top per target) the finding enables.
	Paths     int     `json:"paths"`
	TopPathID string  `json:"top_path_id,omitempty"`
	MaxRisk   float64 `json:"max_risk"`
	SumRisk   float64 `json:"sum_risk"`
	Owner     string  `json:"owner,omitempty"`
	// Centrality is the finding's Options.Centrality value when it raised
	// the priority.
	Centrality float64 `json:"centrality,omitempty"`
	// ResourceName and ResourceType describe the finding's resource.
	ResourceName string `json:"resource_name,omitempty"`
	ResourceType string `json:"resource_type,omitempty"`
}

// Report is the scored outcome of a search.
type Report struct {
	// Paths sorted by risk, highest first.
	Paths []ScoredPath `json:"paths"`
	// Queue is every finding, in priority order: on-path findings first.
	Queue []Prioritised `json:"queue"`
	// Truncated is copied from the search: paths may be missing.
	Truncated bool `json:"truncated"`
}

// Score rates the paths of res (a search of g) and prioritises every finding
// of g.
func Score(g *graph.Graph, res *paths.Result, opts Options) *Report {
	r := &Report{Truncated: res.Truncated, Paths: make([]ScoredPath, len(res.Paths))}
	for i := range res.Paths {
		f := PathFactors(g, &res.Paths[i], opts.ReachCap)
		r.Paths[i] = ScoredPath{Path: res.Paths[i], Risk: f.Risk(), Factors: f}
	}
	// Equal risks keep the search's deterministic order (ties by position);
	// sorting indices avoids moving the wide rows.
	pord := make([]int32, len(r.Paths))
	for i := range pord {
		pord[i] = int32(i)
	}
	slices.SortFunc(pord, func(i, j int32) int {
		if c := cmp.Compare(r.Paths[j].Risk, r.Paths[i].Risk); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	sortedPaths := make([]ScoredPath, len(pord))
	for i, j := range pord {
		sortedPaths[i] = r.Paths[j]
	}
	r.Paths = sortedPaths

	type agg struct {
		n        int
		max, sum float64
		top      string
		// sure: some path the finding enables has no conditional hop
		sure bool
	}
	byFinding := make(map[string]*agg)
	for i := range r.Paths {
		p := &r.Paths[i]
		for _, fid := range p.Findings() {
			a := byFinding[fid]
			if a == nil {
				a = &agg{}
				byFinding[fid] = a
			}
			a.n++
			a.sum += p.Risk
			a.sure = a.sure || !p.Conditional
			if a.top == "" { // paths are sorted by risk: the first is the riskiest
				a.max, a.top = p.Risk, p.ID
			}
		}
	}
	r.Queue = make([]Prioritised, 0, len(g.Findings))
	for i := range g.Findings {
		f := &g.Findings[i]
		if !f.ResolvedAt.IsZero() && !opts.IncludeResolved {
			continue
		}
		row := Prioritised{Finding: f, Label: LabelNotOnPath}
		if a := byFinding[f.ID]; a != nil {
			row.OnPath, row.Label, row.Conditional = true, LabelOnPath, !a.sure
			row.Paths, row.TopPathID, row.MaxRisk, row.SumRisk = a.n, a.top, a.max, math.Round(a.sum*10)/10
		}
		row.Priority = FindingPriority(row.OnPath, row.MaxRisk, row.SumRisk, f.Severity)
		if c := opts.Centrality[f.ID]; row.OnPath && c > 0 {
			row.Centrality = c
			row.Priority = math.Round(min(100, row.Priority+CentralityBonus*min(c, 1))*10) / 10
		}
		n := g.Node(f.Resource)
		row.Owner = opts.Owners.Of(f.Resource, n).Name
		if n != nil {
			row.ResourceName, row.ResourceType = n.Name, n.NativeType
		}
		r.Queue = append(r.Queue, row)
	}
	// g.Findings is sorted by id, so breaking ties by position gives the id
	// order without comparing strings; sorting indices avoids
	// moving the wide rows.
	order := make([]int32, len(r.Queue))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &r.Queue[i], &r.Queue[j]
		if a.OnPath != b.OnPath {
			if a.OnPath {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Finding.Severity, a.Finding.Severity); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	sorted := make([]Prioritised, len(order))
	for i, j := range order {
		sorted[i] = r.Queue[j]
	}
	r.Queue = sorted
	return r
}

// FindingPriority is the priority of a finding. On an attack path:
// 50 + 0.35*maxRisk + 0.05*min(sumRisk,100) + 2.5*severity, in [50,100];
// otherwise 10*severity, in [0,40]. Severity counts 0 (info) to 4 (critical).
func FindingPriority(onPath bool, maxRisk, sumRisk float64, sev graph.Severity) float64 {
	s := float64(min(max(sev, graph.SeverityInfo), graph.SeverityCritical))
	if !onPath {
		return 10 * s
	}
	p := 50 + 0.35*min(maxRisk, 100) + 0.05*min(sumRisk, 100) + 2.5*s
	return math.Round(min(p, 100)*10) / 10
}
