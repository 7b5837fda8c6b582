package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/collector/snapshotfile"
	"github.com/breachpath/breachpath/graph"
)

// collectFileCommand is `breachpath collect file`: snapshots converted or
// exported elsewhere, one scope per JSON file.
func (a *app) collectFileCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "file PATH...",
		Short: "Load graph snapshots from JSON files (one scope per file; a directory loads every *.json in it)",
		Long: `file loads snapshots in breachpath's snapshot format (docs/model.md): one JSON
object per file with the scope, its nodes, edges, findings and coverage. Every file
is validated before anything is stored; each file then replaces its scope
atomically, exactly like a collection of that scope would (areas its coverage
marks failed keep their previous data, flagged stale). A directory loads every
*.json in it except truth.json (the synthetic estate's ground truth).
With --all-or-nothing the files' scopes switch together once all are written.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Read and validate everything first: one bad file stores nothing.
			files, snaps, err := readSnapshotFiles(args)
			if err != nil {
				return err
			}
			classified, err := a.classify(snaps)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = graph.SyncAll(ctx, st, snaps, func(i int, res graph.SyncResult) {
				fmt.Fprintf(a.stdout, "%s  %s: %d nodes, %d edges, %d findings written; %d nodes removed; %d kept stale\n",
					snaps[i].Scope, filepath.Base(files[i]), res.Written.Nodes, res.Written.Edges, res.Written.Findings, res.Removed.Nodes, res.Stale.Nodes)
			}, a.syncOptions())
			a.printLines(classified.Lines())
			if err == nil {
				a.recordChanges(ctx, st)
			}
			var se *graph.SyncError
			if errors.As(err, &se) {
				return fmt.Errorf("sync %s from %s: %w", se.Name, files[se.Index], se.Err)
			}
			return err
		},
	}
}

// readSnapshotFiles reads and validates every snapshot file the arguments
// name (see snapshotFiles); the first bad file fails them all.
func readSnapshotFiles(args []string) ([]string, []*graph.Snapshot, error) {
	files, err := snapshotFiles(args)
	if err != nil {
		return nil, nil, err
	}
	snaps := make([]*graph.Snapshot, 0, len(files))
	for _, f := range files {
		s, err := snapshotfile.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		snaps = append(snaps, s)
	}
	return files, snaps, nil
}

// snapshotFiles expands directories into their *.json files, sorted.
func snapshotFiles(args []string) ([]string, error) {
	var out []string
	for _, p := range args {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		names, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, err
		}
		slices.Sort(names)
		for _, n := range names {
			if filepath.Base(n) != "truth.json" {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("no snapshot files in %v", args)
	}
	return out, nil
}
