package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// "paths --source X" answers what someone holding X reaches: X may be an
// access key id, an instance id or a principal's name; an X the graph does
// not hold gives an empty answer that says why, and exit 0.
func TestPathsFromAnAssumedCompromisedSource(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	snap := `{"scope":{"cloud":"aws","id":"333333333333"},"nodes":[
	 {"id":"arn:aws:iam::333333333333:user/raynor","kind":"User","cloud":"aws","name":"raynor","account":"333333333333","service":"iam","props":{"identifiers":["AKIAQ2RAYNORKEYID7ZZ"]}},
	 {"id":"arn:aws:ec2:us-east-1:333333333333:instance/i-0abc","kind":"Compute","cloud":"aws","name":"web","account":"333333333333","service":"ec2","props":{"identifiers":["i-0abc"]}},
	 {"id":"arn:aws:s3:::payroll","kind":"Bucket","cloud":"aws","name":"payroll","account":"333333333333","service":"s3","sensitivity":"restricted"}],
	 "edges":[
	 {"from":"arn:aws:iam::333333333333:user/raynor","to":"arn:aws:s3:::payroll","kind":"READS","technique":"aws.s3.reads"},
	 {"from":"arn:aws:ec2:us-east-1:333333333333:instance/i-0abc","to":"arn:aws:s3:::payroll","kind":"READS","technique":"aws.s3.reads"}],
	 "findings":[],"coverage":{}}`
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(snap), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runRoot(t, "--db", db, "collect", "file", filepath.Join(dir, "a.json")); err != nil {
		t.Fatalf("collect file: %v", err)
	}
	tests := []struct {
		source     string
		wantFrom   string
		unresolved bool
	}{
		{"AKIAQ2RAYNORKEYID7ZZ", "arn:aws:iam::333333333333:user/raynor", false},
		{"raynor", "arn:aws:iam::333333333333:user/raynor", false},
		{"i-0abc", "arn:aws:ec2:us-east-1:333333333333:instance/i-0abc", false},
		{"arn:aws:ec2:us-east-1:333333333333:instance/i-0abc", "arn:aws:ec2:us-east-1:333333333333:instance/i-0abc", false},
		{"AKIAQ2NOTCOLLECTED99", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.source, func(t *testing.T) {
			out, _, err := runRoot(t, "--db", db, "paths", "--source", tc.source, "--format", "json")
			if err != nil {
				t.Fatalf("paths --source %s: %v", tc.source, err)
			}
			var res struct {
				Paths []struct {
					Source string `json:"source"`
					Target string `json:"target"`
				} `json:"paths"`
				Unresolved []string `json:"unresolved"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if tc.unresolved {
				if len(res.Paths) != 0 || len(res.Unresolved) != 1 || !strings.Contains(res.Unresolved[0], tc.source) {
					t.Fatalf("want an empty answer naming %s, got %s", tc.source, out)
				}
				return
			}
			if len(res.Paths) != 1 || res.Paths[0].Source != tc.wantFrom || res.Paths[0].Target != "arn:aws:s3:::payroll" {
				t.Fatalf("paths = %s, want one from %s to the bucket", out, tc.wantFrom)
			}
			// --explain asks the must-pass analysis the same question, with
			// the source as resolved, not as typed.
			out, _, err = runRoot(t, "--db", db, "paths", "--source", tc.source, "--explain")
			if err != nil || !strings.Contains(out, "payroll") {
				t.Fatalf("paths --source %s --explain = %q, %v", tc.source, out, err)
			}
		})
	}
	out, _, err := runRoot(t, "--db", db, "paths", "--source", "nobody-here")
	if err != nil || !strings.Contains(out, "no attack paths found") || !strings.Contains(out, "nobody-here") {
		t.Fatalf("table output for an unknown source = %q, %v", out, err)
	}
}
