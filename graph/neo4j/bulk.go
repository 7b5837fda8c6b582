package neo4j

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
	"github.com/breachpath/breachpath/graph/syncplan"
)

// The first load of a large estate is bound by how fast the server commits
// transactions (docs/benchmarks-neo4j.md). neo4j-admin's offline importer
// writes the store files directly and is an order of magnitude faster, so
// for a cold start WriteImport writes the snapshots as its CSV input, in
// exactly the schema a Sync of each snapshot into an empty database leaves
// behind. After the import the store is used as usual: Open creates the
// constraints and indexes (the importer's --schema needs the Enterprise
// block format), and later syncs are ordinary warm syncs.

// importArrayDelimiter separates list elements inside one CSV field (and
// the labels of a node). A control character, because neo4j-admin has no
// escape for the array delimiter: a value that contains it is refused.
const importArrayDelimiter = "\x1f"

// ImportArgsFile is the name of the neo4j-admin argument file WriteImport
// writes into its directory; run the import from that directory:
//
//	neo4j-admin database import full --overwrite-destination @neo4j-admin.args neo4j
const ImportArgsFile = "neo4j-admin.args"

// ImportOptions configure WriteImport.
type ImportOptions struct {
	// Namespace is the namespace of the store that will read the import
	// (Options.Namespace).
	Namespace string
	// At is the sync time recorded for every scope (default: now).
	At time.Time
}

// ImportSummary says what WriteImport wrote.
type ImportSummary struct {
	Dir      string   // the directory
	Files    []string // CSV files, relative to Dir, in argument order
	Scopes   int
	Nodes    int64 // breachpath nodes (every version is a Neo4j node)
	Edges    int64 // breachpath edges
	Findings int64
	// DBNodes and DBRelationships are what neo4j-admin should report as
	// imported: the above plus the scope, sync-record, projection, counter
	// and estate-totals nodes and the finding links.
	DBNodes         int64
	DBRelationships int64
}

// WriteImport writes the snapshots (one per scope) into dir as neo4j-admin
// import files, with the argument file ImportArgsFile. dir must be empty or
// not exist; files are created readable by the owner only (they describe
// how to breach the estate). Every snapshot is validated first; a value the
// importer cannot represent (a list element containing U+001F) fails the
// whole export with an error that names the row.
//
// The import replaces the whole database (neo4j-admin
// --overwrite-destination): it is for a first load, not for adding scopes
// to a populated graph. Each scope gets sync id i+1 in snapshot order, as if
// the snapshots had been synced one after the other into an empty database.
func WriteImport(ctx context.Context, dir string, snaps []*graph.Snapshot, opts ImportOptions) (ImportSummary, error) {
	sum := ImportSummary{Dir: dir, Scopes: len(snaps)}
	if opts.Namespace != "" && !namespaceRE.MatchString(opts.Namespace) {
		return sum, fmt.Errorf("neo4j namespace %q: want 1-64 letters, digits, '-' or '_'", opts.Namespace)
	}
	if len(snaps) == 0 {
		return sum, errors.New("neo4j import: no snapshots")
	}
	seen := map[graph.Scope]bool{}
	for _, s := range snaps {
		if err := graph.CheckSync(ctx, s); err != nil {
			return sum, err
		}
		if seen[s.Scope] {
			return sum, fmt.Errorf("neo4j import: scope %s appears twice (one snapshot per scope)", s.Scope)
		}
		seen[s.Scope] = true
	}
	if err := emptyDir(dir); err != nil {
		return sum, err
	}
	at := opts.At
	if at.IsZero() {
		at = time.Now()
	}
	x := &importer{ctx: ctx, dir: dir, ns: opts.Namespace, at: at.UTC()}
	err := x.write(snaps)
	if cerr := x.close(); err == nil {
		err = cerr
	}
	if err == nil {
		sum.Files, err = x.writeArgs()
	}
	if err != nil {
		return sum, err
	}
	sum.Nodes, sum.Edges, sum.Findings = x.nodes, x.edges, x.findings
	clouds := map[graph.Cloud]bool{} // one :StatsTotals each
	for _, snap := range snaps {
		clouds[snap.Scope.Cloud] = true
	}
	sum.DBNodes = x.nodes + x.findings + 3*int64(len(snaps)) + 1 + int64(len(clouds))
	sum.DBRelationships = x.edges + x.links
	return sum, nil
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("neo4j import: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("neo4j import: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("neo4j import: directory %s is not empty (the import files need a directory of their own)", dir)
	}
	return nil
}

