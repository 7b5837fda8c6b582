package entitlement

import (
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
