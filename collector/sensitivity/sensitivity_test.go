package sensitivity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func TestDecideFollowsThePrecedence(t *testing.T) {
	r := Default()
	cases := []struct {
		name       string
		node       graph.Node
		base       graph.Sensitivity
		want       graph.Sensitivity
		source     string
		ruleHas    string
		overridden bool
		crown      bool
	}{
		{name: "aws DataClassification tag", node: graph.Node{Kind: graph.KindBucket, Name: "b", Tags: map[string]string{"DataClassification": "Confidential"}},
			want: graph.SensitivityConfidential, source: SourceTag, ruleHas: "DataClassification=Confidential"},
		{name: "azure Confidentiality tag", node: graph.Node{Kind: graph.KindDatabase, Name: "db", Tags: map[string]string{"Confidentiality": "Highly Confidential"}},
			want: graph.SensitivityRestricted, source: SourceTag},
		{name: "gcp label data_classification", node: graph.Node{Kind: graph.KindBucket, Name: "b", Tags: map[string]string{"data_classification": "restricted"}},
			want: graph.SensitivityRestricted, source: SourceTag},
		{name: "Sensitive=true flag", node: graph.Node{Kind: graph.KindBucket, Name: "b", Tags: map[string]string{"Sensitive": "true"}},
			want: graph.SensitivityConfidential, source: SourceTag},
		{name: "PII=false flag says nothing", node: graph.Node{Kind: graph.KindBucket, Name: "b", Tags: map[string]string{"PII": "false"}}},
		{name: "name word payments", node: graph.Node{Kind: graph.KindDatabase, Name: "prod-payments-db"},
			want: graph.SensitivityRestricted, source: SourceName, ruleHas: `"payments"`},
		{name: "camelCase table name", node: graph.Node{Kind: graph.KindDatabase, Name: "analyticsCustomerPII"},
			want: graph.SensitivityRestricted, source: SourceName, ruleHas: `"pii"`},
		{name: "name word not inside other words", node: graph.Node{Kind: graph.KindBucket, Name: "discard-pile"}},
		{name: "names only classify data stores", node: graph.Node{Kind: graph.KindCompute, Name: "payments-worker"}},
		{name: "explicit lower tag overrides a name guess", node: graph.Node{Kind: graph.KindBucket, Name: "customers-public-site", Tags: map[string]string{"data-classification": "public"}},
			want: graph.SensitivityPublic, source: SourceTag, overridden: true},
		{name: "higher name wins over a tag that is not lower", node: graph.Node{Kind: graph.KindBucket, Name: "card-exports", Tags: map[string]string{"data-classification": "restricted"}},
			want: graph.SensitivityRestricted, source: SourceTag},
		{name: "classifier beats a lower tag", node: graph.Node{Kind: graph.KindBucket, Name: "b", Tags: map[string]string{"classification": "internal"}, Props: graph.Props{"macie_sensitivity": "restricted"}},
			want: graph.SensitivityRestricted, source: SourceClassifier, ruleHas: "Amazon Macie"},
		{name: "secrets are restricted crown jewels", node: graph.Node{Kind: graph.KindSecret, Name: "s"},
			want: graph.SensitivityRestricted, source: SourceKind, crown: true},
		{name: "collector level kept", node: graph.Node{Kind: graph.KindSnapshot, Cloud: graph.CloudAWS, Name: "snap-1"}, base: graph.SensitivityConfidential,
			want: graph.SensitivityConfidential, source: SourceCollector},
		{name: "unclassified", node: graph.Node{Kind: graph.KindQueue, Name: "events"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := r.Decide(&c.node, c.base)
			if d.Level != c.want || d.Source != c.source || (d.Overridden != "") != c.overridden || d.CrownJewel != c.crown {
				t.Fatalf("got %+v, want level %s source %q overridden %v crown %v", d, c.want, c.source, c.overridden, c.crown)
			}
			if !strings.Contains(d.Rule, c.ruleHas) {
				t.Fatalf("rule %q lacks %q", d.Rule, c.ruleHas)
			}
		})
	}
}

func TestRulesFileExtendsTheDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	doc := "tags:\n  keys: [HandlingCode]\n  values: {hc3: restricted}\nnames:\n  - {words: [flag], level: restricted}\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []graph.Node{
		{Kind: graph.KindBucket, Name: "x", Tags: map[string]string{"handling-code": "HC3"}},
		{Kind: graph.KindBucket, Name: "ctf-flag"},
		{Kind: graph.KindBucket, Name: "x", Tags: map[string]string{"data-classification": "restricted"}}, // defaults still apply
	} {
		if d := r.Decide(&n, 0); d.Level != graph.SensitivityRestricted {
			t.Errorf("%v: got %+v", n, d)
		}
		if d := Default().Decide(&n, 0); n.Tags == nil && d.Level != graph.SensitivityNone {
			t.Errorf("defaults alone classify %v: %+v", n, d)
		}
	}
}

func TestBadRulesFilesAreRejected(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":  "tag:\n  keys: [x]\n",
		"bad level":      "names:\n  - {words: [a], level: secretish}\n",
		"unknown kind":   "kinds:\n  - {kind: Spaceship, level: public}\n",
		"empty kind":     "kinds:\n  - {kind: Bucket}\n",
		"no words":       "names:\n  - {level: public}\n",
		"not yaml":       "{[",
		"classifier gap": "classifiers:\n  - {property: x}\n",
		// a value named twice would take whichever level came last
		"duplicate value":        "tags:\n  values: {hc3: public, hc3: restricted}\n",
		"duplicate section":      "tags:\n  keys: [a]\ntags:\n  keys: [b]\n",
		"duplicate key, as JSON": `{"tags":{"values":{"hc3":"public","hc3":"restricted"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(doc)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := Parse(nil); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}

func TestApplyRecordsWhyAndCountsByRule(t *testing.T) {
	snap := &graph.Snapshot{Nodes: []graph.Node{
		{ID: "b1", Kind: graph.KindBucket, Name: "payments", Cloud: graph.CloudGCP},
		{ID: "b2", Kind: graph.KindBucket, Name: "x", Tags: map[string]string{"Sensitive": "yes"}},
		{ID: "b3", Kind: graph.KindBucket, Name: "logs"},
		{ID: "k", Kind: graph.KindKey, Name: "k"},
		{ID: "other", Kind: graph.KindDatabase, Name: "customers", Stub: true},
	}}
	sum := Default().Apply([]*graph.Snapshot{snap})
	if sum.DataStores != 3 || sum.Unclassified != 1 || sum.ByRule[`name word "payments"`] != 1 || sum.ByRule["tag Sensitive"] != 1 {
		t.Fatalf("summary %+v", sum)
	}
	b1 := snap.Nodes[0]
	if b1.Sensitivity != graph.SensitivityRestricted || b1.Props[PropSource] != SourceName || b1.Props[PropLevel] != "restricted" {
		t.Fatalf("b1 %+v", b1)
	}
	if !snap.Nodes[3].CrownJewel {
		t.Fatal("keys are crown jewels by default")
	}
	if snap.Nodes[4].Sensitivity != graph.SensitivityNone || snap.Nodes[4].Props != nil {
		t.Fatal("a stub belongs to another scope and is left alone")
	}
	if lines := sum.Lines(); len(lines) < 3 || !strings.Contains(lines[0], "3 data stores, 2 classified, 1 unclassified") {
		t.Fatalf("lines %q", lines)
	}
}

// The collectors read tags through TagLevel: every cloud's convention gives
// the same level.
func TestTagLevelReadsEveryCloudsConvention(t *testing.T) {
	for _, tags := range []map[string]string{
		{"DataClassification": "Restricted"},  // AWS CamelCase tag
		{"Data Classification": "Restricted"}, // Azure tag with a space
		{"data_classification": "restricted"}, // GCP label
		{"confidentiality": "highly_confidential"},
		{"PCI": "yes"},
	} {
		if got := Default().TagLevel(tags); got != graph.SensitivityRestricted {
			t.Errorf("%v: %s", tags, got)
		}
	}
}

// FuzzParse feeds arbitrary documents to the --sensitivity-rules parser and
// applies what it accepts to a node: it may refuse them, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("tags:\n  keys: [HandlingCode]\n  values: {hc3: restricted}\nnames:\n  - {words: [flag], level: restricted}\n"))
	f.Add([]byte("kinds:\n  - {kind: Bucket, level: public}\nclassifiers:\n  - {property: macie_findings, level: restricted}\n"))
	f.Add([]byte(`{"tags":{"flags":{"pii":"confidential"}}}`))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := Parse(doc)
		if err != nil {
			return
		}
		n := graph.Node{Kind: graph.KindBucket, Name: "customer-flag-store", Tags: map[string]string{"HandlingCode": "HC3", "PII": "yes"}}
		_ = r.Decide(&n, 0)
	})
}

// TestTagVersusClassifierInEveryCloud: for each cloud's classifier property
// (as its collector sets it, the collector having raised the node's own
// level too), a higher classifier wins over a lower explicit tag and names
// its source; a tag at or above the classifier stays the recorded reason.
func TestTagVersusClassifierInEveryCloud(t *testing.T) {
	classifiers := []struct {
		cloud    graph.Cloud
		tagKey   string
		property string
		source   string
	}{
		{graph.CloudAWS, "DataClassification", "macie_sensitivity", "Amazon Macie"},
		{graph.CloudAWS, "DataClassification", "macie_discovery_sensitivity", "Amazon Macie automated discovery"},
		{graph.CloudGCP, "data_classification", "dlp_sensitivity", "GCP Sensitive Data Protection"},
		{graph.CloudAzure, "Confidentiality", "purview_sensitivity", "Microsoft Purview"},
	}
	r := Default()
	for _, c := range classifiers {
		for _, tc := range []struct {
			tag, found string
			want       graph.Sensitivity
			source     string
		}{
			{"internal", "restricted", graph.SensitivityRestricted, SourceClassifier},
			{"restricted", "confidential", graph.SensitivityRestricted, SourceTag},
			{"confidential", "confidential", graph.SensitivityConfidential, SourceTag},
		} {
			t.Run(string(c.cloud)+" "+c.property+" "+tc.found+" vs tag "+tc.tag, func(t *testing.T) {
				found, _ := graph.ParseSensitivity(tc.found)
				n := graph.Node{Cloud: c.cloud, Kind: graph.KindBucket, Name: "archive-7", Tags: map[string]string{c.tagKey: tc.tag},
					Props: graph.Props{c.property: tc.found}}
				d := r.Decide(&n, found)
				if d.Level != tc.want || d.Source != tc.source {
					t.Fatalf("got %s from %q (%s), want %s from %q", d.Level, d.Source, d.Rule, tc.want, tc.source)
				}
				if tc.source == SourceClassifier && d.Rule != c.source+" ("+c.property+"="+tc.found+")" {
					t.Fatalf("rule %q does not name %s", d.Rule, c.source)
				}
			})
		}
	}
}

// Names split into the words people mean, whatever the convention, and
// odd input (non-ASCII letters, broken UTF-8) neither panics nor invents
// words.
func TestNamesSplitIntoWords(t *testing.T) {
	tests := []struct{ name, want string }{
		{"prodCustomerPII_2024", "prod customer pii"},
		{"PIIExport", "pii export"},
		{"customers-export-3x45", "customers export x"},
		{"card_numbers", "card numbers"},
		{"ZahlungsDaten-Über", "zahlungs daten über"},
		{"a\xffb", "a b"},
		{"", ""},
		{"1234-__", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			eachWord(tc.name, func(w string) { got = append(got, w) })
			if strings.Join(got, " ") != tc.want {
				t.Fatalf("words %q, want %q", got, tc.want)
			}
		})
	}
}
