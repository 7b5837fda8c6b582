package sensitivityreport

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func estate() *graph.Graph {
	nodes := []graph.Node{
		{ID: "internet", Kind: graph.KindInternet},
		{ID: "web", Kind: graph.KindCompute, Cloud: graph.CloudAWS, Account: "111"},
		{ID: "near", Kind: graph.KindBucket, Cloud: graph.CloudAWS, Account: "111", Name: "near\x1b[31m"},
		{ID: "far", Kind: graph.KindDatabase, Cloud: graph.CloudAWS, Account: "111", Name: "far"},
		{ID: "tagged", Kind: graph.KindBucket, Cloud: graph.CloudAWS, Account: "111", Name: "tagged", Sensitivity: graph.SensitivityRestricted,
			Props: graph.Props{"sensitivity_source": "tag", "sensitivity_rule": "tag DataClassification=restricted"}},
		{ID: "isolated", Kind: graph.KindQueue, Cloud: graph.CloudGCP, Account: "proj-a", Name: "isolated"},
		{ID: "legacy", Kind: graph.KindBucket, Cloud: graph.CloudGCP, Account: "proj-a", Name: "legacy", Sensitivity: graph.SensitivityInternal},
	}
	edges := []graph.Edge{
		{From: "internet", To: "web", Kind: graph.EdgeExposedTo},
		{From: "web", To: "near", Kind: graph.EdgeReads},
		{From: "near", To: "far", Kind: graph.EdgeReads},
		{From: "web", To: "tagged", Kind: graph.EdgeReads},
	}
	return graph.Assemble(nodes, edges, nil)
}

func TestReportListsReachableUnclassifiedStoresFirst(t *testing.T) {
	rep, err := Build(context.Background(), estate(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range rep.Stores {
		order = append(order, s.ID)
	}
	if got := strings.Join(order, ","); got != "near,far,isolated,tagged,legacy" {
		t.Fatalf("order %s", got)
	}
	if rep.ClassifyFirst != 2 || rep.DataStores != 5 || rep.Unclassified != 3 || rep.BySource["tag"] != 1 || rep.BySource["collector"] != 1 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Stores[0].Hops != 2 || rep.Stores[1].Hops != 3 {
		t.Fatalf("hops %+v", rep.Stores[:2])
	}
	if len(rep.Scopes) != 2 || rep.Scopes[0].Account != "111" || rep.Scopes[0].UnclassifiedShare != 2.0/3 || rep.Scopes[1].UnclassifiedShare != 0.5 {
		t.Fatalf("scopes %+v", rep.Scopes)
	}
}

func TestReportDepthBoundsReachability(t *testing.T) {
	rep, err := Build(context.Background(), estate(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ClassifyFirst != 1 || rep.Stores[0].ID != "near" {
		t.Fatalf("with two moves only near is reachable: %+v", rep.Stores)
	}
}

func TestEveryFormatEscapesTheEstate(t *testing.T) {
	rep, err := Build(context.Background(), estate(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, rep, f); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(buf.Bytes(), []byte("\x1b")) {
				t.Fatalf("raw escape in %s output", f)
			}
			if f == "json" && !json.Valid(buf.Bytes()) {
				t.Fatal("invalid JSON")
			}
			if f == "table" && !strings.Contains(buf.String(), "classify these: 2") {
				t.Fatalf("table lacks the classify-first line:\n%s", buf.String())
			}
		})
	}
	if err := Write(&bytes.Buffer{}, rep, "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}
