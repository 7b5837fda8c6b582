package blob

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
)

var (
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	newest = t0.Add(48 * time.Hour)
)

// richRows has every field the format carries, in the forms stores load
// them: stale rows with and without a time, a stub, every property type
// (an empty list is a value, not nothing), findings seen by the newest sync,
// seen earlier, resolved, stale.
func richRows() Rows {
	return Rows{
		Nodes: []graph.Node{
			{ID: "b", Kind: graph.KindBucket, Cloud: graph.CloudAWS, NativeType: "AWS::S3::Bucket", Name: "data", Account: "1", Region: "eu-west-1",
				Service: "s3", Sensitivity: graph.SensitivityRestricted, CrownJewel: true, Tags: map[string]string{"owner": "team-a", "env": "prod"},
				Props: graph.Props{"public": true, "objects": int64(-42), "ratio": 0.5, "whole": 3.0, "names": []string{"x", ""}, "none": []string{}, "s": "ü\x00"}},
			{ID: "a", Kind: graph.KindRole, Cloud: graph.CloudAWS, Stub: true},
			{ID: "c", Kind: graph.KindCompute, Stale: true, StaleSince: t0},
			{ID: "d", Kind: graph.KindCompute, Stale: true},
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
		},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: "c", Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Likelihood: 0.9,
				Evidence: []string{"sg-1 allows 0.0.0.0/0:22"}, Findings: []string{"f1"}, Props: graph.Props{"ports": []string{"22"}}},
			{From: "c", To: "a", Kind: graph.EdgeRunsAs},
			{From: "a", To: "b", Kind: graph.EdgeReads, Technique: "aws.s3.read", Conditional: true, Stale: true},
			{From: "a", To: "b", Kind: graph.EdgeReads, Technique: "aws.s3.list"},
		},
		Findings: []graph.Finding{
			{ID: "f2", RuleID: "r2", Resource: "b", Severity: graph.SeverityHigh, Title: "t", Evidence: "e", Remediation: "fix it",
				Controls: []string{"CIS:1"}, FixEffort: 2, FirstSeen: t0, LastSeen: newest},
			{ID: "f1", RuleID: "r1", Resource: "c", Severity: graph.SeverityCritical, FirstSeen: t0, LastSeen: t0.Add(time.Hour), Stale: true},
			{ID: "f3", RuleID: "r3", Resource: "b", Severity: graph.SeverityLow, FirstSeen: t0, LastSeen: t0, ResolvedAt: newest},
			{ID: "f4", RuleID: "r4", Resource: "b", Severity: graph.SeverityInfo},
		},
	}
}

func sortedCopy(r Rows) Rows {
	out := Rows{Nodes: slices.Clone(r.Nodes), Edges: slices.Clone(r.Edges), Findings: slices.Clone(r.Findings)}
	if _, err := Encode(&out, time.Time{}); err != nil { // sorts in place
		panic(err)
	}
	return out
}

func TestDecodeReturnsTheEncodedRowsInCanonicalOrder(t *testing.T) {
	in := richRows()
	want := sortedCopy(in)
	b, err := Encode(&in, newest)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		opt   Options
		edges []graph.Edge
		finds []graph.Finding
	}{
		{"everything", Options{IncludeResolved: true, LastSeen: newest}, nil, want.Findings},
		{"moves only", Options{MovesOnly: true, IncludeResolved: true, LastSeen: newest}, nil, want.Findings},
		{"open findings only", Options{LastSeen: newest}, nil,
			slices.DeleteFunc(slices.Clone(want.Findings), func(f graph.Finding) bool { return !f.ResolvedAt.IsZero() })},
		{"no findings", Options{NoFindings: true}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(b, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Nodes, want.Nodes) {
				t.Errorf("nodes:\n got %+v\nwant %+v", got.Nodes, want.Nodes)
			}
			var moves, facts []graph.Edge
			for _, e := range want.Edges {
				if e.Kind.IsMove() {
					moves = append(moves, e)
				} else {
					facts = append(facts, e)
				}
			}
			wantRuns := [][]graph.Edge{moves, facts}
			if tc.opt.MovesOnly {
				wantRuns = wantRuns[:1]
			}
			if !reflect.DeepEqual(got.EdgeRuns, wantRuns) {
				t.Errorf("edges:\n got %+v\nwant %+v", got.EdgeRuns, wantRuns)
			}
			if got.Moves != len(moves) {
				t.Errorf("moves = %d, want %d", got.Moves, len(moves))
			}
			if len(got.Findings) != len(tc.finds) || (len(tc.finds) > 0 && !reflect.DeepEqual(got.Findings, tc.finds)) {
				t.Errorf("findings:\n got %+v\nwant %+v", got.Findings, tc.finds)
			}
		})
	}
}

