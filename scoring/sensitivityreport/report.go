// Package sensitivityreport is the data-sensitivity coverage report: every
// data store with its level and the reason it has it, the share of data
// stores nobody classified per account/subscription/project, and the
// unclassified stores an attacker already reaches listed first ("classify
// these"). It reads only the graph: the reasons are the node properties
// collector/sensitivity records at collection time.
package sensitivityreport

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Node properties written by collector/sensitivity (repeated here because the
// report side never imports a collector; graph carries them).
const (
	propSource     = "sensitivity_source"
	propRule       = "sensitivity_rule"
	propOverridden = "sensitivity_overridden"
)

// Store is one data store in the report.
type Store struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Cloud      string `json:"cloud"`
	Account    string `json:"account"`
	Level      string `json:"level"` // "none" when unclassified
	CrownJewel bool   `json:"crown_jewel"`
	Source     string `json:"source"` // tag, classifier, kind, name, collector; "" when unclassified
	Rule       string `json:"rule,omitempty"`
	Overridden string `json:"overridden,omitempty"`
	// Reachable is true when an exposure source reaches the store within
	// the search depth over attacker moves: an unclassified reachable store
	// is the end of an attack path nobody sees yet.
	Reachable bool `json:"reachable"`
	// Hops is the fewest moves from an exposure source (0 when unreachable).
	Hops int `json:"hops,omitempty"`
}

// Unclassified reports whether nothing gave the store a level.
func (s Store) Unclassified() bool { return s.Level == graph.SensitivityNone.String() && !s.CrownJewel }

// Scope is the coverage of one account, subscription or project.
type Scope struct {
	Cloud             string  `json:"cloud"`
	Account           string  `json:"account"`
	DataStores        int     `json:"data_stores"`
	Unclassified      int     `json:"unclassified"`
	UnclassifiedShare float64 `json:"unclassified_share"` // 0..1
	ReachableUnclass  int     `json:"reachable_unclassified"`
}

// Report is the whole coverage report.
type Report struct {
	DataStores   int            `json:"data_stores"`
	Unclassified int            `json:"unclassified"`
	BySource     map[string]int `json:"by_source"`
	Scopes       []Scope        `json:"scopes"`
	// Stores lists unclassified reachable stores first (fewest hops first),
	// then the other unclassified ones, then classified stores by level.
	Stores []Store `json:"stores"`
	// ClassifyFirst counts the leading Stores that are unclassified and
	// reachable.
	ClassifyFirst int  `json:"classify_first"`
	Truncated     bool `json:"truncated,omitempty"` // the reachability walk hit its budget
}

// Build computes the report over a loaded graph. maxDepth bounds the
// reachability walk (paths.DefaultMaxDepth when <= 0).
func Build(ctx context.Context, g *graph.Graph, maxDepth int) (*Report, error) {
	return FromProjection(ctx, paths.NewProjection(g), maxDepth)
}

// FromProjection is Build over a projection the caller already holds (the
// API's cached analysis).
func FromProjection(ctx context.Context, proj *paths.Projection, maxDepth int) (*Report, error) {
	if maxDepth <= 0 {
		maxDepth = paths.DefaultMaxDepth
	}
	g := proj.Graph()
	sources, _, err := proj.Endpoints(paths.Options{})
	if err != nil {
		return nil, fmt.Errorf("sensitivity report: exposure sources: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hops := make(map[int32]int)
	truncated := paths.NewWalker(proj, nil).Walk(sources, maxDepth, paths.DefaultMaxWork, func(n int32, depth int) bool {
		hops[n] = depth
		return true
	})
	rep := &Report{BySource: map[string]int{}, Truncated: truncated, Stores: []Store{}, Scopes: []Scope{}}
	scopes := map[string]*Scope{}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Stub || !n.Kind.IsDataStore() {
			continue
		}
		st := Store{ID: n.ID, Name: n.Name, Kind: string(n.Kind), Cloud: string(n.Cloud), Account: n.Account,
			Level: n.Sensitivity.String(), CrownJewel: n.CrownJewel}
		st.Source, _ = n.Props[propSource].(string)
		st.Rule, _ = n.Props[propRule].(string)
		st.Overridden, _ = n.Props[propOverridden].(string)
		if st.Source == "" && !st.Unclassified() {
			// Classified before reasons were recorded (or by a snapshot
			// file that did not pass the rules): the level is the
			// collector's, the rule unknown.
			st.Source, st.Rule = "collector", "no reason recorded"
		}
		if d, ok := hops[int32(i)]; ok {
			st.Reachable, st.Hops = true, d
		}
		rep.Stores = append(rep.Stores, st)
		key := st.Cloud + "\x00" + st.Account
		sc := scopes[key]
		if sc == nil {
			sc = &Scope{Cloud: st.Cloud, Account: st.Account}
			scopes[key] = sc
		}
		sc.DataStores++
		rep.DataStores++
		if st.Unclassified() {
			sc.Unclassified++
			rep.Unclassified++
			if st.Reachable {
				sc.ReachableUnclass++
			}
		} else {
			rep.BySource[st.Source]++
		}
	}
	for _, sc := range scopes {
		sc.UnclassifiedShare = float64(sc.Unclassified) / float64(sc.DataStores)
		rep.Scopes = append(rep.Scopes, *sc)
	}
	slices.SortFunc(rep.Scopes, func(a, b Scope) int {
		return cmp.Or(cmp.Compare(b.UnclassifiedShare, a.UnclassifiedShare), cmp.Compare(a.Cloud, b.Cloud), cmp.Compare(a.Account, b.Account))
	})
	rank := func(s Store) int {
		switch {
		case s.Unclassified() && s.Reachable:
			return 0
		case s.Unclassified():
			return 1
		}
		return 2
	}
	slices.SortFunc(rep.Stores, func(a, b Store) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if rank(a) == 0 {
			if c := cmp.Compare(a.Hops, b.Hops); c != 0 {
				return c
			}
		}
		la, _ := graph.ParseSensitivity(a.Level)
		lb, _ := graph.ParseSensitivity(b.Level)
		return cmp.Or(cmp.Compare(lb, la), cmp.Compare(a.ID, b.ID))
	})
	for _, s := range rep.Stores {
		if !s.Unclassified() || !s.Reachable {
			break
		}
		rep.ClassifyFirst++
	}
	return rep, nil
}