// A family is one kind of row (resources, findings, relationships, ...).
// neo4j-admin takes one header per input and one type per column, so a
// family's rows go to one group of files per column set: a property that
// holds a string in one row and a number in another sends the rows to
// different groups. The rows stream into a group's data file as they come;
// a column a later row brings is appended to the group's header, and the
// importer reads the missing trailing fields of earlier rows as absent
// properties. The header goes into a file of its own, written last.
type family struct {
	name   string
	rels   bool // relationships (:START_ID, :END_ID, :TYPE) rather than nodes (:ID, :LABEL)
	groups []*colGroup
}

type colGroup struct {
	cols  []string          // property names in header order
	types map[string]string // property name -> neo4j-admin type
	base  string            // file name without ".csv"
	fh    *os.File
	w     *bufio.Writer
}

// fits reports whether a row's properties can share the group's columns.
func (g *colGroup) fits(props map[string]any) bool {
	for k, v := range props {
		if have, ok := g.types[k]; ok && have != importType(v) {
			return false
		}
	}
	return true
}

type importer struct {
	ctx context.Context
	dir string
	ns  string
	at  time.Time

	families  []*family // in argument order: nodes first
	multiline bool      // a value holds a line break: the importer must be told
	line      []byte
	rows      int

	nodes, edges, findings, links int64
	maxValue                      int // the longest value written (a projection blob), for the read buffer
}

func (x *importer) family(name string, rels bool) *family {
	f := &family{name: name, rels: rels}
	x.families = append(x.families, f)
	return f
}

// pendingRow is a row built by produce, for row to write.
type pendingRow struct {
	f     *family
	id    string
	props map[string]any
	fixed []string
}

// rowChunk is how many rows travel from produce to write at a time.
const rowChunk = 2048

// write streams every row of the snapshots into the data files. One
// goroutine builds the rows (properties, content hashes, edge digests)
// while this one places, encodes and writes them: on two cores the halves
// overlap.
func (x *importer) write(snaps []*graph.Snapshot) error {
	fam := importFamilies{
		resources: x.family("resources", false),
		findings:  x.family("findings", false),
		scopes:    x.family("scopes", false),
		records:   x.family("sync-records", false),
		projs:     x.family("projections", false),
		meta:      x.family("meta", false),
		edges:     x.family("edges", true),
		links:     x.family("finding-links", true),
	}
	ctx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	chunks := make(chan []pendingRow, 4)
	var produced error
	go func() {
		defer close(chunks)
		produced = x.produce(ctx, snaps, fam, chunks)
	}()
	var failed error
	for chunk := range chunks {
		for _, r := range chunk {
			if failed != nil {
				break
			}
			if err := x.row(r.f, r.id, r.props, r.fixed...); err != nil {
				failed = err
				cancel() // the producer stops; the loop drains what it sent
			}
		}
	}
	if failed != nil {
		return failed
	}
	return produced
}

type importFamilies struct {
	resources, findings, scopes, records, projs, meta, edges, links *family
}

