package graph

import (
	"context"
	"fmt"
	"time"
)

// Generation is one multi-scope write (SyncAll): the scopes it was to write,
// when it started and, once every one of them was written, when it ended.
// Each scope's sync is atomic, but a write of many scopes killed half-way
// leaves some scopes new and some old; an open generation says so.
type Generation struct {
	ID      int64     `json:"id"`
	Started time.Time `json:"started"`
	// Ended is zero while the generation is open: the write has not
	// finished, or was cut short.
	Ended  time.Time `json:"ended,omitzero"`
	Scopes []Scope   `json:"scopes"`
}

// Complete reports whether every scope of the generation was written.
func (g *Generation) Complete() bool { return !g.Ended.IsZero() }

// Describe is the one line commands print for an incomplete generation.
func (g *Generation) Describe() string {
	return fmt.Sprintf("the last write of %d scopes (generation %d, started %s) did not finish: some scopes may hold the new collection and others the previous one; run it again",
		len(g.Scopes), g.ID, g.Started.UTC().Format(time.RFC3339))
}

// Generations is how a store records multi-scope writes; both stores
// implement it (graph/storetest checks them).
type Generations interface {
	// BeginGeneration records that a write of these scopes starts and
	// returns its id; until EndGeneration, LastGeneration reports it open.
	BeginGeneration(ctx context.Context, scopes []Scope) (int64, error)
	// EndGeneration marks the generation complete. Ending a generation a
	// later one has replaced changes nothing.
	EndGeneration(ctx context.Context, id int64) error
	// LastGeneration returns the newest generation, nil when none was
	// recorded.
	LastGeneration(ctx context.Context) (*Generation, error)
}
