package embedded

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func TestTypedPropsKeepTheirTypes(t *testing.T) {
	tests := []struct {
		name  string
		value any
		json  string
	}{
		{"string", "x", `"x"`},
		{"string that looks like a number", "42", `"42"`},
		{"string with control characters and unicode", "a\x00b\n✓\U0001f600", `"a\u0000b\n✓😀"`},
		{"bool", true, `true`},
		{"int64", int64(42), `42`},
		{"negative int64", int64(-7), `-7`},
		{"largest int64", int64(math.MaxInt64), `9223372036854775807`},
		{"smallest int64", int64(math.MinInt64), `-9223372036854775808`},
		{"whole float64", float64(3), `3.0`},
		{"negative zero float64", math.Copysign(0, -1), `-0.0`},
		{"fractional float64", 0.1, `0.1`},
		{"huge float64", 1e300, `1e+300`},
		{"tiny float64", 5e-324, `5e-324`},
		{"float64 beyond int64", 1e19, `1e+19`},
		{"list of strings", []string{"a", "b"}, `["a","b"]`},
		{"empty list of strings", []string{}, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(typedProps{"k": tt.value})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"k":` + tt.json + `}`; string(b) != want {
				t.Errorf("encoded %s, want %s", b, want)
			}
			var got typedProps
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got["k"], tt.value) || reflect.TypeOf(got["k"]) != reflect.TypeOf(tt.value) {
				t.Errorf("decoded %#v (%T), want %#v (%T)", got["k"], got["k"], tt.value, tt.value)
			}
			if f, ok := tt.value.(float64); ok && math.Signbit(f) != math.Signbit(got["k"].(float64)) {
				t.Error("the sign of zero was lost")
			}
		})
	}
}

func TestTypedPropsEncodeDeterministically(t *testing.T) {
	p := typedProps{}
	for _, k := range []string{"z", "a", "m", "b", "y", "c"} {
		p[k] = k
	}
	first, _ := json.Marshal(p)
	for range 20 { // map order is random per iteration: the encoding must not be
		b, _ := json.Marshal(p)
		if string(b) != string(first) {
			t.Fatalf("encoding changed between calls: %s vs %s", b, first)
		}
	}
}

func TestTypedPropsRejectUnsupportedTypes(t *testing.T) {
	if _, err := json.Marshal(typedProps{"k": 3}); err == nil {
		t.Error("encoding an int (not int64) succeeded")
	}
	for _, doc := range []string{`{"k":null}`, `{"k":{"a":1}}`, `{"k":[1,2]}`, `{"k":1e999}`, `{"k":99999999999999999999}`} {
		var p typedProps
		if err := json.Unmarshal([]byte(doc), &p); err == nil {
			t.Errorf("decoding %s succeeded: %#v", doc, p)
		}
	}
}

// FuzzDecodeNode feeds arbitrary stored documents to the decoder: a damaged
// file must give an error, never a panic, and whatever decodes must
// re-encode to a document that decodes to the same node.
func FuzzDecodeNode(f *testing.F) {
	n := graph.Node{ID: "n", Kind: graph.KindCompute, Cloud: graph.CloudAWS, Tags: map[string]string{"a": "b"},
		Props: graph.Props{"i": int64(1), "f": 1.5, "w": float64(2), "s": "x", "l": []string{"y"}, "b": true}}
	doc, _ := encodeNode(&n)
	f.Add(doc)
	f.Add([]byte(`{"kind":"Bucket","props":{"x":1.0,"y":[]}}`))
	f.Add([]byte(`{"props":{"x":-0}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var got graph.Node
		if err := decodeNode("id", doc, &got); err != nil {
			return
		}
		again, err := encodeNode(&got)
		if err != nil {
			return // decoded values the model does not allow (e.g. an invalid sensitivity)
		}
		var back graph.Node
		if err := decodeNode("id", again, &back); err != nil {
			t.Fatalf("re-encoded document %s does not decode: %v", again, err)
		}
		if !reflect.DeepEqual(got, back) {
			t.Fatalf("round trip changed the node:\n%#v\n%#v", got, back)
		}
	})
}
