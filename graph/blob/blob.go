// Package blob is the analysis-ready form of one scope's stored graph: a
// compact binary encoding of the rows a store's Load returns for the scope
// (nodes with every property paths, scoring and explanations read; move and
// fact edges as two sorted runs; findings with their lifecycle; stub and
// stale flags), written by the store at sync time and versioned with the
// sync. A command that analyses decodes a few of these instead of millions
// of rows, and graph.Merge assembles them without sorting again.
//
// Layout (all integers unsigned varints unless said otherwise):
//
//	"BPSC" magic, format version byte
//	string table: count, total bytes, each length, then the bytes
//	four sections, each: byte length, row count, rows
//	  nodes (sorted by id), move edges, fact edges (each sorted by key), findings (sorted by id)
//	CRC-32C (Castagnoli) of everything before it, 4 bytes little endian
//
// Strings are references into the table (0 is the empty string), so every
// id, kind and technique is stored once per scope, and decoding allocates
// the table as one string that the rows slice. A blob that fails its
// checksum or is malformed is refused with an error wrapping graph.ErrCorrupt;
// the decoder never panics on bad input (a fuzz test holds it to that).
package blob

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Version is the format version Encode writes and Decode reads.
const Version = 1

const magic = "BPSC"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Rows are one scope's rows in the form a store's Load returns them:
// Findings carry their lifecycle, stale rows their flags. Encode sorts the
// slices in place.
type Rows struct {
	Nodes    []graph.Node
	Edges    []graph.Edge
	Findings []graph.Finding
}

// Options select what Decode materialises.
type Options struct {
	// MovesOnly skips the fact edges: path search and scoring read only
	// attacker moves, and facts are most of the edges.
	MovesOnly bool
	// KeepFacts, with MovesOnly, still returns fact edges of these kinds;
	// with FactsOnly, when set, it names the only fact kinds returned. The
	// others are skipped without being materialised.
	KeepFacts []graph.EdgeKind
	// KeepBlob lets the decoded strings point into the blob instead of a
	// copy of its string table: the caller hands the blob over and must
	// never modify or reuse its bytes while the rows live. It saves a copy
	// of the table (173 MB at a million resources) and keeps the blob
	// alive instead of dropping it as garbage.
	KeepBlob bool
	// NoFindings skips findings.
	NoFindings bool
	// FactsOnly decodes the fact edges alone: no node, no move edge, no
	// finding (MovesOnly and NoFindings are then ignored).
	FactsOnly bool
	// IncludeResolved keeps findings with a ResolvedAt time (dropped otherwise,
	// as Load drops them unless graph.Filter.IncludeResolved is set).
	IncludeResolved bool
	// LastSeen fills LastSeen of findings the blob marks "seen by the scope's
	// newest sync" (stored without a time so an unchanged re-sync need not
	// rewrite the blob).
	LastSeen time.Time
	// Into, when set, receives the nodes and edges instead of new slices:
	// the scope's windows of a graph.Tiles, so that graph.MergeTiled can
	// sort the estate in place. Each window must have exactly the length
	// of what is decoded into it (Edges: the move edges, then the kept
	// facts; with FactsOnly, no node and the facts); otherwise Decode fails with ErrWindow and the window's
	// contents are undefined.
	Into *Window
}

// Window is where Decode writes a scope's nodes and edges (Options.Into).
type Window struct {
	Nodes []graph.Node
	Edges []graph.Edge
}

// ErrWindow: the rows of the blob do not fit the window they were to be
// decoded into (the row counts it was sized from are not the blob's).
var ErrWindow = errors.New("scope blob: rows do not fit their window")

// Finding flag bits.
const (
	fStale = 1 << iota
	fFixEffort
	fFirstSeen
	fLastSeen
	fResolved
	fSeenByNewest
)

// Node flag bits.
const (
	nCrown = 1 << iota
	nStub
	nStale
	nStaleSince
)

// Edge flag bits.
const (
	eConditional = 1 << iota
	eStale
	eLikelihood
)

// Property value types.
const (
	pString = iota + 1
	pBool
	pInt
	pFloat
	pStrings
)

