package neo4j

import (
	"encoding/binary"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

// Stored hashes must not change between versions: a changed encoding would
// make the first re-sync after an upgrade rewrite every row. The hasher is
// FNV-1a 64 over each field's little-endian length (or value) and bytes.
func TestHasherIsFNV1aOfLengthPrefixedFields(t *testing.T) {
	tests := []struct {
		name string
		strs []string
		u64s []uint64
	}{
		{"empty", nil, nil},
		{"one string", []string{"arn:aws:s3:::bucket"}, nil},
		{"strings and numbers", []string{"", "ünïcode ✓", "a\\x00b"}, []uint64{0, 1, 1 << 63, 0xdeadbeefcafebabe}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := fnv.New64a()
			var b [8]byte
			h := newHasher()
			for _, s := range tc.strs {
				binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
				ref.Write(b[:])
				ref.Write([]byte(s))
				h.str(s)
			}
			for _, v := range tc.u64s {
				binary.LittleEndian.PutUint64(b[:], v)
				ref.Write(b[:])
				h.u64(v)
			}
			if got, want := h.sum(), int64(ref.Sum64()); got != want {
				t.Errorf("hash %x, want %x", got, want)
			}
		})
	}
}

// TestContentHashCoversEveryContentField changes each content field of a
// node, an edge and a finding in turn (storetest.FieldChanges finds them by
// reflection, so a field added to the model is included without being
// listed here) and expects the content hash to change: a field the hash
// missed would let a re-sync skip the changed row and keep the old value.
func TestContentHashCoversEveryContentField(t *testing.T) {
	base := storetest.RichSnapshot(graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	changes, err := storetest.FieldChanges(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		var before, after int64
		switch typ, _, _ := strings.Cut(ch.Field, "."); typ {
		case "Node":
			before, after = hashNode(&base.Nodes[ch.Row]), hashNode(&ch.Snapshot.Nodes[ch.Row])
		case "Edge":
			before, after = hashEdge(&base.Edges[ch.Row]), hashEdge(&ch.Snapshot.Edges[ch.Row])
		case "Finding":
			before, after = hashFinding(&base.Findings[ch.Row]), hashFinding(&ch.Snapshot.Findings[ch.Row])
		default:
			t.Fatalf("change of %s: unknown row type", ch.Field)
		}
		if before == after {
			t.Errorf("the content hash ignores %s: a re-sync changing only it would keep the old value", ch.Field)
		}
	}
}
