package neo4j

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// The first load of a large estate is bound by how fast the server commits
// transactions (docs/benchmarks-neo4j.md). neo4j-admin's offline importer
// writes the store files directly and is an order of magnitude faster, so
// for a cold start WriteImport writes the snapshots as its CSV input, in
// exactly the schema a Sync of each snapshot into an empty database leaves
// behind. After the import the store is used as usual: Open creates the
// constraints and indexes, and later syncs are ordinary warm syncs.

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
	// imported: the above plus the scope, sync-record and counter nodes and
	// the finding links.
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
	x := &importer{ctx: ctx, dir: dir, snaps: snaps, ns: opts.Namespace, at: at.UTC()}
	// Pass one settles every file's columns (a CSV header comes first), pass
	// two writes the rows under them.
	if err := x.pass(nil); err != nil {
		return sum, err
	}
	w := &importWriter{dir: dir}
	err := x.pass(w)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return sum, err
	}
	if sum.Files, err = x.writeArgs(w); err != nil {
		return sum, err
	}
	sum.Nodes, sum.Edges, sum.Findings = x.nodes, x.edges, x.findings
	sum.DBNodes = x.nodes + x.findings + 2*int64(len(snaps)) + 1
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
// Its rows go to one file per column set: neo4j-admin takes one header per
// file and one type per column, so a property that holds a string in one
// row and a number in another sends the rows to different files.
type family struct {
	name   string
	rels   bool // relationships (:START_ID, :END_ID, :TYPE) rather than nodes (:ID, :LABEL)
	groups []*colGroup
}

type colGroup struct {
	cols  []string          // property names in header order
	types map[string]string // property name -> neo4j-admin type
}

// fits reports whether a row's properties can share the group's columns.
func (g *colGroup) fits(types map[string]string) bool {
	for k, t := range types {
		if have, ok := g.types[k]; ok && have != t {
			return false
		}
	}
	return true
}

// place returns the group a row belongs to, adding columns when plan is
// set. Rows keep their group between the passes: a column's type never
// changes once set, so a group that refused a row in pass one refuses it
// in pass two.
func (f *family) place(types map[string]string, plan bool) (int, *colGroup) {
	for i, g := range f.groups {
		if g.fits(types) {
			if plan {
				for k, t := range types {
					if _, ok := g.types[k]; !ok {
						g.types[k] = t
						g.cols = append(g.cols, k)
					}
				}
			}
			return i, g
		}
	}
	if !plan {
		return -1, nil
	}
	g := &colGroup{types: map[string]string{}}
	for k, t := range types {
		g.types[k] = t
		g.cols = append(g.cols, k)
	}
	slices.Sort(g.cols)
	f.groups = append(f.groups, g)
	return len(f.groups) - 1, g
}

func (f *family) file(i int) string { return fmt.Sprintf("%s-%d.csv", f.name, i+1) }

type importer struct {
	ctx   context.Context
	dir   string
	snaps []*graph.Snapshot
	ns    string
	at    time.Time

	families []*family

	nodes, edges, findings, links int64
}

func (x *importer) family(name string, rels bool) *family {
	for _, f := range x.families {
		if f.name == name {
			return f
		}
	}
	f := &family{name: name, rels: rels}
	x.families = append(x.families, f)
	return f
}

