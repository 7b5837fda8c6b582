package main

import (
	"context"
	"errors"

	"github.com/breachpath/breachpath/graph"
)

// openNeo4j opens the Neo4j store named by --store.
func (a *app) openNeo4j(ctx context.Context) (graph.Store, error) {
	return nil, errors.New("the Neo4j store is not part of this build yet; omit --store to use the embedded file")
}
