package csvcell

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestWriterNeutralisesEveryFormulaCell(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	in := []string{`=HYPERLINK("http://evil.example/","x")`, "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1", "\n@x", "team-a", "42", ""}
	if err := w.WriteAll([][]string{in}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`'=HYPERLINK("http://evil.example/","x")`, "'+1", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", "'  =1", "'\n@x", "team-a", "42", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d = %q, want %q", i, got[i], want[i])
		}
	}
	if in[0][0] != '=' {
		t.Error("Write changed the caller's record")
	}
}
