package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector"
	"github.com/breachpath/breachpath/scoring/compliance"
)

// TestEveryFindingRuleIsMappedToAControl is the compliance acceptance
// check: every rule of the collectors' registry evidences at least one
// control, and every mapping entry names a rule the registry knows. It sits
// here because it needs both sides of the layering (collector and the
// report's mapping data).
func TestEveryFindingRuleIsMappedToAControl(t *testing.T) {
	fws, err := compliance.Frameworks()
	if err != nil {
		t.Fatal(err)
	}
	rules := collector.Rules()
	if len(rules) < 150 || len(fws) < 8 {
		t.Fatalf("%d rules, %d frameworks: the registry or the mappings did not load", len(rules), len(fws))
	}
	if err := compliance.Check(fws, rules); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			t.Error(line)
		}
	}
}

// TestControlsCollectorsCiteAreMapped: a control a collector writes on its
// findings (Finding.Controls) for one of the report's frameworks must exist
// in that framework's catalogue and be mapped to the rule, so the exports
// (SARIF, OCSF) and the compliance report never disagree.
func TestControlsCollectorsCiteAreMapped(t *testing.T) {
	fws, err := compliance.Frameworks()
	if err != nil {
		t.Fatal(err)
	}
	byPrefix := map[string]*compliance.Framework{}
	for _, fw := range fws {
		byPrefix[fw.CitePrefix] = fw
	}
	for _, r := range collector.Rules() {
		mapped := compliance.Mapped(fws, r.ID)
		for _, cited := range r.Controls {
			prefix, id, ok := strings.Cut(cited, ":")
			if !ok {
				t.Errorf("rule %s cites %q: want PREFIX:ID", r.ID, cited)
				continue
			}
			fw := byPrefix[prefix]
			if fw == nil {
				continue // a framework the report does not cover (the Microsoft cloud security benchmark)
			}
			if !slices.ContainsFunc(fw.Controls, func(c compliance.Control) bool { return c.ID == id }) {
				t.Errorf("rule %s cites %s, which is not a control of %s", r.ID, cited, fw.ID)
				continue
			}
			if !slices.Contains(mapped, fw.ID+":"+id) {
				t.Errorf("rule %s cites %s but mappings/%s.yaml does not map it there", r.ID, cited, fw.ID)
			}
		}
	}
}

// TestCloudBenchmarksMapOnlyTheirCloudsRules: a CIS benchmark or AWS FSBP
// control evidenced by another cloud's rule is a mapping error (the
// cross-cloud frameworks, NIST, PCI DSS, ISO 27001 and SOC 2, take any).
func TestCloudBenchmarksMapOnlyTheirCloudsRules(t *testing.T) {
	fws, err := compliance.Frameworks()
	if err != nil {
		t.Fatal(err)
	}
	only := map[string]string{"cis-aws-3.0": "aws", "aws-fsbp": "aws", "cis-azure-2.1": "azure", "cis-gcp-2.0": "gcp"}
	cloudOf := map[string]string{}
	for _, r := range collector.Rules() {
		cloudOf[r.ID] = string(r.Cloud)
	}
	checked := 0
	for _, fw := range fws {
		cloud, ok := only[fw.ID]
		if !ok {
			continue
		}
		checked++
		for _, c := range fw.Controls {
			for _, e := range slices.Concat(c.Rules, c.RulesIfCited) {
				prefix, _, _ := strings.Cut(strings.TrimSuffix(e, "*"), ".")
				if got := cloudOf[e]; got != "" && got != cloud || got == "" && prefix != cloud {
					t.Errorf("%s control %s is evidenced by %s, a rule of another cloud", fw.ID, c.ID, e)
				}
			}
		}
	}
	if checked != len(only) {
		t.Fatalf("checked %d cloud benchmarks, want %d", checked, len(only))
	}
}
