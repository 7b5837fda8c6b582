package storetest

import (
	"fmt"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Scopes the suite syncs.
var (
	scopeA = graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}
	scopeB = graph.Scope{Cloud: graph.CloudAWS, ID: "222222222222"}
	scopeG = graph.Scope{Cloud: graph.CloudGCP, ID: "proj-1"}
)

// t0 is the collection time of the first sync; whole seconds so that every
// store can keep it exactly.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(step int) time.Time { return t0.Add(time.Duration(step) * time.Hour) }

// awsARN builds an ARN in the scope's account.
func awsARN(scope graph.Scope, service, region, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, scope.ID, resource)
}

// RichSnapshot exercises every field of the model: typed props of every
// type, tags, stubs, move edges with evidence, findings and conditions,
// findings with controls and fix effort. Store tests beyond the
// conformance suite use it too.
func RichSnapshot(scope graph.Scope, collected time.Time) *graph.Snapshot {
	instance := awsARN(scope, "ec2", "us-east-1", "instance/i-0abc")
	sg := awsARN(scope, "ec2", "us-east-1", "security-group/sg-1")
	role := fmt.Sprintf("arn:aws:iam::%s:role/app", scope.ID)
	bucket := "arn:aws:s3:::data-" + scope.ID
	external := "arn:aws:iam::999999999999:role/vendor" // another account: a stub
	account := "arn:aws:organizations::" + scope.ID
	openSSH := graph.FindingID("aws.ec2.open-ssh", sg)
	publicBucket := graph.FindingID("aws.s3.public-read", bucket)
	return &graph.Snapshot{
		Scope:       scope,
		CollectedAt: collected,
		Collector:   "storetest",
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			{ID: account, Kind: graph.KindAccount, Cloud: graph.CloudAWS, NativeType: "AWS::Organizations::Account", Name: scope.ID, Account: scope.ID, Service: "organizations"},
			{
				ID: instance, Kind: graph.KindCompute, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::Instance", Name: "web-1",
				Account: scope.ID, Region: "us-east-1", Service: "ec2",
				Tags: map[string]string{"owner": "team-web@example.com", "env": "prod", "ünïcode": "✓ \"quoted\" \\ <html>"},
				Props: graph.Props{
					"public_ip":  "203.0.113.10",
					"imdsv1":     true,
					"monitoring": false,
					"cores":      int64(8),
					"big":        int64(1) << 62,
					"negative":   int64(-42),
					"load":       0.75,
					"whole":      float64(3), // a float that happens to be whole must stay a float
					"tiny":       1e-300,
					"huge":       1.5e300,
					"ports":      []string{"22", "443"},
					"empty":      "",
				},
			},
			{ID: sg, Kind: graph.KindFirewallRules, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::SecurityGroup", Account: scope.ID, Region: "us-east-1", Service: "ec2",
				Props: graph.Props{"ingress": []string{"0.0.0.0/0:22"}}},
			{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, NativeType: "AWS::IAM::Role", Name: "app", Account: scope.ID, Service: "iam", CrownJewel: true},
			{ID: bucket, Kind: graph.KindBucket, Cloud: graph.CloudAWS, NativeType: "AWS::S3::Bucket", Name: "data-" + scope.ID, Account: scope.ID, Region: "eu-west-1", Service: "s3",
				Sensitivity: graph.SensitivityRestricted, Tags: map[string]string{"classification": "restricted"}},
			{ID: external, Kind: graph.KindRole, Cloud: graph.CloudAWS, Account: "999999999999", Stub: true},
		},
		Edges: []graph.Edge{
			{From: account, To: instance, Kind: graph.EdgeContains},
			{From: account, To: bucket, Kind: graph.EdgeContains},
			{From: instance, To: sg, Kind: graph.EdgeProtectedBy},
			{From: instance, To: role, Kind: graph.EdgeRunsAs},
			{
				From: graph.InternetID, To: instance, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure",
				Likelihood: 0.9, Evidence: []string{sg + " allows 0.0.0.0/0 on 22", "instance has public ip 203.0.113.10"},
				Findings: []string{openSSH}, Props: graph.Props{"ports": []string{"22"}, "port": int64(22)},
			},
			{From: instance, To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds-credentials", Likelihood: 0.6, Evidence: []string{"imdsv1 enabled"}},
			{From: role, To: bucket, Kind: graph.EdgeReads, Technique: "aws.s3.read", Conditional: true, Evidence: []string{"policy app-read statement 1"}},
			{From: external, To: role, Kind: graph.EdgeAssumes, Technique: "aws.sts.assume-role", Likelihood: 0.25},
			{From: graph.InternetID, To: bucket, Kind: graph.EdgeReads, Technique: "aws.s3.public-read", Findings: []string{publicBucket}},
		},
		Findings: []graph.Finding{
			{
				ID: openSSH, RuleID: "aws.ec2.open-ssh", Resource: sg, Severity: graph.SeverityHigh,
				Title: "Security group allows SSH from the internet", Evidence: "0.0.0.0/0 -> tcp/22",
				Remediation: "Restrict the ingress rule to known ranges.", Controls: []string{"CIS-AWS-3.0:5.2", "AWS-FSBP:EC2.13"}, FixEffort: 1.5,
			},
			{
				ID: publicBucket, RuleID: "aws.s3.public-read", Resource: bucket, Severity: graph.SeverityCritical,
				Title: "Bucket is publicly readable", Controls: []string{"AWS-FSBP:S3.8"},
			},
			{ID: graph.FindingID("aws.iam.role-crown-jewel", role), RuleID: "aws.iam.role-crown-jewel", Resource: role, Severity: graph.SeverityInfo, Title: "Admin role", FixEffort: 4},
		},
		Coverage: graph.Coverage{Read: []graph.Area{{Service: "ec2", Region: "us-east-1"}, {Service: "iam"}, {Service: "s3"}}},
	}
}

