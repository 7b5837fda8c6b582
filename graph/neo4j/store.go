// Package neo4j is the Neo4j graph store (Neo4j 5, Bolt, through
// neo4j-go-driver/v5). It passes the same conformance suite as the embedded
// store (graph/storetest) and keeps the graph in a schema analysts can query
// with Cypher; docs/neo4j-schema.md describes it.
//
// Rows are versioned by a validity range of sync ids: a row written by sync
// N carries sync_from = N, and the sync that replaces or removes it sets
// sync_to. Each scope has one :Scope node whose `active` property is the id
// of its last committed sync; a reader at version v sees exactly the rows
// with sync_from <= v < sync_to. A sync therefore writes only what changed,
// invisibly, then moves the pointer in one small transaction, then deletes
// the rows it superseded. See sync.go for the protocol and its recovery.
package neo4j

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	neoconfig "github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/breachpath/breachpath/graph"
)

// DefaultBatchSize is the number of rows per write statement; a write
// transaction carries up to four statements (txBatches). Swept on the dev
// server (docs/benchmarks-neo4j.md, 1k/5k/10k/20k): 5k was the fastest or
// within noise of it in every run, 1k pays more commits and 20k builds
// transactions whose state presses on the server's 1 GiB heap.
const DefaultBatchSize = 5000

// DefaultSyncWorkers is the default Options.SyncWorkers. A write
// transaction runs on one server thread, and on the 2-core dev server two
// concurrent scope syncs used both cores (docs/benchmarks-neo4j.md); more
// would only queue on a server of that size.
const DefaultSyncWorkers = 2

// DefaultDatabase is the database breachpath uses unless Options.Database
// says otherwise (Neo4j Community has exactly one user database, "neo4j").
const DefaultDatabase = "neo4j"

// Options configure Open.
type Options struct {
	// User and Password authenticate with basic auth. Both empty means no
	// authentication (a server with dbms.security.auth_enabled=false); a
	// password with an empty user authenticates as "neo4j".
	User     string
	Password string
	// Database is the Neo4j database (default "neo4j").
	Database string
	// BatchSize is the number of rows per write statement (default
	// DefaultBatchSize).
	BatchSize int
	// SyncWorkers is how many scopes graph.SyncAll writes at once (default
	// DefaultSyncWorkers). Syncs of different scopes touch disjoint rows, so
	// the server commits them on separate threads; syncs of one scope are
	// always serialised.
	SyncWorkers int
	// Namespace isolates several breachpath graphs in one database (tests,
	// staging next to production): it prefixes every scope key, so that
	// "aws:123" becomes "<namespace>/aws:123". Empty (the default) is what
	// analysts' Cypher expects. Letters, digits, '-' and '_' only.
	Namespace string
	// ConnectTimeout bounds the TCP connect and the connectivity check at
	// Open (default 10s).
	ConnectTimeout time.Duration
	// MaxRetryTime bounds how long the driver retries a transaction that
	// failed transiently (lost connection, deadlock, leader switch) before
	// the operation fails (default 30s).
	MaxRetryTime time.Duration
	// Logger receives one line per sync (default slog.Default()).
	Logger *slog.Logger
}

// Store is the Neo4j graph store. It is safe for concurrent use: syncs of
// different scopes run at once, syncs of one scope are serialised within a
// process, and syncs of the same scope from several processes are fenced
// so that the last one to start wins and the others fail cleanly (see
// sync.go).
type Store struct {
	driver neo.DriverWithContext
	db     string
	ns     string
	batch  int
	target string // the URI without credentials, for messages
	log    *slog.Logger

	workers int
	// collectMax is the largest scope whose current nodes a sync reads as
	// one list (collectMaxRows; tests lower it to cover the other path).
	collectMax int

	// stats counts how loads read scopes (from the projection or row by row)
	stats loadStats
	// rowsOnly makes Load ignore the projections and store none: tests
	// compare a load from projections with one from rows
	rowsOnly bool

	// scopeMu serialises this process's syncs of one scope (other processes
	// are fenced, see sync.go); syncs of different scopes run at once.
	scopeMu    sync.Mutex
	scopeLocks map[string]*sync.Mutex
	now        func() time.Time
}

var (
	_ graph.Store          = (*Store)(nil)
	_ graph.ParallelSyncer = (*Store)(nil)
)

var namespaceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// schemaStatements create the constraints and indexes the store relies on.
// Every statement is idempotent, so Open runs them each time.
var schemaStatements = []string{
	// A node version is unique per scope, id and the sync that wrote it: the
	// same id may exist in several scopes (a stub here, the owned node there)
	// and, during a sync, in two versions of one scope.
	`CREATE CONSTRAINT bp_resource_version IF NOT EXISTS FOR (n:Resource) REQUIRE (n.scope, n.id, n.sync_from) IS UNIQUE`,
	`CREATE CONSTRAINT bp_finding_version IF NOT EXISTS FOR (f:Finding) REQUIRE (f.scope, f.id, f.sync_from) IS UNIQUE`,
	`CREATE CONSTRAINT bp_scope_key IF NOT EXISTS FOR (s:Scope) REQUIRE s.key IS UNIQUE`,
	`CREATE CONSTRAINT bp_sync_record IF NOT EXISTS FOR (y:SyncRecord) REQUIRE (y.ns, y.id) IS UNIQUE`,
	`CREATE CONSTRAINT bp_meta_ns IF NOT EXISTS FOR (m:BreachpathMeta) REQUIRE m.ns IS UNIQUE`,
	`CREATE CONSTRAINT bp_scope_projection IF NOT EXISTS FOR (p:ScopeProjection) REQUIRE p.key IS UNIQUE`,
	`CREATE CONSTRAINT bp_stats_totals IF NOT EXISTS FOR (t:StatsTotals) REQUIRE t.key IS UNIQUE`,
	// Writes look rows up by id (then filter by scope and version); loads
	// and repairs scan a scope.
	`CREATE INDEX bp_resource_id IF NOT EXISTS FOR (n:Resource) ON (n.id)`,
	`CREATE INDEX bp_resource_scope IF NOT EXISTS FOR (n:Resource) ON (n.scope)`,
	`CREATE INDEX bp_finding_id IF NOT EXISTS FOR (f:Finding) ON (f.id)`,
	`CREATE INDEX bp_finding_scope IF NOT EXISTS FOR (f:Finding) ON (f.scope)`,
	`CREATE INDEX bp_sync_scope IF NOT EXISTS FOR (y:SyncRecord) ON (y.scope)`,
}

// Open connects to the Neo4j server at uri (neo4j://, neo4j+s://,
// neo4j+ssc://, bolt://, bolt+s:// or bolt+ssc://), checks that it answers
// and creates the constraints and indexes the store needs. Errors are one
// line, name the server and never include the password.
func Open(ctx context.Context, uri string, opts Options) (*Store, error) {
	target, err := checkURI(uri)
	if err != nil {
		return nil, err
	}
	fail := func(err error) error { return fmt.Errorf("connect to neo4j at %s: %s", target, oneLine(err)) }
	if opts.Namespace != "" && !namespaceRE.MatchString(opts.Namespace) {
		return nil, fmt.Errorf("neo4j namespace %q: want 1-64 letters, digits, '-' or '_'", opts.Namespace)
	}
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("neo4j batch size %d: must be positive", opts.BatchSize)
	}
	if opts.SyncWorkers < 0 {
		return nil, fmt.Errorf("neo4j sync workers %d: must be positive", opts.SyncWorkers)
	}
	s := &Store{db: opts.Database, ns: opts.Namespace, batch: opts.BatchSize, workers: opts.SyncWorkers,
		target: target, log: opts.Logger, now: time.Now, scopeLocks: map[string]*sync.Mutex{}, collectMax: collectMaxRows}
	if s.workers == 0 {
		s.workers = DefaultSyncWorkers
	}
	if s.db == "" {
		s.db = DefaultDatabase
	}
	if s.batch == 0 {
		s.batch = DefaultBatchSize
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	timeout := opts.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	retry := opts.MaxRetryTime
	if retry <= 0 {
		retry = 30 * time.Second
	}
	auth := neo.NoAuth()
	if opts.User != "" || opts.Password != "" {
		user := opts.User
		if user == "" {
			user = "neo4j"
		}
		auth = neo.BasicAuth(user, opts.Password, "")
	}
	drv, err := neo.NewDriverWithContext(uri, auth, func(c *neoconfig.Config) {
		c.SocketConnectTimeout = timeout
		c.ConnectionAcquisitionTimeout = 2 * timeout
		// a sync is a sequence of transactions: one connection does, plus
		// headroom for concurrent loads
		c.MaxConnectionPoolSize = 16
		c.MaxTransactionRetryTime = retry
	})
	if err != nil {
		return nil, fail(err)
	}
	s.driver = drv
	vctx, cancel := context.WithTimeout(ctx, 2*timeout)
	defer cancel()
	if err := drv.VerifyConnectivity(vctx); err != nil {
		drv.Close(context.WithoutCancel(ctx))
		return nil, fail(describe(err, opts.User))
	}
	if err := s.createSchema(ctx, retry); err != nil {
		drv.Close(context.WithoutCancel(ctx))
		return nil, fail(describe(err, opts.User))
	}
	return s, nil
}

