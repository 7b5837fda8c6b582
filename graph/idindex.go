package graph

import (
	"hash/maphash"
	"math/bits"
)

// nodeIDIndex finds a node's position in Graph.Nodes by its id. It holds no
// copy of the ids: an open-addressing table of 8-byte slots, each the
// node's position plus one (zero: empty) beside 32 bits of the id's hash,
// and a hit is confirmed against Graph.Nodes itself. A map[string]int32
// holds a string header and an int32 per node in buckets kept at most 7/8
// full, about 53 bytes a node at 1M nodes (the heap profile of `paths`,
// docs/benchmarks.md); the table takes 8 bytes a slot at most 3/4 full,
// 8-16 bytes a node. The zero value is an empty index.
//
// Every index hashes with one seed per process, so two indexes of equal
// node slices are equal values (reflect.DeepEqual of two loaded graphs, as
// the store conformance tests compare them, holds as it did for a map).
type nodeIDIndex struct {
	slots []uint64 // hash<<32 | position+1; 0 is an empty slot
	mask  uint64
}

// nodeIDSeed is the hash seed of every nodeIDIndex of the process.
var nodeIDSeed = maphash.MakeSeed()

// newNodeIDIndex indexes nodes by id; of nodes with equal ids the last one
// is found, as a map filled in order would find it.
func newNodeIDIndex(nodes []Node) nodeIDIndex {
	var x nodeIDIndex
	if len(nodes) == 0 {
		return x
	}
	// a power of two at least 4/3 of the nodes: probes stay short
	size := uint64(1) << bits.Len64(uint64(len(nodes))*4/3)
	x.slots = make([]uint64, size)
	x.mask = size - 1
	for i := range nodes {
		id := nodes[i].ID
		h := maphash.String(nodeIDSeed, id)
		tag := h >> 32
		for p := h & x.mask; ; p = (p + 1) & x.mask {
			s := x.slots[p]
			if s == 0 {
				x.slots[p] = tag<<32 | uint64(i+1)
				break
			}
			if s>>32 == tag && nodes[uint32(s)-1].ID == id {
				x.slots[p] = tag<<32 | uint64(i+1) // a later duplicate wins
				break
			}
		}
	}
	return x
}

// find returns the position of the node with the given id in nodes, the
// slice the index was built from.
func (x *nodeIDIndex) find(nodes []Node, id string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	h := maphash.String(nodeIDSeed, id)
	tag := h >> 32
	for p := h & x.mask; ; p = (p + 1) & x.mask {
		s := x.slots[p]
		if s == 0 {
			return 0, false
		}
		if s>>32 == tag {
			if i := uint32(s) - 1; int(i) < len(nodes) && nodes[i].ID == id {
				return int32(i), true
			}
		}
	}
}
