// Package embedded is the default breachpath store: the whole graph of every
// scope in one SQLite file (pure Go, modernc.org/sqlite) in WAL mode, so that
// readers keep working while a sync writes.
//
// Layout: nodes, edges and findings are rows keyed by (scope, id); identity
// and the columns the store filters or aggregates on are SQL columns, the
// rest is one JSON document per row (see codec.go). Every row carries a
// content hash so that a re-sync rewrites only what changed.
package embedded

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/breachpath/breachpath/graph"
)

// DefaultPath is where the CLI keeps the store unless --db says otherwise.
const DefaultPath = "./breachpath.db"

// SchemaVersion is the layout version this package writes. Open refuses a
// file with a newer version rather than guessing at its layout.
const SchemaVersion = 5

// Store is the embedded one-file graph store. It is safe for concurrent use.
type Store struct {
	path string
	db   *sql.DB
	log  *slog.Logger
	// syncMu serializes this process's syncs; SQLite allows one writer and
	// queueing here is cheaper than spinning on the busy handler.
	syncMu sync.Mutex

	// now is the clock; tests replace it.
	now func() time.Time
}

var _ graph.Store = (*Store)(nil)

type options struct {
	mustExist   bool
	busyTimeout time.Duration
	syncFull    bool
	logger      *slog.Logger
	cacheKiB    int
}

// Option configures Open.
type Option func(*options)

// WithBusyTimeout sets how long a write waits for another process's sync to
// finish before failing (default 60s: a large scope takes tens of seconds).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithSynchronousFull makes every committed sync survive power loss, at the
// cost of an fsync per commit. The default (NORMAL, in WAL mode) already
// survives a crash of the process; on power loss it can lose the last
// syncs but never corrupts the file. The store is a cache of cloud state a
// re-sync rebuilds, so NORMAL is the right default.
func WithSynchronousFull() Option { return func(o *options) { o.syncFull = true } }

// WithMustExist makes Open fail with graph.ErrNoStore instead of creating a
// missing file: reads never create a store (a typo in --db would otherwise
// answer "no attack paths" from an empty new file).
func WithMustExist() Option { return func(o *options) { o.mustExist = true } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithCacheSize sets SQLite's page cache per connection in KiB (default 32 MiB).
func WithCacheSize(kib int) Option { return func(o *options) { o.cacheKiB = kib } }

// Open opens the store file at path, creating it (mode 0600: it maps how to
// breach the company) and its schema if it does not exist. A file that is
// not a breachpath store is refused with an error wrapping graph.ErrCorrupt
// and is never modified.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: 60 * time.Second, logger: slog.Default(), cacheKiB: 32 << 10}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	recovering, err := prepareFile(path, o.mustExist)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sync := "NORMAL"
	if o.syncFull {
		sync = "FULL"
	}
	q := []string{
		"_pragma=busy_timeout(" + strconv.FormatInt(o.busyTimeout.Milliseconds(), 10) + ")",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(" + sync + ")",
		"_pragma=cache_size(-" + strconv.Itoa(o.cacheKiB) + ")",
		"_pragma=temp_store(MEMORY)",
		// the WAL grows to the size of the largest sync; give the space back after
		"_pragma=journal_size_limit(67108864)",
		// writes take the write lock at BEGIN: a sync reads before it writes, and
		// upgrading a read transaction fails outright if another process wrote
		// in between. Read-only transactions (Load) stay deferred.
		"_txlock=immediate",
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?"+strings.Join(q, "&"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{path: path, db: db, log: o.logger, now: time.Now}
	if recovering {
		if err := s.recoverWAL(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if err := s.initSchema(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// WAL only once the file is known to be ours: the switch rewrites the
	// header. The mode is persistent, so every later connection inherits it.
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: switch to WAL journal: %w", path, wrapDBErr(err))
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("open %s: switch to WAL journal: still in %s mode", path, mode)
	}
	return s, nil
}

// SyncParallelism lets graph.SyncAll hand the store two scopes at a time.
// SQLite has one writer and Sync serialises the writes, but validating,
// normalising and hashing a snapshot need no database and run before the
// lock, so the next scope is prepared on the second core while one writes.
// Memory stays bounded by two scopes, not the estate.
func (s *Store) SyncParallelism() int { return 2 }

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close releases the store. It waits for in-flight operations to return
// their connections, and SQLite checkpoints the WAL into the main file when
// the last connection closes.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// fileURI turns a path into an SQLite file: URI so that '?' and '#' in a
// path cannot be taken for the query string.
func fileURI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path)
}

// sqliteHeader is the magic string every SQLite 3 database file starts with.
const sqliteHeader = "SQLite format 3\x00"

// prepareFile creates a new store file with mode 0600, or checks that an
// existing one looks like an intact SQLite database, before SQLite ever
// touches it: SQLite would happily turn an empty-looking path into a new
// database, and its errors on a foreign file are cryptic.
//
// recovering says the main file is shorter than its header says while a
// write-ahead log is present: a checkpoint ran out of disk space after
// writing the header. The committed pages are all in the WAL, so SQLite
// recovers the file from it on open (recoverWAL); refusing it would turn a
// full disk into a lost store.
func prepareFile(path string, mustExist bool) (recovering bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if mustExist {
			return false, fmt.Errorf("%w: %s does not exist (a read never creates a store; collect or demo first, or name another with --db)", graph.ErrNoStore, path)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return false, fmt.Errorf("create store file: %w", err)
		}
		return false, f.Close()
	}
	if err != nil {
		return false, err
	}
	if fi.IsDir() {
		return false, errors.New("is a directory, not a store file")
	}
	if fi.Size() == 0 {
		return false, nil // a file we (or someone) created and never filled: nothing to lose
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:16]) != sqliteHeader {
		return false, corrupt("not a breachpath store (file is not a database)")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return false, corrupt(fmt.Sprintf("not a breachpath store (bad page size %d in the database header)", pageSize))
	}
	// The header's page count is trustworthy only when the version-valid-for
	// number matches the change counter (SQLite file format, section 1.3.7).
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if binary.BigEndian.Uint32(h[24:28]) == binary.BigEndian.Uint32(h[92:96]) && pages > 0 && fi.Size() < pages*pageSize {
		if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
			return true, nil
		}
		return false, corrupt(fmt.Sprintf("database file is truncated (%d of %d bytes)", fi.Size(), pages*pageSize))
	}
	return false, nil
}