// produce builds every row, in the order of the files, and sends them in
// chunks. It returns the context's error if it was cancelled.
func (x *importer) produce(ctx context.Context, snaps []*graph.Snapshot, fam importFamilies, out chan<- []pendingRow) error {
	chunk := make([]pendingRow, 0, rowChunk)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		select {
		case out <- chunk:
		case <-ctx.Done():
			return fmt.Errorf("neo4j import: %w", ctx.Err())
		}
		chunk = make([]pendingRow, 0, rowChunk)
		return nil
	}
	emit := func(f *family, id string, props map[string]any, fixed ...string) error {
		chunk = append(chunk, pendingRow{f: f, id: id, props: props, fixed: fixed})
		if len(chunk) == rowChunk {
			return flush()
		}
		return nil
	}
	resources, findings, scopes, records, projs, meta, edges, links := fam.resources, fam.findings, fam.scopes, fam.records, fam.projs, fam.meta, fam.edges, fam.links
	tots := map[string]*totals{}
	for i, snap := range snaps {
		sync := int64(i + 1)
		sk := scopeKeyIn(x.ns, snap.Scope)
		seenAt := snap.ObservedAt(x.at)
		// out_digest: the digest of each node's outgoing edges, as readEdges
		// computes it from a snapshot
		digests := make(map[string]edgeDigest, len(snap.Nodes))
		for j := range snap.Edges {
			e := &snap.Edges[j]
			d := digests[e.From]
			d.add(edgeKeyHash(e, hashEdge(e), false))
			digests[e.From] = d
		}
		prefix := strconv.Itoa(i) + "."
		ids := make(map[string]string, len(snap.Nodes))
		for j := range snap.Nodes {
			nd := &snap.Nodes[j]
			id := "r" + prefix + strconv.Itoa(j)
			ids[nd.ID] = id
			labels := "Resource" + importArrayDelimiter + string(nd.Kind)
			if nd.Stub {
				labels += importArrayDelimiter + "Stub"
			}
			p := nodeProps(nd, hashNode(nd), time.Time{})
			p["scope"], p["id"], p["sync_from"] = sk, nd.ID, sync
			p["out_digest"], p["out_digest_sync"] = digests[nd.ID].fold(), sync
			if err := emit(resources, nd.ID, p, id, labels); err != nil {
				return err
			}
		}
		for j := range snap.Edges {
			e := &snap.Edges[j]
			p := edgeProps(e, false, time.Time{})
			p["sync_from"] = sync
			if err := emit(edges, e.Key().String(), p, ids[e.From], ids[e.To], string(e.Kind)); err != nil {
				return err
			}
		}
		for j := range snap.Findings {
			f := &snap.Findings[j]
			id := "f" + prefix + strconv.Itoa(j)
			p := findingProps(f, hashFinding(f), syncplan.Life{FirstSeen: seenAt})
			p["scope"], p["id"], p["sync_from"] = sk, f.ID, sync
			if err := emit(findings, f.ID, p, id, "Finding"); err != nil {
				return err
			}
			if to, ok := ids[f.Resource]; ok {
				if err := emit(links, f.ID, nil, id, to, "ON"); err != nil {
					return err
				}
				x.links++
			}
		}
		scope := map[string]any{"key": sk, "ns": x.ns, "cloud": string(snap.Scope.Cloud), "scope_id": snap.Scope.ID,
			"active": sync, "active_seen": seenAt, "active_at": x.at, "floor": sync - 1, "lock": true}
		res := graph.SyncResult{SyncID: sync, Scope: snap.Scope, At: x.at, Coverage: snap.Coverage,
			Written: graph.Counts{Nodes: len(snap.Nodes), Edges: len(snap.Edges), Findings: len(snap.Findings)}}
		rec, err := syncRecordProps(x.ns, sk, snap, res, res.Written)
		if err != nil {
			return fmt.Errorf("neo4j import: scope %s: %w", snap.Scope, err)
		}
		if err := emit(records, sk, rec, "y"+strconv.Itoa(i), "SyncRecord"); err != nil {
			return err
		}
		// the scope's projection, as the sync of the snapshot into an empty
		// store writes it (projection.go); base64, since a byte-array
		// column would take four times the bytes
		rows := snapshotRows(snap, seenAt, func(int) syncplan.Life { return syncplan.Life{FirstSeen: seenAt} }, 0, 0, 0)
		counts := rowCounts(snap.Scope.Cloud, rows)
		b, err := blob.Encode(rows, seenAt)
		if err != nil {
			return fmt.Errorf("neo4j import: scope %s: %w", snap.Scope, err)
		}
		b64 := base64.StdEncoding.EncodeToString(b)
		x.maxValue = max(x.maxValue, len(b64))
		proj := map[string]any{"key": sk, "ns": x.ns, "sync": sync, "format": int64(blob.Version), "blob": b64,
			"count_keys": counts.keys, "count_n": counts.n}
		if err := emit(projs, sk, proj, "p"+strconv.Itoa(i), "ScopeProjection"); err != nil {
			return err
		}
		// the estate totals, as the syncs' switches leave them (totals.go)
		c := contribution{counts: map[string]int64{}, synced: true, syncs: 1}
		for j, k := range counts.keys {
			c.counts[k] = counts.n[j]
		}
		scope["stats_keys"], scope["stats_n"], scope["stats_synced"], scope["stats_syncs"] = counts.keys, counts.n, true, int64(1)
		t := tots[string(snap.Scope.Cloud)]
		if t == nil {
			t = &totals{key: totalsKey(x.ns, string(snap.Scope.Cloud)), cloud: string(snap.Scope.Cloud), counts: map[string]int64{}}
			tots[t.cloud] = t
		}
		t.add(c, 1)
		t.newest = max(t.newest, sync)
		if err := emit(scopes, sk, scope, "s"+strconv.Itoa(i), "Scope"); err != nil {
			return err
		}
		x.nodes += int64(len(snap.Nodes))
		x.edges += int64(len(snap.Edges))
		x.findings += int64(len(snap.Findings))
	}
	// the import is one complete sync generation, as graph.SyncAll of the
	// same snapshots records it (generation.go)
	clouds, ids := make([]string, len(snaps)), make([]string, len(snaps))
	for i, snap := range snaps {
		clouds[i], ids[i] = string(snap.Scope.Cloud), snap.Scope.ID
	}
	metaProps := map[string]any{"ns": x.ns, "next_sync": int64(len(snaps)), "lock": true,
		"gen_id": int64(1), "gen_started": x.at, "gen_ended": x.at, "gen_clouds": clouds, "gen_scopes": ids,
		"stats_totals": int64(totalsVersion)}
	if err := emit(meta, x.ns, metaProps, "m", "BreachpathMeta"); err != nil {
		return err
	}
	for i, cloud := range slices.Sorted(maps.Keys(tots)) {
		t := tots[cloud]
		ck, cn := t.lists()
		p := map[string]any{"key": t.key, "ns": x.ns, "cloud": cloud, "count_keys": ck, "count_n": cn,
			"counted": t.counted, "scopes": t.scopes, "syncs": t.syncs, "newest": t.newest}
		if err := emit(meta, t.key, p, "t"+strconv.Itoa(i), "StatsTotals"); err != nil {
			return err
		}
	}
	return flush()
}

