package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

// benchSnapshot is a deterministic scope of n nodes and about 5n edges:
// one account, n/100 roles, n/200 security groups and compute instances
// that reach each other, run as roles and sit behind security groups.
func benchSnapshot(n int) *graph.Snapshot {
	scope := graph.Scope{Cloud: graph.CloudAWS, ID: "123456789012"}
	s := &graph.Snapshot{Scope: scope, CollectedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Collector: "bench"}
	account := "arn:aws:organizations::123456789012"
	roles, sgs := n/100, n/200
	computes := n - 2 - roles - sgs
	role := func(i int) string { return fmt.Sprintf("arn:aws:iam::123456789012:role/role-%d", i) }
	sg := func(i int) string { return fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:security-group/sg-%08x", i) }
	vm := func(i int) string { return fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%012x", i) }
	tags := []map[string]string{{"owner": "team-a", "env": "prod"}, {"owner": "team-b", "env": "dev"}, {"owner": "team-c"}}
	s.Nodes = append(s.Nodes, graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
		graph.Node{ID: account, Kind: graph.KindAccount, Cloud: graph.CloudAWS, Service: "organizations"})
	for i := range roles {
		s.Nodes = append(s.Nodes, graph.Node{ID: role(i), Kind: graph.KindRole, Cloud: graph.CloudAWS, NativeType: "AWS::IAM::Role",
			Name: fmt.Sprintf("role-%d", i), Account: scope.ID, Service: "iam", CrownJewel: i%50 == 0})
	}
	for i := range sgs {
		s.Nodes = append(s.Nodes, graph.Node{ID: sg(i), Kind: graph.KindFirewallRules, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::SecurityGroup",
			Account: scope.ID, Region: "us-east-1", Service: "ec2", Props: graph.Props{"ingress": []string{"10.0.0.0/8:443"}}})
	}
	for i := range computes {
		s.Nodes = append(s.Nodes, graph.Node{ID: vm(i), Kind: graph.KindCompute, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::Instance",
			Name: fmt.Sprintf("vm-%d", i), Account: scope.ID, Region: "us-east-1", Service: "ec2", Tags: tags[i%len(tags)],
			Props: graph.Props{"cores": int64(2 + i%8), "public": i%20 == 0, "rev": int64(0)}})
		s.Edges = append(s.Edges,
			graph.Edge{From: account, To: vm(i), Kind: graph.EdgeContains},
			graph.Edge{From: vm(i), To: sg(i % sgs), Kind: graph.EdgeProtectedBy},
			graph.Edge{From: vm(i), To: role(i % roles), Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds-credentials", Evidence: []string{"instance profile"}},
			graph.Edge{From: vm(i), To: vm((i + 1) % computes), Kind: graph.EdgeReaches, Technique: "net.lateral", Likelihood: 0.5},
			graph.Edge{From: vm(i), To: vm((i * 7919) % computes), Kind: graph.EdgeReaches, Technique: "net.lateral-ssh", Evidence: []string{"sg allows 22"}},
		)
		if i%20 == 0 {
			fid := graph.FindingID("aws.ec2.public", vm(i))
			s.Findings = append(s.Findings, graph.Finding{ID: fid, RuleID: "aws.ec2.public", Resource: vm(i), Severity: graph.SeverityHigh,
				Title: "Instance is public", Controls: []string{"AWS-FSBP:EC2.9"}})
			s.Edges = append(s.Edges, graph.Edge{From: graph.InternetID, To: vm(i), Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{fid}})
		}
	}
	return s
}

// peakHeap samples the live heap while f runs and returns how far its peak
// rose above the heap at the start (the snapshot, already built, is not
// counted), in MiB. Sampling misses short spikes: an indication, not a bound.
func peakHeap(f func()) float64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return float64(peak-min(peak, base)) / (1 << 20)
}

func benchStore(b *testing.B) *Store {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "breachpath.db"), WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSync100k syncs a 100k-node, ~500k-edge scope: cold into an empty
// store, then warm re-syncs with 1% of the nodes changed.
func BenchmarkSync100k(b *testing.B) {
	snap := benchSnapshot(100_000)
	rows := float64(len(snap.Nodes) + len(snap.Edges) + len(snap.Findings))
	b.Logf("snapshot: %d nodes, %d edges, %d findings", len(snap.Nodes), len(snap.Edges), len(snap.Findings))
	ctx := context.Background()

	b.Run("cold", func(b *testing.B) {
		var peak float64
		for b.Loop() {
			b.StopTimer()
			s := benchStore(b)
			runtime.GC()
			b.StartTimer()
			peak = max(peak, peakHeap(func() {
				if _, err := s.Sync(ctx, snap); err != nil {
					b.Fatal(err)
				}
			}))
		}
		b.ReportMetric(float64(len(snap.Nodes))*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
		b.ReportMetric(rows*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(peak, "extra-heap-MiB")
	})

	b.Run("warm-1pct-changed", func(b *testing.B) {
		s := benchStore(b)
		if _, err := s.Sync(ctx, snap); err != nil {
			b.Fatal(err)
		}
		var peak float64
		rev := int64(0)
		for b.Loop() {
			b.StopTimer()
			rev++
			for i := 0; i < len(snap.Nodes); i += 100 { // 1% of nodes change a property
				if snap.Nodes[i].Props == nil {
					snap.Nodes[i].Props = graph.Props{}
				}
				snap.Nodes[i].Props["rev"] = rev
			}
			runtime.GC()
			b.StartTimer()
			peak = max(peak, peakHeap(func() {
				if _, err := s.Sync(ctx, snap); err != nil {
					b.Fatal(err)
				}
			}))
		}
		b.ReportMetric(float64(len(snap.Nodes))*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
		b.ReportMetric(peak, "extra-heap-MiB")
	})
}

// BenchmarkLoad100k loads the 100k-node scope back into memory.
func BenchmarkLoad100k(b *testing.B) {
	snap := benchSnapshot(100_000)
	s := benchStore(b)
	ctx := context.Background()
	if _, err := s.Sync(ctx, snap); err != nil {
		b.Fatal(err)
	}
	var peak float64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			g, err := s.Load(ctx, graph.Filter{})
			if err != nil {
				b.Fatal(err)
			}
			if len(g.Nodes) != len(snap.Nodes) {
				b.Fatalf("loaded %d nodes, want %d", len(g.Nodes), len(snap.Nodes))
			}
		}))
	}
	b.ReportMetric(float64(len(snap.Nodes)+len(snap.Edges))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peak, "extra-heap-MiB")
}

// BenchmarkSyncSyntheticEstate100k syncs every scope of the 100k-resource
// synthetic estate (collector/synthetic) into an empty store, then loads it.
func BenchmarkSyncSyntheticEstate100k(b *testing.B) {
	ctx := context.Background()
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 1, Resources: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	var nodes, edges int
	for _, snap := range est.Snapshots {
		nodes += len(snap.Nodes)
		edges += len(snap.Edges)
	}
	b.Logf("estate: %d scopes, %d nodes, %d edges", len(est.Snapshots), nodes, edges)
	b.Run("sync", func(b *testing.B) {
		var peak float64
		for b.Loop() {
			b.StopTimer()
			s := benchStore(b)
			runtime.GC()
			b.StartTimer()
			peak = max(peak, peakHeap(func() {
				for _, snap := range est.Snapshots {
					if _, err := s.Sync(ctx, snap); err != nil {
						b.Fatal(err)
					}
				}
			}))
		}
		b.ReportMetric(float64(nodes)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
		b.ReportMetric(peak, "extra-heap-MiB")
	})
	b.Run("resync-unchanged", func(b *testing.B) {
		s := benchStore(b)
		for _, snap := range est.Snapshots {
			if _, err := s.Sync(ctx, snap); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			for _, snap := range est.Snapshots {
				if _, err := s.Sync(ctx, snap); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(nodes)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
	})
}

// BenchmarkStats4000Scopes measures Stats on a store of 4,000 scopes, as
// many as the 10M-resource synthetic estate has (the cost of a per-scope
// sum grows with the scopes, not the resources): every scope, one cloud
// (a sum over the selected scopes' counts) and the per-scope listing.
func BenchmarkStats4000Scopes(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	snaps := make([]*graph.Snapshot, 4000)
	for i := range snaps {
		snaps[i] = storetest.RichSnapshot(graph.Scope{Cloud: graph.CloudAWS, ID: fmt.Sprintf("%012d", 100000000000+i)},
			time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	if _, err := s.SyncAllOrNothing(ctx, snaps, nil); err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name   string
		filter graph.Filter
		opts   graph.StatsOptions
	}{
		{"every scope", graph.Filter{}, graph.StatsOptions{}},
		{"one cloud", graph.Filter{Clouds: []graph.Cloud{graph.CloudAWS}}, graph.StatsOptions{}},
		{"every scope listed", graph.Filter{}, graph.StatsOptions{PerScope: true}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				st, err := s.Stats(ctx, bm.filter, bm.opts)
				if err != nil {
					b.Fatal(err)
				}
				if st.Syncs != len(snaps) {
					b.Fatalf("%d syncs, want %d", st.Syncs, len(snaps))
				}
			}
		})
	}
}
