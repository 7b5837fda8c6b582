package synthetic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func TestGenerateRejectsNonsenseOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"too few resources", Options{Resources: 99}, "out of range"},
		{"too many resources", Options{Resources: MaxResources + 1}, "out of range"},
		{"unknown cloud", Options{Resources: 1000, Clouds: []graph.Cloud{"oracle"}}, `unknown cloud "oracle"`},
		{"empty cloud name", Options{Resources: 1000, Clouds: []graph.Cloud{graph.CloudNone}}, "unknown cloud"},
		{"negative planted paths", Options{Resources: 1000, PlantedPaths: -1}, "negative"},
		{"planted paths do not fit", Options{Resources: 1000, PlantedPaths: 500}, "do not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate(%+v) error = %v, want one containing %q", tt.opts, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestGenerateHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Options{Seed: 1, Resources: 5000})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate with a cancelled context: error = %v, want context.Canceled", err)
	}
}

func snapshotsJSON(t *testing.T, e *Estate) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, s := range e.Snapshots {
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Truth.WriteTruth(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSameSeedGivesIdenticalEstate(t *testing.T) {
	gen := func(seed int64, clouds ...graph.Cloud) []byte {
		e, err := Generate(context.Background(), Options{Seed: seed, Resources: 3000, Clouds: clouds})
		if err != nil {
			t.Fatal(err)
		}
		return snapshotsJSON(t, e)
	}
	a, b := gen(7), gen(7)
	if !bytes.Equal(a, b) {
		t.Fatal("two estates generated from seed 7 differ")
	}
	if bytes.Equal(a, gen(8)) {
		t.Fatal("estates from seeds 7 and 8 are identical")
	}
	// the order the caller lists clouds in does not matter
	if !bytes.Equal(gen(7, graph.CloudGCP, graph.CloudAWS), gen(7, graph.CloudAWS, graph.CloudGCP)) {
		t.Fatal("cloud order changed the estate")
	}
}

func TestResourceCountWithinOnePercent(t *testing.T) {
	sizes := []int{1000, 10000, 100000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	for _, n := range sizes {
		t.Run(itoa(n), func(t *testing.T) {
			got := len(estateOf(t, n).Graph().Nodes)
			if d := got - n; d*100 > n || -d*100 > n {
				t.Fatalf("merged estate has %d nodes, want %d ±1%%", got, n)
			}
		})
	}
}

func TestSmallAndSingleCloudEstatesHoldTheInvariant(t *testing.T) {
	for _, opts := range []Options{
		{Seed: 3, Resources: MinResources},
		{Seed: 4, Resources: 2000, Clouds: []graph.Cloud{graph.CloudAzure}},
		{Seed: 5, Resources: 2000, Clouds: []graph.Cloud{graph.CloudGCP}},
		{Seed: 6, Resources: 5000, Clouds: []graph.Cloud{graph.CloudAWS}},
	} {
		t.Run(itoa(opts.Resources)+"-"+itoa(len(opts.Clouds)), func(t *testing.T) {
			e, err := Generate(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(e.Graph().Nodes); got != opts.Resources {
				t.Errorf("%d nodes, want %d", got, opts.Resources)
			}
			checkInvariant(t, e)
		})
	}
}

// idFormats says what an owned node's id looks like in each cloud.
var idFormats = map[graph.Cloud]func(id string) bool{
	graph.CloudAWS: func(id string) bool { return strings.HasPrefix(id, "arn:aws:") },
	graph.CloudAzure: func(id string) bool {
		return id == strings.ToLower(id) && (strings.HasPrefix(id, "/subscriptions/") || strings.HasPrefix(id, "/tenants/"))
	},
	graph.CloudGCP: func(id string) bool { return strings.HasPrefix(id, "//") && strings.Contains(id, ".googleapis.com/") },
}

func TestNodesFollowEachCloudsConventions(t *testing.T) {
	e := estateOf(t, 10000)
	for _, s := range e.Snapshots {
		for i := range s.Nodes {
			n := &s.Nodes[i]
			if n.Stub {
				continue
			}
			if !idFormats[n.Cloud](n.ID) {
				t.Errorf("%s node id %q does not follow the cloud's format", n.Cloud, n.ID)
			}
			if n.Service == "" || n.Region == "" || n.NativeType == "" || n.Name == "" || n.Account == "" {
				t.Errorf("node %q lacks service, region, native type, name or account: %+v", n.ID, n)
			}
			if n.Kind != graph.KindOrganization && (!strings.HasSuffix(n.Tags["owner"], "@northwind.example") || n.Tags["env"] == "") {
				t.Errorf("node %q lacks owner/env tags: %v", n.ID, n.Tags)
			}
			// The sensitivity rules only raise: a node is at least as
			// sensitive as its data-classification tag says (which level
			// each store ends at is TestSensitivityRulesClassifyEveryStoreAsPlanted).
			if c, ok := n.Tags["data-classification"]; ok {
				if want, err := graph.ParseSensitivity(c); err != nil || want > n.Sensitivity {
					t.Errorf("node %q: data-classification %q but sensitivity %s", n.ID, c, n.Sensitivity)
				}
			}
		}
	}
}

func TestEdgesAndFindingsAreWellFormed(t *testing.T) {
	e := estateOf(t, 10000)
	g := e.Graph()
	moves := 0
	for i := range g.Edges {
		ed := &g.Edges[i]
		if !ed.Kind.IsMove() {
			continue
		}
		moves++
		if ed.Likelihood <= 0 || ed.Likelihood > 1 {
			t.Errorf("move %s has likelihood %v outside (0,1]", ed.Key(), ed.Likelihood)
		}
		if len(ed.Evidence) == 0 {
			t.Errorf("move %s has no evidence", ed.Key())
		}
	}
	ratio := float64(len(g.Edges)) / float64(len(g.Nodes))
	if ratio < 4 || ratio > 6 {
		t.Errorf("%.2f edges per node, want about 5", ratio)
	}
	if moves*2 > len(g.Edges) {
		t.Errorf("%d of %d edges are moves, want most edges to be facts", moves, len(g.Edges))
	}
	efforts := map[float64]bool{}
	for _, f := range g.Findings {
		if f.Title == "" || f.Remediation == "" || f.Evidence == "" {
			t.Errorf("finding %s lacks title, remediation or evidence", f.ID)
		}
		if f.FixEffort < 1 || f.FixEffort > 8 {
			t.Errorf("finding %s has fix effort %v outside 1..8", f.ID, f.FixEffort)
		}
		efforts[f.FixEffort] = true
	}
	if len(efforts) < 4 {
		t.Errorf("only %d distinct fix efforts, want them to vary", len(efforts))
	}
	for id, r := range rules {
		if r.effort < 1 || r.effort > 8 || !r.severity.Valid() || r.title == "" || r.remediation == "" {
			t.Errorf("rule %s is incomplete: %+v", id, r)
		}
	}
}

func TestEveryCloudPatternAndDecoyPresentAt10k(t *testing.T) {
	e := estateOf(t, 10000)
	nodes := map[graph.Cloud]int{}
	for _, s := range e.Snapshots {
		for i := range s.Nodes {
			if !s.Nodes[i].Stub {
				nodes[s.Scope.Cloud]++
			}
		}
	}
	total := nodes[graph.CloudAWS] + nodes[graph.CloudAzure] + nodes[graph.CloudGCP]
	for c, want := range map[graph.Cloud]float64{graph.CloudAWS: 0.5, graph.CloudAzure: 0.25, graph.CloudGCP: 0.25} {
		if share := float64(nodes[c]) / float64(total); share < want-0.05 || share > want+0.05 {
			t.Errorf("%s holds %.0f%% of resources, want about %.0f%%", c, share*100, want*100)
		}
	}
	patterns, clouds, hops := map[string]bool{}, map[graph.Cloud]bool{}, map[int]bool{}
	for _, p := range e.Truth.Planted {
		patterns[p.Pattern] = true
		clouds[p.Cloud] = true
		hops[len(p.Edges)] = true
	}
	for _, p := range Patterns() {
		if !patterns[p] {
			t.Errorf("pattern %s not planted", p)
		}
	}
	for _, c := range []graph.Cloud{graph.CloudAWS, graph.CloudAzure, graph.CloudGCP} {
		if !clouds[c] {
			t.Errorf("no planted path in %s", c)
		}
	}
	for _, h := range []int{1, 2, 3, 4, 6} {
		if !hops[h] {
			t.Errorf("no planted path of %d hops", h)
		}
	}
	decoys := map[string]bool{}
	for _, d := range e.Truth.Decoys {
		decoys[d.Kind] = true
	}
	for _, d := range DecoyKinds() {
		if !decoys[d] {
			t.Errorf("decoy kind %s not present", d)
		}
	}
	// two planted paths share a prefix and its enabling finding: a choke point
	byFirstFinding := map[string]int{}
	for _, p := range e.Truth.Planted {
		if len(p.Findings) > 0 {
			byFirstFinding[p.Findings[0]]++
		}
	}
	shared := 0
	for _, n := range byFirstFinding {
		if n > 1 {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no two planted paths share an enabling finding")
	}
}

func TestCheckerCatchesAnUnplantedPath(t *testing.T) {
	e, err := Generate(context.Background(), Options{Seed: 9, Resources: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// a background READS from the first hop of a planted path to another
	// target opens a path the truth does not know
	p := e.Truth.Planted[0]
	var snap *graph.Snapshot
	var target string
	for _, s := range e.Snapshots {
		for i := range s.Nodes {
			if s.Nodes[i].ID == p.Nodes[1] {
				snap = s
			}
		}
	}
	for i := range snap.Nodes {
		n := &snap.Nodes[i]
		if !n.Stub && n.IsTarget(TruthThreshold) && n.ID != p.Target {
			target = n.ID
			break
		}
	}
	snap.Edges = append(snap.Edges, graph.Edge{From: p.Nodes[1], To: target, Kind: graph.EdgeReads, Technique: "test.read", Likelihood: 1})
	found := newMoveGraph(e.Graph()).allPaths(TruthThreshold, TruthMaxDepth, nil)
	if len(found) <= len(e.Truth.Planted) {
		t.Fatalf("checker found %d paths after adding an edge, want more than the %d planted", len(found), len(e.Truth.Planted))
	}
}

func TestEstateRoundTripsThroughADirectory(t *testing.T) {
	e := estateOf(t, 1000)
	dir := t.TempDir()
	if err := e.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Snapshots) != len(e.Snapshots) {
		t.Fatalf("read %d snapshots, wrote %d", len(back.Snapshots), len(e.Snapshots))
	}
	want, _ := json.Marshal(e.Truth)
	got, _ := json.Marshal(back.Truth)
	if !bytes.Equal(want, got) {
		t.Fatal("ground truth changed in the round trip")
	}
	checkInvariant(t, back)
}

func TestReadTruthRejectsInconsistentTruth(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "{", "read ground truth"},
		{"unknown field", `{"max_depth":8,"bogus":1}`, "unknown field"},
		{"no depth", `{"planted":[]}`, "max_depth"},
		{"edge count", `{"max_depth":8,"planted":[{"id":"p","nodes":["a","b"],"edges":[],"target":"b"}]}`, "0 edges for 2 nodes"},
		{"wrong target", `{"max_depth":8,"planted":[{"id":"p","nodes":["a","b"],"edges":["k"],"target":"a"}]}`, "not at its target"},
		{"bad threshold", `{"max_depth":8,"threshold":"secret"}`, "unknown sensitivity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTruth(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadTruth error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzReadTruth(f *testing.F) {
	var buf bytes.Buffer
	e, err := Generate(context.Background(), Options{Seed: 1, Resources: MinResources})
	if err != nil {
		f.Fatal(err)
	}
	if err := e.Truth.WriteTruth(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"max_depth":8,"planted":[{"nodes":["a"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTruth(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := tr.WriteTruth(&out); err != nil {
			t.Fatalf("a truth ReadTruth accepted cannot be written: %v", err)
		}
		if _, err := ReadTruth(&out); err != nil {
			t.Fatalf("a written truth does not read back: %v", err)
		}
	})
}

func TestStreamedScopesEqualGeneratedOnesInAnyOrder(t *testing.T) {
	ctx := context.Background()
	opts := Options{Seed: 5, Resources: 8000}
	est, err := Generate(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStream(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Len() != len(est.Snapshots) {
		t.Fatalf("stream of %d scopes, estate of %d", st.Len(), len(est.Snapshots))
	}
	streamed := &Estate{Truth: st.Truth, Snapshots: make([]*graph.Snapshot, st.Len())}
	for i := st.Len() - 1; i >= 0; i-- { // the opposite order to Generate's
		streamed.Snapshots[i] = st.Snapshot(i)
		if streamed.Snapshots[i].Scope != st.Scopes[i] {
			t.Fatalf("snapshot %d is of %s, the stream lists %s", i, streamed.Snapshots[i].Scope, st.Scopes[i])
		}
	}
	if !bytes.Equal(snapshotsJSON(t, streamed), snapshotsJSON(t, est)) {
		t.Fatal("the streamed estate differs from the generated one")
	}
	if !reflect.DeepEqual(st.Truth, est.Truth) {
		t.Fatal("the streamed ground truth differs from the generated one")
	}
	if st.Snapshot(0) != nil {
		t.Fatal("a scope was handed over twice")
	}
}
