package synthetic

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/breachpath/breachpath/collector/snapshotfile"
	"github.com/breachpath/breachpath/graph"
)

// GroundTruth says exactly which attack paths a generated estate holds.
//
// The invariant: over move edges only, with targets Sensitivity >= Threshold
// or CrownJewel and simple paths of at most MaxDepth edges, the set of all
// paths from any exposure source (graph.Node.IsExposureSource) to any target
// equals Planted. Every target is reached by exactly one planted path.
type GroundTruth struct {
	Seed      int64             `json:"seed"`
	Resources int               `json:"resources"`
	Threshold graph.Sensitivity `json:"threshold"`
	MaxDepth  int               `json:"max_depth"`
	Planted   []PlantedPath     `json:"planted"`
	Decoys    []Decoy           `json:"decoys"`
	// Stores is every owned data store's planted classification: the level
	// and source the sensitivity rules must give it, and how many moves
	// from an exposure source it is. From these follow the coverage report
	// (Coverage) and its "classify these" list (ClassifyThese). A Stream
	// completes it when its last snapshot is taken (never with
	// Options.NoStoreTruth).
	Stores []StoreTruth `json:"stores,omitempty"`
}

// ScopeCoverage is the planted coverage of one account, subscription or
// project.
type ScopeCoverage struct {
	Cloud        graph.Cloud
	Account      string
	DataStores   int
	Unclassified int
}

// Coverage counts data stores and unclassified ones per scope, keyed by
// cloud and account.
func (t *GroundTruth) Coverage() map[[2]string]ScopeCoverage {
	out := map[[2]string]ScopeCoverage{}
	for _, s := range t.Stores {
		k := [2]string{string(s.Cloud), s.Account}
		c := out[k]
		c.Cloud, c.Account = s.Cloud, s.Account
		c.DataStores++
		if s.Unclassified() {
			c.Unclassified++
		}
		out[k] = c
	}
	return out
}

// ClassifyThese lists the unclassified stores an exposure source reaches,
// fewest moves first, then by id: the ends of attack paths nobody sees
// until someone classifies them.
func (t *GroundTruth) ClassifyThese() []StoreTruth {
	var out []StoreTruth
	for _, s := range t.Stores {
		if s.Unclassified() && s.Hops > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b StoreTruth) int { return cmp.Or(cmp.Compare(a.Hops, b.Hops), cmp.Compare(a.ID, b.ID)) })
	return out
}

// PlantedPath is one attack path put into the estate on purpose.
type PlantedPath struct {
	ID          string      `json:"id"`
	Pattern     string      `json:"pattern"` // one of Patterns() or SensitivityPatterns()
	Cloud       graph.Cloud `json:"cloud"`
	Description string      `json:"description"`
	Nodes       []string    `json:"nodes"`    // source .. target
	Edges       []string    `json:"edges"`    // graph.Edge.Key() of each hop
	Findings    []string    `json:"findings"` // ids of the findings that enable its hops
	Target      string      `json:"target"`
}

// Decoy is a misconfiguration that lies on no attack path.
type Decoy struct {
	Kind      string `json:"kind"` // one of DecoyKinds()
	FindingID string `json:"finding_id"`
	Resource  string `json:"resource"`
	Why       string `json:"why"`
}

// WriteTruth writes the ground truth as indented JSON.
func (t *GroundTruth) WriteTruth(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("write ground truth: %w", err)
	}
	return nil
}

// ReadTruth reads a ground truth written by WriteTruth and checks that it is
// self-consistent (every path as many edges as hops, ending at its target).
func ReadTruth(r io.Reader) (*GroundTruth, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var t GroundTruth
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("read ground truth: %w", err)
	}
	if t.MaxDepth < 1 {
		return nil, fmt.Errorf("read ground truth: max_depth %d, want at least 1", t.MaxDepth)
	}
	for i, p := range t.Planted {
		switch {
		case len(p.Nodes) < 2:
			return nil, fmt.Errorf("read ground truth: planted path %d (%q) has %d nodes, want at least 2", i, p.ID, len(p.Nodes))
		case len(p.Edges) != len(p.Nodes)-1:
			return nil, fmt.Errorf("read ground truth: planted path %d (%q) has %d edges for %d nodes", i, p.ID, len(p.Edges), len(p.Nodes))
		case p.Target != p.Nodes[len(p.Nodes)-1]:
			return nil, fmt.Errorf("read ground truth: planted path %d (%q) ends at %q, not at its target %q", i, p.ID, p.Nodes[len(p.Nodes)-1], p.Target)
		}
	}
	return &t, nil
}

// WriteDir writes one JSON snapshot per scope (<cloud>-<scope id>.json) and
// truth.json into dir, creating it if needed.
func (e *Estate) WriteDir(dir string) error {
	if _, err := snapshotfile.WriteDir(dir, e.Snapshots); err != nil {
		return fmt.Errorf("write estate: %w", err)
	}
	if err := WriteTruthFile(dir, e.Truth); err != nil {
		return fmt.Errorf("write estate: %w", err)
	}
	return nil
}

// WriteTruthFile writes the ground truth as truth.json into dir (which must
// exist), the file ReadDir reads beside the snapshots.
func WriteTruthFile(dir string, t *GroundTruth) error {
	return writeJSON(filepath.Join(dir, "truth.json"), t.WriteTruth)
}

func writeJSON(path string, f func(io.Writer) error) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(file, 1<<20)
	if err := f(w); err != nil {
		return err
	}
	return w.Flush()
}

// ReadDir reads an estate written by WriteDir: every *.json file but
// truth.json is a snapshot, validated on the way in.
func ReadDir(dir string) (*Estate, error) {
	f, err := os.Open(filepath.Join(dir, "truth.json"))
	if err != nil {
		return nil, fmt.Errorf("read estate %s: %w", dir, err)
	}
	truth, err := ReadTruth(bufio.NewReader(f))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read estate %s: %w", dir, err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("read estate %s: %w", dir, err)
	}
	est := &Estate{Truth: truth}
	for _, name := range names {
		if filepath.Base(name) == "truth.json" {
			continue
		}
		snap, err := readSnapshot(name)
		if err != nil {
			return nil, fmt.Errorf("read estate %s: %w", dir, err)
		}
		est.Snapshots = append(est.Snapshots, snap)
	}
	if len(est.Snapshots) == 0 {
		return nil, fmt.Errorf("read estate %s: %w", dir, errNoSnapshots)
	}
	return est, nil
}

var errNoSnapshots = errors.New("no snapshot files")

// readSnapshot reads one scope's file with the same checks any imported
// snapshot gets.
func readSnapshot(path string) (*graph.Snapshot, error) {
	return snapshotfile.ReadFile(path)
}
