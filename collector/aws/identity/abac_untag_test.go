package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// whenTag conditions a statement on op over key = value.
func whenTag(s stmt, op, key string, value any) stmt {
	s.Condition = map[string]any{op: map[string]any{key: value}}
	return s
}

// TestRemovingATagIsAStep: a condition that fails because a tag is present today — an explicit
// Deny on protected=true (in the identity policy or an SCP guardrail), an Allow only while the
// tag is absent (Null) or differs (StringNotEquals) — holds once the attacker removes the tag
// (the service's untag action, decided with aws:TagKeys = the keys removed) or overwrites it with
// another value (its tag action): that change is the move's first step. A Deny the attacker
// cannot escape (unconditional, or its untag request denied by policy, SCP or boundary) still
// blocks; the Resource Groups Tagging API permission alone opens nothing.
func TestRemovingATagIsAStep(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:db-AbCdEf"
	read := allow("*", "secretsmanager:GetSecretValue")
	denyProtected := whenTag(deny("*", "secretsmanager:GetSecretValue"), "StringEquals", "aws:ResourceTag/protected", "true")
	untag := allow("*", "secretsmanager:UntagResource")
	removeStep := "secretsmanager:UntagResource on " + secret + " to remove tag protected"
	tests := []struct {
		name     string
		stmts    []stmt
		scp      string
		boundary string
		want     bool
		step     string
	}{
		{name: "deny on the tag, no tag permission", stmts: []stmt{read, denyProtected}},
		{name: "deny on the tag, may untag", stmts: []stmt{read, denyProtected, untag}, want: true, step: removeStep},
		{name: "deny on the tag, may untag that key only", stmts: []stmt{read, denyProtected,
			whenTag(untag, "ForAllValues:StringEquals", "aws:TagKeys", []string{"protected"})}, want: true, step: removeStep},
		{name: "deny on the tag, may untag other keys only", stmts: []stmt{read, denyProtected,
			whenTag(untag, "ForAllValues:StringEquals", "aws:TagKeys", []string{"owner"})}},
		{name: "deny on the tag, untag explicitly denied", stmts: []stmt{read, denyProtected, untag, deny("*", "secretsmanager:UntagResource")}},
		{name: "deny on the tag, untag of that key denied", stmts: []stmt{read, denyProtected, untag,
			whenTag(deny("*", "secretsmanager:UntagResource"), "ForAnyValue:StringEquals", "aws:TagKeys", []string{"protected"})}},
		{name: "deny on the tag, SCP denies untag", stmts: []stmt{read, denyProtected, untag},
			scp: doc(allow("*", "*"), deny("*", "secretsmanager:UntagResource"))},
		{name: "deny on the tag, boundary withholds untag", stmts: []stmt{read, denyProtected, untag},
			boundary: doc(allow("*", "secretsmanager:GetSecretValue"))},
		{name: "deny on the tag, boundary admits untag", stmts: []stmt{read, denyProtected, untag},
			boundary: doc(allow("*", "secretsmanager:GetSecretValue", "secretsmanager:UntagResource")), want: true, step: removeStep},
		{name: "SCP guardrail on the tag, may untag", stmts: []stmt{read, untag},
			scp: doc(allow("*", "*"), denyProtected), want: true, step: removeStep},
		{name: "SCP guardrail on the tag, no tag permission", stmts: []stmt{read}, scp: doc(allow("*", "*"), denyProtected)},
		{name: "unconditional deny, may untag", stmts: []stmt{read, deny("*", "secretsmanager:GetSecretValue"), untag}},
		{name: "deny on the tag, may overwrite its value", stmts: []stmt{read, denyProtected, allow("*", "secretsmanager:TagResource")}, want: true,
			step: "secretsmanager:TagResource on " + secret + " sets protected=breachpath-other"},
		{name: "deny on the tag, may only set the value it has", stmts: []stmt{read, denyProtected,
			whenTag(allow("*", "secretsmanager:TagResource"), "StringEquals", "aws:RequestTag/protected", "true")}},
		{name: "allowed while the tag is absent (Null), may untag", stmts: []stmt{
			whenTag(read, "Null", "aws:ResourceTag/protected", "true"), untag}, want: true, step: removeStep},
		{name: "allowed while the tag is absent (Null), cannot untag", stmts: []stmt{whenTag(read, "Null", "aws:ResourceTag/protected", "true")}},
		{name: "allowed while the tag differs (StringNotEquals), may untag", stmts: []stmt{
			whenTag(read, "StringNotEquals", "aws:ResourceTag/protected", "true"), untag}, want: true, step: removeStep},
		{name: "Resource Groups Tagging API alone: the service's untag permission is required too", stmts: []stmt{read, denyProtected,
			allow("*", "tag:UntagResources", "tag:TagResources")}},
		{name: "Resource Groups Tagging API with the service's untag permission", stmts: []stmt{read, denyProtected,
			allow("*", "tag:UntagResources"), untag}, want: true, step: removeStep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.Region("us-east-1").Secrets = []inventory.Secret{{ARN: secret, Name: "db", Tags: inventory.Tags{"protected": "true", "team": "dev"}}}
			u := addUser(inv, "attacker", doc(tt.stmts...))
			if tt.boundary != "" {
				u.PermissionBoundary = addPolicy(inv, "boundary", tt.boundary)
			}
			if tt.scp != "" {
				withSCP(inv, tt.scp)
			}
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeReads, secret, "aws.secretsmanager.reads")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e == nil {
				return
			}
			checkTagStepEdge(t, part, e, u.ARN, tt.step)
		})
	}
}