func TestKeepFactsDecodesOnlyTheNamedFactKinds(t *testing.T) {
	in := richRows()
	b, err := Encode(&in, newest)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b, Options{MovesOnly: true, KeepFacts: []graph.EdgeKind{graph.EdgeRunsAs}, IncludeResolved: true, LastSeen: newest})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.EdgeRuns) != 2 || len(d.EdgeRuns[0]) != 3 || len(d.EdgeRuns[1]) != 1 || d.EdgeRuns[1][0].Kind != graph.EdgeRunsAs || d.EdgeRuns[1][0].From != "c" {
		t.Fatalf("runs %+v, want the 3 moves and the RUNS_AS fact", d.EdgeRuns)
	}
	none, err := Decode(b, Options{MovesOnly: true, KeepFacts: []graph.EdgeKind{graph.EdgeMemberOf}})
	if err != nil || len(none.EdgeRuns) != 2 || len(none.EdgeRuns[1]) != 0 || len(none.Nodes) != len(in.Nodes) {
		t.Fatalf("keeping a kind the blob lacks: %+v, %v", none, err)
	}
}

func TestEncodingIsDeterministic(t *testing.T) {
	a, b := richRows(), richRows()
	slices.Reverse(b.Nodes)
	slices.Reverse(b.Edges)
	ea, err1 := Encode(&a, newest)
	eb, err2 := Encode(&b, newest)
	if err1 != nil || err2 != nil || !bytes.Equal(ea, eb) {
		t.Fatalf("the same rows in another order encode differently (%v, %v)", err1, err2)
	}
}

func TestEncodeRefusesWhatItCannotRepresent(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Rows)
		want string
	}{
		{"duplicate node", func(r *Rows) { r.Nodes = append(r.Nodes, r.Nodes[0]) }, "duplicate node"},
		{"duplicate edge", func(r *Rows) { r.Edges = append(r.Edges, r.Edges[0]) }, "duplicate edge"},
		{"duplicate finding", func(r *Rows) { r.Findings = append(r.Findings, r.Findings[0]) }, "duplicate finding"},
		{"property type", func(r *Rows) { r.Nodes[0].Props["bad"] = 1 }, "unsupported type int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := richRows()
			tc.edit(&r)
			if _, err := Encode(&r, newest); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDamagedBlobIsRefusedWithOneLineCorruptError(t *testing.T) {
	r := richRows()
	good, err := Encode(&r, newest)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := slices.Clone(good); b[i] ^= 0x40; return b }
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a scope blob"},
		{"foreign", []byte("SQLite format 3\x00........"), "not a scope blob"},
		{"newer format", func() []byte { b := slices.Clone(good); b[4] = Version + 1; return b }(), "format version"},
		{"bit flip in the strings", flip(12), "checksum mismatch"},
		{"bit flip in the rows", flip(len(good) - 10), "checksum mismatch"},
		{"truncated", good[:len(good)-7], "checksum mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.b, Options{})
			if err == nil || !errors.Is(err, graph.ErrCorrupt) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want a one-line graph.ErrCorrupt with %q", err, tc.want)
			}
		})
	}
}

// reseal replaces the checksum of a modified blob, so that the decoder's
// own checks, not the checksum, must catch the damage.
func reseal(b []byte) []byte {
	body := slices.Clone(b[:len(b)-4])
	return binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
}

