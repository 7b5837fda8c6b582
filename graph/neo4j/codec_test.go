package neo4j

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
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