// TestEachServiceRemovesTagsWithItsOwnAction: the removal step uses the service's own untag action
// for every data resource with ABAC (and the ABAC-enabled bucket's s3:UntagResource: once ABAC is
// on, DeleteBucketTagging no longer changes the bucket's tags); the tag action alone does not remove.
func TestEachServiceRemovesTagsWithItsOwnAction(t *testing.T) {
	const region = "us-east-1"
	arn := func(svc, res string) string { return "arn:aws:" + svc + ":" + region + ":" + acct + ":" + res }
	tags := inventory.Tags{"protected": "true"}
	cases := []struct {
		name, id, action, untag string
		seed                    func(inv *inventory.Inventory)
	}{
		{"kms key", arn("kms", "key/k1"), "kms:Decrypt", "kms:UntagResource", func(inv *inventory.Inventory) {
			inv.Region(region).KMSKeys = []inventory.KMSKey{{ARN: arn("kms", "key/k1"), ID: "k1", Tags: tags}}
		}},
		{"lambda function", arn("lambda", "function:fn"), "lambda:GetFunction", "lambda:UntagResource", func(inv *inventory.Inventory) {
			inv.Region(region).Functions = []inventory.LambdaFunction{{ARN: arn("lambda", "function:fn"), Name: "fn", Tags: tags}}
		}},
		{"sqs queue", arn("sqs", "q"), "sqs:ReceiveMessage", "sqs:UntagQueue", func(inv *inventory.Inventory) {
			inv.Region(region).Queues = []inventory.Queue{{ARN: arn("sqs", "q"), Name: "q", Tags: tags}}
		}},
		{"sns topic", arn("sns", "t"), "sns:Subscribe", "sns:UntagResource", func(inv *inventory.Inventory) {
			inv.Region(region).Topics = []inventory.Topic{{ARN: arn("sns", "t"), Tags: tags}}
		}},
		{"dynamodb table", arn("dynamodb", "table/t"), "dynamodb:GetItem", "dynamodb:UntagResource", func(inv *inventory.Inventory) {
			inv.Region(region).Tables = []inventory.DynamoDBTable{{ARN: arn("dynamodb", "table/t"), Name: "t", Tags: tags}}
		}},
		{"rds instance", arn("rds", "db:d"), "rds:ModifyDBInstance", "rds:RemoveTagsFromResource", func(inv *inventory.Inventory) {
			inv.Region(region).DBInstances = []inventory.DBInstance{{ARN: arn("rds", "db:d"), ID: "d", Tags: tags}}
		}},
		{"ecr repository", arn("ecr", "repository/r"), "ecr:BatchGetImage", "ecr:UntagResource", func(inv *inventory.Inventory) {
			inv.Region(region).Repositories = []inventory.Repository{{ARN: arn("ecr", "repository/r"), Name: "r", Tags: tags}}
		}},
		{"s3 bucket with ABAC on", "arn:aws:s3:::data", "s3:GetObject", "s3:UntagResource", func(inv *inventory.Inventory) {
			inv.S3 = []inventory.Bucket{{Name: "data", ARN: "arn:aws:s3:::data", Region: region, ABAC: inventory.BucketABACEnabled, Tags: tags}}
		}},
	}
	for _, tc := range cases {
		for _, perm := range []string{tc.untag, "s3:DeleteBucketTagging", "none"} {
			t.Run(tc.name+"/"+perm, func(t *testing.T) {
				inv := newInv()
				tc.seed(inv)
				stmts := []stmt{allow("*", tc.action), whenTag(deny("*", tc.action), "StringEquals", "aws:ResourceTag/protected", "true")}
				if perm != "none" {
					stmts = append(stmts, allow("*", perm))
				}
				u := addUser(inv, "attacker", doc(stmts...))
				part := build(t, inv)
				var e *graph.Edge
				for i := range part.Edges {
					if x := &part.Edges[i]; x.From == u.ARN && x.To == tc.id {
						e = x
					}
				}
				if want := perm == tc.untag; (e != nil) != want {
					t.Fatalf("edge present=%v, want %v\n%s", e != nil, want, dumpEdges(part, u.ARN))
				}
				if e == nil {
					return
				}
				checkTagStepEdge(t, part, e, u.ARN, tc.untag+" on "+tc.id+" to remove tag protected")
			})
		}
	}
}

