package notify

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver the stores use too
)

// Sent is what one sink was last told about one subject.
type Sent struct {
	State string // open or resolved
	// Ref is what the sink needs later: the Jira issue key, or a closed
	// path's source and target for its message.
	Ref string
	// Dead is set when the delivery finally failed and went to the dead
	// letter file instead: it is not sent again on its own.
	Dead bool
}

// State remembers, per sink, what was sent, so that a restart sends
// nothing twice. It is one SQLite file, mode 0600 (it names the estate's
// attack paths).
type State struct {
	db *sql.DB
}

// OpenState opens (creating when missing) the sent-state file.
func OpenState(ctx context.Context, path string) (*State, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open notification state: %w", err)
	}
	f.Close()
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", uri+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("open notification state %s: %w", path, err)
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS sent (
			sink TEXT NOT NULL,
			subject TEXT NOT NULL,
			state TEXT NOT NULL,
			ref TEXT NOT NULL DEFAULT '',
			dead INTEGER NOT NULL DEFAULT 0,
			event TEXT NOT NULL,
			at INTEGER NOT NULL,
			PRIMARY KEY (sink, subject))`,
		`CREATE TABLE IF NOT EXISTS sink (
			name TEXT PRIMARY KEY,
			baseline_observation INTEGER NOT NULL,
			at INTEGER NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("open notification state %s: %w", path, err)
		}
	}
	return &State{db: db}, nil
}

// Close releases the file.
func (s *State) Close() error { return s.db.Close() }

// Known reports whether the sink has run before (has a baseline).
func (s *State) Known(ctx context.Context, sink string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sink WHERE name = ?`, sink).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read notification state: %w", err)
	}
	return n > 0, nil
}

// Load returns what the sink was sent, by subject.
func (s *State) Load(ctx context.Context, sink string) (map[string]Sent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT subject, state, ref, dead FROM sent WHERE sink = ?`, sink)
	if err != nil {
		return nil, fmt.Errorf("read notification state: %w", err)
	}
	defer rows.Close()
	out := map[string]Sent{}
	for rows.Next() {
		var subj string
		var st Sent
		if err := rows.Scan(&subj, &st.State, &st.Ref, &st.Dead); err != nil {
			return nil, fmt.Errorf("read notification state: %w", err)
		}
		out[subj] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read notification state: %w", err)
	}
	return out, nil
}

// Baseline records every event as sent without sending it: the first run
// of a sink starts from what exists.
func (s *State) Baseline(ctx context.Context, sink string, observation int64, events []Event, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	defer tx.Rollback()
	for i := range events {
		if err := mark(ctx, tx, sink, &events[i], events[i].ref(), false, now); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO sink(name, baseline_observation, at) VALUES (?, ?, ?)`,
		sink, observation, now.UnixNano()); err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	return nil
}

// Mark records delivered (or dead-lettered) events, in one transaction.
func (s *State) Mark(ctx context.Context, sink string, events []Event, refs []string, dead bool, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	defer tx.Rollback()
	for i := range events {
		ref := events[i].ref()
		if i < len(refs) && refs[i] != "" {
			ref = refs[i]
		}
		if err := mark(ctx, tx, sink, &events[i], ref, dead, now); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO sink(name, baseline_observation, at) VALUES (?, 0, ?)`,
		sink, now.UnixNano()); err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	return nil
}

func mark(ctx context.Context, tx *sql.Tx, sink string, e *Event, ref string, dead bool, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sent(sink, subject, state, ref, dead, event, at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(sink, subject) DO UPDATE SET state = excluded.state,
			ref = CASE WHEN excluded.ref = '' THEN sent.ref ELSE excluded.ref END,
			dead = excluded.dead, event = excluded.event, at = excluded.at`,
		sink, e.subject, stateAfter(e.Kind), ref, dead, e.ID, now.UnixNano())
	if err != nil {
		return fmt.Errorf("write notification state: %w", err)
	}
	return nil
}

// ref is what the state keeps of an event for later: a path's ends.
func (e *Event) ref() string {
	if e.Path != nil && e.Path.Source != "" {
		return e.Path.Source + "\x00" + e.Path.Target
	}
	return ""
}