// Encode returns the blob of the rows. It sorts rows in place into the
// canonical order (nodes and findings by id, edges by key) and fails on
// duplicate keys or property values of a type the model does not allow.
// Findings whose LastSeen equals newest are stored as "seen by the newest
// sync" (see Options.LastSeen).
func Encode(rows *Rows, newest time.Time) ([]byte, error) {
	SortRows(rows)
	for i := 1; i < len(rows.Nodes); i++ {
		if rows.Nodes[i].ID == rows.Nodes[i-1].ID {
			return nil, fmt.Errorf("encode scope blob: duplicate node %q", rows.Nodes[i].ID)
		}
	}
	var moves, facts []int32
	for i := range rows.Edges {
		if i > 0 && graph.CompareEdges(&rows.Edges[i-1], &rows.Edges[i]) == 0 {
			return nil, fmt.Errorf("encode scope blob: duplicate edge %s", rows.Edges[i].Key())
		}
		if rows.Edges[i].Kind.IsMove() {
			moves = append(moves, int32(i))
		} else {
			facts = append(facts, int32(i))
		}
	}
	for i := 1; i < len(rows.Findings); i++ {
		if rows.Findings[i].ID == rows.Findings[i-1].ID {
			return nil, fmt.Errorf("encode scope blob: duplicate finding %q", rows.Findings[i].ID)
		}
	}

	e := &encoder{refs: map[string]uint64{"": 0}, strs: []string{""}}
	var sections [4][]byte
	var err error
	if sections[0], err = e.nodes(rows.Nodes); err != nil {
		return nil, err
	}
	if sections[1], err = e.edges(rows.Edges, moves); err != nil {
		return nil, err
	}
	if sections[2], err = e.edges(rows.Edges, facts); err != nil {
		return nil, err
	}
	sections[3] = e.findings(rows.Findings, newest)

	size := len(magic) + 1 + 20
	for _, s := range e.strs {
		size += len(s) + 3
	}
	for _, s := range sections {
		size += len(s) + 10
	}
	out := make([]byte, 0, size+4)
	out = append(out, magic...)
	out = append(out, Version)
	out = binary.AppendUvarint(out, uint64(len(e.strs)))
	total := 0
	for _, s := range e.strs {
		total += len(s)
	}
	out = binary.AppendUvarint(out, uint64(total))
	for _, s := range e.strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range e.strs {
		out = append(out, s...)
	}
	for _, s := range sections {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli)), nil
}

// SortRows sorts the rows in place into the order Encode stores them
// (nodes and findings by id, edges by key). Encode sorts them itself, but
// checks first whether they are sorted already: a caller that sorts them
// earlier, outside a lock, keeps that work out of it.
func SortRows(rows *Rows) {
	sortRows(rows.Nodes, func(a, b *graph.Node) int { return cmp.Compare(a.ID, b.ID) })
	sortRows(rows.Edges, graph.CompareEdges)
	sortRows(rows.Findings, func(a, b *graph.Finding) int { return cmp.Compare(a.ID, b.ID) })
}

// sortRows sorts rows in place by sorting positions and permuting once:
// rows are large structs, and swapping them inside the sort costs more
// than the comparisons.
func sortRows[T any](rows []T, compare func(a, b *T) int) {
	sorted := true
	for i := 1; i < len(rows) && sorted; i++ {
		sorted = compare(&rows[i-1], &rows[i]) <= 0
	}
	if sorted {
		return
	}
	perm := make([]int32, len(rows))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return compare(&rows[a], &rows[b]) })
	out := make([]T, len(rows))
	for i, p := range perm {
		out[i] = rows[p]
	}
	copy(rows, out)
}

type encoder struct {
	refs map[string]uint64
	strs []string
	buf  []byte
}

func (e *encoder) ref(s string) {
	r, ok := e.refs[s]
	if !ok {
		r = uint64(len(e.strs))
		e.refs[s] = r
		e.strs = append(e.strs, s)
	}
	e.buf = binary.AppendUvarint(e.buf, r)
}

func (e *encoder) uv(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *encoder) strings(ss []string) {
	e.uv(uint64(len(ss)))
	for _, s := range ss {
		e.ref(s)
	}
}

func (e *encoder) time(t time.Time) { e.buf = binary.AppendVarint(e.buf, t.UnixNano()) }

