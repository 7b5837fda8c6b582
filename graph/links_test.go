package graph

import (
	"errors"
	"reflect"
	"testing"
)

func TestScopeLinksRecordOwnedNodesAndWhatTheScopeDoesWithStubs(t *testing.T) {
	nodes := []Node{
		{ID: "vm", Kind: KindCompute},
		{ID: "role", Kind: KindRole},
		{ID: InternetID, Kind: KindInternet, Stub: true},
		{ID: "other-role", Kind: KindRole, Stub: true},
		{ID: "org", Kind: KindOrganization, Stub: true},
		{ID: "unused", Kind: KindRole, Stub: true},
	}
	edges := []Edge{
		{From: InternetID, To: "vm", Kind: EdgeExposedTo},
		{From: "vm", To: "role", Kind: EdgeUsesIdentity},
		{From: "role", To: "other-role", Kind: EdgeAssumes},
		{From: "org", To: "vm", Kind: EdgeContains},
	}
	findings := []Finding{{ID: "f1", Resource: "other-role"}, {ID: "f2", Resource: "vm"}}
	l := BuildScopeLinks(nodes, edges, findings)
	if !l.Owns("vm") || !l.Owns("role") || l.Owns(InternetID) || l.Owns("other-role") {
		t.Errorf("owned nodes wrong: %+v", l.Owned)
	}
	want := []LinkRef{{InternetID, LinkMoveOut}, {"org", LinkFact}, {"other-role", LinkMoveIn | LinkFinding}, {"unused", 0}}
	if !reflect.DeepEqual(l.Refs, want) {
		t.Errorf("refs = %+v, want %+v", l.Refs, want)
	}
	got, err := DecodeScopeLinks(EncodeScopeLinks(l))
	if err != nil || !reflect.DeepEqual(got, l) {
		t.Errorf("round trip = %+v, %v; want %+v", got, err, l)
	}
}

func TestDecodeScopeLinksRejectsDamagedBytes(t *testing.T) {
	good := EncodeScopeLinks(BuildScopeLinks([]Node{{ID: "a"}, {ID: "b"}, {ID: "s", Stub: true}, {ID: "t", Stub: true}},
		[]Edge{{From: "s", To: "a", Kind: EdgeAssumes}}, nil))
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"other version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-3]},
		{"trailing bytes", append(append([]byte{}, good...), 0)},
		{"huge count", []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"references out of order", EncodeScopeLinks(&ScopeLinks{Refs: []LinkRef{{ID: "b"}, {ID: "a"}}})},
		{"owned out of order", EncodeScopeLinks(&ScopeLinks{Owned: []uint64{2, 1}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeScopeLinks(tt.b); !errors.Is(err, ErrLinksFormat) {
				t.Errorf("err = %v, want ErrLinksFormat", err)
			}
		})
	}
	// every prefix fails cleanly, none panics
	for i := range good {
		if _, err := DecodeScopeLinks(good[:i]); err == nil {
			t.Errorf("prefix of %d bytes decoded", i)
		}
	}
}
