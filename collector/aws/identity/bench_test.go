package identity

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// awsManagedMix is a realistic spread of AWS-managed policies found on groups and roles.
var awsManagedMix = []string{
	"ReadOnlyAccess", "SecurityAudit", "AmazonS3ReadOnlyAccess", "AmazonS3FullAccess",
	"AmazonEC2FullAccess", "AmazonEC2ReadOnlyAccess", "AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess",
	"AWSLambda_FullAccess", "AmazonSQSFullAccess", "AmazonSNSFullAccess", "CloudWatchReadOnlyAccess",
	"AmazonRDSFullAccess", "PowerUserAccess", "IAMUserChangePassword", "AmazonSSMFullAccess", "SecretsManagerReadWrite",
}

// serviceRoleMix is what most workload roles carry: narrow execution policies.
var serviceRoleMix = []string{
	"service-role/AWSLambdaBasicExecutionRole", "AmazonSSMManagedInstanceCore", "service-role/AmazonECSTaskExecutionRolePolicy",
	"CloudWatchAgentServerPolicy", "service-role/AWSGlueServiceRole",
}

// selfManageCredentials is AWS's documented "manage your own credentials" policy shape: its
// ${aws:username} variables make every user that holds it a class of its own.
var selfManageCredentials = doc(
	allow("arn:aws:iam::*:user/${aws:username}", "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:UpdateAccessKey",
		"iam:ChangePassword", "iam:GetUser", "iam:ListAccessKeys"),
	stmt{Effect: "Deny", Action: []string{"iam:*"}, Resource: "*",
		Condition: map[string]any{"BoolIfExists": map[string]any{"aws:MultiFactorAuthPresent": "false"}}},
)

