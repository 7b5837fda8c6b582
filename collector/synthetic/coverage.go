package synthetic

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// coverageReport is the part of the data-sensitivity coverage report
// (`breachpath sensitivity --format json`, GET /api/v1/sensitivity,
// docs/sensitivity.md) the ground truth speaks about. It is decoded from
// the report's JSON so that the generator does not depend on the report's
// code.
type coverageReport struct {
	DataStores   int `json:"data_stores"`
	Unclassified int `json:"unclassified"`
	Scopes       []struct {
		Cloud             string  `json:"cloud"`
		Account           string  `json:"account"`
		DataStores        int     `json:"data_stores"`
		Unclassified      int     `json:"unclassified"`
		UnclassifiedShare float64 `json:"unclassified_share"`
		ReachableUnclass  int     `json:"reachable_unclassified"`
	} `json:"scopes"`
	Stores []struct {
		ID         string `json:"id"`
		Level      string `json:"level"`
		CrownJewel bool   `json:"crown_jewel"`
		Source     string `json:"source"`
		Rule       string `json:"rule"`
		Overridden string `json:"overridden"`
		Reachable  bool   `json:"reachable"`
		Hops       int    `json:"hops"`
	} `json:"stores"`
	ClassifyFirst int `json:"classify_first"`
}

// CoverageDiff compares a coverage report (its JSON) over this estate with
// the planted record and returns every difference, none when they match:
// each store's level, source, rule and reachability; data stores and the
// unclassified share per account/subscription/project; and the "classify
// these" list, which must be exactly the unclassified stores an exposure
// source reaches, listed first, fewest moves first.
func (t *GroundTruth) CoverageDiff(report []byte) ([]string, error) {
	var rep coverageReport
	if err := json.Unmarshal(report, &rep); err != nil {
		return nil, fmt.Errorf("decode coverage report: %w", err)
	}
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }

	planted := make(map[string]*StoreTruth, len(t.Stores))
	unclassified := 0
	for i := range t.Stores {
		planted[t.Stores[i].ID] = &t.Stores[i]
		if t.Stores[i].Unclassified() {
			unclassified++
		}
	}
	if rep.DataStores != len(t.Stores) || rep.Unclassified != unclassified {
		add("report: %d data stores, %d unclassified; planted %d, %d", rep.DataStores, rep.Unclassified, len(t.Stores), unclassified)
	}
	seen := make(map[string]bool, len(rep.Stores))
	for _, s := range rep.Stores {
		p := planted[s.ID]
		if p == nil {
			add("store %s is in the report but was not planted", s.ID)
			continue
		}
		seen[s.ID] = true
		lvl, err := graph.ParseSensitivity(s.Level)
		if err != nil {
			add("store %s: level %q: %v", s.ID, s.Level, err)
			continue
		}
		if lvl != p.Level || s.Source != p.Source || s.CrownJewel != p.CrownJewel {
			add("store %s: %s by %q (crown jewel %v, rule %q); planted %s by %q (crown jewel %v, %q)",
				s.ID, s.Level, s.Source, s.CrownJewel, s.Rule, p.Level, p.Source, p.CrownJewel, p.Cause)
		}
		if p.Cause != "" && !strings.Contains(s.Rule, p.Cause) {
			add("store %s: rule %q does not name the planted %q", s.ID, s.Rule, p.Cause)
		}
		if p.Overridden != "" && !strings.Contains(s.Overridden, `"`+p.Overridden+`"`) || p.Overridden == "" && s.Overridden != "" {
			add("store %s: overridden %q; planted %q", s.ID, s.Overridden, p.Overridden)
		}
		if s.Reachable != (p.Hops > 0) || s.Hops != p.Hops {
			add("store %s: reachable %v in %d moves; planted %d moves", s.ID, s.Reachable, s.Hops, p.Hops)
		}
	}
	for _, p := range t.Stores {
		if !seen[p.ID] {
			add("planted store %s is missing from the report", p.ID)
		}
	}

	cov := t.Coverage()
	reachedBy := map[[2]string]int{}
	first := t.ClassifyThese()
	for _, s := range first {
		reachedBy[[2]string{string(s.Cloud), s.Account}]++
	}
	for _, sc := range rep.Scopes {
		k := [2]string{sc.Cloud, sc.Account}
		p, ok := cov[k]
		if !ok {
			add("scope %s %s is in the report but holds no planted store", sc.Cloud, sc.Account)
			continue
		}
		delete(cov, k)
		share := float64(p.Unclassified) / float64(p.DataStores)
		if sc.DataStores != p.DataStores || sc.Unclassified != p.Unclassified || math.Abs(sc.UnclassifiedShare-share) > 1e-9 ||
			sc.ReachableUnclass != reachedBy[k] {
			add("scope %s %s: %d stores, %d unclassified (%.4f), %d reached; planted %d, %d (%.4f), %d",
				sc.Cloud, sc.Account, sc.DataStores, sc.Unclassified, sc.UnclassifiedShare, sc.ReachableUnclass,
				p.DataStores, p.Unclassified, share, reachedBy[k])
		}
	}
	for k := range cov {
		add("planted scope %s %s is missing from the report", k[0], k[1])
	}

	if rep.ClassifyFirst != len(first) {
		add("classify these: %d stores; planted %d", rep.ClassifyFirst, len(first))
	}
	for i, p := range first {
		if i >= len(rep.Stores) || rep.Stores[i].ID != p.ID {
			got := "nothing"
			if i < len(rep.Stores) {
				got = rep.Stores[i].ID
			}
			add("classify these #%d: %s; planted %s (%d moves)", i+1, got, p.ID, p.Hops)
		}
	}
	return diffs, nil
}
