package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/breachpath/breachpath/graph"
)

// The newest sync generation is one row of the meta table (key
// generation), its JSON form: only the last one is ever asked for.
const generationKey = "generation"

// BeginGeneration records that a write of these scopes starts.
func (s *Store) BeginGeneration(ctx context.Context, scopes []graph.Scope) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see Open
	if err != nil {
		return 0, fmt.Errorf("begin generation: %w", wrapDBErr(err))
	}
	defer tx.Rollback()
	last, err := readGeneration(ctx, tx)
	if err != nil {
		return 0, err
	}
	g := graph.Generation{ID: 1, Started: s.now().UTC(), Scopes: scopes}
	if last != nil {
		g.ID = last.ID + 1
	}
	if err := writeGeneration(ctx, tx, &g); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("begin generation: %w", wrapDBErr(err))
	}
	return g.ID, nil
}

// EndGeneration marks the generation complete, unless a later one began.
func (s *Store) EndGeneration(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("end generation %d: %w", id, wrapDBErr(err))
	}
	defer tx.Rollback()
	g, err := readGeneration(ctx, tx)
	if err != nil {
		return err
	}
	if g == nil || g.ID != id {
		return nil
	}
	g.Ended = s.now().UTC()
	if err := writeGeneration(ctx, tx, g); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end generation %d: %w", id, wrapDBErr(err))
	}
	return nil
}

// LastGeneration returns the newest generation, nil when none was recorded.
func (s *Store) LastGeneration(ctx context.Context) (*graph.Generation, error) {
	return readGeneration(ctx, s.db)
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func readGeneration(ctx context.Context, q querier) (*graph.Generation, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, generationKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read generation: %w", wrapDBErr(err))
	}
	var g graph.Generation
	if err := json.Unmarshal([]byte(v), &g); err != nil {
		return nil, fmt.Errorf("read generation: %w", corrupt("meta generation: "+err.Error()))
	}
	return &g, nil
}

func writeGeneration(ctx context.Context, tx *sql.Tx, g *graph.Generation) error {
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("write generation: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
		generationKey, string(b)); err != nil {
		return fmt.Errorf("write generation: %w", wrapDBErr(err))
	}
	return nil
}