// genSnapshot is a deterministic snapshot of n compute nodes in which every
// node and edge carries the property gen: a reader that sees two values of
// gen in one scope has seen a half-applied sync. The node set depends on n
// so that a partial write also shows in the counts.
func genSnapshot(scope graph.Scope, gen, n int, collected time.Time) *graph.Snapshot {
	g := int64(gen)
	account := "arn:aws:organizations::" + scope.ID
	s := &graph.Snapshot{Scope: scope, CollectedAt: collected, Collector: "storetest-gen"}
	s.Nodes = append(s.Nodes,
		graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true, Props: graph.Props{"gen": g}},
		graph.Node{ID: account, Kind: graph.KindAccount, Cloud: graph.CloudAWS, Service: "organizations", Props: graph.Props{"gen": g}},
	)
	id := func(i int) string { return awsARN(scope, "ec2", "us-east-1", fmt.Sprintf("instance/i-%07d", i)) }
	for i := range n {
		s.Nodes = append(s.Nodes, graph.Node{
			ID: id(i), Kind: graph.KindCompute, Cloud: graph.CloudAWS, Name: fmt.Sprintf("vm-%d", i),
			Account: scope.ID, Region: "us-east-1", Service: "ec2",
			Tags:  map[string]string{"owner": fmt.Sprintf("team-%d", i%7)},
			Props: graph.Props{"gen": g, "index": int64(i)},
		})
		s.Edges = append(s.Edges, graph.Edge{From: account, To: id(i), Kind: graph.EdgeContains, Props: graph.Props{"gen": g}})
		if i > 0 {
			s.Edges = append(s.Edges, graph.Edge{From: id(i - 1), To: id(i), Kind: graph.EdgeReaches, Technique: "net.lateral",
				Evidence: []string{fmt.Sprintf("sg allows %d", i)}, Props: graph.Props{"gen": g}})
		}
		if i%10 == 0 {
			fid := graph.FindingID("gen.rule", id(i))
			s.Findings = append(s.Findings, graph.Finding{ID: fid, RuleID: "gen.rule", Resource: id(i), Severity: graph.SeverityMedium, Title: fmt.Sprintf("gen %d", gen)})
			s.Edges = append(s.Edges, graph.Edge{From: graph.InternetID, To: id(i), Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure",
				Findings: []string{fid}, Props: graph.Props{"gen": g}})
		}
	}
	return s
}

// checkGen reports how g differs from genSnapshot(scope, gen, n), looking
// only at counts and the gen property: cheap enough for readers that loop.
func checkGen(g *graph.Graph, gen, n int) error {
	want := genSnapshot(scopeA, gen, n, t0)
	if len(g.Nodes) != len(want.Nodes) || len(g.Edges) != len(want.Edges) || len(g.Findings) != len(want.Findings) {
		return fmt.Errorf("gen %d: got %d nodes, %d edges, %d findings; want %d, %d, %d",
			gen, len(g.Nodes), len(g.Edges), len(g.Findings), len(want.Nodes), len(want.Edges), len(want.Findings))
	}
	for i := range g.Nodes {
		if v := g.Nodes[i].Props["gen"]; v != int64(gen) {
			return fmt.Errorf("node %s has gen %v (%T), want %d", g.Nodes[i].ID, v, v, gen)
		}
	}
	for i := range g.Edges {
		if v := g.Edges[i].Props["gen"]; v != int64(gen) {
			return fmt.Errorf("edge %s has gen %v (%T), want %d", g.Edges[i].Key(), v, v, gen)
		}
	}
	for i := range g.Findings {
		if want := fmt.Sprintf("gen %d", gen); g.Findings[i].Title != want {
			return fmt.Errorf("finding %s has title %q, want %q", g.Findings[i].ID, g.Findings[i].Title, want)
		}
	}
	return nil
}

// genOf returns the gen of a loaded graph (0 when empty, -1 when mixed).
func genOf(g *graph.Graph) int {
	if len(g.Nodes) == 0 {
		return 0
	}
	v, _ := g.Nodes[0].Props["gen"].(int64)
	for i := range g.Nodes {
		if g.Nodes[i].Props["gen"] != v {
			return -1
		}
	}
	return int(v)
}
