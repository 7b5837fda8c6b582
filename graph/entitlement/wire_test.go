package entitlement

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

var annotateNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func TestAnnotateRoundTrips(t *testing.T) {
	nodes := []graph.Node{{ID: "a", Kind: graph.KindUser, Cloud: graph.CloudAWS, Account: "123456789012"}, {ID: "b", Kind: graph.KindUser, Cloud: graph.CloudAWS, Account: "123456789012"}}
	ent := &Entitlements{Services: []ServiceEntitlement{{Service: "x", Total: 1, Levels: map[AccessLevel]int{LevelRead: 1}}}}
	use := &UsageData{Source: "t", Services: []ServiceUsage{{Service: "x", LastAccessed: annotateNow}}}
	if err := Annotate(nodes, map[string]*Entitlements{"a": ent}, map[string]*UsageData{"a": use}); err != nil {
		t.Fatal(err)
	}
	if _, ok := nodes[1].Props[PropEntitlements]; ok {
		t.Fatal("node without entitlements annotated")
	}
	got, err := Decode(&nodes[0])
	if err != nil || got == nil || got.Services[0].Service != "x" {
		t.Fatalf("decode: %+v %v", got, err)
	}
	u, err := DecodeUsage(&nodes[0])
	if err != nil || u == nil || !u.Services[0].LastAccessed.Equal(annotateNow) {
		t.Fatalf("decode usage: %+v %v", u, err)
	}
	if err := (&graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "123456789012"}, Nodes: nodes}).Validate(); err != nil {
		t.Fatalf("annotated nodes fail validation: %v", err)
	}
}

func TestAnnotateFitsThePropertyLimit(t *testing.T) {
	big := make([]string, 6000)
	for i := range big {
		big[i] = fmt.Sprintf("svc:Action%05d", i)
	}
	ent := &Entitlements{Services: []ServiceEntitlement{
		{Service: "big", Total: len(big), Levels: map[AccessLevel]int{LevelWrite: len(big)}, Actions: big},
		{Service: "small", Total: 1, Levels: map[AccessLevel]int{LevelRead: 1}, Actions: []string{"small:Get"}},
	}}
	nodes := []graph.Node{{ID: "a", Kind: graph.KindUser}}
	if err := Annotate(nodes, map[string]*Entitlements{"a": ent}, nil); err != nil {
		t.Fatal(err)
	}
	s := nodes[0].Props[PropEntitlements].(string)
	if len(s) > graph.MaxStringProp {
		t.Fatalf("%d bytes, over the %d limit", len(s), graph.MaxStringProp)
	}
	got, err := Decode(&nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Services[0].Actions != nil || got.Services[0].Total != len(big) || !slices.Equal(got.Services[1].Actions, []string{"small:Get"}) ||
		len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "big") {
		t.Fatalf("decoded %+v / notes %v: want big's names dropped with a note, counts and small's names kept", got.Services, got.Notes)
	}
	if got.Services[0].Levels[LevelWrite] != len(big) {
		t.Fatalf("levels did not round-trip: %v", got.Services[0].Levels)
	}
}

// TestAnnotateSharesIdenticalLargeEntitlements: principals with the same
// large services, sources and wildcards store one copy (the first holds it)
// and decode to their own documents; small ones stay self-contained; a
// sharing document cannot be read without the graph.
func TestAnnotateSharesIdenticalLargeEntitlements(t *testing.T) {
	big := func() []ServiceEntitlement {
		var ss []ServiceEntitlement
		for i := range 40 {
			ss = append(ss, ServiceEntitlement{Service: fmt.Sprintf("svc%02d", i), Total: 9, All: true, Levels: map[AccessLevel]int{LevelWrite: 9}})
		}
		return ss
	}
	src := []Source{{Kind: SourceIdentity, Policy: "p", Statement: "#0"}}
	ents := map[string]*Entitlements{
		"a": {Services: big(), Sources: src, Notes: []string{"a's note"}},
		"b": {Services: big(), Sources: src, CreatedAt: annotateNow}, // equal, not the same slices
		"c": {Services: big()[:1], Sources: src},                     // small: self-contained
		"d": {Services: big()[:39], Sources: src},                    // large but different
	}
	want := map[string]string{}
	for id, e := range ents {
		c := *e
		c.Version = Version
		b, _ := json.Marshal(&c)
		want[id] = string(b)
	}
	nodes := []graph.Node{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}
	if err := Annotate(nodes, ents, nil); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*graph.Node{}
	for i := range nodes {
		byID[nodes[i].ID] = &nodes[i]
	}
	for id, sharing := range map[string]bool{"a": false, "b": true, "c": false, "d": false} {
		stored := nodes[slices.IndexFunc(nodes, func(n graph.Node) bool { return n.ID == id })].Props[PropEntitlements].(string)
		if got := strings.Contains(stored, `"shared_from":"a"`); got != sharing {
			t.Errorf("%s stores %s: sharing %v, want %v", id, stored, got, sharing)
		}
		e, err := DecodeWith(byID[id], func(id string) *graph.Node { return byID[id] })
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(e)
		if string(got) != want[id] {
			t.Errorf("%s decodes to\n%s\nwant\n%s", id, got, want[id])
		}
	}
	if _, err := Decode(byID["b"]); err == nil || !strings.Contains(err.Error(), "shares the entitlements of a") {
		t.Fatalf("decoding a sharing document without the graph: %v", err)
	}
}
