package compliance

import (
	"strings"
	"testing"
)

func TestEmbeddedMappingsLoad(t *testing.T) {
	fws, err := Frameworks()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aws-fsbp", "cis-aws-3.0", "cis-azure-2.1", "cis-gcp-2.0", "iso-27001-2022", "nist-800-53-r5", "pci-dss-4.0", "soc2-2017"}
	if len(fws) != len(want) {
		t.Fatalf("%d frameworks, want %d", len(fws), len(want))
	}
	for i, fw := range fws {
		if fw.ID != want[i] {
			t.Errorf("framework %d is %s, want %s", i, fw.ID, want[i])
		}
	}
	if _, err := Lookup("cis-aws-9"); err == nil || !strings.Contains(err.Error(), "cis-aws-3.0") {
		t.Errorf("unknown framework error %v", err)
	}
}

func TestParseFrameworkRefusesIncompleteFiles(t *testing.T) {
	head := "framework: x\ntitle: X\nversion: \"1\"\nsource: a document\nurl: https://example.invalid\ncite_prefix: X\ncatalogue: complete\n"
	for name, tc := range map[string]struct{ doc, want string }{
		"empty":            {"", "empty"},
		"no source":        {"framework: x\ntitle: X\nversion: \"1\"\nurl: u\ncite_prefix: X\ncatalogue: complete\ncontrols: [{id: a, title: b}]\n", "source and url"},
		"misspelt key":     {head + "controls:\n  - id: \"1\"\n    title: t\n    rule: [aws.x]\n", "rule"},
		"duplicate id":     {head + "controls:\n  - {id: \"1\", title: t}\n  - {id: \"1\", title: u}\n", "listed twice"},
		"untitled control": {head + "controls:\n  - {id: \"1\"}\n", "without id or title"},
		"partial no note":  {strings.Replace(head, "complete", "partial", 1) + "controls:\n  - {id: \"1\", title: t}\n", "catalogue_note"},
		"no controls":      {head, "no controls"},
	} {
		if _, err := ParseFramework([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
}

func TestCheckNamesUnmappedRulesAndUnknownEntries(t *testing.T) {
	fw := testFramework()
	rules := testRules()
	if err := Check([]*Framework{fw}, rules); err != nil {
		t.Fatalf("the test framework maps every test rule: %v", err)
	}
	extra := append(rules, rules[0])
	extra[len(extra)-1].ID = "aws.unmapped"
	fw.Controls = append(fw.Controls, Control{ID: "9.9", Title: "typo", Rules: []string{"aws.quite"}})
	err := Check([]*Framework{fw}, extra)
	if err == nil || !strings.Contains(err.Error(), "rule aws.unmapped") || !strings.Contains(err.Error(), `unknown rule "aws.quite"`) {
		t.Fatalf("err = %v", err)
	}
}