// pass enumerates every row; with w nil it plans the columns, otherwise
// it writes.
func (x *importer) pass(w *importWriter) error {
	plan := w == nil
	if plan {
		x.nodes, x.edges, x.findings, x.links = 0, 0, 0, 0
	}
	resources := x.family("resources", false)
	findings := x.family("findings", false)
	scopes := x.family("scopes", false)
	records := x.family("sync-records", false)
	meta := x.family("meta", false)
	edges := x.family("edges", true)
	links := x.family("finding-links", true)
	n := 0
	// id names the row in errors: the breachpath id, not the import key
	row := func(f *family, id string, fixed []string, props map[string]any) error {
		if n++; n%4096 == 0 {
			if err := x.ctx.Err(); err != nil {
				return fmt.Errorf("neo4j import: %w", err)
			}
		}
		types := make(map[string]string, len(props))
		for k, v := range props {
			t, err := importType(v)
			if err != nil {
				return fmt.Errorf("neo4j import: %s %q: property %q: %w", f.name, id, k, err)
			}
			types[k] = t
		}
		gi, g := f.place(types, plan)
		if plan {
			return nil
		}
		if err := w.row(f, gi, g, fixed, props); err != nil {
			return fmt.Errorf("neo4j import: %s %q: %w", f.name, id, err)
		}
		return nil
	}
	for i, snap := range x.snaps {
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
		ids := make(map[string]string, len(snap.Nodes))
		for j := range snap.Nodes {
			nd := &snap.Nodes[j]
			id := "r" + strconv.Itoa(i) + "." + strconv.Itoa(j)
			ids[nd.ID] = id
			labels := "Resource" + importArrayDelimiter + string(nd.Kind)
			if nd.Stub {
				labels += importArrayDelimiter + "Stub"
			}
			p := nodeProps(nd, hashNode(nd), time.Time{})
			p["scope"], p["id"], p["sync_from"] = sk, nd.ID, sync
			p["out_digest"], p["out_digest_sync"] = digests[nd.ID].fold(), sync
			if err := row(resources, nd.ID, []string{id, labels}, p); err != nil {
				return err
			}
		}
		for j := range snap.Edges {
			e := &snap.Edges[j]
			p := edgeProps(e, false, time.Time{})
			p["sync_from"] = sync
			if err := row(edges, e.Key(), []string{ids[e.From], ids[e.To], string(e.Kind)}, p); err != nil {
				return err
			}
		}
		for j := range snap.Findings {
			f := &snap.Findings[j]
			id := "f" + strconv.Itoa(i) + "." + strconv.Itoa(j)
			p := findingProps(f, hashFinding(f), findingLife{FirstSeen: seenAt})
			p["scope"], p["id"], p["sync_from"] = sk, f.ID, sync
			if err := row(findings, f.ID, []string{id, "Finding"}, p); err != nil {
				return err
			}
			if to, ok := ids[f.Resource]; ok {
				if err := row(links, f.ID, []string{id, to, "ON"}, map[string]any{}); err != nil {
					return err
				}
				if plan {
					x.links++
				}
			}
		}
		scope := map[string]any{"key": sk, "ns": x.ns, "cloud": string(snap.Scope.Cloud), "scope_id": snap.Scope.ID,
			"active": sync, "active_seen": seenAt, "active_at": x.at, "floor": sync - 1, "lock": true}
		if err := row(scopes, sk, []string{"s" + strconv.Itoa(i), "Scope"}, scope); err != nil {
			return err
		}
		res := graph.SyncResult{SyncID: sync, Scope: snap.Scope, At: x.at, Coverage: snap.Coverage,
			Written: graph.Counts{Nodes: len(snap.Nodes), Edges: len(snap.Edges), Findings: len(snap.Findings)}}
		rec, err := syncRecordProps(x.ns, sk, snap, res, res.Written)
		if err != nil {
			return fmt.Errorf("neo4j import: scope %s: %w", snap.Scope, err)
		}
		if err := row(records, sk, []string{"y" + strconv.Itoa(i), "SyncRecord"}, rec); err != nil {
			return err
		}
		if plan {
			x.nodes += int64(len(snap.Nodes))
			x.edges += int64(len(snap.Edges))
			x.findings += int64(len(snap.Findings))
		}
	}
	return row(meta, x.ns, []string{"m", "BreachpathMeta"}, map[string]any{"ns": x.ns, "next_sync": int64(len(x.snaps)), "lock": true})
}

// writeArgs writes the argument file: every file, nodes first, and the
// CSV dialect. It returns the files in that order.
func (x *importer) writeArgs(w *importWriter) ([]string, error) {
	var files []string
	var b strings.Builder
	for _, rels := range []bool{false, true} {
		for _, f := range x.families {
			if f.rels != rels {
				continue
			}
			for i := range f.groups {
				if rels {
					b.WriteString("--relationships=")
				} else {
					b.WriteString("--nodes=")
				}
				b.WriteString(f.file(i) + "\n")
				files = append(files, f.file(i))
			}
		}
	}
	// The dialect comes last: --nodes and --relationships take several
	// values, and would swallow the database name that follows the file.
	b.WriteString("--delimiter=,\n--array-delimiter=U+001F\n--id-type=string\n")
	if w.multiline {
		b.WriteString("--multiline-fields=true\n")
	}
	if err := os.WriteFile(filepath.Join(x.dir, ImportArgsFile), []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("neo4j import: %w", err)
	}
	return files, nil
}

