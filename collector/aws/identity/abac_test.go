package identity

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// onTags is an Allow of actions on every resource whose tag key has value.
func onTags(key, value string, actions ...string) stmt {
	return stmt{Effect: "Allow", Action: actions, Resource: "*", Condition: map[string]any{"StringEquals": map[string]any{key: value}}}
}

// TestDataResourceTagsDecideABAC: aws:ResourceTag conditions on a data resource (secret, KMS key,
// Lambda function, queue, topic, table, RDS instance, S3 bucket with ABAC on) are decided against
// the tags collected with it: a condition that holds draws a definite edge, one that fails none
// (unless the attacker may retag it, TestRetaggingADataResourceIsAStep); unknown tags (a failed
// tag read, a bucket whose ABAC status was not read) leave it conditional.
func TestDataResourceTagsDecideABAC(t *testing.T) {
	const region = "us-east-1"
	arn := func(svc, res string) string { return "arn:aws:" + svc + ":" + region + ":" + acct + ":" + res }
	type target struct {
		name   string
		id     string
		action string
		kind   graph.EdgeKind
		seed   func(inv *inventory.Inventory, tags inventory.Tags, errs []string)
	}
	targets := []target{
		{"secret", arn("secretsmanager", "secret:db-AbCdEf"), "secretsmanager:GetSecretValue", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			inv.Region(region).Secrets = []inventory.Secret{{ARN: arn("secretsmanager", "secret:db-AbCdEf"), Name: "db", Tags: tags, Errors: errs}}
		}},
		{"kms key", arn("kms", "key/k1"), "kms:Decrypt", graph.EdgeDecrypts, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			inv.Region(region).KMSKeys = []inventory.KMSKey{{ARN: arn("kms", "key/k1"), ID: "k1", Tags: tags, Errors: errs}}
		}},
		{"lambda function", arn("lambda", "function:fn"), "lambda:GetFunction", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			inv.Region(region).Functions = []inventory.LambdaFunction{{ARN: arn("lambda", "function:fn"), Name: "fn", Tags: tags, Errors: errs}}
		}},
		{"sqs queue", arn("sqs", "q"), "sqs:ReceiveMessage", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			inv.Region(region).Queues = []inventory.Queue{{ARN: arn("sqs", "q"), Name: "q", Tags: tags, Errors: errs}}
		}},
		{"sns topic", arn("sns", "t"), "sns:Subscribe", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			inv.Region(region).Topics = []inventory.Topic{{ARN: arn("sns", "t"), Tags: tags, Errors: errs}}
		}},
		{"dynamodb table", arn("dynamodb", "table/t"), "dynamodb:GetItem", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			inv.Region(region).Tables = []inventory.DynamoDBTable{{ARN: arn("dynamodb", "table/t"), Name: "t", Tags: tags, Errors: errs}}
		}},
		{"rds instance", arn("rds", "db:d"), "rds:ModifyDBInstance", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			if len(errs) > 0 {
				tags = nil // RDS tags come with the instance: never unknown on their own
			}
			inv.Region(region).DBInstances = []inventory.DBInstance{{ARN: arn("rds", "db:d"), ID: "d", Tags: tags}}
		}},
		{"s3 bucket with ABAC on", "arn:aws:s3:::data", "s3:GetObject", graph.EdgeReads, func(inv *inventory.Inventory, tags inventory.Tags, errs []string) {
			abac := inventory.BucketABACEnabled
			if len(errs) > 0 {
				abac = "" // status not read
			}
			inv.S3 = []inventory.Bucket{{Name: "data", ARN: "arn:aws:s3:::data", Region: region, ABAC: abac, Tags: tags}}
		}},
	}
	cases := []struct {
		name        string
		tags        inventory.Tags
		errs        []string
		want        bool
		conditional bool
	}{
		{"tag holds", inventory.Tags{"team": "dev"}, nil, true, false},
		{"tag differs", inventory.Tags{"team": "prod"}, nil, false, false},
		{"untagged", nil, nil, false, false},
		{"tags unknown", nil, []string{"tags: AccessDenied"}, true, true},
	}
	for _, tg := range targets {
		for _, tc := range cases {
			t.Run(tg.name+"/"+tc.name, func(t *testing.T) {
				if tg.name == "rds instance" && tc.errs != nil {
					t.Skip("RDS tags are read with the instance")
				}
				inv := newInv()
				tg.seed(inv, tc.tags, tc.errs)
				u := addUser(inv, "reader", doc(onTags("aws:ResourceTag/team", "dev", tg.action)))
				part := build(t, inv)
				var e *graph.Edge
				for i := range part.Edges {
					x := &part.Edges[i]
					if x.From == u.ARN && x.To == tg.id && x.Kind == tg.kind {
						e = x
					}
				}
				if (e != nil) != tc.want {
					t.Fatalf("edge present=%v, want %v\n%s", e != nil, tc.want, dumpEdges(part, u.ARN))
				}
				if e != nil && e.Conditional != tc.conditional {
					t.Fatalf("conditional=%v, want %v: %v", e.Conditional, tc.conditional, e.Evidence)
				}
			})
		}
	}
	t.Run("s3 bucket with ABAC off: the tags decide nothing", func(t *testing.T) {
		inv := newInv()
		inv.S3 = []inventory.Bucket{{Name: "data", ARN: "arn:aws:s3:::data", Region: region, ABAC: inventory.BucketABACDisabled, Tags: inventory.Tags{"team": "dev"}}}
		u := addUser(inv, "reader", doc(onTags("aws:ResourceTag/team", "dev", "s3:GetObject")))
		part := build(t, inv)
		if e := findEdge(part, u.ARN, graph.EdgeReads, "arn:aws:s3:::data", "aws.s3.reads"); e != nil {
			t.Fatalf("ABAC is off: aws:ResourceTag is absent and the grant never holds: %+v", e)
		}
	})
}