func FuzzDecode(f *testing.F) {
	r := richRows()
	good, err := Encode(&r, newest)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[5 : len(good)-4])
	empty := Rows{}
	e, _ := Encode(&empty, time.Time{})
	f.Add(e[5 : len(e)-4])
	f.Fuzz(func(t *testing.T, body []byte) {
		// fuzz the body behind a valid header and checksum: that is what a
		// bug in a writer (not a flipped bit on disk) would produce
		b := append([]byte(magic+string(rune(Version))), body...)
		b = append(b, 0, 0, 0, 0)
		b = reseal(b)
		if _, err := Decode(b, Options{MovesOnly: true, KeepFacts: []graph.EdgeKind{graph.EdgeRunsAs}}); err != nil && !errors.Is(err, graph.ErrCorrupt) {
			t.Fatalf("error does not wrap ErrCorrupt: %v", err)
		}
		d, err := Decode(b, Options{IncludeResolved: true})
		if err != nil {
			if !errors.Is(err, graph.ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		// whatever decodes must encode again to a blob that decodes the same
		rows := Rows{Nodes: d.Nodes, Findings: d.Findings}
		for _, run := range d.EdgeRuns {
			rows.Edges = append(rows.Edges, run...)
		}
		if _, err := Encode(&rows, time.Time{}); err != nil && !strings.Contains(err.Error(), "duplicate") {
			t.Fatalf("decoded rows do not encode: %v", err)
		}
	})
}

func TestSyntheticScopesRoundTrip(t *testing.T) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 3, Resources: 3000})
	if err != nil {
		t.Fatal(err)
	}
	for _, snap := range est.Snapshots {
		rows := Rows{Nodes: snap.Nodes, Edges: snap.Edges, Findings: snap.Findings}
		b, err := Encode(&rows, time.Time{})
		if err != nil {
			t.Fatalf("%s: %v", snap.Scope, err)
		}
		d, err := Decode(b, Options{IncludeResolved: true})
		if err != nil {
			t.Fatalf("%s: %v", snap.Scope, err)
		}
		var edges []graph.Edge
		for _, run := range d.EdgeRuns {
			edges = append(edges, run...)
		}
		want := graph.Assemble(normNodes(rows.Nodes), normEdges(rows.Edges), normFindings(rows.Findings))
		got := graph.Merge([]graph.Part{d.Part})
		if !reflect.DeepEqual(got.Nodes, want.Nodes) || !reflect.DeepEqual(got.Edges, want.Edges) || !reflect.DeepEqual(got.Findings, want.Findings) {
			t.Fatalf("%s: decoded rows differ from the snapshot's", snap.Scope)
		}
		if len(edges) != len(snap.Edges) {
			t.Fatalf("%s: %d edges, want %d", snap.Scope, len(edges), len(snap.Edges))
		}
	}
}

// The stored forms: empty collections load as nil (stores write none).
func normNodes(ns []graph.Node) []graph.Node {
	out := slices.Clone(ns)
	for i := range out {
		if len(out[i].Tags) == 0 {
			out[i].Tags = nil
		}
		if len(out[i].Props) == 0 {
			out[i].Props = nil
		}
	}
	return out
}

func normEdges(es []graph.Edge) []graph.Edge {
	out := slices.Clone(es)
	for i := range out {
		if len(out[i].Evidence) == 0 {
			out[i].Evidence = nil
		}
		if len(out[i].Findings) == 0 {
			out[i].Findings = nil
		}
		if len(out[i].Props) == 0 {
			out[i].Props = nil
		}
	}
	return out
}

func normFindings(fs []graph.Finding) []graph.Finding {
	out := slices.Clone(fs)
	for i := range out {
		if len(out[i].Controls) == 0 {
			out[i].Controls = nil
		}
	}
	return out
}

