package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/graph/scoped"
	"github.com/breachpath/breachpath/paths"
)

// openStore opens the store the global flags select for writing: Neo4j
// when --store (or BREACHPATH_NEO4J_URI) is set, the embedded file
// otherwise (created, mode 0600, when missing).
func (a *app) openStore(ctx context.Context) (graph.Store, error) {
	return a.open(ctx, false)
}

// openStoreRead opens the selected store for a read command: a missing
// embedded file is an error (graph.ErrNoStore), never a new empty store.
func (a *app) openStoreRead(ctx context.Context) (graph.Store, error) {
	return a.open(ctx, true)
}

func (a *app) open(ctx context.Context, read bool) (graph.Store, error) {
	if a.storeURI != "" {
		return a.openNeo4j(ctx)
	}
	var opts []embedded.Option
	if a.log != nil {
		opts = append(opts, embedded.WithLogger(a.log))
	}
	if read {
		opts = append(opts, embedded.WithMustExist())
	}
	st, err := embedded.Open(ctx, a.dbPath, opts...)
	if err != nil {
		return nil, err
	}
	a.checkStoreMode(a.dbPath)
	return st, nil
}

// checkStoreMode warns when the store file can be read by others — it maps
// how to breach the company — and offers to restrict it when someone is at
// the terminal to answer.
func (a *app) checkStoreMode(path string) {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return
	}
	mode := info.Mode().Perm()
	if a.interactive() {
		fmt.Fprintf(a.stderr, "The store %s can be read by other users (mode %v); it maps how to breach your estate.\nRestrict it to you (chmod 600)? [y/N] ", path, mode)
		answer, _ := bufio.NewReader(a.stdin).ReadString('\n')
		if strings.EqualFold(strings.TrimSpace(answer), "y") || strings.EqualFold(strings.TrimSpace(answer), "yes") {
			if err := restrictStoreFiles(path); err != nil {
				a.log.Warn("could not restrict the store file", "path", path, "err", err)
				return
			}
			fmt.Fprintf(a.stderr, "%s is now mode 0600.\n", path)
			return
		}
	}
	a.log.Warn("the store file can be read by other users; it maps how to breach your estate", "path", path, "mode", mode.String(),
		"fix", "chmod 600 "+path)
}

// restrictStoreFiles makes the store file and its WAL and shared-memory
// files readable by their owner only.
func restrictStoreFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// storeName describes the selected store for summaries, without credentials.
func (a *app) storeName() string {
	if a.storeURI != "" {
		u := a.storeURI
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
				u = u[:scheme+3] + u[at+1:]
			}
		}
		return u
	}
	return a.dbPath
}

// loadGraph opens the store, loads the projection and closes the store.
func (a *app) loadGraph(ctx context.Context, filter graph.Filter) (*graph.Graph, error) {
	st, err := a.openStoreRead(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	g, err := st.Load(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("load graph from %s: %w", a.storeName(), err)
	}
	return g, nil
}

// loadQuestion loads what a search with opts can touch: with --target or
// --source only the scopes of their closure over the store's cross-scope
// index (graph/scoped), otherwise, or when the index cannot answer, every
// scope the filter selects. The answer is the same either way.
func (a *app) loadQuestion(ctx context.Context, filter graph.Filter, opts paths.Options) (*graph.Graph, error) {
	if len(opts.Targets) == 0 && len(opts.Sources) == 0 {
		return a.loadGraph(ctx, filter)
	}
	st, err := a.openStoreRead(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	g, _, err := scoped.Load(ctx, st, filter, scoped.Query{Sources: opts.Sources, Targets: opts.Targets}, a.log)
	if err != nil {
		return nil, fmt.Errorf("load graph from %s: %w", a.storeName(), err)
	}
	return g, nil
}