// row writes one row; id names it in errors (the breachpath id, not the
// import key), fixed are its :ID and :LABEL or :START_ID, :END_ID and
// :TYPE fields.
func (x *importer) row(f *family, id string, props map[string]any, fixed ...string) error {
	if x.rows++; x.rows%4096 == 0 {
		if err := x.ctx.Err(); err != nil {
			return fmt.Errorf("neo4j import: %w", err)
		}
	}
	g, err := x.place(f, props)
	if err != nil {
		return fmt.Errorf("neo4j import: %s %q: %w", f.name, id, err)
	}
	line := x.line[:0]
	for i, v := range fixed {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendQuoted(line, v)
	}
	// Only up to the row's last column: the rest reads as absent.
	last := -1
	for i, c := range g.cols {
		if _, ok := props[c]; ok {
			last = i
		}
	}
	for _, c := range g.cols[:last+1] {
		line = append(line, ',')
		v, ok := props[c]
		if !ok {
			continue // an empty unquoted field: no property
		}
		if line, err = x.cell(line, c, v); err != nil {
			return fmt.Errorf("neo4j import: %s %q: %w", f.name, id, err)
		}
	}
	line = append(line, '\n')
	x.line = line
	if _, err := g.w.Write(line); err != nil {
		return fmt.Errorf("neo4j import: %w", err)
	}
	return nil
}

