// Package drift records, after each sync, which attack paths and findings
// the estate has, and compares two such observations: which paths
// appeared and disappeared and which findings opened, resolved or
// reopened between two syncs.
//
// The store keeps only the current graph of each scope, so the path set of
// an earlier sync cannot be recomputed later; an observation is therefore
// taken by the command that wrote the sync (it runs the same analysis as
// the CLI and the API) and kept in a small ledger beside the store. A path
// is identified by paths.Path.ID, the hash of its hops' edge keys, so the
// same hops re-collected give the same id.
package drift

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/scoring/owner"
)

// State is a finding's state in one observation.
type State string

// Finding states. Stale means the finding's area failed to collect in the
// last sync: the store kept it, and nothing is known about whether it was
// fixed.
const (
	Open     State = "open"
	Stale    State = "stale"
	Resolved State = "resolved"
)

// PathRecord is an attack path as one observation saw it.
type PathRecord struct {
	ID       string   `json:"id"`
	Source   string   `json:"source"`
	Target   string   `json:"target"`
	Hops     int      `json:"hops"`
	Risk     float64  `json:"risk"`
	Findings []string `json:"findings,omitempty"`
	Stale    bool     `json:"stale,omitempty"`
	// Owners are the owners of the path's findings (scoring/owner), sorted:
	// the people who can cut it.
	Owners []string `json:"owners,omitempty"`
}

// FindingRecord is a finding as one observation saw it.
type FindingRecord struct {
	ID       string         `json:"id"`
	RuleID   string         `json:"rule_id"`
	Resource string         `json:"resource"`
	Severity graph.Severity `json:"severity"`
	Title    string         `json:"title,omitempty"`
	State    State          `json:"state"`
	// Account is the resource's account, subscription or project when the
	// resource was in the graph: remediation metrics still group a finding
	// fixed by deleting its resource under the right account.
	Account string `json:"account,omitempty"`
	// Owner is the resource's owner (scoring/owner) when one is known.
	Owner string `json:"owner,omitempty"`
}

// Observation is the path set and the finding states after one sync.
type Observation struct {
	ID int64 `json:"id"` // assigned by the ledger
	// SyncID is the newest sync in the store when the observation was taken.
	SyncID int64     `json:"sync_id"`
	At     time.Time `json:"at"`
	// Truncated is copied from the search: paths may be missing, so a path
	// absent from this observation did not necessarily close.
	Truncated bool            `json:"truncated,omitempty"`
	Paths     []PathRecord    `json:"paths"`
	Findings  []FindingRecord `json:"findings"`
}

// Ref names an observation in a comparison.
type Ref struct {
	ID     int64     `json:"id"`
	SyncID int64     `json:"sync_id"`
	At     time.Time `json:"at"`
}

// Ref returns the observation's reference.
func (o *Observation) Ref() Ref { return Ref{ID: o.ID, SyncID: o.SyncID, At: o.At} }

// Changes is what changed between two observations.
type Changes struct {
	From Ref `json:"from"`
	To   Ref `json:"to"`
	// Truncated says either search was truncated: opened and closed paths
	// may include paths only the bound hid.
	Truncated        bool            `json:"truncated"`
	PathsOpened      []PathRecord    `json:"paths_opened"`
	PathsClosed      []PathRecord    `json:"paths_closed"`
	FindingsOpened   []FindingRecord `json:"findings_opened"`
	FindingsResolved []FindingRecord `json:"findings_resolved"`
	FindingsReopened []FindingRecord `json:"findings_reopened"`
	// FindingsUnverified were open and are now stale: their area failed to
	// collect, so they are not reported as resolved.
	FindingsUnverified []FindingRecord `json:"findings_unverified"`
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return len(c.PathsOpened)+len(c.PathsClosed)+len(c.FindingsOpened)+len(c.FindingsResolved)+
		len(c.FindingsReopened)+len(c.FindingsUnverified) == 0
}

// Observe turns an analysis into an observation. The analysis' graph must
// have been loaded with graph.Filter.IncludeResolved, so that resolved
// findings are seen as resolved rather than as absent.
func Observe(an *scoring.Analysis, syncID int64, at time.Time) *Observation {
	return ObserveOwned(an, nil, syncID, at)
}