// TestRowsWithEqualTagsAndPropsShareOneMap: nodes and edges whose tag or
// property sets are encoded alike decode to one shared map each (a loaded
// million-node estate has a few dozen distinct sets, and a map per node was
// the largest part of its memory), while rows with other sets keep theirs.
func TestRowsWithEqualTagsAndPropsShareOneMap(t *testing.T) {
	rows := Rows{}
	for i := range 300 {
		env := "prod"
		if i%3 == 0 {
			env = "dev"
		}
		rows.Nodes = append(rows.Nodes, graph.Node{ID: fmt.Sprintf("n%03d", i), Kind: graph.KindCompute,
			Tags: map[string]string{"env": env, "owner": "team-a"}, Props: graph.Props{"encrypted": true, "ports": []string{"22"}}})
		rows.Edges = append(rows.Edges, graph.Edge{From: fmt.Sprintf("n%03d", i), To: "n000", Kind: graph.EdgeReads, Technique: "aws.s3.read",
			Props: graph.Props{"ports": []string{"443"}}})
	}
	want := sortedCopy(rows)
	b, err := Encode(&rows, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Nodes, want.Nodes) || !reflect.DeepEqual(d.EdgeRuns[0], want.Edges) {
		t.Fatal("decoded rows differ from the encoded ones")
	}
	distinct := func(n int, m func(i int) any) int {
		seen := map[unsafe.Pointer]bool{}
		for i := range n {
			seen[reflect.ValueOf(m(i)).UnsafePointer()] = true
		}
		return len(seen)
	}
	if got := distinct(len(d.Nodes), func(i int) any { return d.Nodes[i].Tags }); got != 2 {
		t.Errorf("300 nodes with 2 distinct tag sets hold %d tag maps, want 2", got)
	}
	if got := distinct(len(d.Nodes), func(i int) any { return d.Nodes[i].Props }); got != 1 {
		t.Errorf("300 nodes with one property set hold %d property maps, want 1", got)
	}
	if got := distinct(len(d.EdgeRuns[0]), func(i int) any { return d.EdgeRuns[0][i].Props }); got != 1 {
		t.Errorf("300 edges with one property set hold %d property maps, want 1", got)
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := Decode(b, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	// a map per row would be over 900 allocations (600 node maps, 300 edge
	// maps and their lists); shared, the decode allocates a few dozen
	if allocs > 100 {
		t.Errorf("decoding 300 nodes and 300 edges of 3 property/tag sets allocated %.0f times, want at most 100", allocs)
	}
}

// TestEvidenceListsCostTheirSizeOnce: the strings of every edge's evidence
// list are decoded into fixed arena chunks, so a scope's lists cost about
// their own size, not the several copies a growing slice leaves behind.
func TestEvidenceListsCostTheirSizeOnce(t *testing.T) {
	var rows Rows
	for i := range 20000 {
		rows.Edges = append(rows.Edges, graph.Edge{From: fmt.Sprintf("n%05d", i), To: "x", Kind: graph.EdgeReads, Technique: "aws.s3.read",
			Evidence: []string{"policy p1 statement s1", "bucket policy allows it", fmt.Sprintf("edge %d", i)}})
	}
	b, err := Encode(&rows, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, err := Decode(b, Options{})
	runtime.ReadMemStats(&after)
	if err != nil || len(d.EdgeRuns[0]) != 20000 {
		t.Fatalf("decoded %v, %v", d, err)
	}
	// the rows themselves, the string table and its text, then the lists:
	// 60,000 strings of 16 bytes once; growing one slice cost about 4x that
	rowBytes := uint64(20000) * uint64(unsafe.Sizeof(graph.Edge{}))
	lists := uint64(60000 * 16)
	table := uint64(len(b)) * 3
	if got := after.TotalAlloc - before.TotalAlloc; got > rowBytes+table+lists*3/2 {
		t.Errorf("decoding 20,000 edges with 60,000 evidence strings allocated %d bytes, want under %d", got, rowBytes+table+lists*3/2)
	}
}

// TestDecodeLeavesNoStringTableBehind: a decode into a window allocates
// the text of the string table and the rows' shared maps, not a table of
// string headers or lengths per decode: those are reused from one decode
// to the next (a load decodes hundreds of scopes while the collector is
// paused, and every table dropped would be held until the load ends).
func TestDecodeLeavesNoStringTableBehind(t *testing.T) {
	const n = 20000
	var rows Rows
	for i := range n {
		rows.Nodes = append(rows.Nodes, graph.Node{ID: fmt.Sprintf("n%06d", i), Kind: graph.KindCompute, Name: fmt.Sprintf("name %06d", i)})
	}
	b, err := Encode(&rows, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // keep the reused scratch
	into := Window{Nodes: make([]graph.Node, n)}
	if _, err := Decode(b, Options{Into: &into}); err != nil {
		t.Fatal(err)
	}
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := Decode(b, Options{Into: &into}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if into.Nodes[n-1].Name != fmt.Sprintf("name %06d", n-1) {
		t.Fatalf("last node decoded as %+v", into.Nodes[n-1])
	}
	// 40,001 strings: their text is part of the blob (some 700 KB), a
	// table of their headers and lengths would add 960 KB to each decode
	text := uint64(len(b))
	if got := (after.TotalAlloc - before.TotalAlloc) / runs; got > text+64<<10 {
		t.Errorf("a decode of %d nodes into a window allocated %d bytes, want under %d (the text and a little)", n, got, text+64<<10)
	}
}

// TestKeepBlobDecodesStringsInPlace: with KeepBlob every decoded string
// lies in the blob itself, and the rows equal those of a copying decode.
func TestKeepBlobDecodesStringsInPlace(t *testing.T) {
	rows := richRows()
	b, err := Encode(&rows, newest)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := Decode(b, Options{IncludeResolved: true, LastSeen: newest})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := Decode(b, Options{IncludeResolved: true, LastSeen: newest, KeepBlob: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(kept, copied) {
		t.Fatalf("KeepBlob decoded\n%+v\nwant\n%+v", kept, copied)
	}
	lo, hi := uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&b[0]))+uintptr(len(b))
	inBlob := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return s == "" || (p >= lo && p < hi)
	}
	for _, n := range kept.Nodes {
		if !inBlob(n.ID) || !inBlob(n.Name) || !inBlob(string(n.Kind)) {
			t.Errorf("node %q: a string outside the blob", n.ID)
		}
	}
	for _, n := range copied.Nodes {
		if n.ID != "" && inBlob(n.ID) {
			t.Errorf("node %q: a copying decode left its id in the blob", n.ID)
		}
	}
}