// recoverWAL brings a store whose main file is short (see prepareFile) back
// from its write-ahead log: SQLite replays the log on the first read, a
// checkpoint writes it into the main file when the disk has room again, and
// a quick check proves the result whole before anything else touches it.
// With the disk still full the checkpoint cannot finish; the store is then
// served from the log and a warning says so.
func (s *Store) recoverWAL(ctx context.Context) error {
	var busy, logFrames, done int
	err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
	switch {
	case err != nil:
		s.log.Warn("store recovered from its write-ahead log, but the checkpoint into the main file failed (disk full?): free space and open it again",
			"path", s.path, "err", err)
	case busy != 0:
		s.log.Warn("store recovered from its write-ahead log; another process kept the checkpoint from finishing", "path", s.path)
	default:
		s.log.Info("store recovered from its write-ahead log after an interrupted checkpoint", "path", s.path, "frames", logFrames)
	}
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&check); err != nil {
		return fmt.Errorf("recover from the write-ahead log: %w", wrapDBErr(err))
	}
	if check != "ok" {
		return corrupt("recovered from the write-ahead log but damaged: " + check)
	}
	return nil
}

// corruptError is a damaged or foreign file: its message reads on its own
// ("not a breachpath store (...)") and it still matches graph.ErrCorrupt.
type corruptError struct{ msg string }

func corrupt(msg string) error { return &corruptError{msg} }

func (e *corruptError) Error() string { return e.msg }

func (e *corruptError) Unwrap() error { return graph.ErrCorrupt }

// wrapDBErr marks SQLite's "this is not (or no longer) a database" errors as
// graph.ErrCorrupt so callers can tell a damaged file from other failures.
func wrapDBErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("%w: %v", graph.ErrCorrupt, err)
		}
	}
	return err
}