// TestRetaggingADataResourceIsAStep: an ABAC grant that fails on a data resource's tags today
// holds once the attacker sets the tag, when its policies let it tag the resource with the value
// needed: the move is drawn with the tag change as its first step (graph.PropTagStep, the step's
// evidence first, the aws.iam.abac-retag finding cited), so fixing the tag permission cuts it.
// The tag request's own conditions (aws:RequestTag, aws:TagKeys) are the attacker's choice and
// are decided with the value it needs.
func TestRetaggingADataResourceIsAStep(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:db-AbCdEf"
	read := onTags("aws:ResourceTag/team", "dev", "secretsmanager:GetSecretValue")
	tagOnly := func(value string) stmt {
		return stmt{Effect: "Allow", Action: "secretsmanager:TagResource", Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestTag/team": value}}}
	}
	tests := []struct {
		name  string
		extra []stmt
		scp   string
		want  bool
	}{
		{name: "no tag permission", want: false},
		{name: "may tag the secret", extra: []stmt{allow("*", "secretsmanager:TagResource")}, want: true},
		{name: "may set team=dev only: the value needed", extra: []stmt{tagOnly("dev")}, want: true},
		{name: "may set team=qa only: not the value needed", extra: []stmt{tagOnly("qa")}, want: false},
		{name: "may tag but not the team key", extra: []stmt{{Effect: "Allow", Action: "secretsmanager:TagResource", Resource: "*",
			Condition: map[string]any{"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []string{"owner"}}}}}, want: false},
		{name: "tagging denied", extra: []stmt{allow("*", "secretsmanager:TagResource"), deny("*", "secretsmanager:TagResource")}, want: false},
		{name: "SCP denies tagging", extra: []stmt{allow("*", "secretsmanager:TagResource")}, scp: doc(allow("*", "*"), deny("*", "secretsmanager:TagResource")), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.Region("us-east-1").Secrets = []inventory.Secret{{ARN: secret, Name: "db", Tags: inventory.Tags{"team": "prod"}}}
			u := addUser(inv, "attacker", doc(append([]stmt{read}, tt.extra...)...))
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
			checkTagStepEdge(t, part, e, u.ARN, "secretsmanager:TagResource on "+secret+" sets team=dev")
		})
	}
}

// TestRequestTagsAreTheAttackersChoice: a creation action allowed only with a request tag is
// allowed for the attacker, who writes the request (the chosen tags cited), unless its policies
// deny every choice; it is not left conditional.
func TestRequestTagsAreTheAttackersChoice(t *testing.T) {
	withTag := func(op, key string, value any) stmt {
		return stmt{Effect: "Allow", Action: "lambda:CreateFunction", Resource: "*", Condition: map[string]any{op: map[string]any{key: value}}}
	}
	tests := []struct {
		name   string
		create stmt
		extra  []stmt
		want   bool
		chosen string
	}{
		{name: "request tag required", create: withTag("StringEquals", "aws:RequestTag/team", "dev"), want: true, chosen: "team=dev"},
		{name: "tag key list required", create: withTag("ForAnyValue:StringEquals", "aws:TagKeys", []string{"cost-center"}), want: true, chosen: "cost-center="},
		{name: "request tag required but that value is denied", create: withTag("StringEquals", "aws:RequestTag/team", "dev"),
			extra: []stmt{{Effect: "Deny", Action: "lambda:CreateFunction", Resource: "*", Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestTag/team": "dev"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			fn := addRole(inv, "fn-admin", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil), doc(allow("*", "*")))
			u := addUser(inv, "dev", doc(append([]stmt{tt.create, allow("*", "iam:PassRole", "lambda:InvokeFunction")}, tt.extra...)...))
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, fn.ARN, "aws.lambda.passrole-create-function-invoke")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e == nil {
				return
			}
			if e.Conditional {
				t.Errorf("the request tags are the attacker's choice: not conditional: %v", e.Evidence)
			}
			if !hasEvidence(e, "request tags chosen by the attacker for lambda:CreateFunction: "+tt.chosen) {
				t.Errorf("the chosen tags must be cited: %v", e.Evidence)
			}
		})
	}
}

// TestAssumeRoleDecidesABACOnTheRolesTags: an identity policy allowing sts:AssumeRole on roles
// whose iam:ResourceTag matches the caller's own tag (the AWS ABAC tutorial's pattern) is decided
// against the role's collected tags; a caller with another tag does not assume it, unless it may
// iam:TagRole the role with its own value, which is then the move's first step.
func TestAssumeRoleDecidesABACOnTheRolesTags(t *testing.T) {
	assume := stmt{Effect: "Allow", Action: "sts:AssumeRole", Resource: "*",
		Condition: map[string]any{"StringEquals": map[string]any{"iam:ResourceTag/access-project": "${aws:PrincipalTag/access-project}"}}}
	tagOwn := stmt{Effect: "Allow", Action: "iam:TagRole", Resource: "*",
		Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestTag/access-project": "${aws:PrincipalTag/access-project}"}}}
	tests := []struct {
		name    string
		project string
		extra   []stmt
		want    bool
		step    string
	}{
		{name: "same project", project: "peg", want: true},
		{name: "other project", project: "uni"},
		{name: "other project, may tag roles with its own project", project: "uni", extra: []stmt{tagOwn}, want: true,
			step: "iam:TagRole on " + iamARN("role/peg-admin") + " sets access-project=uni"},
		{name: "other project, may tag roles but not that key", project: "uni", extra: []stmt{{Effect: "Allow", Action: "iam:TagRole", Resource: "*",
			Condition: map[string]any{"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []string{"cost-center"}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			r := addRole(inv, "peg-admin", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil), doc(allow("*", "*")))
			r.Tags = inventory.Tags{"access-project": "peg"}
			u := addUser(inv, "dev", doc(append([]stmt{assume}, tt.extra...)...))
			u.Tags = inventory.Tags{"access-project": tt.project}
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeAssumes, r.ARN, "aws.sts.assume-role")
			if (e != nil) != tt.want {
				t.Fatalf("assume edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e == nil {
				return
			}
			if e.Conditional {
				t.Errorf("the tags are known: not conditional: %v", e.Evidence)
			}
			if got, _ := e.Props[graph.PropTagStep].(string); got != tt.step {
				t.Errorf("tag step %q, want %q", got, tt.step)
			}
		})
	}
}

// TestFunctionTagsDecideTheCodeUpdate: lambda:UpdateFunctionCode allowed on functions tagged
// team=dev takes over a function tagged team=dev (its role), not one tagged team=prod, unless
// the attacker may lambda:TagResource the function, which is then the move's first step.
func TestFunctionTagsDecideTheCodeUpdate(t *testing.T) {
	const tech = "aws.lambda.update-function-code"
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:payroll"
	update := onTags("aws:ResourceTag/team", "dev", "lambda:UpdateFunctionCode")
	tests := []struct {
		name  string
		team  string
		extra []stmt
		want  bool
		step  string
	}{
		{name: "function of the team", team: "dev", want: true},
		{name: "function of another team", team: "prod"},
		{name: "function of another team, the attacker may tag functions", team: "prod", extra: []stmt{allow("*", "lambda:TagResource")}, want: true,
			step: "lambda:TagResource on " + fn + " sets team=dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			r := addRole(inv, "payroll-fn", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil), doc(allow("*", "s3:*")))
			inv.Region("us-east-1").Functions = []inventory.LambdaFunction{{ARN: fn, Name: "payroll", Role: r.ARN, Tags: inventory.Tags{"team": tt.team}}}
			u := addUser(inv, "dev", doc(append([]stmt{update}, tt.extra...)...))
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, r.ARN, tech)
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e == nil {
				return
			}
			if e.Conditional {
				t.Errorf("the tags are known: not conditional: %v", e.Evidence)
			}
			if got, _ := e.Props[graph.PropTagStep].(string); got != tt.step {
				t.Errorf("tag step %q, want %q", got, tt.step)
			}
		})
	}
}

// checkTagStepEdge asserts that e, a move of attacker with every fact known, is definite and
// carries the tag step step: its tag_step property, its first evidence line, and the cited
// aws.iam.abac-retag finding, whose remediation names the tag action to deny.
func checkTagStepEdge(t *testing.T, part *Part, e *graph.Edge, attacker, step string) {
	t.Helper()
	if e.Conditional {
		t.Errorf("every fact is known: the move must be definite: %v", e.Evidence)
	}
	if got, _ := e.Props[graph.PropTagStep].(string); got != step {
		t.Errorf("tag step %q, want %q", got, step)
	}
	if len(e.Evidence) == 0 || !strings.HasPrefix(e.Evidence[0], "tag step: "+step) {
		t.Errorf("the tag step must be the first evidence: %v", e.Evidence)
	}
	f := findFinding(part, RuleABACRetag, attacker)
	if f == nil || !slices.Contains(e.Findings, f.ID) {
		t.Fatalf("the move must cite the tag step's finding (%v): %v", f, e.Findings)
	}
	if action, _, _ := strings.Cut(step, " "); !strings.Contains(f.Remediation, "Deny "+action) {
		t.Errorf("the finding must name the tag action to deny: %q", f.Remediation)
	}
}