func (e *encoder) props(p graph.Props) error {
	e.uv(uint64(len(p)))
	if len(p) == 0 {
		return nil
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.ref(k)
		switch v := p[k].(type) {
		case string:
			e.buf = append(e.buf, pString)
			e.ref(v)
		case bool:
			e.buf = append(e.buf, pBool)
			if v {
				e.buf = append(e.buf, 1)
			} else {
				e.buf = append(e.buf, 0)
			}
		case int64:
			e.buf = append(e.buf, pInt)
			e.buf = binary.AppendVarint(e.buf, v)
		case float64:
			e.buf = append(e.buf, pFloat)
			e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
		case []string:
			e.buf = append(e.buf, pStrings)
			e.strings(v)
		default:
			return fmt.Errorf("encode scope blob: property %q has unsupported type %T", k, v)
		}
	}
	return nil
}

func (e *encoder) section(count int) []byte {
	out := binary.AppendUvarint(nil, uint64(count))
	out = append(out, e.buf...)
	e.buf = e.buf[:0]
	return out
}

func (e *encoder) nodes(nodes []graph.Node) ([]byte, error) {
	for i := range nodes {
		n := &nodes[i]
		for _, s := range []string{n.ID, string(n.Kind), string(n.Cloud), n.NativeType, n.Name, n.Account, n.Region, n.Service} {
			e.ref(s)
		}
		e.uv(uint64(n.Sensitivity))
		var fl byte
		if n.CrownJewel {
			fl |= nCrown
		}
		if n.Stub {
			fl |= nStub
		}
		if n.Stale {
			fl |= nStale
		}
		if !n.StaleSince.IsZero() {
			fl |= nStaleSince
		}
		e.buf = append(e.buf, fl)
		if fl&nStaleSince != 0 {
			e.time(n.StaleSince)
		}
		e.uv(uint64(len(n.Tags)))
		if len(n.Tags) > 0 {
			keys := make([]string, 0, len(n.Tags))
			for k := range n.Tags {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				e.ref(k)
				e.ref(n.Tags[k])
			}
		}
		if err := e.props(n.Props); err != nil {
			return nil, fmt.Errorf("node %q: %w", n.ID, err)
		}
	}
	return e.section(len(nodes)), nil
}

func (e *encoder) edges(edges []graph.Edge, order []int32) ([]byte, error) {
	for _, i := range order {
		ed := &edges[i]
		e.ref(ed.From)
		e.ref(string(ed.Kind))
		e.ref(ed.To)
		e.ref(ed.Technique)
		var fl byte
		if ed.Conditional {
			fl |= eConditional
		}
		if ed.Stale {
			fl |= eStale
		}
		if ed.Likelihood != 0 {
			fl |= eLikelihood
		}
		e.buf = append(e.buf, fl)
		if fl&eLikelihood != 0 {
			e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(ed.Likelihood))
		}
		e.strings(ed.Evidence)
		e.strings(ed.Findings)
		if err := e.props(ed.Props); err != nil {
			return nil, fmt.Errorf("edge %s: %w", ed.Key(), err)
		}
	}
	return e.section(len(order)), nil
}

func (e *encoder) findings(fs []graph.Finding, newest time.Time) []byte {
	for i := range fs {
		f := &fs[i]
		e.ref(f.ID)
		e.ref(f.RuleID)
		e.ref(f.Resource)
		e.uv(uint64(int64(f.Severity)))
		e.ref(f.Title)
		e.ref(f.Evidence)
		e.ref(f.Remediation)
		e.strings(f.Controls)
		var fl byte
		if f.Stale {
			fl |= fStale
		}
		if f.FixEffort != 0 {
			fl |= fFixEffort
		}
		if !f.FirstSeen.IsZero() {
			fl |= fFirstSeen
		}
		// a LastSeen equal to the newest sync's observation is left implicit
		switch {
		case f.LastSeen.IsZero():
		case !newest.IsZero() && f.LastSeen.Equal(newest):
			fl |= fSeenByNewest
		default:
			fl |= fLastSeen
		}
		if !f.ResolvedAt.IsZero() {
			fl |= fResolved
		}
		e.buf = append(e.buf, fl)
		if fl&fFixEffort != 0 {
			e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f.FixEffort))
		}
		if fl&fFirstSeen != 0 {
			e.time(f.FirstSeen)
		}
		if fl&fLastSeen != 0 {
			e.time(f.LastSeen)
		}
		if fl&fResolved != 0 {
			e.time(f.ResolvedAt)
		}
	}
	return e.section(len(fs))
}

// errBad is the cause of every decoding failure; Decode wraps it with
// graph.ErrCorrupt and the place it failed.
var errBad = errors.New("malformed")
