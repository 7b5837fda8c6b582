package inventory

import (
	"testing"
	"time"
)

func TestActivityLogKeepsEachOperationOnceWithItsLatestTime(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sub := NewActivityLog(t0.AddDate(0, 0, -90), t0)
	sub.Record("SP-1", "Microsoft.Compute/virtualMachines/start/action", "/subscriptions/S/resourceGroups/RG/", t0.AddDate(0, 0, -5))
	sub.Record("sp-1", "microsoft.compute/virtualmachines/start/action", "/subscriptions/s/resourcegroups/rg", t0.AddDate(0, 0, -1))
	sub.Record("sp-1", "Microsoft.Compute/virtualMachines/start/action", "/subscriptions/s/resourcegroups/other", t0.AddDate(0, 0, -9))
	sub.Record("", "Microsoft.Compute/virtualMachines/start/action", "/subscriptions/s", t0)
	all := NewActivityLog(t0.AddDate(0, 0, -90), t0)
	all.Record("sp-1", "Microsoft.Compute/virtualMachines/start/action", "/subscriptions/s/resourcegroups/rg", t0.AddDate(0, 0, -30))
	all.Merge(sub)
	ex := all.ByCaller["sp-1"]
	if len(ex) != 2 || len(all.ByCaller) != 1 {
		t.Fatalf("operations %+v, want two (one per scope) for one caller", all.ByCaller)
	}
	if ex[0].Scope != "/subscriptions/s/resourcegroups/rg" || ex[0].Count != 3 || !ex[0].Last.Equal(t0.AddDate(0, 0, -1)) {
		t.Fatalf("merged operation %+v, want 3 events at the resource group, latest a day ago", ex[0])
	}
}
