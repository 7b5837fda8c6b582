package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/sensitivityreport"
)

// sensitivityCommand is `breachpath sensitivity`: the data-sensitivity
// coverage report over the stored estate.
func (a *app) sensitivityCommand() *cobra.Command {
	var format string
	var maxDepth int
	cmd := &cobra.Command{
		Use:   "sensitivity",
		Short: "Data-sensitivity coverage: every data store's level and why, unclassified share per account, what to classify first",
		Long: `sensitivity lists every data store with its level and the source and rule that
gave it (docs/sensitivity.md), the share of data stores with no classification per
account/subscription/project, and first the unclassified data stores an attacker
already reaches from an exposure source: each is the end of an attack path that
stays invisible until someone classifies it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(sensitivityreport.Formats, format) {
				return usageErrorf("--format %q: want one of %s", format, strings.Join(sensitivityreport.Formats, ", "))
			}
			if maxDepth < 1 {
				return usageErrorf("--max-depth %d: want at least 1", maxDepth)
			}
			g, err := a.loadGraph(cmd.Context(), graph.Filter{})
			if err != nil {
				return err
			}
			rep, err := sensitivityreport.Build(cmd.Context(), g, maxDepth)
			if err != nil {
				return err
			}
			return sensitivityreport.Write(a.stdout, rep, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(sensitivityreport.Formats, ", "))
	cmd.Flags().IntVar(&maxDepth, "max-depth", 8, "moves from an exposure source within which a store counts as reachable")
	return cmd
}
