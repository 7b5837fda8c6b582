package queries_test

import (
	"time"

	"github.com/breachpath/breachpath/graph"
)

// The feature scope: a small hand-built AWS account that gives every query
// something to find that the synthetic estate lacks (conditional moves,
// explicit encrypted props, imds_v1, untagged stores, stale rows), next to
// the decoys each query must leave out.
const (
	featAcct     = "999900000001"
	featInternet = graph.InternetID
	featAnon     = "anonymous:aws"
	featVendor   = "arn:aws:iam::555555555555:root"
	featVendor2  = "arn:aws:iam::555555555556:root"
	featWeb      = "arn:aws:ec2:us-east-1:999900000001:instance/i-web"
	featWorker   = "arn:aws:ec2:us-east-1:999900000001:instance/i-worker"
	featSafe     = "arn:aws:ec2:us-east-1:999900000001:instance/i-safe"
	featProfile  = "arn:aws:iam::999900000001:instance-profile/web"
	featWebRole  = "arn:aws:iam::999900000001:role/web"
	featWorkRole = "arn:aws:iam::999900000001:role/worker"
	featSuper    = "arn:aws:iam::999900000001:role/ops-superuser"
	featAdmin    = "arn:aws:iam::999900000001:role/AdminRole"
	featVendRole = "arn:aws:iam::999900000001:role/vendor-integration"
	featCondRole = "arn:aws:iam::999900000001:role/vendor-conditional"
	featUser     = "arn:aws:iam::999900000001:user/dana"
	featDBPlain  = "arn:aws:rds:us-east-1:999900000001:db:ledger"
	featDBNoKey  = "arn:aws:rds:us-east-1:999900000001:db:reports"
	featDBEnc    = "arn:aws:rds:us-east-1:999900000001:db:orders"
	featDBLow    = "arn:aws:rds:us-east-1:999900000001:db:scratch"
	featKey      = "arn:aws:kms:us-east-1:999900000001:key/k1"
	featBucket   = "arn:aws:s3:::feat-untagged"
	featTagged   = "arn:aws:s3:::feat-tagged"
	featSecret   = "arn:aws:secretsmanager:us-east-1:999900000001:secret:api-key"
	featLogs     = "arn:aws:s3:::feat-logs" // in the area the second sync fails to read
)

var featTime = time.Date(2025, 7, 1, 8, 30, 0, 0, time.UTC)

