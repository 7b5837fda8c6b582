package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"github.com/breachpath/breachpath/graph/secrets"
)

func (a *app) graphCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Inspect and export the stored graph",
	}
	cmd.AddCommand(a.graphStatsCommand(), a.graphExportCommand(), a.graphNeo4jImportCommand())
	return cmd
}

// scopeFlags adds the --scope and --cloud filters shared by read commands.
type scopeFlags struct {
	scopes []string
	clouds []string
}

func (f *scopeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.scopes, "scope", nil, "only these scopes (cloud:id, e.g. aws:123456789012); repeatable")
	cmd.Flags().StringSliceVar(&f.clouds, "cloud", nil, "only these clouds (aws, azure, gcp); repeatable")
}

func (f *scopeFlags) filter() (graph.Filter, error) {
	var out graph.Filter
	for _, s := range f.scopes {
		sc, err := graph.ParseScope(s)
		if err != nil {
			return out, usageErrorf("--scope: %v", err)
		}
		out.Scopes = append(out.Scopes, sc)
	}
	for _, c := range f.clouds {
		cl := graph.Cloud(c)
		if cl == graph.CloudNone || !cl.Valid() {
			return out, usageErrorf("--cloud %q: want aws, azure or gcp", c)
		}
		out.Clouds = append(out.Clouds, cl)
	}
	return out, nil
}

// graphStats are the counts `graph stats` prints: the rows the store
// holds for the selected scopes. Nodes counts nodes owned by their scope;
// Stubs counts references to nodes another scope (or nobody) owns.
type graphStats struct {
	Nodes       int                       `json:"nodes"`
	Stubs       int                       `json:"stubs"`
	Edges       int                       `json:"edges"`
	Findings    int                       `json:"findings"` // open
	NodesByKind map[string]map[string]int `json:"nodes_by_cloud_and_kind"`
	EdgesByKind map[string]int            `json:"edges_by_kind"`
	Stale       int                       `json:"stale_nodes"`
	// IncompleteWrite is the last multi-scope write when it did not finish
	// (graph.Generation): some scopes may be new and others old.
	IncompleteWrite *graph.Generation `json:"incomplete_write,omitempty"`
}

func newGraphStats() graphStats {
	return graphStats{NodesByKind: map[string]map[string]int{}, EdgesByKind: map[string]int{}}
}

func (st *graphStats) addNodes(cloud graph.Cloud, kind string, n int) {
	c := string(cloud)
	if c == "" {
		c = "global"
	}
	if st.NodesByKind[c] == nil {
		st.NodesByKind[c] = map[string]int{}
	}
	st.NodesByKind[c][kind] += n
	st.Nodes += n
}

// storeStats turns the store's counts into what `graph stats` prints.
func storeStats(s *graph.Stats) graphStats {
	st := newGraphStats()
	for _, k := range s.Nodes {
		st.addNodes(k.Cloud, k.Kind, k.Count)
	}
	for _, k := range s.Edges {
		st.EdgesByKind[k.Kind] += k.Count
	}
	st.Edges, st.Findings = s.EdgeTotal(), s.OpenFindings()
	st.Stubs, st.Stale = s.Stubs, s.Stale.Nodes
	return st
}

// stats counts the selected scopes' rows with the store's aggregate query
// (graph.Store.Stats): no store loads the graph for it.
func (a *app) stats(ctx context.Context, filter graph.Filter) (graphStats, error) {
	st, err := a.openStoreRead(ctx)
	if err != nil {
		return graphStats{}, err
	}
	defer st.Close()
	gen, err := st.LastGeneration(ctx)
	if err != nil {
		return graphStats{}, fmt.Errorf("stats of %s: %w", a.storeName(), err)
	}
	s, err := st.Stats(ctx, filter, graph.StatsOptions{})
	if err != nil {
		return graphStats{}, fmt.Errorf("stats of %s: %w", a.storeName(), err)
	}
	out := storeStats(s)
	if gen != nil && !gen.Complete() {
		out.IncompleteWrite = gen
	}
	return out, nil
}

