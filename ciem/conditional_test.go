package ciem

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// TestEveryFormatMarksAConditionalEscalation: a principal that becomes administrator only through
// a conditional move is "via escalation (conditional)" in every format (admin.conditional in
// JSON), its conditional data access is marked where the format lists access, and a principal
// that escalates unconditionally is not marked.
func TestEveryFormatMarksAConditionalEscalation(t *testing.T) {
	nodes := []graph.Node{
		{ID: "sure", Kind: graph.KindUser, Name: "sure-user", Account: "111", Cloud: graph.CloudAWS},
		{ID: "maybe", Kind: graph.KindUser, Name: "maybe-user", Account: "111", Cloud: graph.CloudAWS},
		{ID: "admin-node", Kind: graph.KindRole, Account: "111", Cloud: graph.CloudAWS, CrownJewel: true, Props: graph.Props{"admin": true, "synthetic": true}},
		{ID: "payroll", Kind: graph.KindBucket, Name: "payroll", Account: "111", Cloud: graph.CloudAWS, Sensitivity: graph.SensitivityRestricted},
	}
	edges := []graph.Edge{
		{From: "sure", To: "admin-node", Kind: graph.EdgeEscalatesTo, Technique: "aws.iam.attach-user-policy", Likelihood: 0.9},
		{From: "maybe", To: "admin-node", Kind: graph.EdgeEscalatesTo, Technique: "aws.iam.put-user-policy", Likelihood: 0.9, Conditional: true},
		{From: "maybe", To: "payroll", Kind: graph.EdgeReads, Technique: "aws.s3.reads", Likelihood: 1, Conditional: true},
	}
	r := build(t, graph.Assemble(nodes, edges, nil), Sources{}, Options{})
	render := func(write func(*bytes.Buffer, *Report) error) string {
		var b bytes.Buffer
		if err := write(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	// line returns the output's first line naming the principal.
	line := func(out, name string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, name) {
				return l
			}
		}
		return ""
	}
	for name, write := range map[string]func(*bytes.Buffer, *Report) error{
		"table": func(b *bytes.Buffer, r *Report) error { return WriteTable(b, r) },
		"csv":   func(b *bytes.Buffer, r *Report) error { return WriteCSV(b, r) },
		"md":    func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) },
	} {
		t.Run(name, func(t *testing.T) {
			out := render(write)
			if l := line(out, "maybe-user"); !strings.Contains(l, "via escalation (conditional)") {
				t.Errorf("the conditional principal's row is not marked: %q\n%s", l, out)
			}
			if l := line(out, "sure-user"); !strings.Contains(l, "via escalation") || strings.Contains(l, "(conditional)") {
				t.Errorf("the unconditional principal's row: %q", l)
			}
		})
	}
	t.Run("md access", func(t *testing.T) {
		if out := render(func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) }); !strings.Contains(out, "READS (conditional)") {
			t.Errorf("the conditional read of payroll is not marked:\n%s", out)
		}
	})
	t.Run("html", func(t *testing.T) {
		out := render(func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) })
		if strings.Count(out, "via escalation (conditional)") != 1 || !strings.Contains(out, "only if a condition the collection could not decide holds") {
			t.Errorf("the HTML report must mark the conditional principal once in the table and in its detail:\n%s", out)
		}
		if !strings.Contains(out, "READS (conditional)") {
			t.Error("the conditional read of payroll is not marked in the HTML report")
		}
	})
	t.Run("json", func(t *testing.T) {
		var got struct {
			Principals []struct {
				ID    string `json:"id"`
				Admin struct {
					ViaEscalation bool `json:"via_escalation"`
					Conditional   bool `json:"conditional"`
				} `json:"admin"`
				Resources []struct {
					ID          string `json:"id"`
					Conditional bool   `json:"conditional"`
				} `json:"resources"`
			} `json:"principals"`
		}
		if err := json.Unmarshal([]byte(render(func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) })), &got); err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, p := range got.Principals {
			switch p.ID {
			case "maybe":
				seen++
				if !p.Admin.ViaEscalation || !p.Admin.Conditional || len(p.Resources) != 1 || !p.Resources[0].Conditional {
					t.Errorf("maybe: %+v", p)
				}
			case "sure":
				seen++
				if !p.Admin.ViaEscalation || p.Admin.Conditional {
					t.Errorf("sure: %+v", p)
				}
			}
		}
		if seen != 2 {
			t.Fatalf("principals %+v", got.Principals)
		}
	})
}
