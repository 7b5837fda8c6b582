package graph

import (
	"errors"
	"strings"
	"testing"
)

func validSnapshot() *Snapshot {
	return &Snapshot{
		Scope: Scope{Cloud: CloudAWS, ID: "111111111111"},
		Nodes: []Node{
			{ID: InternetID, Kind: KindInternet, Stub: true},
			{ID: "arn:aws:ec2:us-east-1:111111111111:instance/i-1", Kind: KindCompute, Cloud: CloudAWS, Service: "ec2", Region: "us-east-1"},
			{ID: "arn:aws:s3:::data", Kind: KindBucket, Cloud: CloudAWS, Sensitivity: SensitivityRestricted, Props: Props{"versioning": true, "objects": int64(3), "names": []string{"a"}}},
		},
		Edges: []Edge{
			{From: InternetID, To: "arn:aws:ec2:us-east-1:111111111111:instance/i-1", Kind: EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{"f1"}},
		},
		Findings: []Finding{
			{ID: "f1", RuleID: "aws.ec2.open-ssh", Resource: "arn:aws:ec2:us-east-1:111111111111:instance/i-1", Severity: SeverityHigh},
		},
	}
}

func TestValidateRejectsBadSnapshotsNamingTheOffender(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Snapshot)
		want   string // substring of the error
	}{
		{"unknown scope cloud", func(s *Snapshot) { s.Scope.Cloud = "oracle" }, `unknown scope cloud "oracle"`},
		{"empty scope id", func(s *Snapshot) { s.Scope.ID = "" }, "empty scope id"},
		{"unknown node kind", func(s *Snapshot) { s.Nodes[1].Kind = "Mainframe" }, `unknown kind "Mainframe"`},
		{"duplicate node id", func(s *Snapshot) { s.Nodes = append(s.Nodes, s.Nodes[2]) }, `duplicate node id "arn:aws:s3:::data"`},
		{"empty node id", func(s *Snapshot) { s.Nodes[1].ID = "" }, "node 1 has an empty id"},
		{"node of another cloud", func(s *Snapshot) { s.Nodes[2].Cloud = CloudGCP }, `belongs to cloud "gcp"`},
		{"dangling edge target", func(s *Snapshot) { s.Edges[0].To = "arn:aws:ec2:::nowhere" }, "target node not in snapshot"},
		{"dangling edge source", func(s *Snapshot) { s.Edges[0].From = "ghost" }, "source node not in snapshot"},
		{"unknown edge kind", func(s *Snapshot) { s.Edges[0].Kind = "TELEPORTS" }, `unknown kind "TELEPORTS"`},
		{"list property over the string cap in all", func(s *Snapshot) {
			s.Nodes[2].Props["names"] = slicesRepeat(strings.Repeat("x", 60<<10), 100) // 6 MB, each item under the string cap
		}, "bytes in all"},
		{"list property item over the string cap", func(s *Snapshot) {
			s.Nodes[2].Props["names"] = []string{strings.Repeat("x", MaxStringProp+1)}
		}, "an item of"},
		{"list property with too many items", func(s *Snapshot) { s.Nodes[2].Props["names"] = make([]string, MaxListItems+1) }, "items"},
		{"too many tags", func(s *Snapshot) {
			s.Nodes[2].Tags = map[string]string{}
			for i := range MaxTagsPerNode + 1 {
				s.Nodes[2].Tags[strings.Repeat("k", i+1)] = "v"
			}
		}, "tags (max"},
		{"tag value too long", func(s *Snapshot) { s.Nodes[2].Tags = map[string]string{"owner": strings.Repeat("v", MaxTagBytes+1)} }, "key or value over"},
		{"name too long", func(s *Snapshot) { s.Nodes[2].Name = strings.Repeat("n", 3<<20) }, "name is"},
		{"edge evidence too long", func(s *Snapshot) { s.Edges[0].Evidence = []string{strings.Repeat("e", MaxTextLength+1)} }, "evidence has an item"},
		{"finding title too long", func(s *Snapshot) { s.Findings[0].Title = strings.Repeat("t", MaxTextLength+1) }, "title, evidence or remediation"},
		{"move without technique", func(s *Snapshot) { s.Edges[0].Technique = "" }, "attacker move without a technique"},
		{"likelihood out of range", func(s *Snapshot) { s.Edges[0].Likelihood = 1.5 }, "likelihood 1.5"},
		{"duplicate edge", func(s *Snapshot) { s.Edges = append(s.Edges, s.Edges[0]) }, "duplicates edge 0"},
		{"untyped property", func(s *Snapshot) { s.Nodes[2].Props["x"] = map[string]int{} }, `property "x" has unsupported type`},
		{"finding on unknown resource", func(s *Snapshot) { s.Findings[0].Resource = "nope" }, `resource "nope", which is not in the snapshot`},
		{"finding with bad severity", func(s *Snapshot) { s.Findings[0].Severity = 9 }, "invalid severity 9"},
		{"edge citing unknown finding", func(s *Snapshot) { s.Edges[0].Findings = []string{"f2"} }, `cites finding "f2"`},
		{"duplicate finding", func(s *Snapshot) { s.Findings = append(s.Findings, s.Findings[0]) }, `duplicate finding id "f1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSnapshot()
			tt.mutate(s)
			err := s.Validate()
			if err == nil {
				t.Fatalf("Validate() accepted a snapshot with %s", tt.name)
			}
			if !errors.Is(err, ErrInvalidSnapshot) {
				t.Errorf("error %v does not wrap ErrInvalidSnapshot", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name the offender (want %q)", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
		})
	}
}

func TestValidateAcceptsAWellFormedSnapshot(t *testing.T) {
	if err := validSnapshot().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAssembleOwnedNodeWinsOverStubAndEdgesMerge(t *testing.T) {
	nodes := []Node{
		{ID: "r", Kind: KindRole, Stub: true, Name: "stub"},
		{ID: "r", Kind: KindRole, Name: "owned"},
		{ID: "a", Kind: KindUser},
	}
	edges := []Edge{
		{From: "a", To: "r", Kind: EdgeAssumes, Technique: "t", Findings: []string{"f2"}},
		{From: "a", To: "r", Kind: EdgeAssumes, Technique: "t", Findings: []string{"f1"}, Evidence: []string{"e"}},
	}
	g := Assemble(nodes, edges, []Finding{{ID: "f2", Resource: "r"}, {ID: "f1", Resource: "r"}})
	if len(g.Nodes) != 2 || g.Node("r").Name != "owned" {
		t.Fatalf("nodes = %+v, want the owned role to win over its stub", g.Nodes)
	}
	if len(g.Edges) != 1 || strings.Join(g.Edges[0].Findings, ",") != "f1,f2" || len(g.Edges[0].Evidence) != 1 {
		t.Fatalf("edges = %+v, want one merged edge citing f1,f2", g.Edges)
	}
	if g.Findings[0].ID != "f1" || len(g.FindingsOn("r")) != 2 {
		t.Fatalf("findings not sorted or not indexed: %+v", g.Findings)
	}
}

func TestCoverageFailedForMatchesWildcards(t *testing.T) {
	c := Coverage{Failed: []Failure{{Area: Area{Service: "s3"}}, {Area: Area{Service: "ec2", Region: "eu-west-1"}}}}
	tests := []struct {
		service, region string
		want            bool
	}{
		{"s3", "", true}, {"s3", "us-east-1", true}, {"ec2", "eu-west-1", true},
		{"ec2", "us-east-1", false}, {"iam", "", false},
	}
	for _, tt := range tests {
		if got := c.FailedFor(tt.service, tt.region); got != tt.want {
			t.Errorf("FailedFor(%q,%q) = %v, want %v", tt.service, tt.region, got, tt.want)
		}
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
