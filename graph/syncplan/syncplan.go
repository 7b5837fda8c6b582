// Package syncplan holds the rules by which a sync replaces a scope's stored
// rows with a snapshot: which rows are written, which stay as they are,
// which are removed, which are kept stale, and how a finding's lifecycle
// moves (first seen, last seen, resolved, stale). Both stores
// (graph/embedded and graph/neo4j) ask it row by row and carry the answers
// out in their own way; graph/storetest checks that the outcome is the same.
//
// The package is pure: no I/O, no store types. A store that keeps versions
// (Neo4j) may rewrite more rows than the plan asks for — a row whose node
// version changes moves with it — but never decides differently.
package syncplan

import (
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Action is what a sync does with one row.
type Action uint8

// Actions.
const (
	// Unchanged: the stored row equals the snapshot's and is neither stale
	// nor resolved; nothing is written.
	Unchanged Action = iota
	// Write: the row is new, changed, or back after being stale or
	// resolved; the snapshot's row is stored, fresh.
	Write
	// Remove: the row is missing from the snapshot in an area that was
	// read; it is deleted.
	Remove
	// KeepStale: the row is missing from the snapshot because its area
	// could not be read; the stored row is kept, flagged stale (since the
	// first sync that could not refresh it).
	KeepStale
	// Resolve: a finding missing from the snapshot; it is kept, marked
	// resolved. Findings are never removed.
	Resolve
	// StayResolved: a resolved finding still missing; nothing is written.
	StayResolved
)

var actionNames = [...]string{"unchanged", "write", "remove", "keep-stale", "resolve", "stay-resolved"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action(?)"
}

// Present decides a snapshot row against its stored copy: stored says
// whether the scope holds the row (by key), same whether the stored content
// equals the snapshot's, stale whether the stored row is flagged stale.
// A stale row that is collected again is rewritten fresh even when its
// content did not change.
func Present(stored, same, stale bool) Action {
	if stored && same && !stale {
		return Unchanged
	}
	return Write
}

// Plan is the state one sync's decisions share: the snapshot's coverage
// and node ids, the observation times, and the nodes it keeps stale.
// Decide the nodes first: whether an edge or a finding is kept depends on
// which nodes are.
type Plan struct {
	cov      graph.Coverage
	has      func(id string) bool
	seen     time.Time
	prevSeen time.Time
	kept     map[string]bool
}

// New starts the plan of a sync of snap. has reports whether the snapshot
// has a node with the id (stores index the snapshot their own way); seen is
// the sync's observation time (graph.Snapshot.ObservedAt) and prevSeen that
// of the scope's previous sync (zero when there was none).
func New(snap *graph.Snapshot, has func(id string) bool, seen, prevSeen time.Time) *Plan {
	return &Plan{cov: snap.Coverage, has: has, seen: seen, prevSeen: prevSeen, kept: map[string]bool{}}
}

// MissingNode decides a stored node the snapshot lacks: kept stale when the
// snapshot's coverage failed for its service and region (the collector could
// not see it, so its absence proves nothing), removed otherwise.
func (p *Plan) MissingNode(id, service, region string) Action {
	if p.cov.FailedFor(service, region) {
		p.kept[id] = true
		return KeepStale
	}
	return Remove
}

// KeptStale reports whether a node missing from the snapshot is kept stale
// (after MissingNode decided it).
func (p *Plan) KeptStale(id string) bool { return p.kept[id] }

// Survives reports whether a node is in the scope after the sync: in the
// snapshot, or kept stale.
func (p *Plan) Survives(id string) bool { return p.kept[id] || p.has(id) }

// MissingEdge decides a stored edge the snapshot lacks: kept stale when one
// endpoint is a node kept stale (the failed area hides the edge too) and
// both endpoints remain in the scope, so that a stale edge never dangles;
// removed otherwise.
func (p *Plan) MissingEdge(k graph.EdgeKey) Action {
	if (p.kept[k.From] || p.kept[k.To]) && p.Survives(k.From) && p.Survives(k.To) {
		return KeepStale
	}
	return Remove
}

// StaleSince is when a row kept stale became stale: since it was first
// kept (prev, when it is stale already), or since this sync.
func (p *Plan) StaleSince(prev time.Time) time.Time {
	if prev.IsZero() {
		return p.seen
	}
	return prev
}

// Life is a finding's lifecycle as stored. LastSeen zero means "seen by the
// scope's newest sync": an unchanged finding then costs no write, and a row
// that leaves that state gets the time of the sync that last saw it.
type Life struct {
	FirstSeen  time.Time
	LastSeen   time.Time
	ResolvedAt time.Time
	StaleSince time.Time
}

// PresentFinding decides a snapshot finding against its stored copy (cur
// nil: not stored) and returns its lifecycle after the sync. A finding
// that was resolved or stale and is back is reopened and keeps the age of
// its first sighting, so that a flapping misconfiguration keeps its age
// rather than looking new (mean time to remediate stays honest).
func (p *Plan) PresentFinding(cur *Life, same bool) (Action, Life) {
	if cur == nil {
		return Write, Life{FirstSeen: p.seen}
	}
	if same && cur.ResolvedAt.IsZero() && cur.StaleSince.IsZero() {
		return Unchanged, *cur
	}
	return Write, Life{FirstSeen: cur.FirstSeen}
}

// MissingFinding decides a stored finding the snapshot lacks, given its
// lifecycle and whether its resource is a node kept stale, and returns its
// lifecycle after the sync: a resolved finding stays resolved; one on a node
// kept stale is kept stale (the failed area could not confirm it); any other
// is resolved now. Both keep the time they were last seen.
func (p *Plan) MissingFinding(cur Life, resourceKeptStale bool) (Action, Life) {
	switch {
	case !cur.ResolvedAt.IsZero():
		return StayResolved, cur
	case resourceKeptStale:
		cur.StaleSince = p.StaleSince(cur.StaleSince)
		cur.LastSeen = p.lastSeen(cur.LastSeen)
		return KeepStale, cur
	default:
		cur.ResolvedAt = p.seen
		cur.StaleSince = time.Time{}
		cur.LastSeen = p.lastSeen(cur.LastSeen)
		return Resolve, cur
	}
}

// lastSeen is a finding's last sighting once this sync no longer sees it:
// the stored time, or (zero: seen by the newest sync) the previous sync's.
func (p *Plan) lastSeen(stored time.Time) time.Time {
	if stored.IsZero() {
		return p.prevSeen
	}
	return stored
}

// UnchangedScope decides a whole sync at once: when the snapshot's content
// equals what the scope's newest sync stored (sameContent, by a hash of all
// its rows) and that sync left no row stale, Present answers Unchanged for
// every snapshot row and no stored row is missing from the snapshot, so
// nothing is written, removed, kept stale or resolved; every open finding
// is seen again. A store may then record the sync without comparing rows.
func UnchangedScope(sameContent bool, staleRows int) bool {
	return sameContent && staleRows == 0
}
