package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// adminExport is an authorization-details export of n users, each holding
// AdministratorAccess and nothing else: the shape that made the import
// expand every principal into the same 450 services.
func adminExport(tb testing.TB, n int) string {
	tb.Helper()
	type attached struct{ PolicyName, PolicyArn string }
	type user struct {
		Path, UserName, UserId, Arn, CreateDate string
		GroupList                               []string
		AttachedManagedPolicies                 []attached
	}
	doc := struct {
		UserDetailList                            []user
		GroupDetailList, RoleDetailList, Policies []struct{}
	}{GroupDetailList: []struct{}{}, RoleDetailList: []struct{}{}, Policies: []struct{}{}}
	for i := range n {
		doc.UserDetailList = append(doc.UserDetailList, user{Path: "/", UserName: fmt.Sprintf("admin%06d", i), UserId: fmt.Sprintf("AIDA%017d", i),
			Arn: fmt.Sprintf("arn:aws:iam::111122223333:user/admin%06d", i), CreateDate: "2021-03-04T10:11:12Z", GroupList: []string{},
			AttachedManagedPolicies: []attached{{"AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess"}}})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// importCost imports an export of n administrators and returns the bytes
// allocated on the way and the bytes of the entitlement documents stored on
// the principals.
func importCost(t *testing.T, n int) (allocated, stored uint64) {
	t.Helper()
	doc := adminExport(t, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	snap, _, err := FromAuthDetails(context.Background(), strings.NewReader(doc), "admins.json", TransformOptions{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	for i := range snap.Nodes {
		if s, ok := snap.Nodes[i].Props[entitlement.PropEntitlements].(string); ok {
			stored += uint64(len(s))
		}
	}
	return after.TotalAlloc - before.TotalAlloc, stored
}

// TestAuthDetailsImportCostPerAdministratorIsBounded: the import's cost of
// one more principal holding AdministratorAccess is bounded, in bytes
// allocated and in bytes stored (its export entry is some 330 bytes). Before
// principals shared their identical services, each cost some 470 KB
// allocated and 42 KB stored, and 50,000 of them took 10.3 GB of RSS.
// Measured as the difference between two sizes, so the fixed cost (the
// action catalog, the managed policies) drops out; bytes, not time.
func TestAuthDetailsImportCostPerAdministratorIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("imports two generated exports")
	}
	const small, large = 200, 600
	const maxAllocated, maxStored = 32 << 10, 2 << 10 // per added principal
	// the smaller of two runs, so a collection the runtime makes meanwhile
	// does not count
	cost := func(n int) (uint64, uint64) {
		a1, s := importCost(t, n)
		a2, _ := importCost(t, n)
		return min(a1, a2), s
	}
	aSmall, sSmall := cost(small)
	aLarge, sLarge := cost(large)
	perAlloc := (int64(aLarge) - int64(aSmall)) / (large - small)
	perStored := (int64(sLarge) - int64(sSmall)) / (large - small)
	t.Logf("per added administrator: %d bytes allocated, %d bytes of entitlements stored", perAlloc, perStored)
	if perAlloc > maxAllocated {
		t.Errorf("%d bytes allocated per added administrator, want at most %d", perAlloc, maxAllocated)
	}
	if perStored > maxStored {
		t.Errorf("%d bytes of entitlements stored per added administrator, want at most %d", perStored, maxStored)
	}
}

// TestSharedEntitlementsDecodeAsTheirOwn: principals that share one stored
// copy of their services decode to what each would have stored alone.
func TestSharedEntitlementsDecodeAsTheirOwn(t *testing.T) {
	snap, _, err := FromAuthDetails(context.Background(), strings.NewReader(adminExport(t, 3)), "admins.json", TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
	var docs []*entitlement.Entitlements
	shared := 0
	for i := range snap.Nodes {
		n := &snap.Nodes[i]
		if n.Kind != graph.KindUser || !strings.Contains(n.ID, ":user/") {
			continue
		}
		if strings.Contains(n.Props[entitlement.PropEntitlements].(string), `"shared_from"`) {
			shared++
		}
		e, err := entitlement.DecodeWith(n, g.Node)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, e)
	}
	if len(docs) != 3 || shared != 2 {
		t.Fatalf("%d users decoded, %d sharing: want 3 and 2 (the first holds the copy)", len(docs), shared)
	}
	for _, e := range docs[1:] {
		a, _ := json.Marshal(e)
		b, _ := json.Marshal(docs[0])
		if string(a) != string(b) {
			t.Fatalf("a sharing principal decodes differently:\n%s\n%s", a, b)
		}
		if len(e.Services) < 300 {
			t.Fatalf("%d services: want every service AdministratorAccess grants", len(e.Services))
		}
	}
}
