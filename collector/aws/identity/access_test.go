package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

const (
	bucketARN       = "arn:aws:s3:::payroll"
	keyARN          = "arn:aws:kms:us-east-1:111111111111:key/k1"
	secretARN       = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"
	queueARN        = "arn:aws:sqs:us-east-1:111111111111:jobs"
	secretPolicyARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"
	tableARN        = "arn:aws:dynamodb:us-east-1:111111111111:table/orders"
)

func withBucket(inv *inventory.Inventory, policy string) {
	inv.S3 = append(inv.S3, inventory.Bucket{Name: "payroll", ARN: bucketARN, Region: "us-east-1", Policy: policy})
}

func TestDataAccess(t *testing.T) {
	alice := iamARN("user/alice")
	sourceIP := map[string]any{"IpAddress": map[string]any{"aws:SourceIp": "10.0.0.0/8"}}
	tests := []struct {
		name        string
		setup       func(inv *inventory.Inventory, u *inventory.User)
		from        string
		kind        graph.EdgeKind
		to          string
		technique   string
		want        bool
		conditional bool
		evidence    string
		finding     string
	}{
		{"identity policy allows reading the bucket", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(stmt{Sid: "ReadPayroll", Effect: "Allow", Action: "s3:GetObject", Resource: bucketARN + "/*"})}}
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, "statement ReadPayroll", ""},
		{"identity policy on a single key reads the bucket with the key as evidence", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow(bucketARN+"/flag.txt", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, bucketARN + "/flag.txt", ""},
		{"identity policy on a prefix reads the bucket with the prefix as evidence", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow(bucketARN+"/exports/*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, bucketARN + "/exports/*", ""},
		{"identity policy on a key of another bucket gives nothing", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("arn:aws:s3:::other/flag.txt", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"bucket policy deny on the key overrides the key grant", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: bucketARN + "/flag.txt"}))
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow(bucketARN+"/flag.txt", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"deny on the enclosing prefix overrides the key grant", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow(bucketARN+"/exports/q1.csv", "s3:GetObject"), deny(bucketARN+"/exports/*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"same-account bucket policy grant on one key reads the bucket", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Sid: "Flag", Effect: "Allow", Principal: map[string]any{"AWS": alice}, Action: "s3:GetObject", Resource: bucketARN + "/flag.txt"}))
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, bucketARN + "/flag.txt", ""},
		{"cross-account grant on a prefix reaches the external account", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": other}, Action: "s3:PutObject", Resource: bucketARN + "/uploads/*"}))
		}, "arn:aws:iam::" + other + ":root", graph.EdgeWrites, bucketARN, "aws.s3.writes", true, false, bucketARN + "/uploads/*", RuleCrossAccountResource},
		{"identity policy on another bucket gives nothing", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("arn:aws:s3:::other/*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"same-account bucket policy alone grants the read", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Sid: "Alice", Effect: "Allow", Principal: map[string]any{"AWS": alice}, Action: "s3:GetObject", Resource: bucketARN + "/*"}))
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, bucketARN + "#policy statement Alice", ""},
		{"bucket policy granting the account delegates to identity policies", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, Action: "s3:GetObject", Resource: bucketARN + "/*"}))
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"explicit deny in the bucket policy removes the edge", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: bucketARN + "/*"}))
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"source-ip condition makes the read conditional", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(stmt{Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: sourceIP})}}
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, true, "aws:sourceip", ""},
		{"TLS-only bucket policy does not make reads conditional", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: bucketARN + "/*",
				Condition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}))
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, "", ""},
		{"write through PutObject", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "w", Document: doc(allow(bucketARN+"/*", "s3:PutObject"))}}
		}, alice, graph.EdgeWrites, bucketARN, "aws.s3.writes", true, false, "s3:PutObject", ""},
		{"administer through PutBucketPolicy", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "w", Document: doc(allow(bucketARN, "s3:PutBucketPolicy"))}}
		}, alice, graph.EdgeAdministers, bucketARN, "aws.s3.administers", true, false, "", ""},
		{"SCP deny removes the read", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			withSCP(inv, doc(allow("*", "*"), deny("*", "s3:GetObject")))
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"RCP deny on the resource removes the read", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			withSCP(inv, doc(allow("*", "*")))
			inv.Org.Roots[0].PolicyTypes = append(inv.Org.Roots[0].PolicyTypes, inventory.PolicyTypeRCP)
			inv.Org.Policies = append(inv.Org.Policies,
				inventory.OrgPolicy{ID: "rcp-full", ARN: "arn:aws:organizations::999999999999:policy/o-test/resource_control_policy/rcp-full", Type: inventory.PolicyTypeRCP,
					Document: doc(stmt{Effect: "Allow", Principal: "*", Action: "*", Resource: "*"}), Targets: []string{"r-root"}},
				inventory.OrgPolicy{ID: "rcp-1", ARN: "arn:aws:organizations::999999999999:policy/o-test/resource_control_policy/rcp-1", Type: inventory.PolicyTypeRCP,
					Document: doc(stmt{Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "*"}), Targets: []string{acct}})
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"boundary without s3 removes the read", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, "")
			u.PermissionBoundary = addPolicy(inv, "b", doc(allow("*", "sqs:*")))
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: doc(allow("*", "s3:GetObject"))}}
		}, alice, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"cross-account grant in the bucket policy reaches the external account", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": other}, Action: "s3:GetObject", Resource: bucketARN + "/*"}))
		}, "arn:aws:iam::" + other + ":root", graph.EdgeReads, bucketARN, "aws.s3.reads", true, false, "", RuleCrossAccountResource},
		{"cross-account grant of another action gives no read", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": other}, Action: "s3:ListBucket", Resource: bucketARN}))
		}, "arn:aws:iam::" + other + ":root", graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"KMS decrypt needs the key policy to delegate: it does", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").KMSKeys = []inventory.KMSKey{{ARN: keyARN, Policy: doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, Action: "kms:*", Resource: "*"})}}
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "k", Document: doc(allow("*", "kms:Decrypt"))}}
		}, alice, graph.EdgeDecrypts, keyARN, "aws.kms.decrypts", true, false, "", ""},
		{"KMS decrypt needs the key policy to delegate: it does not", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").KMSKeys = []inventory.KMSKey{{ARN: keyARN, Policy: doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": iamARN("role/keyadmin")}, Action: "kms:*", Resource: "*"})}}
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "k", Document: doc(allow("*", "kms:Decrypt"))}}
		}, alice, graph.EdgeDecrypts, keyARN, "", false, false, "", ""},
		{"secret read", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Secrets = []inventory.Secret{{ARN: secretARN, Name: "db"}}
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "s", Document: doc(allow("arn:aws:secretsmanager:us-east-1:111111111111:secret:db-*", "secretsmanager:GetSecretValue"))}}
		}, alice, graph.EdgeReads, secretARN, "aws.secretsmanager.reads", true, false, "", ""},
		{"dynamodb table scan", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Tables = []inventory.DynamoDBTable{{ARN: tableARN, Name: "orders"}}
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "d", Document: doc(allow(tableARN, "dynamodb:Scan"))}}
		}, alice, graph.EdgeReads, tableARN, "aws.dynamodb.reads", true, false, "dynamodb:Scan", ""},
		{"public queue policy gives any AWS principal a read and a finding", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Queues = []inventory.Queue{{ARN: queueARN, Name: "jobs", Policy: doc(stmt{Effect: "Allow", Principal: "*", Action: "sqs:ReceiveMessage", Resource: queueARN})}}
		}, AnyAWSPrincipalID, graph.EdgeReads, queueARN, "aws.sqs.public-policy", true, false, "", RulePublicResourcePolicy},
		{"public queue policy is no anonymous Internet read", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Queues = []inventory.Queue{{ARN: queueARN, Name: "jobs", Policy: doc(stmt{Effect: "Allow", Principal: "*", Action: "sqs:ReceiveMessage", Resource: queueARN})}}
		}, AnonymousID, graph.EdgeReads, queueARN, "", false, false, "", ""},
		{"public secret policy gives any AWS principal a read, not anyone", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Secrets = []inventory.Secret{{ARN: secretPolicyARN, Name: "db", Policy: doc(stmt{Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*"})}}
		}, AnyAWSPrincipalID, graph.EdgeReads, secretPolicyARN, "aws.secretsmanager.public-policy", true, false, "", RulePublicResourcePolicy},
		{"queue policy for the organization only is not public", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Queues = []inventory.Queue{{ARN: queueARN, Name: "jobs", Policy: doc(stmt{Effect: "Allow", Principal: "*", Action: "sqs:ReceiveMessage", Resource: queueARN,
				Condition: map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-test"}}})}}
		}, AnyAWSPrincipalID, graph.EdgeReads, queueARN, "", false, false, "", ""},
		{"bucket public exposure is left to the resource part", func(inv *inventory.Inventory, u *inventory.User) {
			withBucket(inv, doc(stmt{Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: bucketARN + "/*"}))
		}, AnonymousID, graph.EdgeReads, bucketARN, "", false, false, "", ""},
		{"public queue also lets same-account principals read", func(inv *inventory.Inventory, u *inventory.User) {
			inv.Region("us-east-1").Queues = []inventory.Queue{{ARN: queueARN, Name: "jobs", Policy: doc(stmt{Effect: "Allow", Principal: "*", Action: "sqs:ReceiveMessage", Resource: queueARN})}}
		}, alice, graph.EdgeReads, queueARN, "aws.sqs.reads", true, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			u := addUser(inv, "alice")
			tt.setup(inv, u)
			part := build(t, inv)
			e := findEdge(part, tt.from, tt.kind, tt.to, tt.technique)
			if (e != nil) != tt.want {
				t.Fatalf("edge %s -[%s]-> %s present=%v, want %v\n%s", tt.from, tt.kind, tt.to, e != nil, tt.want, dumpEdges(part, ""))
			}
			if e == nil {
				return
			}
			if e.Conditional != tt.conditional {
				t.Errorf("conditional = %v, want %v (%v)", e.Conditional, tt.conditional, e.Evidence)
			}
			if tt.evidence != "" && !hasEvidence(e, tt.evidence) {
				t.Errorf("evidence %q lacks %q", e.Evidence, tt.evidence)
			}
			if tt.finding != "" {
				f := findFinding(part, tt.finding, tt.to)
				if f == nil || len(e.Findings) == 0 || e.Findings[0] != f.ID {
					t.Errorf("edge must cite a %s finding: findings=%v", tt.finding, e.Findings)
				}
			}
		})
	}
}

// TestRDSDataMoves: restoring a snapshot and resetting a master password are moves to the data,
// each with the positive, negative, explicit-deny, SCP and boundary variants.
func TestRDSDataMoves(t *testing.T) {
	const (
		dbARN      = "arn:aws:rds:us-east-1:111111111111:db:orders"
		clusterARN = "arn:aws:rds:us-east-1:111111111111:cluster:ledger"
		snapARN    = "arn:aws:rds:us-east-1:111111111111:snapshot:orders-1"
		cSnapARN   = "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:ledger-1"
	)
	moves := []struct{ action, target string }{
		{"rds:RestoreDBInstanceFromDBSnapshot", snapARN},
		{"rds:RestoreDBClusterFromSnapshot", cSnapARN},
		{"rds:ModifyDBInstance", dbARN},
		{"rds:ModifyDBCluster", clusterARN},
	}
	variants := []struct {
		name  string
		setup func(inv *inventory.Inventory, u *inventory.User, action string)
		want  bool
	}{
		{"allowed", func(inv *inventory.Inventory, u *inventory.User, action string) {}, true},
		{"not granted", func(inv *inventory.Inventory, u *inventory.User, action string) { u.InlinePolicies = nil }, false},
		{"explicit deny", func(inv *inventory.Inventory, u *inventory.User, action string) {
			u.InlinePolicies = append(u.InlinePolicies, inventory.InlinePolicy{Name: "deny", Document: doc(deny("*", action))})
		}, false},
		{"denied by an SCP", func(inv *inventory.Inventory, u *inventory.User, action string) {
			withSCP(inv, doc(allow("*", "*"), deny("*", action)))
		}, false},
		{"outside the boundary", func(inv *inventory.Inventory, u *inventory.User, action string) {
			u.PermissionBoundary = addPolicy(inv, "boundary", doc(allow("*", "s3:GetObject")))
		}, false},
	}
	for _, m := range moves {
		for _, v := range variants {
			t.Run(m.action+"/"+v.name, func(t *testing.T) {
				inv := newInv()
				r := inv.Region("us-east-1")
				r.DBInstances = []inventory.DBInstance{{ID: "orders", ARN: dbARN, Engine: "postgres"}}
				r.DBClusters = []inventory.DBCluster{{ID: "ledger", ARN: clusterARN, Engine: "aurora-postgresql"}}
				r.DBSnapshots = []inventory.DBSnapshot{{ID: "orders-1", ARN: snapARN, Source: "orders"}, {ID: "ledger-1", ARN: cSnapARN, Source: "ledger", Cluster: true}}
				u := addUser(inv, "attacker", doc(allow("*", m.action)))
				v.setup(inv, u, m.action)
				part := build(t, inv)
				e := findEdge(part, u.ARN, graph.EdgeReads, m.target, "aws.rds.reads")
				if (e != nil) != v.want {
					t.Fatalf("READS %s present=%v, want %v\n%s", m.target, e != nil, v.want, dumpEdges(part, u.ARN))
				}
				if e != nil && !hasEvidence(e, m.action) {
					t.Errorf("evidence must name %s: %v", m.action, e.Evidence)
				}
			})
		}
	}
}