const schemaV1 = `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE scopes (
	id        INTEGER PRIMARY KEY,
	cloud     TEXT NOT NULL,
	ext_id    TEXT NOT NULL,
	last_sync INTEGER,          -- syncs.id of the newest sync
	last_seen INTEGER,          -- observation time (unix ns) of the newest sync
	-- rows after the newest sync (open findings), so Load can size its slices
	n_nodes    INTEGER NOT NULL DEFAULT 0,
	n_edges    INTEGER NOT NULL DEFAULT 0,
	n_findings INTEGER NOT NULL DEFAULT 0,
	UNIQUE (cloud, ext_id)
);

CREATE TABLE syncs (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	scope            INTEGER NOT NULL REFERENCES scopes(id),
	at               INTEGER NOT NULL, -- unix ns, when the sync ran
	collected_at     INTEGER,
	collector        TEXT NOT NULL,
	written_nodes    INTEGER NOT NULL,
	written_edges    INTEGER NOT NULL,
	written_findings INTEGER NOT NULL,
	removed_nodes    INTEGER NOT NULL,
	removed_edges    INTEGER NOT NULL,
	removed_findings INTEGER NOT NULL,
	stale_nodes      INTEGER NOT NULL,
	stale_edges      INTEGER NOT NULL,
	stale_findings   INTEGER NOT NULL,
	resolved         INTEGER NOT NULL,
	coverage         TEXT NOT NULL
);
CREATE INDEX syncs_by_scope ON syncs(scope, id);

-- rows are a few hundred bytes, too large for a WITHOUT ROWID table
CREATE TABLE nodes (
	scope       INTEGER NOT NULL REFERENCES scopes(id),
	id          TEXT NOT NULL,
	kind        TEXT NOT NULL,
	cloud       TEXT NOT NULL,
	stub        INTEGER NOT NULL,
	service     TEXT NOT NULL,
	region      TEXT NOT NULL,
	hash        INTEGER NOT NULL,
	stale_since INTEGER,
	doc         TEXT NOT NULL
);
CREATE UNIQUE INDEX nodes_by_key ON nodes(scope, id);

-- edge rows are mostly key: keep them once, in the primary key
CREATE TABLE edges (
	scope       INTEGER NOT NULL REFERENCES scopes(id),
	src         TEXT NOT NULL,
	kind        TEXT NOT NULL,
	dst         TEXT NOT NULL,
	technique   TEXT NOT NULL,
	hash        INTEGER NOT NULL,
	stale_since INTEGER,
	doc         TEXT NOT NULL,
	PRIMARY KEY (scope, src, kind, dst, technique)
) WITHOUT ROWID;

CREATE TABLE findings (
	scope       INTEGER NOT NULL REFERENCES scopes(id),
	id          TEXT NOT NULL,
	resource    TEXT NOT NULL,
	severity    INTEGER NOT NULL,
	hash        INTEGER NOT NULL,
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER,          -- NULL: seen by the scope's newest sync
	resolved_at INTEGER,
	stale_since INTEGER,
	doc         TEXT NOT NULL
);
CREATE UNIQUE INDEX findings_by_key ON findings(scope, id);
`

// initSchema creates the schema in a new file, or checks the version of an
// existing one.
func (s *Store) initSchema(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrapDBErr(err)
	}
	defer tx.Rollback()
	var tables int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).Scan(&tables); err != nil {
		return wrapDBErr(err)
	}
	if tables == 0 {
		if _, err := tx.ExecContext(ctx, schemaV1+schemaV2+schemaV4+schemaV5); err != nil {
			return fmt.Errorf("create schema: %w", wrapDBErr(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('schema_version', ?), ('created_at', ?)`,
			strconv.Itoa(SchemaVersion), s.now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("create schema: %w", wrapDBErr(err))
		}
		return tx.Commit()
	}
	var v string
	err = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no such table") {
			return corrupt("not a breachpath store (no schema version)")
		}
		return wrapDBErr(err)
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 1:
		return corrupt(fmt.Sprintf("not a breachpath store (schema version %q)", v))
	case n > SchemaVersion:
		return fmt.Errorf("store schema version %d is newer than this breachpath supports (%d): upgrade breachpath", n, SchemaVersion)
	case n < SchemaVersion:
		// add the projection tables; each scope's rows are read until its
		// next sync writes its projection
		upgrade := schemaV2 + schemaV4 + schemaV5
		switch n {
		case 2:
			upgrade = schemaV3 + schemaV4 + schemaV5
		case 3:
			upgrade = schemaV4 + schemaV5
		case 4:
			upgrade = schemaV5
		}
		// the estate-wide totals start from the rows already there
		upgrade += upgradeV5
		if _, err := tx.ExecContext(ctx, upgrade); err != nil {
			return fmt.Errorf("upgrade schema from version %d: %w", n, wrapDBErr(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema_version'`, strconv.Itoa(SchemaVersion)); err != nil {
			return fmt.Errorf("upgrade schema from version %d: %w", n, wrapDBErr(err))
		}
		return tx.Commit()
	}
	return nil
}

// nsTime converts a stored unix-ns column to a time (zero for NULL).
func nsTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}