func (a *app) graphStatsCommand() *cobra.Command {
	var sf scopeFlags
	var format string
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Node and edge counts per cloud and kind",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := sf.filter()
			if err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return usageErrorf("--format %q: want table or json", format)
			}
			st, err := a.stats(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return printStats(a.stdout, st)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func printStats(w io.Writer, st graphStats) error {
	fmt.Fprintf(w, "%d nodes, %d edges, %d findings", st.Nodes, st.Edges, st.Findings)
	if st.Stubs > 0 {
		fmt.Fprintf(w, " (and %d references to nodes other scopes or nobody own)", st.Stubs)
	}
	if st.Stale > 0 {
		fmt.Fprintf(w, " (%d stale nodes kept from failed collections)", st.Stale)
	}
	fmt.Fprintln(w)
	if st.IncompleteWrite != nil {
		termcell.Printf(w, "warning: %s\n", st.IncompleteWrite.Describe())
	}
	fmt.Fprintln(w)
	// kinds come from the store (a Neo4j store may have been written by
	// hand): the terminal rule applies to them too
	t := termcell.NewTable(w, "CLOUD", "KIND", "NODES")
	clouds := slices.Sorted(maps.Keys(st.NodesByKind))
	for _, c := range clouds {
		kinds := st.NodesByKind[c]
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			t.Row(c, k, strconv.Itoa(kinds[k]))
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t = termcell.NewTable(w, "EDGE KIND", "FAMILY", "EDGES")
	for _, k := range slices.Sorted(maps.Keys(st.EdgesByKind)) {
		t.Row(k, string(graph.EdgeKind(k).Family()), strconv.Itoa(st.EdgesByKind[k]))
	}
	return t.Flush()
}

func (a *app) graphExportCommand() *cobra.Command {
	var sf scopeFlags
	var format string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the stored graph (nodes, edges, findings) to stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := sf.filter()
			if err != nil {
				return err
			}
			if format != "json" {
				return usageErrorf("--format %q: only json is supported", format)
			}
			g, err := a.loadGraph(cmd.Context(), filter)
			if err != nil {
				return err
			}
			return writeGraphJSON(a.stdout, g)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "json", "output format: json")
	return cmd
}

// writeGraphJSON streams the graph as one JSON object, element by element,
// so a million-node export does not build a second copy in memory. Every
// element passes through the same secret redaction as ingest
// (graph.RedactNode ...): a store written before that rule, or by hand,
// still exports no secret value.
func writeGraphJSON(w io.Writer, g *graph.Graph) error {
	var sc secrets.Scrubber
	bw := &errWriter{w: w}
	enc := json.NewEncoder(bw)
	writeList := func(name string, n int, item func(int) any) {
		fmt.Fprintf(bw, "%q: [", name)
		for i := 0; i < n; i++ {
			if i > 0 {
				bw.Write([]byte(","))
			}
			bw.Write([]byte("\n  "))
			enc.Encode(item(i))
		}
		bw.Write([]byte("]"))
	}
	bw.Write([]byte("{"))
	writeList("nodes", len(g.Nodes), func(i int) any {
		n := g.Nodes[i]
		graph.RedactNode(&n, &sc)
		return &n
	})
	bw.Write([]byte(",\n"))
	writeList("edges", len(g.Edges), func(i int) any {
		e := g.Edges[i]
		graph.RedactEdge(&e, &sc)
		return &e
	})
	bw.Write([]byte(",\n"))
	writeList("findings", len(g.Findings), func(i int) any {
		f := g.Findings[i]
		graph.RedactFinding(&f, &sc)
		return &f
	})
	bw.Write([]byte("}\n"))
	return bw.err
}

// errWriter remembers the first write error so a long stream of writes can
// be checked once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
