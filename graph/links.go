package graph

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
)

// The cross-scope index (docs/ARCHITECTURE.md, "Analysis-ready storage"):
// node ids are global, and scopes connect only through stubs, so a store
// writes beside each scope's projection, at the same sync, which nodes the
// scope owns and which nodes of others it references and how. A question
// about one target or one source (graph/scoped) reads these small rows of
// every scope, takes the closure of the scopes its answer can touch, and
// loads only those.

// LinkFlags say what a scope's rows do with a node it references but does
// not own.
type LinkFlags uint8

const (
	// LinkMoveIn: an attacker move of the scope ends at the node.
	LinkMoveIn LinkFlags = 1 << iota
	// LinkMoveOut: an attacker move of the scope starts at the node.
	LinkMoveOut
	// LinkFact: a fact edge of the scope touches the node.
	LinkFact
	// LinkFinding: a finding of the scope is on the node.
	LinkFinding
)

// LinkRef is one node a scope references without owning it (a stub), with
// what the scope's rows do with it.
type LinkRef struct {
	ID    string
	Flags LinkFlags
}

// ScopeLinks is the cross-scope index of one scope at one sync: built from
// exactly the rows Load returns for the scope (stale rows and resolved
// findings included), so it is true of whatever a Load of the scope sees.
type ScopeLinks struct {
	// Owned holds LinkHash of every node the scope owns, sorted. A hash,
	// not the id: a scope owns tens of thousands of nodes, and a false
	// match (two ids with one 64-bit hash) only makes a reader load a
	// scope it did not need, never miss one.
	Owned []uint64
	// Refs are the stubs, by id.
	Refs []LinkRef
}

// LinkHash is the hash of a node id that ScopeLinks.Owned holds (64-bit
// FNV-1a: fixed across processes and versions, unlike maphash).
func LinkHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// BuildScopeLinks returns the index of one scope's rows. Edges and findings
// must reference nodes of the rows (Snapshot.Validate guarantees it for a
// sync; an id that is no node row counts as a reference).
func BuildScopeLinks(nodes []Node, edges []Edge, findings []Finding) *ScopeLinks {
	l := &ScopeLinks{Owned: make([]uint64, 0, len(nodes))}
	owned := make(map[string]bool, len(nodes))
	for i := range nodes {
		if !nodes[i].Stub {
			owned[nodes[i].ID] = true
		}
	}
	refs := map[string]LinkFlags{}
	for i := range nodes {
		if n := &nodes[i]; n.Stub && !owned[n.ID] {
			refs[n.ID] |= 0
		}
	}
	mark := func(id string, f LinkFlags) {
		if !owned[id] {
			refs[id] |= f
		}
	}
	for i := range edges {
		e := &edges[i]
		if e.Kind.IsMove() {
			mark(e.From, LinkMoveOut)
			mark(e.To, LinkMoveIn)
		} else {
			mark(e.From, LinkFact)
			mark(e.To, LinkFact)
		}
	}
	for i := range findings {
		mark(findings[i].Resource, LinkFinding)
	}
	for id := range owned {
		l.Owned = append(l.Owned, LinkHash(id))
	}
	slices.Sort(l.Owned)
	l.Owned = slices.Compact(l.Owned)
	l.Refs = make([]LinkRef, 0, len(refs))
	for id, f := range refs {
		l.Refs = append(l.Refs, LinkRef{ID: id, Flags: f})
	}
	slices.SortFunc(l.Refs, func(a, b LinkRef) int { return cmp.Compare(a.ID, b.ID) })
	return l
}

// Owns reports whether the scope owns a node with the id (or, very rarely,
// one whose id has the same LinkHash).
func (l *ScopeLinks) Owns(id string) bool {
	_, ok := slices.BinarySearch(l.Owned, LinkHash(id))
	return ok
}

// Ref returns what the scope does with the node id it references, and
// whether it references it at all.
func (l *ScopeLinks) Ref(id string) (LinkFlags, bool) {
	i, ok := slices.BinarySearchFunc(l.Refs, id, func(r LinkRef, id string) int { return cmp.Compare(r.ID, id) })
	if !ok {
		return 0, false
	}
	return l.Refs[i].Flags, true
}

// linksVersion is the first byte of an encoded ScopeLinks; a reader treats
// any other version as a missing index.
const linksVersion = 1

// ErrLinksFormat is wrapped by DecodeScopeLinks for bytes that are not an
// index this version reads.
var ErrLinksFormat = errors.New("not a cross-scope index of this version")

// EncodeScopeLinks encodes the index for a store: a version byte, the owned
// hashes (count, then 8 bytes each), the references (count, then each id's
// length, id and flags).
func EncodeScopeLinks(l *ScopeLinks) []byte {
	n := 1 + 2*binary.MaxVarintLen64 + 8*len(l.Owned)
	for _, r := range l.Refs {
		n += binary.MaxVarintLen64 + len(r.ID) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, linksVersion)
	b = binary.AppendUvarint(b, uint64(len(l.Owned)))
	for _, h := range l.Owned {
		b = binary.LittleEndian.AppendUint64(b, h)
	}
	b = binary.AppendUvarint(b, uint64(len(l.Refs)))
	for _, r := range l.Refs {
		b = binary.AppendUvarint(b, uint64(len(r.ID)))
		b = append(b, r.ID...)
		b = append(b, byte(r.Flags))
	}
	return b
}

// DecodeScopeLinks decodes EncodeScopeLinks' output. Damaged or foreign
// bytes give an error wrapping ErrLinksFormat, never a panic.
func DecodeScopeLinks(b []byte) (*ScopeLinks, error) {
	bad := func(what string) (*ScopeLinks, error) {
		return nil, fmt.Errorf("%w: %s", ErrLinksFormat, what)
	}
	if len(b) == 0 || b[0] != linksVersion {
		return bad("version")
	}
	b = b[1:]
	count := func() (int, bool) {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > uint64(len(b)) {
			return 0, false
		}
		b = b[k:]
		return int(v), true
	}
	n, ok := count()
	if !ok || len(b) < 8*n {
		return bad("owned nodes")
	}
	l := &ScopeLinks{Owned: make([]uint64, n)}
	for i := range l.Owned {
		l.Owned[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	b = b[8*n:]
	if !slices.IsSorted(l.Owned) {
		return bad("owned nodes out of order")
	}
	if n, ok = count(); !ok {
		return bad("references")
	}
	l.Refs = make([]LinkRef, n)
	for i := range l.Refs {
		k, ok := count()
		if !ok || len(b) < k+1 {
			return bad("reference")
		}
		l.Refs[i] = LinkRef{ID: string(b[:k]), Flags: LinkFlags(b[k])}
		b = b[k+1:]
		if i > 0 && l.Refs[i-1].ID >= l.Refs[i].ID {
			return bad("references out of order")
		}
	}
	if len(b) != 0 {
		return bad("trailing bytes")
	}
	return l, nil
}

// ScopeIndex is what a store holds of one scope's cross-scope index.
type ScopeIndex struct {
	// SyncID is the scope's newest sync (the embedded store's sync id, the
	// Neo4j store's active version): a reader that sees it unchanged after
	// a Load knows the Load read the same version the index describes.
	SyncID int64
	// Links is nil when the index of that sync is missing or unusable.
	Links *ScopeLinks
}
