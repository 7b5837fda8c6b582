package main

import (
	"context"
	"os"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/neo4j"
)

// openNeo4j opens the Neo4j store named by --store (or BREACHPATH_NEO4J_URI),
// authenticating with BREACHPATH_NEO4J_USER / BREACHPATH_NEO4J_PASSWORD.
// Credentials come only from the environment so they never show up in a
// process listing or shell history.
func (a *app) openNeo4j(ctx context.Context) (graph.Store, error) {
	return neo4j.Open(ctx, a.storeURI, neo4j.Options{
		User:      os.Getenv("BREACHPATH_NEO4J_USER"),
		Password:  os.Getenv("BREACHPATH_NEO4J_PASSWORD"),
		Database:  os.Getenv("BREACHPATH_NEO4J_DATABASE"),
		Namespace: os.Getenv("BREACHPATH_NEO4J_NAMESPACE"),
		Logger:    a.log,
	})
}
