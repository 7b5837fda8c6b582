package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrCorrupt is wrapped by store errors caused by a damaged store file or
// database contents (as opposed to a bad snapshot or a lost connection).
var ErrCorrupt = errors.New("store is corrupt")

// ErrNoStore is returned when a read names a store that does not exist:
// reads never create one.
var ErrNoStore = errors.New("no store")

// Store keeps the graph of every scope. Two implementations exist: the
// embedded one-file store (graph/embedded) and Neo4j (graph/neo4j); both pass
// the conformance suite in graph/storetest.
type Store interface {
	// Sync replaces the scope's graph with the snapshot atomically: readers
	// see the old or the new graph, never a mix; other scopes are untouched;
	// a failed or cancelled sync changes nothing. Nodes, edges and findings of
	// the scope missing from the snapshot are removed, except those in areas
	// the snapshot's coverage marks failed, which are kept and flagged stale.
	Sync(ctx context.Context, snap *Snapshot) (SyncResult, error)
	// SyncAllOrNothing syncs every snapshot (of distinct scopes) as Sync
	// does, but switches all the scopes to their new graphs together at the
	// end: readers see every scope old or every scope new, and a failed or
	// cancelled call leaves every scope as it was. A failure of one
	// snapshot is a *SyncError naming it. Results are in snapshot order.
	// staged, when set, is called after snapshot i's rows are written and
	// before any scope switches; an error from it aborts the whole write
	// as a failure of snapshot i would.
	SyncAllOrNothing(ctx context.Context, snaps []*Snapshot, staged func(i int) error) ([]SyncResult, error)
	// Load returns the in-memory projection of the scopes selected by filter.
	Load(ctx context.Context, filter Filter) (*Graph, error)
	// Links returns the cross-scope index (ScopeLinks) of every synced
	// scope the filter selects, as of the scope's newest sync, written with
	// the scope's projection. A scope whose index is missing, damaged or of
	// an older sync has nil Links: a reader must assume it links to
	// anything. graph/scoped reads it to load only the scopes a question
	// about one target or source can touch.
	Links(ctx context.Context, filter Filter) (map[Scope]ScopeIndex, error)
	// History returns the sync records of a scope (all scopes when zero), newest first.
	History(ctx context.Context, scope Scope) ([]SyncRecord, error)
	// Scopes lists the scopes that have been synced.
	Scopes(ctx context.Context) ([]Scope, error)
	// Stats counts the rows of the scopes the filter selects (its
	// Scopes and Clouds; the rest is ignored) as of one moment, from
	// counts the store keeps up to date in the transactions that change
	// the rows, never by loading the graph: with the zero filter the cost
	// does not grow with the estate. Scopes whose counts are missing (a
	// store written by an older breachpath) are counted from their rows.
	Stats(ctx context.Context, filter Filter, opts StatsOptions) (*Stats, error)
	// Generations records multi-scope writes (SyncAll), so that a write
	// killed half-way is reported by the next command.
	Generations
	// Close releases the store.
	Close() error
}

// Filter selects what Load returns. The zero Filter selects everything.
type Filter struct {
	Scopes []Scope // only these scopes (all when empty)
	Clouds []Cloud // only scopes of these clouds (all when empty)
	// IncludeResolved also returns findings the store has marked resolved.
	IncludeResolved bool
	// SkipFacts leaves fact edges out: only attacker moves are loaded. Path
	// search, scoring and the plan read nothing else, and facts are most
	// of the edges.
	SkipFacts bool
	// KeepFacts names fact kinds loaded even with SkipFacts (the CIEM
	// report reads group membership and trust, and no other fact). With
	// FactsOnly, a non-empty KeepFacts names the only fact kinds loaded.
	KeepFacts []EdgeKind
	// FactsOnly loads the fact edges alone: no node, no move edge, no
	// finding (SkipFacts is then ignored; KeepFacts, when set, narrows the
	// facts to its kinds). It completes a load with SkipFacts of the same
	// store contents without a second copy of what that load holds: the
	// ends of its edges are among that load's nodes (stubs included), and
	// its edges and that load's moves are together, edge for edge, a load
	// without SkipFacts (with KeepFacts, one that loads those facts).
	// Graph.Versions says which contents it read.
	FactsOnly bool
	// SkipFindings leaves findings out (Findings is empty): the CIEM report
	// and the attack-path join it makes read none.
	SkipFindings bool
}

