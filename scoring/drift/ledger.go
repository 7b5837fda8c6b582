package drift

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver the embedded store uses too
)

// ErrNoObservations is returned when the ledger holds no observation to
// compare.
var ErrNoObservations = errors.New("no change observations recorded yet")

// MaxBodyBytes bounds one stored observation when read back, so a damaged
// ledger cannot make a reader allocate without limit.
const MaxBodyBytes = 512 << 20

// Ledger keeps observations in one SQLite file (mode 0600: it lists the
// estate's attack paths). Observations are written whole as JSON: a
// comparison always reads two of them whole.
type Ledger struct {
	db *sql.DB
}

// OpenLedger opens (creating when missing) the ledger file at path.
func OpenLedger(ctx context.Context, path string) (*Ledger, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open change ledger: %w", err)
	}
	f.Close()
	// "file:" plus the path with the URI's own metacharacters escaped, as
	// the embedded store does: a relative path must stay relative (a
	// "file://" URL would read its first segment as a host).
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", uri+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("open change ledger %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS observation (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		sync_id INTEGER NOT NULL,
		at INTEGER NOT NULL,
		body BLOB NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open change ledger %s: %w", path, err)
	}
	return &Ledger{db: db}, nil
}

// Close releases the ledger.
func (l *Ledger) Close() error { return l.db.Close() }

// Add stores the observation and sets its ID.
func (l *Ledger) Add(ctx context.Context, o *Observation) error {
	body, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode observation: %w", err)
	}
	res, err := l.db.ExecContext(ctx, `INSERT INTO observation(sync_id, at, body) VALUES (?, ?, ?)`,
		o.SyncID, o.At.UnixNano(), body)
	if err != nil {
		return fmt.Errorf("store observation of sync %d: %w", o.SyncID, err)
	}
	if o.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("store observation of sync %d: %w", o.SyncID, err)
	}
	return nil
}

// Latest returns the newest observation.
func (l *Ledger) Latest(ctx context.Context) (*Observation, error) {
	return l.one(ctx, `SELECT id, body FROM observation ORDER BY id DESC LIMIT 1`)
}

// AtOrBefore returns the newest observation taken at or before t, or
// ErrNoObservations.
func (l *Ledger) AtOrBefore(ctx context.Context, t time.Time) (*Observation, error) {
	return l.one(ctx, `SELECT id, body FROM observation WHERE at <= ? ORDER BY at DESC, id DESC LIMIT 1`, t.UnixNano())
}

// Oldest returns the first observation.
func (l *Ledger) Oldest(ctx context.Context) (*Observation, error) {
	return l.one(ctx, `SELECT id, body FROM observation ORDER BY id LIMIT 1`)
}

// ForSync returns the newest observation that saw sync id (taken after it
// and before any later sync), or ErrNoObservations.
func (l *Ledger) ForSync(ctx context.Context, id int64) (*Observation, error) {
	return l.one(ctx, `SELECT id, body FROM observation WHERE sync_id <= ? ORDER BY sync_id DESC, id DESC LIMIT 1`, id)
}

// Each calls fn with every observation taken at or after since, oldest
// first, one at a time (a ledger can hold many large observations).
func (l *Ledger) Each(ctx context.Context, since time.Time, fn func(*Observation) error) error {
	rows, err := l.db.QueryContext(ctx, `SELECT id FROM observation WHERE at >= ? ORDER BY at, id`, since.UnixNano())
	if err != nil {
		return fmt.Errorf("read change ledger: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read change ledger: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read change ledger: %w", err)
	}
	for _, id := range ids {
		o, err := l.one(ctx, `SELECT id, body FROM observation WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (l *Ledger) one(ctx context.Context, q string, args ...any) (*Observation, error) {
	var id int64
	var body []byte
	err := l.db.QueryRowContext(ctx, q, args...).Scan(&id, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoObservations
	}
	if err != nil {
		return nil, fmt.Errorf("read change ledger: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("read change ledger: observation %d is %d bytes, over the %d cap", id, len(body), MaxBodyBytes)
	}
	var o Observation
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("read change ledger: observation %d: %w", id, err)
	}
	o.ID = id
	return &o, nil
}

// Query selects the two observations to compare: Since (relative to Now)
// or FromSync/ToSync. ToSync zero means the newest observation.
type Query struct {
	Since            time.Duration
	FromSync, ToSync int64
	Now              time.Time
}

// Compare resolves q to two observations and diffs them. With Since, the
// baseline is the newest observation at or before Now-Since, or the oldest
// one when the ledger is younger than that.
func (l *Ledger) Compare(ctx context.Context, q Query) (*Changes, error) {
	var to *Observation
	var err error
	if q.ToSync > 0 {
		to, err = l.ForSync(ctx, q.ToSync)
	} else {
		to, err = l.Latest(ctx)
	}
	if err != nil {
		return nil, err
	}
	var from *Observation
	switch {
	case q.FromSync > 0:
		from, err = l.ForSync(ctx, q.FromSync)
	default:
		from, err = l.AtOrBefore(ctx, q.Now.Add(-q.Since))
		if errors.Is(err, ErrNoObservations) {
			from, err = l.Oldest(ctx)
		}
	}
	if err != nil {
		return nil, err
	}
	if from.ID > to.ID {
		return nil, fmt.Errorf("compare changes: from (sync %d) is newer than to (sync %d)", from.SyncID, to.SyncID)
	}
	return Diff(from, to), nil
}
