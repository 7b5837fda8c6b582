package synthetic

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/sensitivity"
)

// The generator records every data store's planted classification without
// calling the rules; Generate then applies the default rules, as a collect
// run does. The two must agree store by store.
func TestSensitivityRulesClassifyEveryStoreAsPlanted(t *testing.T) {
	for _, n := range []int{1000, 10000} {
		t.Run(itoa(n), func(t *testing.T) {
			e := estateOf(t, n)
			g := e.Graph()
			stores := 0
			for i := range g.Nodes {
				if nd := &g.Nodes[i]; !nd.Stub && nd.Kind.IsDataStore() {
					stores++
				}
			}
			if len(e.Truth.Stores) != stores {
				t.Fatalf("truth records %d data stores, the estate holds %d", len(e.Truth.Stores), stores)
			}
			for _, st := range e.Truth.Stores {
				nd := g.Node(st.ID)
				if nd == nil {
					t.Fatalf("truth store %s not in the estate", st.ID)
				}
				src, _ := nd.Props[sensitivity.PropSource].(string)
				rule, _ := nd.Props[sensitivity.PropRule].(string)
				over, _ := nd.Props[sensitivity.PropOverridden].(string)
				if nd.Sensitivity != st.Level || src != st.Source || nd.CrownJewel != st.CrownJewel {
					t.Errorf("%s: rules gave %s/%q crown=%v (%s), planted %s/%q crown=%v (%s)", st.ID, nd.Sensitivity, src, nd.CrownJewel, rule,
						st.Level, st.Source, st.CrownJewel, st.Cause)
					continue
				}
				if st.Cause != "" && !strings.Contains(rule, st.Cause) {
					t.Errorf("%s: rule %q does not name the planted cause %q", st.ID, rule, st.Cause)
				}
				if (over == "") != (st.Overridden == "") || (over != "" && !strings.Contains(over, `"`+st.Overridden+`"`)) {
					t.Errorf("%s: overridden %q, planted %q", st.ID, over, st.Overridden)
				}
			}
		})
	}
}

// Every source and every tag convention classifies at least one store from
// 1000 resources on, and unclassified stores exist both at the end of
// attack paths and away from them.
func TestEstateExercisesEverySensitivityRule(t *testing.T) {
	e := estateOf(t, 1000)
	sources, causes := map[string]int{}, map[string]bool{}
	reachedUnclassified, quietUnclassified := 0, 0
	for _, st := range e.Truth.Stores {
		sources[st.Source]++
		causes[st.Cause] = true
		if st.Overridden != "" {
			sources["overridden"]++
		}
		if st.Unclassified() {
			if st.Hops > 0 {
				reachedUnclassified++
			} else {
				quietUnclassified++
			}
		}
	}
	for _, s := range []string{sensitivity.SourceTag, sensitivity.SourceClassifier, sensitivity.SourceKind, sensitivity.SourceName, sensitivity.SourceCollector, "overridden", ""} {
		if sources[s] == 0 {
			t.Errorf("no store classified by source %q", s)
		}
	}
	for _, c := range []string{"DataClassification=Confidential", "PCI=true", "Data Classification=Highly Confidential", "Confidentiality=Internal",
		"data_classification=restricted", "contains-pii=true", "macie_sensitivity", "macie_discovery_sensitivity", "purview_sensitivity",
		"dlp_sensitivity", "kind Secret", "card", "customers", "payments", "set by the aws collector"} {
		if !causes[c] {
			t.Errorf("no store classified by %q", c)
		}
	}
	if reachedUnclassified < 4 || quietUnclassified == 0 {
		t.Errorf("%d unclassified stores reached, %d not: want both", reachedUnclassified, quietUnclassified)
	}
	patterns := map[string]bool{}
	for _, p := range e.Truth.Planted {
		patterns[p.Pattern] = true
		if tgt := e.Truth.store(p.Target); tgt != nil && (tgt.Source == sensitivity.SourceName || tgt.Source == sensitivity.SourceKind) && tgt.Hops != len(p.Edges) {
			t.Errorf("planted path %s ends %d moves out, truth says %d", p.ID, len(p.Edges), tgt.Hops)
		}
	}
	for _, p := range SensitivityPatterns() {
		if !patterns[p] {
			t.Errorf("pattern %s not planted", p)
		}
	}
}

// store returns the planted record of a data store, or nil.
func (t *GroundTruth) store(id string) *StoreTruth {
	for i := range t.Stores {
		if t.Stores[i].ID == id {
			return &t.Stores[i]
		}
	}
	return nil
}

// CoverageDiff notices a report that differs from the planted record: a
// wrong level, a missing store, a "classify these" list out of order.
func TestCoverageDiffCatchesAWrongReport(t *testing.T) {
	tr := estateOf(t, 1000).Truth
	perfect := func() map[string]any {
		var stores []map[string]any
		first := tr.ClassifyThese()
		firstIDs := map[string]bool{}
		for _, s := range first {
			firstIDs[s.ID] = true
		}
		row := func(s StoreTruth) map[string]any {
			r := map[string]any{"id": s.ID, "level": s.Level.String(), "crown_jewel": s.CrownJewel, "source": s.Source,
				"rule": s.Cause, "reachable": s.Hops > 0, "hops": s.Hops}
			if s.Overridden != "" {
				r["overridden"] = `"` + s.Overridden + `"`
			}
			return r
		}
		for _, s := range first {
			stores = append(stores, row(s))
		}
		for _, s := range tr.Stores {
			if !firstIDs[s.ID] {
				stores = append(stores, row(s))
			}
		}
		var scopes []map[string]any
		reached := map[[2]string]int{}
		for _, s := range first {
			reached[[2]string{string(s.Cloud), s.Account}]++
		}
		unclassified := 0
		for k, c := range tr.Coverage() {
			unclassified += c.Unclassified
			scopes = append(scopes, map[string]any{"cloud": k[0], "account": k[1], "data_stores": c.DataStores, "unclassified": c.Unclassified,
				"unclassified_share": float64(c.Unclassified) / float64(c.DataStores), "reachable_unclassified": reached[k]})
		}
		return map[string]any{"data_stores": len(tr.Stores), "unclassified": unclassified, "scopes": scopes, "stores": stores, "classify_first": len(first)}
	}
	diff := func(rep map[string]any) []string {
		t.Helper()
		doc, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		d, err := tr.CoverageDiff(doc)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := diff(perfect()); len(d) != 0 {
		t.Fatalf("a report built from the truth differs: %v", d)
	}
	tests := []struct {
		name   string
		change func(rep map[string]any)
	}{
		{"level", func(rep map[string]any) {
			s := rep["stores"].([]map[string]any)
			s[len(s)-1]["level"] = "public"
		}},
		{"source", func(rep map[string]any) {
			s := rep["stores"].([]map[string]any)
			s[len(s)-1]["source"] = "collector"
		}},
		{"missing store", func(rep map[string]any) {
			s := rep["stores"].([]map[string]any)
			rep["stores"] = s[:len(s)-1]
		}},
		{"classify these out of order", func(rep map[string]any) {
			s := rep["stores"].([]map[string]any)
			s[0], s[len(s)-1] = s[len(s)-1], s[0]
		}},
		{"share", func(rep map[string]any) {
			rep["scopes"].([]map[string]any)[0]["unclassified_share"] = 0.5
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := perfect()
			tc.change(rep)
			if d := diff(rep); len(d) == 0 {
				t.Fatal("the changed report matches the truth")
			}
		})
	}
}