// LoadsEdge reports whether the filter loads edges of the kind.
func (f Filter) LoadsEdge(k EdgeKind) bool {
	if f.FactsOnly {
		return !k.IsMove() && (len(f.KeepFacts) == 0 || slices.Contains(f.KeepFacts, k))
	}
	return !f.SkipFacts || k.IsMove() || slices.Contains(f.KeepFacts, k)
}

// LoadedEdgeKinds returns the edge kinds the filter loads, or nil for all.
// With FactsOnly it is nil too (every kind but the moves:
// ExcludedEdgeKinds), unless KeepFacts narrows it: then its fact kinds.
func (f Filter) LoadedEdgeKinds() []EdgeKind {
	if f.FactsOnly && len(f.KeepFacts) > 0 {
		// never nil: a KeepFacts of moves alone loads no edge
		out := []EdgeKind{}
		for _, k := range f.KeepFacts {
			if !k.IsMove() && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
		return out
	}
	if !f.SkipFacts || f.FactsOnly {
		return nil
	}
	out := MoveEdgeKinds()
	for _, k := range f.KeepFacts {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// ExcludedEdgeKinds returns the edge kinds a FactsOnly filter without
// KeepFacts leaves out (the moves), or nil. A store reading rows selects
// every kind but these, so that a kind it does not know is a fact, as
// EdgeKind.IsMove says.
func (f Filter) ExcludedEdgeKinds() []EdgeKind {
	if f.FactsOnly && len(f.KeepFacts) == 0 {
		return MoveEdgeKinds()
	}
	return nil
}

// Matches reports whether the filter selects the scope.
func (f Filter) Matches(s Scope) bool {
	if len(f.Scopes) > 0 {
		found := false
		for _, x := range f.Scopes {
			if x == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(f.Clouds) > 0 {
		for _, c := range f.Clouds {
			if c == s.Cloud {
				return true
			}
		}
		return false
	}
	return true
}

// Counts summarises one sync.
type Counts struct {
	Nodes    int `json:"nodes"`
	Edges    int `json:"edges"`
	Findings int `json:"findings"`
}

// SyncResult reports what a sync changed.
type SyncResult struct {
	SyncID   int64     `json:"sync_id"`
	Scope    Scope     `json:"scope"`
	At       time.Time `json:"at"`
	Written  Counts    `json:"written"`  // rows in the new snapshot
	Removed  Counts    `json:"removed"`  // rows of the scope no longer present
	Stale    Counts    `json:"stale"`    // rows kept because their area failed
	Resolved int       `json:"resolved"` // findings newly marked resolved
	Coverage Coverage  `json:"coverage"`
}

// SyncRecord is one entry of the sync history.
type SyncRecord struct {
	SyncResult
	Collector   string    `json:"collector,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
}

// CheckSync is what every store does before it writes a sync: the snapshot
// must exist and validate, and the context must still be live. It also
// removes secret values from the snapshot in place (RedactSecrets), so no
// store ever holds one whatever the collector did. Errors name the scope
// and wrap ErrInvalidSnapshot or the context's error.
func CheckSync(ctx context.Context, snap *Snapshot) error {
	if snap == nil {
		return fmt.Errorf("sync: %w: nil snapshot", ErrInvalidSnapshot)
	}
	snap.RedactSecrets()
	if err := snap.Validate(); err != nil {
		return fmt.Errorf("sync scope %s: %w", snap.Scope, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sync scope %s: %w", snap.Scope, err)
	}
	return nil
}

// ObservedAt is when a sync saw the snapshot's rows: its CollectedAt, or
// the sync time when the collector left it unset. First/last-seen and
// stale-since times use it.
func (s *Snapshot) ObservedAt(syncTime time.Time) time.Time {
	if s.CollectedAt.IsZero() {
		return syncTime.UTC()
	}
	return s.CollectedAt.UTC()
}
