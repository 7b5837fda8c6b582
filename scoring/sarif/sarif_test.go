package sarif

import (
	"bytes"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/scoring/sarif/sariftest"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestWriteProducesAValidLogAndLeavesAnUnsetRankOut(t *testing.T) {
	schema := sariftest.Schema(t)
	rank := 0.0
	for _, tc := range []struct {
		name     string
		rank     *float64
		wantRank bool
	}{{"a ranked result keeps a zero rank", &rank, true}, {"an unranked result has no rank", nil, false}} {
		t.Run(tc.name, func(t *testing.T) {
			run := Run{Tool: Tool{Driver: Driver{Name: "t", InformationURI: "https://example.org", Rules: []Rule{{ID: "r", ShortDescription: Text{Text: "r"}}}}},
				Results: []Result{{RuleID: "r", Level: "note", Rank: tc.rank, Message: Text{Text: "m"},
					Locations:           []Location{{PhysicalLocation: &PhysicalLocation{ArtifactLocation: ArtifactLocation{URI: "main.tf"}, Region: &Region{StartLine: 3}}, LogicalLocations: []LogicalLocation{{FullyQualifiedName: "aws_s3_bucket.x", Kind: "resource"}}}},
					PartialFingerprints: map[string]string{"id/v1": "x"}, Properties: map[string]any{}}}}
			var buf bytes.Buffer
			if err := Write(&buf, run); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), `"rank"`); got != tc.wantRank {
				t.Errorf("rank written = %t, want %t:\n%s", got, tc.wantRank, buf.String())
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("invalid SARIF: %v", err)
			}
		})
	}
}