// benchInventory builds one account with nUsers+nRoles principals and 500 data resources.
func benchInventory(nUsers, nRoles int) *inventory.Inventory {
	rng := rand.New(rand.NewPCG(1, 2))
	inv := newInv()
	reg := inv.Region("us-east-1")
	am := func(name string) inventory.AttachedPolicy {
		return inventory.AttachedPolicy{ARN: "arn:aws:iam::aws:policy/" + name, Name: name}
	}
	// Data resources: 200 buckets, 100 keys, 100 secrets, 50 queues, 50 tables.
	for i := range 200 {
		name := fmt.Sprintf("bucket-%03d", i)
		arn := "arn:aws:s3:::" + name
		var pol string
		switch i % 4 {
		case 0:
			pol = doc(stmt{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: []string{arn, arn + "/*"},
				Condition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})
		case 1:
			pol = doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": other}, Action: "s3:GetObject", Resource: arn + "/*"})
		case 2:
			pol = doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": iamARN(fmt.Sprintf("role/svc-%04d", i))}, Action: []string{"s3:GetObject", "s3:PutObject"}, Resource: arn + "/*"})
		}
		inv.S3 = append(inv.S3, inventory.Bucket{Name: name, ARN: arn, Region: "us-east-1", Policy: pol})
	}
	for i := range 100 {
		reg.KMSKeys = append(reg.KMSKeys, inventory.KMSKey{ARN: fmt.Sprintf("arn:aws:kms:us-east-1:%s:key/k-%03d", acct, i), KeyManager: "CUSTOMER",
			Policy: doc(stmt{Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, Action: "kms:*", Resource: "*"})})
		reg.Secrets = append(reg.Secrets, inventory.Secret{ARN: fmt.Sprintf("arn:aws:secretsmanager:us-east-1:%s:secret:app-%03d-AbCdEf", acct, i), Name: fmt.Sprintf("app-%03d", i)})
	}
	for i := range 50 {
		reg.Queues = append(reg.Queues, inventory.Queue{ARN: fmt.Sprintf("arn:aws:sqs:us-east-1:%s:q-%02d", acct, i), Name: fmt.Sprintf("q-%02d", i)})
		reg.Tables = append(reg.Tables, inventory.DynamoDBTable{ARN: fmt.Sprintf("arn:aws:dynamodb:us-east-1:%s:table/t-%02d", acct, i), Name: fmt.Sprintf("t-%02d", i)})
	}
	// 300 customer-managed policies scoped to a few resources each.
	var customer []string
	for i := range 300 {
		b := fmt.Sprintf("arn:aws:s3:::bucket-%03d", rng.IntN(200))
		tbl := fmt.Sprintf("arn:aws:dynamodb:us-east-1:%s:table/t-%02d", acct, rng.IntN(50))
		sec := fmt.Sprintf("arn:aws:secretsmanager:us-east-1:%s:secret:app-%03d-*", acct, rng.IntN(100))
		customer = append(customer, addPolicy(inv, fmt.Sprintf("app-%03d", i), doc(
			allow(b+"/*", "s3:GetObject", "s3:PutObject"), allow(tbl, "dynamodb:GetItem", "dynamodb:Query"),
			allow(sec, "secretsmanager:GetSecretValue"), allow("*", "sqs:SendMessage", "cloudwatch:PutMetricData"))))
	}
	boundary := addPolicy(inv, "dev-boundary", doc(allow("*", "s3:*", "dynamodb:*", "sqs:*", "lambda:*", "logs:*"), deny("*", "iam:*")))
	// 80 groups.
	for i := range 80 {
		g := inventory.Group{ARN: iamARN(fmt.Sprintf("group/g-%02d", i)), Name: fmt.Sprintf("g-%02d", i), Path: "/"}
		for range 1 + rng.IntN(2) {
			g.AttachedPolicies = append(g.AttachedPolicies, am(awsManagedMix[rng.IntN(len(awsManagedMix))]))
		}
		g.AttachedPolicies = append(g.AttachedPolicies, inventory.AttachedPolicy{ARN: customer[rng.IntN(len(customer))]})
		if i == 0 {
			g.InlinePolicies = []inventory.InlinePolicy{{Name: "self-manage", Document: selfManageCredentials}}
		}
		if i == 79 {
			g.AttachedPolicies = []inventory.AttachedPolicy{am("AdministratorAccess")}
		}
		inv.IAM.Groups = append(inv.IAM.Groups, g)
	}
	for i := range nUsers {
		u := addUser(inv, fmt.Sprintf("user-%05d", i))
		for range 1 + rng.IntN(2) {
			u.Groups = append(u.Groups, fmt.Sprintf("g-%02d", 1+rng.IntN(78)))
		}
		if rng.IntN(10) < 3 {
			u.Groups = append(u.Groups, "g-00") // self-managed credentials
		}
		if rng.IntN(200) == 0 {
			u.Groups = append(u.Groups, "g-79") // admins
		}
		if rng.IntN(10) < 3 {
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "extra", Document: doc(allow(fmt.Sprintf("arn:aws:sqs:us-east-1:%s:q-%02d", acct, rng.IntN(50)), "sqs:ReceiveMessage"))}}
		}
		if rng.IntN(10) < 2 {
			u.PermissionBoundary = boundary
		}
		u.LoginProfile = rng.IntN(2) == 0
		u.AccessKeys = []inventory.AccessKey{{ID: fmt.Sprintf("AKIA%016d", i), Status: "Active", CreateDate: testNow.AddDate(0, 0, -rng.IntN(400))}}
	}
	services := []string{"lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "glue.amazonaws.com"}
	for i := range nRoles {
		var trust string
		if i%4 == 3 {
			trust = trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil)
		} else {
			trust = trustDoc(map[string]any{"Service": services[i%len(services)]}, nil)
		}
		r := addRole(inv, fmt.Sprintf("svc-%04d", i), trust)
		managed := serviceRoleMix[rng.IntN(len(serviceRoleMix))]
		if rng.IntN(100) < 15 {
			managed = awsManagedMix[rng.IntN(len(awsManagedMix))] // some workloads are over-privileged
		}
		r.AttachedPolicies = []inventory.AttachedPolicy{am(managed), {ARN: customer[rng.IntN(len(customer))]}}
		if rng.IntN(10) < 2 {
			r.PermissionBoundary = boundary
		}
		if rng.IntN(20) == 0 {
			r.InlinePolicies = []inventory.InlinePolicy{{Name: "deploy", Document: doc(allow("*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"))}}
		}
		if i%4 == 1 && i < 800 {
			prof := addProfile(inv, r.Name, r.ARN)
			reg.Instances = append(reg.Instances, inventory.Instance{ID: fmt.Sprintf("i-%05d", i), ARN: fmt.Sprintf("arn:aws:ec2:us-east-1:%s:instance/i-%05d", acct, i), InstanceProfileARN: prof})
		}
		if i%4 == 0 && i < 800 {
			reg.Functions = append(reg.Functions, inventory.LambdaFunction{Name: r.Name, ARN: fmt.Sprintf("arn:aws:lambda:us-east-1:%s:function:%s", acct, r.Name), Role: r.ARN})
		}
	}
	return inv
}

func BenchmarkBuild10kPrincipals(b *testing.B) {
	inv := benchInventory(6000, 4000)
	b.ResetTimer()
	var part *Part
	for b.Loop() {
		var err error
		part, err = Build(context.Background(), inv, Options{Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(part.Nodes)), "nodes")
	b.ReportMetric(float64(len(part.Edges)), "edges")
	b.ReportMetric(float64(len(part.Findings)), "findings")
}

// TestBenchInventoryIsValid keeps the benchmark honest at a small scale: its inventory builds into
// a valid part with every edge family present.
func TestBenchInventoryIsValid(t *testing.T) {
	part := build(t, benchInventory(120, 80))
	kinds := map[string]int{}
	for _, e := range part.Edges {
		kinds[string(e.Kind)]++
	}
	for _, k := range []string{"MEMBER_OF", "POLICY_ATTACHED", "ASSUMES", "ESCALATES_TO", "READS", "WRITES", "DECRYPTS", "ADMINISTERS"} {
		if kinds[k] == 0 {
			t.Errorf("no %s edges in the benchmark inventory (%v)", k, kinds)
		}
	}
}