// checkURI validates the scheme and host and returns the URI without any
// user information, for messages.
func checkURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("neo4j uri %q: want scheme://host:port, for example bolt://127.0.0.1:7687", redact(uri))
	}
	if u.User != nil {
		return "", fmt.Errorf("neo4j uri %s: credentials in the URI are not accepted; use the user and password options", redact(uri))
	}
	switch u.Scheme {
	case "neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc":
	default:
		return "", fmt.Errorf("neo4j uri %s: unsupported scheme %q (want neo4j, neo4j+s, neo4j+ssc, bolt, bolt+s or bolt+ssc)", redact(uri), u.Scheme)
	}
	return u.Scheme + "://" + u.Host, nil
}

// redact drops anything that could be a password from a URI that is being
// reported as invalid.
func redact(uri string) string {
	if i := strings.Index(uri, "@"); i >= 0 {
		if j := strings.Index(uri, "://"); j >= 0 && j < i {
			return uri[:j+3] + "***@" + uri[i+1:]
		}
		return "***@" + uri[i+1:]
	}
	return uri
}

// describe turns driver errors into what an operator needs to know.
func describe(err error, user string) error {
	var ne *neo.Neo4jError
	if errors.As(err, &ne) {
		switch {
		case ne.Code == "Neo.ClientError.Security.Unauthorized":
			if user == "" {
				user = "neo4j"
			}
			return fmt.Errorf("authentication failed for user %q (wrong user or password)", user)
		case ne.Code == "Neo.ClientError.Security.AuthenticationRateLimit":
			return errors.New("too many failed authentication attempts; the server refuses logins for a while")
		case ne.Code == "Neo.ClientError.Database.DatabaseNotFound":
			return fmt.Errorf("database not found: %s", ne.Msg)
		}
		return fmt.Errorf("%s: %s", ne.Code, ne.Msg)
	}
	var ce *neo.ConnectivityError
	if errors.As(err, &ce) {
		return fmt.Errorf("server unreachable: %v", ce.Inner)
	}
	return err
}

// oneLine keeps an error on one line: driver errors sometimes span several.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// ignorableSchemaError reports an error of a concurrent Open that created the
// same constraint or index first.
func ignorableSchemaError(err error) bool {
	var ne *neo.Neo4jError
	return errors.As(err, &ne) && strings.HasPrefix(ne.Code, "Neo.ClientError.Schema.") &&
		(strings.HasSuffix(ne.Code, "AlreadyExists") || strings.Contains(ne.Code, "Equivalent"))
}

// schemaNameRE finds the name a schema statement creates.
var schemaNameRE = regexp.MustCompile(`^CREATE (?:CONSTRAINT|INDEX) (\w+) IF NOT EXISTS`)

// schemaInPlace reports whether every constraint and index of
// schemaStatements exists and is online (a constraint's own index has the
// constraint's name): one read, where creating them takes a statement
// each, which every command would otherwise pay at Open. Any doubt (an
// error, a missing or populating index) is a no.
func (s *Store) schemaInPlace(ctx context.Context, sess neo.SessionWithContext) bool {
	online := map[string]bool{}
	err := s.readAll(ctx, sess, `SHOW INDEXES YIELD name, state RETURN name, state`, nil, func(v []any) error {
		name, _ := v[0].(string)
		state, _ := v[1].(string)
		online[name] = state == "ONLINE"
		return nil
	})
	if err != nil {
		return false
	}
	for _, q := range schemaStatements {
		m := schemaNameRE.FindStringSubmatch(q)
		if m == nil || !online[m[1]] {
			return false
		}
	}
	return true
}