// featureSnapshot returns the feature scope. withLogs adds the bucket that
// a later, partly failed sync leaves stale.
func featureSnapshot(withLogs bool) *graph.Snapshot {
	owner := map[string]string{"owner": "sec@example.com"}
	node := func(id string, k graph.Kind, name string, mod ...func(*graph.Node)) graph.Node {
		n := graph.Node{ID: id, Kind: k, Cloud: graph.CloudAWS, Name: name, Account: featAcct, Region: "us-east-1", Service: "ec2", Tags: owner}
		for _, m := range mod {
			m(&n)
		}
		return n
	}
	props := func(p graph.Props) func(*graph.Node) { return func(n *graph.Node) { n.Props = p } }
	sens := func(s graph.Sensitivity) func(*graph.Node) { return func(n *graph.Node) { n.Sensitivity = s } }
	jewel := func(n *graph.Node) { n.CrownJewel = true }
	iam := func(n *graph.Node) { n.Service, n.Region = "iam", "global" }
	stub := func(n *graph.Node) { n.Stub = true; n.Tags = nil }
	untagged := func(n *graph.Node) { n.Tags = nil }

	s := &graph.Snapshot{
		Scope:       graph.Scope{Cloud: graph.CloudAWS, ID: featAcct},
		CollectedAt: featTime,
		Collector:   "test",
		Nodes: []graph.Node{
			{ID: featInternet, Kind: graph.KindInternet, Name: "Internet", Stub: true},
			{ID: featAnon, Kind: graph.KindExternalPrincipal, Cloud: graph.CloudAWS, Name: "*", Stub: true, Props: graph.Props{graph.PropAnonymous: true}},
			node(featVendor, graph.KindExternalPrincipal, "vendor", stub, func(n *graph.Node) { n.Account = "555555555555" }),
			node(featVendor2, graph.KindExternalPrincipal, "vendor-two", stub, func(n *graph.Node) { n.Account = "555555555556" }),
			node(featWeb, graph.KindCompute, "web", props(graph.Props{"imds_v1": true})),
			node(featWorker, graph.KindCompute, "worker", props(graph.Props{"imds_v1": true})),
			node(featSafe, graph.KindCompute, "safe", props(graph.Props{"imds_v1": false})),
			node(featProfile, graph.KindInstanceProfile, "web", iam),
			node(featWebRole, graph.KindRole, "web", iam),
			node(featWorkRole, graph.KindRole, "worker", iam),
			node(featSuper, graph.KindRole, "ops-superuser", iam, jewel),
			node(featAdmin, graph.KindRole, "AdminRole", iam, jewel),
			node(featVendRole, graph.KindRole, "vendor-integration", iam),
			node(featCondRole, graph.KindRole, "vendor-conditional", iam),
			node(featUser, graph.KindUser, "dana", iam),
			node(featDBPlain, graph.KindDatabase, "ledger", sens(graph.SensitivityRestricted), props(graph.Props{"encrypted": false})),
			node(featDBNoKey, graph.KindDatabase, "reports", sens(graph.SensitivityConfidential)),
			node(featDBEnc, graph.KindDatabase, "orders", sens(graph.SensitivityRestricted), props(graph.Props{"encrypted": true})),
			node(featDBLow, graph.KindDatabase, "scratch", sens(graph.SensitivityInternal), props(graph.Props{"encrypted": false})),
			node(featKey, graph.KindKey, "k1"),
			node(featBucket, graph.KindBucket, "feat-untagged", untagged, sens(graph.SensitivityConfidential)),
			node(featTagged, graph.KindBucket, "feat-tagged", sens(graph.SensitivityInternal)),
			node(featSecret, graph.KindSecret, "api-key", sens(graph.SensitivityRestricted), jewel),
		},
		Edges: []graph.Edge{
			{From: featWeb, To: featProfile, Kind: graph.EdgeRunsAs},
			{From: featProfile, To: featWebRole, Kind: graph.EdgeProfileContains},
			{From: featWorker, To: featWorkRole, Kind: graph.EdgeRunsAs},
			{From: featSafe, To: featWorkRole, Kind: graph.EdgeRunsAs},
			{From: featDBEnc, To: featKey, Kind: graph.EdgeEncryptedBy},
			{From: featVendRole, To: featVendor, Kind: graph.EdgeTrusts},
			move(featInternet, featWeb, graph.EdgeExposedTo, "net.internet-exposure", "f-sg"),
			move(featWeb, featWebRole, graph.EdgeUsesIdentity, "aws.ec2.imds-credential-theft", "f-imds"),
			move(featWebRole, featSuper, graph.EdgeEscalatesTo, "aws.iam.pass-role", "f-esc"),
			move(featWebRole, featDBNoKey, graph.EdgeReads, "aws.rds.connect"),
			cond(move(featWebRole, featAdmin, graph.EdgeAssumes, "aws.sts.assume-role")),
			move(featUser, featSuper, graph.EdgeAssumes, "aws.sts.assume-role"),
			move(featVendor, featVendRole, graph.EdgeAssumes, "aws.sts.assume-role", "f-trust"),
			cond(move(featVendor2, featCondRole, graph.EdgeAssumes, "aws.sts.assume-role")),
			move(featVendRole, featSecret, graph.EdgeReads, "aws.secretsmanager.get-secret-value"),
			move(featAnon, featBucket, graph.EdgeReads, "aws.s3.public-read", "f-public"),
			cond(move(featAnon, featTagged, graph.EdgeWrites, "aws.s3.public-write")),
		},
		Findings: []graph.Finding{
			finding("f-sg", featWeb, graph.SeverityHigh),
			finding("f-imds", featWeb, graph.SeverityMedium),
			finding("f-esc", featWebRole, graph.SeverityCritical),
			finding("f-trust", featVendRole, graph.SeverityHigh),
			finding("f-public", featBucket, graph.SeverityCritical),
			finding("f-unenc", featDBPlain, graph.SeverityMedium),
			finding("f-mfa", featUser, graph.SeverityLow),
		},
		Coverage: graph.Coverage{Read: []graph.Area{{Service: "ec2", Region: "us-east-1"}, {Service: "iam"}, {Service: "s3", Region: "us-east-1"}}},
	}
	if withLogs {
		s.Nodes = append(s.Nodes, node(featLogs, graph.KindBucket, "feat-logs", func(n *graph.Node) { n.Service = "s3" }, sens(graph.SensitivityInternal)))
	} else {
		s.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "s3", Region: "us-east-1"}, Error: "throttled"}}
	}
	return s
}

func move(from, to string, k graph.EdgeKind, tech string, findings ...string) graph.Edge {
	return graph.Edge{From: from, To: to, Kind: k, Technique: tech, Likelihood: 0.9, Findings: findings, Evidence: []string{"test"}}
}

func cond(e graph.Edge) graph.Edge { e.Conditional = true; return e }

func finding(id, resource string, sev graph.Severity) graph.Finding {
	return graph.Finding{ID: id, RuleID: "test." + id, Resource: resource, Severity: sev, Title: "finding " + id}
}
