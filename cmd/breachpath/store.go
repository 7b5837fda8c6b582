package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// openStore opens the store the global flags select: Neo4j when --store (or
// BREACHPATH_NEO4J_URI) is set, the embedded file otherwise.
func (a *app) openStore(ctx context.Context) (graph.Store, error) {
	if a.storeURI != "" {
		return a.openNeo4j(ctx)
	}
	st, err := embedded.Open(ctx, a.dbPath)
	if err != nil {
		return nil, err
	}
	return st, nil
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
	st, err := a.openStore(ctx)
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
