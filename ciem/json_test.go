package ciem

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteJSONWritesWhatOneIndentedEncoderWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
	}{
		{"nil principals", Report{WindowDays: 90}},
		{"no principals", Report{Principals: []Principal{}, AttackPaths: 2}},
		{"principals with markup", Report{Principals: []Principal{{ID: "a<b>&"}, {ID: "b", Name: "\u2028"}}, PathsTruncated: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(&tc.r); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&got, &tc.r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("got:\n%s\nwant:\n%s", got.Bytes(), want.Bytes())
			}
		})
	}
}
