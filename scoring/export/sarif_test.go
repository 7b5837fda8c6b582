package export

import (
	"bytes"
	"testing"

	"github.com/breachpath/breachpath/scoring/sarif/sariftest"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/breachpath/breachpath/scoring"
)

func TestSARIFValidatesAgainstTheOfficialSchema(t *testing.T) {
	schema := sariftest.Schema(t)
	for name, r := range map[string]*scoring.Report{"estate": report(t), "empty": {}, "truncated": {Truncated: true}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatSARIF, r); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("SARIF output is invalid: %v", err)
			}
		})
	}
}

func TestSARIFSchemaRejectsABrokenLog(t *testing.T) {
	// Guards against a schema that accepts anything.
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"version":"2.1.0","runs":[{"results":[]}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if sariftest.Schema(t).Validate(inst) == nil {
		t.Error("a run without a tool validated")
	}
}
