package snapshotfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

const valid = `{"scope":{"cloud":"aws","id":"111111111111"},"collected_at":"2026-01-02T03:04:05Z",
 "nodes":[{"id":"internet","kind":"Internet","sensitivity":"none","stub":true},
          {"id":"arn:aws:s3:::b","kind":"Bucket","cloud":"aws","sensitivity":"restricted","props":{"objects":3,"ratio":0.5,"names":["a","b"],"public":true},"stale":true}],
 "edges":[{"from":"internet","to":"arn:aws:s3:::b","kind":"READS","technique":"aws.s3.public-read","findings":["f1"]}],
 "findings":[{"id":"f1","rule_id":"aws.s3.bucket-public","resource":"arn:aws:s3:::b","severity":"critical","title":"public"}],
 "coverage":{"read":[{"service":"s3"}]}}`

func TestReadKeepsTypedPropsAndDropsStoreOwnedFlags(t *testing.T) {
	s, err := Read(strings.NewReader(valid), 0)
	if err != nil {
		t.Fatal(err)
	}
	n := s.Nodes[1]
	if v, ok := n.Props["objects"].(int64); !ok || v != 3 {
		t.Errorf("objects = %#v, want int64 3", n.Props["objects"])
	}
	if v, ok := n.Props["ratio"].(float64); !ok || v != 0.5 {
		t.Errorf("ratio = %#v, want float64 0.5", n.Props["ratio"])
	}
	if v, ok := n.Props["names"].([]string); !ok || len(v) != 2 {
		t.Errorf("names = %#v, want []string", n.Props["names"])
	}
	if n.Stale {
		t.Error("a file set the stale flag, which only the store may set")
	}
	if n.Sensitivity != graph.SensitivityRestricted || s.Findings[0].Severity != graph.SeverityCritical {
		t.Errorf("levels not decoded: %v %v", n.Sensitivity, s.Findings[0].Severity)
	}
}

func TestReadRejectsBadFilesWithOneLineErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		max       int64
		want      string
	}{
		{"not json", `hello`, 0, "invalid JSON"},
		{"truncated", valid[:len(valid)/2], 0, "truncated JSON"},
		{"wrong type", `{"scope":{"cloud":"aws","id":1}}`, 0, `field "scope.id"`},
		{"unknown field", `{"scope":{"cloud":"aws","id":"1"},"nodez":[]}`, 0, `unknown field "nodez"`},
		{"unknown severity", strings.Replace(valid, `"critical"`, `"apocalyptic"`, 1), 0, "unknown severity"},
		{"dangling edge", strings.Replace(valid, `"to":"arn:aws:s3:::b"`, `"to":"arn:aws:s3:::nope"`, 1), 0, "dangling"},
		{"trailing data", valid + `{}`, 0, "trailing data"},
		{"too large", valid, 100, "too large"},
		{"empty", ``, 0, "truncated JSON"},
		{"duplicate key", strings.Replace(valid, `"kind":`, `"kind":"Bucket","kind":`, 1), 0, "duplicate key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.doc), tt.max)
			if err == nil {
				t.Fatalf("Read accepted a file with %s", tt.name)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, tt.want)
			}
		})
	}
	if _, err := Read(strings.NewReader(valid), 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized file: %v does not wrap ErrTooLarge", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(`{"scope":{"cloud":"gcp","id":"p"},"nodes":[{"id":"x","kind":"Compute","cloud":"gcp","props":{"a":[1,"b"]}}]}`))
	f.Add([]byte(`{"scope":{"cloud":"azure","id":"s"},"nodes":null,"edges":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Read(bytes.NewReader(b), 1<<20)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Read returned a snapshot that does not validate: %v", err)
		}
	})
}