// importType is the neo4j-admin column type of a property value.
func importType(v any) (string, error) {
	switch v.(type) {
	case string:
		return "string", nil
	case bool:
		return "boolean", nil
	case int64:
		return "long", nil
	case float64:
		return "double", nil
	case []string:
		return "string[]", nil
	case time.Time:
		return "datetime", nil
	}
	return "", fmt.Errorf("type %T cannot be imported", v)
}

// importWriter writes the CSV files of pass two.
type importWriter struct {
	dir       string
	files     map[string]*bufio.Writer
	handles   []*os.File
	names     []string
	multiline bool
	line      []byte
}

func (w *importWriter) open(f *family, gi int, g *colGroup) (*bufio.Writer, error) {
	name := f.file(gi)
	if bw, ok := w.files[name]; ok {
		return bw, nil
	}
	fh, err := os.OpenFile(filepath.Join(w.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if w.files == nil {
		w.files = map[string]*bufio.Writer{}
	}
	bw := bufio.NewWriterSize(fh, 1<<20)
	w.files[name] = bw
	w.handles = append(w.handles, fh)
	w.names = append(w.names, name)
	head := []string{":ID", ":LABEL"}
	if f.rels {
		head = []string{":START_ID", ":END_ID", ":TYPE"}
	}
	line := make([]byte, 0, 256)
	for i, h := range head {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, h...)
	}
	for _, c := range g.cols {
		line = append(line, ',')
		line = appendQuoted(line, c+":"+g.types[c])
	}
	line = append(line, '\n')
	_, err = bw.Write(line)
	return bw, err
}

func (w *importWriter) row(f *family, gi int, g *colGroup, fixed []string, props map[string]any) error {
	bw, err := w.open(f, gi, g)
	if err != nil {
		return err
	}
	line := w.line[:0]
	for i, v := range fixed {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendQuoted(line, v)
	}
	for _, c := range g.cols {
		line = append(line, ',')
		v, ok := props[c]
		if !ok {
			continue // an empty unquoted field: no property
		}
		if line, err = w.cell(line, c, v); err != nil {
			return err
		}
	}
	line = append(line, '\n')
	w.line = line
	_, err = bw.Write(line)
	return err
}

// cell appends one property value. Strings are always quoted, so that an
// empty string stays an empty string (an unquoted empty field is no
// property at all).
func (w *importWriter) cell(line []byte, name string, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		w.note(x)
		return appendQuoted(line, x), nil
	case bool:
		return strconv.AppendBool(line, x), nil
	case int64:
		return strconv.AppendInt(line, x, 10), nil
	case float64:
		return strconv.AppendFloat(line, x, 'g', -1, 64), nil
	case time.Time:
		return x.UTC().AppendFormat(line, time.RFC3339Nano), nil
	case []string:
		for _, s := range x {
			if strings.Contains(s, importArrayDelimiter) {
				return line, fmt.Errorf("property %q: a list element contains U+001F, which neo4j-admin cannot import (load this scope with an ordinary sync instead)", name)
			}
			w.note(s)
		}
		return appendQuoted(line, strings.Join(x, importArrayDelimiter)), nil
	}
	return line, fmt.Errorf("property %q: type %T cannot be imported", name, v)
}

func (w *importWriter) note(s string) {
	if !w.multiline && strings.ContainsAny(s, "\r\n") {
		w.multiline = true
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

func (w *importWriter) close() error {
	var first error
	for i, fh := range w.handles {
		if err := w.files[w.names[i]].Flush(); err != nil && first == nil {
			first = err
		}
		if err := fh.Close(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("neo4j import: %w", first)
	}
	return nil
}