// TestRemovingAPrincipalOrInstanceTagIsAStep: the removal step for the tags of what an escalation
// acts on — a role (iam:UntagRole, before sts:AssumeRole), a user (iam:UntagUser, before
// iam:CreateAccessKey), an instance (ec2:DeleteTags, before ssm:SendCommand) — each guarded by a
// Deny on protected=true.
func TestRemovingAPrincipalOrInstanceTagIsAStep(t *testing.T) {
	instance := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0abc"
	protected := inventory.Tags{"protected": "true"}
	type scenario struct {
		from, to  string
		kind      graph.EdgeKind
		technique string
	}
	cases := []struct {
		name, action, untag string
		seed                func(inv *inventory.Inventory, attacker []stmt) scenario
	}{
		{"role", "sts:AssumeRole", "iam:UntagRole", func(inv *inventory.Inventory, attacker []stmt) scenario {
			r := addRole(inv, "admin", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil), doc(allow("*", "*")))
			r.Tags = protected
			u := addUser(inv, "attacker", doc(attacker...))
			return scenario{u.ARN, r.ARN, graph.EdgeAssumes, "aws.sts.assume-role"}
		}},
		{"user", "iam:CreateAccessKey", "iam:UntagUser", func(inv *inventory.Inventory, attacker []stmt) scenario {
			v := addUser(inv, "admin", doc(allow("*", "*")))
			v.Tags = protected
			u := addUser(inv, "attacker", doc(attacker...))
			return scenario{u.ARN, v.ARN, graph.EdgeEscalatesTo, "aws.iam.create-access-key"}
		}},
		{"instance", "ssm:SendCommand", "ec2:DeleteTags", func(inv *inventory.Inventory, attacker []stmt) scenario {
			inv.Region("us-east-1").Instances = []inventory.Instance{{ID: "i-0abc", ARN: instance, State: "running", Tags: protected}}
			u := addUser(inv, "attacker", doc(attacker...))
			return scenario{u.ARN, instance, graph.EdgeEscalatesTo, "aws.ssm.send-command"}
		}},
	}
	for _, tc := range cases {
		guard := whenTag(deny("*", tc.action), "StringEquals", "aws:ResourceTag/protected", "true")
		variants := []struct {
			name  string
			extra []stmt
			scp   string
			want  bool
		}{
			{name: "cannot untag"},
			{name: "may untag", extra: []stmt{allow("*", tc.untag)}, want: true},
			{name: "untag denied", extra: []stmt{allow("*", tc.untag), deny("*", tc.untag)}},
			{name: "SCP denies untag", extra: []stmt{allow("*", tc.untag)}, scp: doc(allow("*", "*"), deny("*", tc.untag))},
		}
		for _, v := range variants {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				inv := newInv()
				sc := tc.seed(inv, append([]stmt{allow("*", tc.action), guard}, v.extra...))
				if v.scp != "" {
					withSCP(inv, v.scp)
				}
				part := build(t, inv)
				e := findEdge(part, sc.from, sc.kind, sc.to, sc.technique)
				if (e != nil) != v.want {
					t.Fatalf("edge present=%v, want %v\n%s", e != nil, v.want, dumpEdges(part, sc.from))
				}
				if e == nil {
					return
				}
				if !hasEvidence(e, "tag step: "+tc.untag+" on "+sc.to+" to remove tag protected") {
					t.Errorf("the removal must be the move's tag step: %v", e.Evidence)
				}
			})
		}
	}
}
