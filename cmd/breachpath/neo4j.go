package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

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

// graphNeo4jImportCommand is `breachpath graph neo4j-import`: snapshot
// files as input files for neo4j-admin's offline importer, the fastest
// first load of a large estate into an empty Neo4j.
func (a *app) graphNeo4jImportCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "neo4j-import --out DIR PATH...",
		Short: "Write snapshot files as neo4j-admin import files (fast first load of an empty Neo4j)",
		Long: `neo4j-import writes snapshot files (one scope per file, as 'collect file' reads
them; 'demo --write-estate' writes the demo estate's) as input for Neo4j's offline
importer, in exactly the schema that syncing them into an empty database leaves
behind. The importer writes the store files directly and is many times faster
than any transactional load, which makes it the way to load a large estate the
first time. Later collections sync into the imported graph as usual.

The import REPLACES the whole database: stop Neo4j, then run in DIR

  neo4j-admin database import full --overwrite-destination @neo4j-admin.args neo4j

and start Neo4j again (docs/deploy.md shows it with docker compose;
scripts/neo4j-dev.sh import DIR does all three for the development server).
breachpath creates its constraints and indexes the first time it connects.

DIR must be empty or not exist; its files are readable by their owner only.
Every file is validated first: one bad file writes nothing. The namespace is
BREACHPATH_NEO4J_NAMESPACE, as for every other command.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErrorf("--out DIR is required")
			}
			_, snaps, err := readSnapshotFiles(args)
			if err != nil {
				return err
			}
			start := time.Now()
			sum, err := neo4j.WriteImport(cmd.Context(), out, snaps, neo4j.ImportOptions{Namespace: os.Getenv("BREACHPATH_NEO4J_NAMESPACE")})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Wrote %d files to %s in %s: %d scopes, %d nodes, %d edges, %d findings\n",
				len(sum.Files)+1, sum.Dir, time.Since(start).Round(time.Millisecond), sum.Scopes, sum.Nodes, sum.Edges, sum.Findings)
			fmt.Fprintf(a.stdout, "neo4j-admin should report %d nodes and %d relationships imported.\n", sum.DBNodes, sum.DBRelationships)
			fmt.Fprintf(a.stdout, "With Neo4j stopped, run in %s:\n  neo4j-admin database import full --overwrite-destination @%s neo4j\n", sum.Dir, neo4j.ImportArgsFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory for the import files (empty or new)")
	return cmd
}
