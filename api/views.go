package api

import (
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// NodeSummary is a node as lists and drawings show it.
type NodeSummary struct {
	ID          string            `json:"id"`
	Kind        graph.Kind        `json:"kind"`
	Cloud       graph.Cloud       `json:"cloud,omitempty"`
	NativeType  string            `json:"native_type,omitempty"`
	Name        string            `json:"name,omitempty"`
	Account     string            `json:"account,omitempty"`
	Region      string            `json:"region,omitempty"`
	Sensitivity graph.Sensitivity `json:"sensitivity"`
	CrownJewel  bool              `json:"crown_jewel,omitempty"`
	Stub        bool              `json:"stub,omitempty"`
	Stale       bool              `json:"stale,omitempty"`
	// Paths counts the attack paths through the node.
	Paths int `json:"paths"`
}

// NodeDetail is a node with its props (secret-like keys and the CIEM
// documents left out), tags and findings.
type NodeDetail struct {
	NodeSummary
	Service  string            `json:"service,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	Props    graph.Props       `json:"props,omitempty"`
	Findings []FindingView     `json:"findings"`
	// Degree counts the edges touching the node (facts and moves, both directions).
	Degree int `json:"degree"`
}

// EdgeView is an edge of a neighbourhood.
type EdgeView struct {
	From        string         `json:"from"`
	To          string         `json:"to"`
	Kind        graph.EdgeKind `json:"kind"`
	Family      graph.Family   `json:"family"`
	Technique   string         `json:"technique,omitempty"`
	Findings    []string       `json:"findings,omitempty"`
	Conditional bool           `json:"conditional,omitempty"`
	Stale       bool           `json:"stale,omitempty"`
}

// FindingView is a finding with its place in the risk queue.
type FindingView struct {
	graph.Finding
	Priority float64 `json:"priority"`
	OnPath   bool    `json:"on_path"`
	// Conditional: every attack path the finding enables has a conditional hop.
	Conditional bool   `json:"conditional"`
	Paths       int    `json:"paths"`
	TopPathID   string `json:"top_path_id,omitempty"`
	Owner       string `json:"owner,omitempty"`
	// ResourceName and ResourceType describe the finding's resource.
	ResourceName string `json:"resource_name,omitempty"`
	ResourceType string `json:"resource_type,omitempty"`
}

// PathSummary is one row of GET /paths.
type PathSummary struct {
	ID                string            `json:"id"`
	Source            string            `json:"source"`
	SourceName        string            `json:"source_name,omitempty"`
	SourceKind        graph.Kind        `json:"source_kind"`
	Target            string            `json:"target"`
	TargetName        string            `json:"target_name,omitempty"`
	TargetKind        graph.Kind        `json:"target_kind"`
	TargetSensitivity graph.Sensitivity `json:"target_sensitivity"`
	HopCount          int               `json:"hop_count"`
	Risk              float64           `json:"risk"`
	Likelihood        float64           `json:"likelihood"`
	Reach             int               `json:"reach"`
	FindingCount      int               `json:"finding_count"`
	Clouds            []graph.Cloud     `json:"clouds"`
	Accounts          []string          `json:"accounts"`
	Techniques        []string          `json:"techniques"`
	Stale             bool              `json:"stale,omitempty"`
	Conditional       bool              `json:"conditional,omitempty"`
}

// HopView is a hop with its one-line explanation.
type HopView struct {
	paths.Hop
	Explanation string `json:"explanation"`
}

// PathDetail is GET /paths/{id}: the path, its hops explained, the findings
// that enable it (with remediation) and the nodes along it.
type PathDetail struct {
	PathSummary
	Factors  scoring.Factors `json:"factors"`
	Hops     []HopView       `json:"hops"`
	Findings []FindingView   `json:"findings"`
	Nodes    []NodeSummary   `json:"nodes"`
	// Loops are the stretches of the path inside one cycle of mutually
	// reachable nodes (paths.Cycles): one unit, since whoever holds one
	// member holds them all.
	Loops []paths.Loop `json:"loops,omitempty"`
}

func (an *analysis) nodeSummary(n *graph.Node) NodeSummary {
	s := NodeSummary{
		ID: n.ID, Kind: n.Kind, Cloud: n.Cloud, NativeType: n.NativeType, Name: n.Name,
		Account: n.Account, Region: n.Region, Sensitivity: n.Sensitivity, CrownJewel: n.CrownJewel,
		Stub: n.Stub, Stale: n.Stale,
	}
	if i, ok := an.g.NodeIndex(n.ID); ok {
		s.Paths = int(an.nodePaths[i])
	}
	return s
}

func (an *analysis) findingView(f *graph.Finding) FindingView {
	v := FindingView{Finding: *f}
	if i, ok := an.queueIndex[f.ID]; ok {
		q := &an.report.Queue[i]
		v.Priority, v.OnPath, v.Conditional, v.Paths, v.TopPathID, v.Owner = q.Priority, q.OnPath, q.Conditional, q.Paths, q.TopPathID, q.Owner
		v.ResourceName, v.ResourceType = q.ResourceName, q.ResourceType
	}
	return v
}

func (an *analysis) pathSummary(i int32) PathSummary {
	p := &an.report.Paths[i]
	m := &an.meta[i]
	last := &p.Hops[len(p.Hops)-1]
	s := PathSummary{
		ID: p.ID, Source: p.Source, SourceName: p.Hops[0].FromName, SourceKind: p.Hops[0].FromKind,
		Target: p.Target, TargetName: last.ToName, TargetKind: last.ToKind,
		HopCount: len(p.Hops), Risk: p.Risk, Likelihood: p.Likelihood, Reach: p.Reach,
		FindingCount: len(p.Findings()), Clouds: m.clouds, Accounts: m.accounts, Techniques: m.techniques,
		Stale: p.Stale, Conditional: p.Conditional,
	}
	if n := an.g.Node(p.Target); n != nil {
		s.TargetSensitivity = n.Sensitivity
	}
	if s.Clouds == nil {
		s.Clouds = []graph.Cloud{}
	}
	if s.Accounts == nil {
		s.Accounts = []string{}
	}
	return s
}

func (an *analysis) pathDetail(i int32) PathDetail {
	p := &an.report.Paths[i]
	d := PathDetail{PathSummary: an.pathSummary(i), Factors: p.Factors, Hops: make([]HopView, len(p.Hops))}
	for h := range p.Hops {
		d.Hops[h] = HopView{Hop: p.Hops[h], Explanation: p.Hops[h].Explain()}
	}
	d.Findings = []FindingView{}
	for _, id := range p.Findings() {
		if f := an.g.Finding(id); f != nil {
			d.Findings = append(d.Findings, an.findingView(f))
		}
	}
	ids := []string{p.Source}
	for h := range p.Hops {
		ids = append(ids, p.Hops[h].To)
	}
	for _, id := range ids {
		if n := an.g.Node(id); n != nil {
			d.Nodes = append(d.Nodes, an.nodeSummary(n))
		}
	}
	d.Loops = an.cycles().Loops(an.g, &p.Path)
	return d
}

func (an *analysis) nodeDetail(n *graph.Node, f nearEdges) NodeDetail {
	d := NodeDetail{NodeSummary: an.nodeSummary(n), Service: n.Service, Tags: safeTags(n.Tags), Props: nodeProps(n.Props)}
	d.Findings = []FindingView{}
	for _, f := range an.g.FindingsOn(n.ID) {
		d.Findings = append(d.Findings, an.findingView(f))
	}
	if i, ok := an.g.NodeIndex(n.ID); ok {
		d.Degree = f.degree(i)
	}
	return d
}

func edgeView(e *graph.Edge) EdgeView {
	return EdgeView{From: e.From, To: e.To, Kind: e.Kind, Family: e.Kind.Family(), Technique: e.Technique,
		Findings: e.Findings, Conditional: e.Conditional, Stale: e.Stale}
}