func (s *Store) createSchema(ctx context.Context, retry time.Duration) error {
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	if s.schemaInPlace(ctx, sess) {
		return nil
	}
	for _, q := range schemaStatements {
		// schema commands must run in their own auto-commit transaction
		if err := runSchemaStatement(ctx, sess, q, retry); err != nil && !ignorableSchemaError(err) {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if err := runSchemaStatement(ctx, sess, `CALL db.awaitIndexes(300)`, retry); err != nil {
		return fmt.Errorf("wait for indexes: %w", err)
	}
	return nil
}

// runSchemaStatement runs one auto-commit statement, retrying transient
// errors: schema commands of processes opening the same database at once take
// the label locks in different orders and the server breaks the deadlock by
// failing one of them, which a retry resolves. Auto-commit transactions get no
// retries from the driver, unlike ExecuteWrite.
func runSchemaStatement(ctx context.Context, sess neo.SessionWithContext, q string, retry time.Duration) error {
	deadline := time.Now().Add(retry)
	wait := 50 * time.Millisecond
	for {
		res, err := sess.Run(ctx, q, nil)
		if err == nil {
			_, err = res.Consume(ctx)
		}
		if err == nil || !neo.IsRetryable(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// Close releases the driver's connections.
func (s *Store) Close() error {
	if err := s.driver.Close(context.Background()); err != nil {
		return fmt.Errorf("close neo4j %s: %s", s.target, oneLine(err))
	}
	return nil
}

// SyncParallelism is how many scopes graph.SyncAll syncs at once.
func (s *Store) SyncParallelism() int { return s.workers }

// lockScope serialises syncs of one scope within this process.
func (s *Store) lockScope(key string) func() {
	s.scopeMu.Lock()
	m, ok := s.scopeLocks[key]
	if !ok {
		m = &sync.Mutex{}
		s.scopeLocks[key] = m
	}
	s.scopeMu.Unlock()
	m.Lock()
	return m.Unlock
}

// Namespace returns the namespace the store was opened with.
func (s *Store) Namespace() string { return s.ns }

func (s *Store) session(ctx context.Context, mode neo.AccessMode) neo.SessionWithContext {
	return s.driver.NewSession(ctx, neo.SessionConfig{DatabaseName: s.db, AccessMode: mode, FetchSize: 10000})
}

// scopeKey is the value of the scope property of every row of a scope.
func (s *Store) scopeKey(sc graph.Scope) string { return scopeKeyIn(s.ns, sc) }

// scopeKeyIn is the scope key of sc in namespace ns.
func scopeKeyIn(ns string, sc graph.Scope) string {
	if ns == "" {
		return sc.String()
	}
	return ns + "/" + sc.String()
}

// storeErr turns a driver error into a one-line error with the server named.
func (s *Store) storeErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, graph.ErrCorrupt) || errors.Is(err, errSuperseded) {
		return err
	}
	return fmt.Errorf("neo4j at %s: %s", s.target, oneLine(describe(err, "")))
}

// Purge deletes every row of the store's namespace: nodes, edges, findings,
// sync history and the scope and counter nodes. Tests use it to leave a
// shared server clean; operators use it to drop a namespace.
func (s *Store) Purge(ctx context.Context) error {
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	var keys []string
	err := s.readAll(ctx, sess, `MATCH (s:Scope {ns: $ns}) RETURN s.key`, map[string]any{"ns": s.ns}, func(v []any) error {
		k, _ := v[0].(string)
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return fmt.Errorf("purge: %w", s.storeErr(err))
	}
	run := func(q string, p map[string]any) error {
		for {
			out, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
				rec, err := single(ctx, tx, q, p)
				if err != nil {
					return nil, err
				}
				n, _ := rec.Values[0].(int64)
				return n, nil
			})
			if err != nil {
				return err
			}
			if out.(int64) == 0 {
				return nil
			}
		}
	}
	b := int64(s.batch)
	for _, k := range keys {
		p := map[string]any{"sk": k, "batch": b}
		for _, q := range []string{
			`MATCH (f:Finding {scope: $sk}) WITH f LIMIT $batch DETACH DELETE f RETURN count(*)`,
			`MATCH (n:Resource {scope: $sk}) WITH n LIMIT $batch DETACH DELETE n RETURN count(*)`,
		} {
			if err := run(q, p); err != nil {
				return fmt.Errorf("purge scope %s: %w", k, s.storeErr(err))
			}
		}
	}
	p := map[string]any{"ns": s.ns, "batch": b}
	for _, q := range []string{
		`MATCH (y:SyncRecord {ns: $ns}) WITH y LIMIT $batch DELETE y RETURN count(*)`,
		`MATCH (s:Scope {ns: $ns}) WITH s LIMIT $batch DELETE s RETURN count(*)`,
		`MATCH (p:ScopeProjection {ns: $ns}) WITH p LIMIT $batch DELETE p RETURN count(*)`,
		`MATCH (t:StatsTotals {ns: $ns}) WITH t LIMIT $batch DELETE t RETURN count(*)`,
		`MATCH (m:BreachpathMeta {ns: $ns}) WITH m LIMIT $batch DELETE m RETURN count(*)`,
	} {
		if err := run(q, p); err != nil {
			return fmt.Errorf("purge: %w", s.storeErr(err))
		}
	}
	return nil
}
