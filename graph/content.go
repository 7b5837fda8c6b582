package graph

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
)

// ContentHash is a 64-bit hash of what a store keeps of the snapshot's
// rows: every node, edge and finding field except the flags and times the
// store itself sets (Stale, StaleSince, FirstSeen, LastSeen, ResolvedAt).
// It does not depend on the order of rows, of map entries or on whether an
// empty map or list is nil, so two collections of the same estate hash
// alike however the collector ordered them; any other difference changes
// it (with the odds of a 64-bit collision).
//
// Stores compare it with the hash of the scope's previous sync to recognise
// an unchanged scope without sorting, encoding or comparing its rows: that
// is what makes the re-sync of an unchanged estate cheap. It hashes the
// snapshot as given: call RedactSecrets first, so that no secret value
// enters a stored hash.
func ContentHash(s *Snapshot) uint64 {
	var h contentHasher
	var nodes, edges, findings uint64
	for i := range s.Nodes {
		nodes += mixRow(h.node(&s.Nodes[i]))
	}
	for i := range s.Edges {
		edges += mixRow(h.edge(&s.Edges[i]))
	}
	for i := range s.Findings {
		findings += mixRow(h.finding(&s.Findings[i]))
	}
	d := &h.row
	d.Reset()
	for _, v := range []uint64{contentHashVersion, uint64(len(s.Nodes)), nodes, uint64(len(s.Edges)), edges, uint64(len(s.Findings)), findings} {
		h.u64(d, v)
	}
	return d.Sum64()
}

// contentHashVersion changes whenever ContentHash would hash equal
// snapshots differently: a stored hash of another version then never
// matches, and the scope's next sync compares its rows once.
const contentHashVersion = 1

// mixRow spreads a row's hash before the rows are summed (the sum is what
// makes the hash independent of row order).
func mixRow(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// contentHasher reuses its digests across rows: ContentHash allocates
// nothing per row.
type contentHasher struct {
	row, entry xxhash.Digest
	buf        [8]byte
}

func (h *contentHasher) u64(d *xxhash.Digest, v uint64) {
	binary.LittleEndian.PutUint64(h.buf[:], v)
	_, _ = d.Write(h.buf[:])
}

// str writes a length-prefixed string, so that field boundaries are part
// of the hash ("ab","c" and "a","bc" differ).
func (h *contentHasher) str(d *xxhash.Digest, s string) {
	h.u64(d, uint64(len(s)))
	_, _ = d.WriteString(s)
}

func (h *contentHasher) bool(d *xxhash.Digest, b bool) {
	if b {
		h.u64(d, 1)
	} else {
		h.u64(d, 0)
	}
}

func (h *contentHasher) list(d *xxhash.Digest, l []string) {
	h.u64(d, uint64(len(l)))
	for _, s := range l {
		h.str(d, s)
	}
}

// tags writes the map as the count and sum of its hashed entries: map
// iteration order does not matter.
func (h *contentHasher) tags(d *xxhash.Digest, m map[string]string) {
	var sum uint64
	for k, v := range m {
		e := &h.entry
		e.Reset()
		h.str(e, k)
		h.str(e, v)
		sum += mixRow(e.Sum64())
	}
	h.u64(d, uint64(len(m)))
	h.u64(d, sum)
}

// props is tags for typed values: the type is hashed with the value, so
// int64 1, float64 1 and "1" differ.
func (h *contentHasher) props(d *xxhash.Digest, p Props) {
	var sum uint64
	for k, v := range p {
		e := &h.entry
		e.Reset()
		h.str(e, k)
		switch x := v.(type) {
		case string:
			h.u64(e, 1)
			h.str(e, x)
		case bool:
			h.u64(e, 2)
			h.bool(e, x)
		case int64:
			h.u64(e, 3)
			h.u64(e, uint64(x))
		case float64:
			h.u64(e, 4)
			h.u64(e, math.Float64bits(x))
		case []string:
			h.u64(e, 5)
			h.list(e, x)
		default:
			// Validate rejects these; hash them apart from every valid value
			h.u64(e, 6)
			h.str(e, fmt.Sprintf("%T %v", v, v))
		}
		sum += mixRow(e.Sum64())
	}
	h.u64(d, uint64(len(p)))
	h.u64(d, sum)
}

// begin starts a row's digest with its string fields.
func (h *contentHasher) begin(fields ...string) *xxhash.Digest {
	d := &h.row
	d.Reset()
	for _, s := range fields {
		h.str(d, s)
	}
	return d
}

func (h *contentHasher) node(n *Node) uint64 {
	d := h.begin(n.ID, string(n.Kind), string(n.Cloud), n.NativeType, n.Name, n.Account, n.Region, n.Service)
	h.u64(d, uint64(n.Sensitivity))
	h.bool(d, n.CrownJewel)
	h.bool(d, n.Stub)
	h.tags(d, n.Tags)
	h.props(d, n.Props)
	return d.Sum64()
}

func (h *contentHasher) edge(e *Edge) uint64 {
	d := h.begin(e.From, e.To, string(e.Kind), e.Technique)
	h.u64(d, math.Float64bits(e.Likelihood))
	h.list(d, e.Evidence)
	h.list(d, e.Findings)
	h.bool(d, e.Conditional)
	h.props(d, e.Props)
	return d.Sum64()
}

func (h *contentHasher) finding(f *Finding) uint64 {
	d := h.begin(f.ID, f.RuleID, f.Resource, f.Title, f.Evidence, f.Remediation)
	h.u64(d, uint64(f.Severity))
	h.list(d, f.Controls)
	h.u64(d, math.Float64bits(f.FixEffort))
	return d.Sum64()
}