// ObserveOwned is Observe with each finding's and path's owners resolved by
// owners (nil: the default owner tag keys).
func ObserveOwned(an *scoring.Analysis, owners *owner.Resolver, syncID int64, at time.Time) *Observation {
	o := &Observation{SyncID: syncID, At: at.UTC(), Paths: []PathRecord{}, Findings: []FindingRecord{}}
	if an.Report != nil {
		o.Truncated = an.Report.Truncated
		for i := range an.Report.Paths {
			p := &an.Report.Paths[i]
			o.Paths = append(o.Paths, PathRecord{ID: p.ID, Source: p.Source, Target: p.Target, Hops: len(p.Hops),
				Risk: p.Risk, Findings: p.Path.Findings(), Stale: p.Stale})
		}
	}
	if an.Graph != nil {
		for i := range an.Graph.Findings {
			f := &an.Graph.Findings[i]
			st := Open
			switch {
			case !f.ResolvedAt.IsZero():
				st = Resolved
			case f.Stale:
				st = Stale
			}
			n := an.Graph.Node(f.Resource)
			fr := FindingRecord{ID: f.ID, RuleID: f.RuleID, Resource: f.Resource, Severity: f.Severity, Title: f.Title, State: st,
				Owner: owners.Of(f.Resource, n).Name}
			if n != nil {
				fr.Account = n.Account
			}
			o.Findings = append(o.Findings, fr)
		}
	}
	byFinding := make(map[string]string, len(o.Findings))
	for _, f := range o.Findings {
		byFinding[f.ID] = f.Owner
	}
	for i := range o.Paths {
		p := &o.Paths[i]
		for _, fid := range p.Findings {
			if n := byFinding[fid]; n != "" && !slices.Contains(p.Owners, n) {
				p.Owners = append(p.Owners, n)
			}
		}
		slices.Sort(p.Owners)
	}
	slices.SortFunc(o.Paths, func(a, b PathRecord) int { return cmp.Compare(a.ID, b.ID) })
	o.Paths = slices.CompactFunc(o.Paths, func(a, b PathRecord) bool { return a.ID == b.ID })
	slices.SortFunc(o.Findings, func(a, b FindingRecord) int { return cmp.Compare(a.ID, b.ID) })
	return o
}

// Diff compares two observations, from the older to the newer.
func Diff(from, to *Observation) *Changes {
	c := &Changes{From: from.Ref(), To: to.Ref(), Truncated: from.Truncated || to.Truncated,
		PathsOpened: []PathRecord{}, PathsClosed: []PathRecord{}, FindingsOpened: []FindingRecord{},
		FindingsResolved: []FindingRecord{}, FindingsReopened: []FindingRecord{}, FindingsUnverified: []FindingRecord{}}
	before := make(map[string]bool, len(from.Paths))
	for _, p := range from.Paths {
		before[p.ID] = true
	}
	after := make(map[string]bool, len(to.Paths))
	for _, p := range to.Paths {
		after[p.ID] = true
		if !before[p.ID] {
			c.PathsOpened = append(c.PathsOpened, p)
		}
	}
	for _, p := range from.Paths {
		if !after[p.ID] {
			c.PathsClosed = append(c.PathsClosed, p)
		}
	}
	was := make(map[string]State, len(from.Findings))
	wasOwner := make(map[string]string, len(from.Findings))
	for _, f := range from.Findings {
		was[f.ID] = f.State
		wasOwner[f.ID] = f.Owner
	}
	for _, f := range to.Findings {
		prev, seen := was[f.ID]
		switch f.State {
		case Open:
			if !seen {
				c.FindingsOpened = append(c.FindingsOpened, f)
			} else if prev == Resolved {
				c.FindingsReopened = append(c.FindingsReopened, f)
			}
		case Resolved:
			if seen && prev != Resolved {
				if f.Owner == "" {
					// the resource may be gone with the finding: keep who owned it
					f.Owner = wasOwner[f.ID]
				}
				c.FindingsResolved = append(c.FindingsResolved, f)
			}
		case Stale:
			if seen && prev == Open {
				c.FindingsUnverified = append(c.FindingsUnverified, f)
			} else if !seen {
				// first seen in an area that failed since: still new to the reader
				c.FindingsOpened = append(c.FindingsOpened, f)
			} else if prev == Resolved {
				c.FindingsReopened = append(c.FindingsReopened, f)
			}
		}
	}
	return c
}

// Record takes an observation of the store as it is now and adds it to the
// ledger, unless the ledger's newest observation already saw the store's
// newest sync. It loads the graph (resolved findings included, facts left
// out), runs scoring.Analyse with search, and returns the observation kept.
func Record(ctx context.Context, st graph.Store, l *Ledger, search paths.Options, now time.Time) (*Observation, error) {
	return RecordOwned(ctx, st, l, search, nil, now)
}

// RecordOwned is Record with owners resolved by owners (see ObserveOwned).
func RecordOwned(ctx context.Context, st graph.Store, l *Ledger, search paths.Options, owners *owner.Resolver, now time.Time) (*Observation, error) {
	hist, err := st.History(ctx, graph.Scope{})
	if err != nil {
		return nil, fmt.Errorf("record changes: read sync history: %w", err)
	}
	var syncID int64
	for _, h := range hist {
		syncID = max(syncID, h.SyncID)
	}
	if last, err := l.Latest(ctx); err == nil && last.SyncID == syncID {
		return last, nil
	} else if err != nil && !errors.Is(err, ErrNoObservations) {
		return nil, err
	}
	g, err := st.Load(ctx, graph.Filter{IncludeResolved: true, SkipFacts: true})
	if err != nil {
		return nil, fmt.Errorf("record changes: load graph: %w", err)
	}
	an, err := scoring.Analyse(ctx, g, search, scoring.Options{Owners: owners})
	if err != nil {
		return nil, fmt.Errorf("record changes: %w", err)
	}
	o := ObserveOwned(an, owners, syncID, now)
	if err := l.Add(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}