// place returns the first group whose columns fit the row, adding the
// row's new columns, or a new group.
func (x *importer) place(f *family, props map[string]any) (*colGroup, error) {
	for k, v := range props {
		if importType(v) == "" {
			return nil, fmt.Errorf("property %q: type %T cannot be imported", k, v)
		}
	}
	var g *colGroup
	for _, c := range f.groups {
		if c.fits(props) {
			g = c
			break
		}
	}
	if g == nil {
		g = &colGroup{types: map[string]string{}, base: fmt.Sprintf("%s-%d", f.name, len(f.groups)+1)}
		fh, err := os.OpenFile(filepath.Join(x.dir, g.base+".csv"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		g.fh, g.w = fh, bufio.NewWriterSize(fh, 1<<20)
		f.groups = append(f.groups, g)
	}
	var added []string
	for k, v := range props {
		if _, ok := g.types[k]; !ok {
			g.types[k] = importType(v)
			added = append(added, k)
		}
	}
	slices.Sort(added) // a stable header for the same input
	g.cols = append(g.cols, added...)
	return g, nil
}

// writeArgs writes every group's header file and the argument file: every
// input, nodes first, then the CSV dialect. It returns the files in
// argument order.
func (x *importer) writeArgs() ([]string, error) {
	var files []string
	var b strings.Builder
	for _, rels := range []bool{false, true} {
		for _, f := range x.families {
			if f.rels != rels {
				continue
			}
			for _, g := range f.groups {
				head := []string{":ID", ":LABEL"}
				if f.rels {
					head = []string{":START_ID", ":END_ID", ":TYPE"}
				}
				line := []byte(strings.Join(head, ","))
				for _, c := range g.cols {
					line = append(line, ',')
					line = appendQuoted(line, c+":"+g.types[c])
				}
				line = append(line, '\n')
				if err := os.WriteFile(filepath.Join(x.dir, g.base+"-header.csv"), line, 0o600); err != nil {
					return nil, fmt.Errorf("neo4j import: %w", err)
				}
				if rels {
					b.WriteString("--relationships=")
				} else {
					b.WriteString("--nodes=")
				}
				b.WriteString(g.base + "-header.csv," + g.base + ".csv\n")
				files = append(files, g.base+"-header.csv", g.base+".csv")
			}
		}
	}
	// The dialect comes last: --nodes and --relationships take several
	// values, and would swallow the database name that follows the file.
	b.WriteString("--delimiter=,\n--array-delimiter=U+001F\n--id-type=string\n")
	// the reader's buffer must hold the longest value (a large scope's
	// projection); its default is 4 MiB
	if need := x.maxValue + 1<<20; need > 4<<20 {
		fmt.Fprintf(&b, "--read-buffer-size=%d\n", need)
	}
	if x.multiline {
		b.WriteString("--multiline-fields=true\n")
	}
	if err := os.WriteFile(filepath.Join(x.dir, ImportArgsFile), []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("neo4j import: %w", err)
	}
	return files, nil
}

// importType is the neo4j-admin column type of a property value, or ""
// for a type it cannot take.
func importType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64:
		return "long"
	case float64:
		return "double"
	case []string:
		return "string[]"
	case []int64:
		return "long[]"
	case time.Time:
		return "datetime"
	}
	return ""
}

// cell appends one property value. Strings are always quoted, so that an
// empty string stays an empty string (an unquoted empty field is no
// property at all).
func (x *importer) cell(line []byte, name string, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		x.note(v)
		return appendQuoted(line, v), nil
	case bool:
		return strconv.AppendBool(line, v), nil
	case int64:
		return strconv.AppendInt(line, v, 10), nil
	case float64:
		return strconv.AppendFloat(line, v, 'g', -1, 64), nil
	case time.Time:
		return v.UTC().AppendFormat(line, time.RFC3339Nano), nil
	case []string:
		for _, s := range v {
			if strings.Contains(s, importArrayDelimiter) {
				return line, fmt.Errorf("property %q: a list element contains U+001F, which neo4j-admin cannot import (load this scope with an ordinary sync instead)", name)
			}
			x.note(s)
		}
		return appendQuoted(line, strings.Join(v, importArrayDelimiter)), nil
	case []int64:
		for i, n := range v {
			if i > 0 {
				line = append(line, importArrayDelimiter...)
			}
			line = strconv.AppendInt(line, n, 10)
		}
		return line, nil
	}
	return line, fmt.Errorf("property %q: type %T cannot be imported", name, v)
}

func (x *importer) note(s string) {
	if !x.multiline && strings.ContainsAny(s, "\r\n") {
		x.multiline = true
	}
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// close flushes and closes every data file.
func (x *importer) close() error {
	var first error
	for _, f := range x.families {
		for _, g := range f.groups {
			if err := g.w.Flush(); err != nil && first == nil {
				first = err
			}
			if err := g.fh.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("neo4j import: %w", first)
	}
	return nil
}
