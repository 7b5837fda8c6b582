package scoring_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	gnetwork "gonum.org/v1/gonum/graph/network"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

func syntheticEstate(t testing.TB, resources int) (*graph.Graph, *synthetic.GroundTruth) {
	t.Helper()
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 7, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	return est.Graph(), est.Truth
}

// rankQuality scores a ranking of finding ids against the planted paths:
// ap is the average precision of the findings any planted path cites
// (binary relevance), ndcg the normalised DCG at k with the number of
// planted paths a finding enables as its gain (a finding shared by a
// fan-out's two paths is worth two).
func rankQuality(ranked []string, gain map[string]int, k int) (ap, ndcg float64) {
	hits, relevant := 0, 0
	for _, g := range gain {
		if g > 0 {
			relevant++
		}
	}
	var dcg float64
	for i, f := range ranked {
		if gain[f] > 0 {
			hits++
			ap += float64(hits) / float64(i+1)
			if i < k {
				dcg += float64(gain[f]) / math.Log2(float64(i+2))
			}
		}
	}
	ideal := make([]int, 0, len(gain))
	for _, g := range gain {
		ideal = append(ideal, g)
	}
	slices.SortFunc(ideal, func(a, b int) int { return cmp.Compare(b, a) })
	var idcg float64
	for i := 0; i < k && i < len(ideal); i++ {
		idcg += float64(ideal[i]) / math.Log2(float64(i+2))
	}
	return ap / float64(max(1, relevant)), dcg / idcg
}

// withTail appends the findings a ranking leaves out, in queue order, so
// that every ranking orders every finding.
func withTail(ranked []string, queue []scoring.Prioritised) []string {
	seen := map[string]bool{}
	for _, f := range ranked {
		seen[f] = true
	}
	for _, q := range queue {
		if !seen[q.Finding.ID] {
			ranked = append(ranked, q.Finding.ID)
		}
	}
	return ranked
}

// TestCentralityRankingOnPlantedPaths measures how four rankings of the
// findings order the planted paths' enabling findings (docs/scoring.md,
// "Centrality"): the queue as it is; the queue with centrality as an extra
// priority input (scoring.Options.Centrality);
// "most traversed" by attack-subgraph betweenness alone; and, at 1k,
// betweenness over the whole move graph. It asserts the conclusions the
// docs draw and logs the figures.
func TestCentralityRankingOnPlantedPaths(t *testing.T) {
	for _, size := range []int{1_000, 10_000, 100_000} {
		if size == 100_000 && testing.Short() {
			continue
		}
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			g, truth := syntheticEstate(t, size)
			opts := paths.Options{Threshold: truth.Threshold, MaxDepth: truth.MaxDepth}
			proj := paths.NewProjection(g)
			res, err := proj.Search(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			rep := scoring.Score(g, res, scoring.Options{})
			gain := map[string]int{}
			for _, p := range truth.Planted {
				for _, f := range p.Findings {
					gain[f]++
				}
			}
			cent, err := scoring.FindingCentrality(context.Background(), proj, opts, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cent.Skipped > 0 {
				t.Fatalf("%d components skipped", cent.Skipped)
			}
			var queue, boosted []string
			for _, q := range rep.Queue {
				queue = append(queue, q.Finding.ID)
			}
			for _, q := range scoring.Score(g, res, scoring.Options{Centrality: cent.ByFinding}).Queue {
				boosted = append(boosted, q.Finding.ID)
			}
			traversed := withTail(slices.Clone(cent.Ranked), rep.Queue)
			k := 10
			apQ, ndQ := rankQuality(queue, gain, k)
			apB, ndB := rankQuality(boosted, gain, k)
			apT, ndT := rankQuality(traversed, gain, k)
			t.Logf("%d resources, %d findings, %d planted paths, attack subgraph %d nodes / %d moves in %d components",
				size, len(rep.Queue), len(truth.Planted), cent.Nodes, cent.Edges, cent.Components)
			t.Logf("queue:                    AP %.3f  nDCG@%d %.3f", apQ, k, ndQ)
			t.Logf("queue + centrality input: AP %.3f  nDCG@%d %.3f", apB, k, ndB)
			t.Logf("most traversed (attack):  AP %.3f  nDCG@%d %.3f", apT, k, ndT)
			if size == 1_000 {
				// Betweenness of the whole move graph: what "most traversed"
				// means without the attack subgraph.
				eb := gnetwork.EdgeBetweenness(proj.NewView(paths.ViewOptions{}))
				whole := map[string]float64{}
				for u := range int32(proj.NumNodes()) {
					lo, hi := proj.Out(u)
					for pos := lo; pos < hi; pos++ {
						for _, f := range g.Edges[proj.Edge[pos]].Findings {
							whole[f] += eb[[2]int64{int64(u), int64(proj.Targets[pos])}]
						}
					}
				}
				var ids []string
				for f := range whole {
					ids = append(ids, f)
				}
				slices.SortFunc(ids, func(a, b string) int {
					if x := cmp.Compare(whole[b], whole[a]); x != 0 {
						return x
					}
					return cmp.Compare(a, b)
				})
				apW, ndW := rankQuality(withTail(ids, rep.Queue), gain, k)
				t.Logf("most traversed (whole):   AP %.3f  nDCG@%d %.3f", apW, k, ndW)
				if apW >= apT {
					t.Errorf("whole-graph betweenness (AP %.3f) ranks planted findings as well as the attack subgraph's (%.3f)", apW, apT)
				}
			}
			// The conclusions docs/scoring.md draws from these figures.
			if apQ < 0.999 || apB < 0.999 || apT < 0.999 {
				t.Errorf("every on-path ranking should put all planted findings first: AP %.3f %.3f %.3f", apQ, apB, apT)
			}
			if ndB+1e-9 < ndQ {
				t.Errorf("centrality as a priority input lowers nDCG: %.3f < %.3f", ndB, ndQ)
			}
		})
	}
}
