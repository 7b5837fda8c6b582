package labs

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/graph"
)

// Fake credential values planted in the labs' configuration. They look
// like real AWS keys to the detector; the property test checks that none
// of them reaches the store, an export, the API or a log.
const (
	plantedSecretKey = "PtYgjmUhBel31iEl2hpChYgCfr/1spNxnyVmihA+"
	plantedPassword  = "Sup3r-Secret-Lab-Pa55"
)

// s3AnonymousRead is a bucket policy letting anyone list and read.
const s3AnonymousRead = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`

// labs is the corpus. Each scenario names the published description it
// was built from; the estates are our own reconstructions in moto.
var labs = []lab{
	{
		name:     "flaws.cloud/level-1-public-bucket",
		source:   "flaws.cloud level 1: the bucket that hosts the site can be listed and read by anyone",
		services: []string{fetch.ServiceS3},
		build: func(e *estate, variant bool) route {
			policy := s3AnonymousRead
			if variant { // the bucket policy removed
				policy = ""
			}
			return route{from: identity.AnonymousID, via: []string{e.bucket("flaws-level1", restricted, policy)}}
		},
	},
	{
		name: "breachpath/key-scoped-grant-to-the-flag-object",
		source: "not a published lab: the object-level shape of CTF-style S3 levels (issue #14 item 3), where the " +
			"foothold's only S3 permission names the one object holding the flag, not the bucket's contents",
		services: []string{fetch.ServiceS3},
		build: func(e *estate, variant bool) route {
			policy := ""
			if variant { // the bucket policy denies that object to everyone
				policy = doc(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/flag.txt"})
			}
			b := e.bucket("key-scoped", restricted, policy)
			u := e.user("flag-reader", map[string]string{"p": doc(allow("s3:GetObject", b+"/flag.txt"))})
			return route{from: u, via: []string{b}}
		},
	},
	{
		name:     "flaws.cloud/level-2-any-authenticated-aws-user",
		source:   "flaws.cloud level 2: the bucket grants READ to 'Any Authenticated AWS User' (the AuthenticatedUsers ACL group)",
		services: []string{fetch.ServiceS3},
		build: func(e *estate, variant bool) route {
			b := e.bucket("flaws-level2", restricted, "")
			if !variant { // the variant keeps the private ACL
				_, err := e.s3().PutBucketAcl(e.ctx, &s3.PutBucketAclInput{Bucket: s(bucketName(b)), GrantRead: s(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`)})
				e.check("bucket acl", err)
			}
			return route{from: identity.AnonymousID, via: []string{b}}
		},
	},
	{
		name:     "flaws.cloud/level-4-public-ebs-snapshot",
		source:   "flaws.cloud level 4: a backup snapshot of the web server's volume is public; mounting it yields the server's credentials",
		services: []string{fetch.ServiceEC2},
		build: func(e *estate, variant bool) route {
			c := e.ec2()
			vol, err := c.CreateVolume(e.ctx, &ec2.CreateVolumeInput{AvailabilityZone: s(region + "a"), Size: i32(8)})
			e.check("volume", err)
			snap, err := c.CreateSnapshot(e.ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId, Description: s("flaws backup")})
			e.check("snapshot", err)
			if !variant { // the variant leaves the snapshot private
				_, err = c.ModifySnapshotAttribute(e.ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: snap.SnapshotId,
					Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission, OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"}})
				e.check("share snapshot", err)
			}
			return route{from: identity.AnonymousID, via: []string{"arn:aws:ec2:" + region + "::snapshot/" + *snap.SnapshotId}}
		},
	},
	{
		name:     "flaws.cloud/level-5-proxy-to-metadata",
		source:   "flaws.cloud level 5: an open HTTP proxy on an EC2 instance reaches 169.254.169.254; the instance role's credentials list the level-6 bucket",
		services: []string{fetch.ServiceEC2, fetch.ServiceS3},
		build: func(e *estate, variant bool) route {
			b := e.bucket("flaws-level6", restricted, "")
			perms := map[string]string{"s3": doc(allow([]string{"s3:ListBucket", "s3:GetObject"}, []string{b, b + "/*"}))}
			if variant { // the role no longer reads the bucket
				perms = map[string]string{"ec2": doc(allow("ec2:DescribeInstances", "*"))}
			}
			role := e.role("flaws", trustService("ec2.amazonaws.com"), perms)
			e.profile("flaws", "flaws")
			n := e.vpc("10.5.0.0/16", "10.5.1.0/24", true, "0.0.0.0/0", 80)
			inst := e.instance(n, instanceOpts{profile: "flaws", imdsV1: true, publicIP: true})
			return route{from: graph.InternetID, via: []string{inst, role, b}}
		},
	},
	{
		name:     "flaws2.cloud/attacker-level-2-public-ecr",
		source:   "flaws2.cloud attacker level 2: the ECR repository's policy lets anyone pull the image, whose layers hold secrets",
		services: []string{"ecr"},
		build: func(e *estate, variant bool) route {
			policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","ecr:BatchCheckLayerAvailability"]}]}`
			if variant {
				policy = ""
			}
			// ECR answers only signed requests: "*" is any AWS account's principal, not anyone.
			return route{from: identity.AnyAWSPrincipalID, via: []string{e.repository("level2", policy)}}
		},
	},
	{
		name:   "cloudgoat/iam_privesc_by_rollback",
		source: "CloudGoat iam_privesc_by_rollback: user Raynor may set the default version of his own policy; an older version grants full admin",
		build: func(e *estate, variant bool) route {
			actions := []string{"iam:Get*", "iam:List*", "iam:SetDefaultPolicyVersion"}
			if variant {
				actions = []string{"iam:Get*", "iam:List*"}
			}
			p := e.managedPolicy("raynor-policy", doc(allow(actions, "*")))
			_, err := e.iam().CreatePolicyVersion(e.ctx, &iam.CreatePolicyVersionInput{PolicyArn: s(p), PolicyDocument: s(doc(allow("*", "*")))})
			e.check("admin version", err)
			u := e.user("raynor", nil)
			e.attachUser("raynor", p)
			return route{from: u, via: []string{adminNode(e.account)}}
		},
	},
	{
		name:   "cloudgoat/lambda_privesc",
		source: "CloudGoat lambda_privesc: user Chris assumes lambdaManager, which may pass any role to a new function and invoke it; the debug role it passes is an administrator",
		build: func(e *estate, variant bool) route {
			chris := e.user("chris", map[string]string{"assume": doc(allow("sts:AssumeRole", e.arn("iam", "role/lambdaManager")))})
			actions := []string{"lambda:CreateFunction", "lambda:InvokeFunction", "iam:PassRole"}
			if variant {
				actions = []string{"lambda:CreateFunction", "lambda:InvokeFunction"}
			}
			mgr := e.role("lambdaManager", trust(map[string]any{"AWS": chris}), map[string]string{"mgr": doc(allow(actions, "*"))})
			debug := e.role("debug", trustService("lambda.amazonaws.com"), nil, e.admin())
			return route{from: chris, via: []string{mgr, debug}}
		},
	},
	{
		name:     "cloudgoat/codebuild_secrets",
		source:   "CloudGoat codebuild_secrets: user Solo lists CodeBuild projects and finds Calrissian's access keys in a project's environment variables; Calrissian can change the RDS database that holds the goal",
		services: []string{fetch.ServiceCodeBuild, fetch.ServiceRDS, fetch.ServiceEC2},
		build: func(e *estate, variant bool) route {
			read := []string{"codebuild:ListProjects", "codebuild:BatchGetProjects"}
			if variant { // Solo may list projects but not read their settings
				read = []string{"codebuild:ListProjects"}
			}
			solo := e.user("solo", map[string]string{"cb": doc(allow(read, "*"))})
			cal := e.user("calrissian", map[string]string{"rds": doc(allow([]string{"rds:Describe*", "rds:ModifyDBInstance", "rds:CreateDBSnapshot", "rds:RestoreDBInstanceFromDBSnapshot"}, "*"))})
			keyID, _ := e.accessKey("calrissian")
			svc := e.role("codebuild-svc", trustService("codebuild.amazonaws.com"), nil)
			e.codeBuild("build-project", svc, map[string]string{"calrissian-aws-access-key": keyID, "calrissian-aws-secret-key": plantedSecretKey})
			n := e.vpc("10.14.0.0/16", "10.14.1.0/24", false, "10.14.0.0/16", 5432)
			db, _ := e.database("securedb", n, restricted)
			cred := credentialOf(e, "codebuild", "project/build-project", "environment:calrissian-aws-secret-key")
			return route{from: solo, via: []string{cred, cal, db}}
		},
	},
	{
		name:     "cloudgoat/ec2_ssrf-lambda-environment",
		source:   "CloudGoat ec2_ssrf, first step: user Solus can read Lambda functions and finds Wrex's access keys in a function's environment variables",
		services: []string{fetch.ServiceLambda},
		build: func(e *estate, variant bool) route {
			read := []string{"lambda:List*", "lambda:Get*"}
			if variant {
				read = []string{"lambda:ListFunctions"}
			}
			solus := e.user("solus", map[string]string{"lambda": doc(allow(read, "*"))})
			wrex := e.user("wrex", map[string]string{"ec2": doc(allow("ec2:Describe*", "*"))})
			keyID, _ := e.accessKey("wrex")
			exec := e.role("lambda-exec", trustService("lambda.amazonaws.com"), nil)
			e.lambda("ec2-ssrf-function", exec, map[string]string{"EC2_ACCESS_KEY_ID": keyID, "EC2_SECRET_KEY_ID": plantedSecretKey})
			cred := credentialOf(e, "lambda", "function:ec2-ssrf-function", "environment:EC2_SECRET_KEY_ID")
			return route{from: solus, via: []string{cred, wrex}}
		},
	},
	{
		name:     "cloudgoat/ec2_ssrf-metadata-to-bucket",
		source:   "CloudGoat ec2_ssrf, second step: the web app on the instance fetches any URL (SSRF); IMDSv1 hands out the instance role, which reads the S3 bucket",
		services: []string{fetch.ServiceEC2, fetch.ServiceS3},
		build: func(e *estate, variant bool) route {
			b := e.bucket("cg-secret-s3-bucket", restricted, "")
			role := e.role("ec2-role", trustService("ec2.amazonaws.com"), map[string]string{"s3": doc(allow([]string{"s3:ListBucket", "s3:GetObject"}, []string{b, b + "/*"}))})
			e.profile("ec2-profile", "ec2-role")
			open := "0.0.0.0/0"
			if variant { // the web port admits the office range only
				open = "203.0.113.0/24"
			}
			n := e.vpc("10.6.0.0/16", "10.6.1.0/24", true, open, 80)
			inst := e.instance(n, instanceOpts{profile: "ec2-profile", imdsV1: true, publicIP: true})
			return route{from: graph.InternetID, via: []string{inst, role, b}}
		},
	},
	{
		name:     "cloudgoat/cloud_breach_s3",
		source:   "CloudGoat cloud_breach_s3: a misconfigured reverse proxy on EC2 forwards to the metadata service; the banking role it yields reads the cardholder-data bucket",
		services: []string{fetch.ServiceEC2, fetch.ServiceS3},
		build: func(e *estate, variant bool) route {
			b := e.bucket("cardholder-data", restricted, "")
			role := e.role("banking-WAF-Role", trustService("ec2.amazonaws.com"), map[string]string{"s3": doc(allow([]string{"s3:ListBucket", "s3:GetObject"}, []string{b, b + "/*"}))})
			prof := "cg-banking-WAF-Role-Instance-Profile"
			e.profile(prof, "banking-WAF-Role")
			n := e.vpc("10.7.0.0/16", "10.7.1.0/24", true, "0.0.0.0/0", 80)
			o := instanceOpts{profile: prof, imdsV1: true, publicIP: true}
			if variant { // no instance profile: no role behind the proxy
				o.profile = ""
			}
			inst := e.instance(n, o)
			return route{from: graph.InternetID, via: []string{inst, role, b}}
		},
	},
	{
		name:   "iam-vulnerable/privesc1-create-new-policy-version",
		source: "BishopFox IAM Vulnerable privesc1: iam:CreatePolicyVersion on a policy attached to the user",
		build: func(e *estate, variant bool) route {
			actions := []string{"iam:CreatePolicyVersion"}
			if variant {
				actions = []string{"iam:GetPolicyVersion"}
			}
			p := e.managedPolicy("privesc1", doc(allow(actions, "*")))
			u := e.user("privesc1-user", nil)
			e.attachUser("privesc1-user", p)
			return route{from: u, via: []string{adminNode(e.account)}}
		},
	},
	{
		name:   "iam-vulnerable/privesc4-create-access-key",
		source: "BishopFox IAM Vulnerable privesc4: iam:CreateAccessKey on other users, an administrator among them",
		build: func(e *estate, variant bool) route {
			res := "*"
			if variant { // only on itself
				res = e.arn("iam", "user/privesc4-user")
			}
			u := e.user("privesc4-user", map[string]string{"p": doc(allow("iam:CreateAccessKey", res))})
			admin := e.user("admin-user", nil)
			e.attachUser("admin-user", e.admin())
			return route{from: u, via: []string{admin}}
		},
	},
	{
		name:   "iam-vulnerable/privesc7-attach-user-policy",
		source: "BishopFox IAM Vulnerable privesc7: iam:AttachUserPolicy on itself (attach AdministratorAccess)",
		build: func(e *estate, variant bool) route {
			action := "iam:AttachUserPolicy"
			if variant {
				action = "iam:ListAttachedUserPolicies"
			}
			u := e.user("privesc7-user", map[string]string{"p": doc(allow(action, "*"))})
			return route{from: u, via: []string{adminNode(e.account)}}
		},
	},
	{
		name:   "iam-vulnerable/privesc10-put-user-policy",
		source: "BishopFox IAM Vulnerable privesc10: iam:PutUserPolicy on itself (write an inline admin policy)",
		build: func(e *estate, variant bool) route {
			action := "iam:PutUserPolicy"
			if variant {
				action = "iam:GetUserPolicy"
			}
			u := e.user("privesc10-user", map[string]string{"p": doc(allow(action, "*"))})
			return route{from: u, via: []string{adminNode(e.account)}}
		},
	},
	{
		name:   "iam-vulnerable/privesc13-add-user-to-group",
		source: "BishopFox IAM Vulnerable privesc13: iam:AddUserToGroup onto a group with administrator access",
		build: func(e *estate, variant bool) route {
			_, err := e.iam().CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: s("admins")})
			e.check("group", err)
			_, err = e.iam().AttachGroupPolicy(e.ctx, &iam.AttachGroupPolicyInput{GroupName: s("admins"), PolicyArn: s(e.admin())})
			e.check("group policy", err)
			action := "iam:AddUserToGroup"
			if variant {
				action = "iam:ListGroups"
			}
			u := e.user("privesc13-user", map[string]string{"p": doc(allow(action, "*"))})
			return route{from: u, via: []string{adminNode(e.account)}}
		},
	},
	{
		name:   "iam-vulnerable/privesc-assume-admin-role",
		source: "BishopFox IAM Vulnerable (fn1 / assume role): a role trusting the user directly carries administrator access",
		build: func(e *estate, variant bool) route {
			u := e.user("assumer", map[string]string{"p": doc(allow("sts:AssumeRole", "*"))})
			who := map[string]any{"AWS": u}
			if variant { // the role trusts another principal
				who = map[string]any{"AWS": e.user("someone-else", nil)}
			}
			r := e.role("admin-role", trust(who), nil, e.admin())
			return route{from: u, via: []string{r}}
		},
	},
	{
		name:     "sadcloud/rds-publicly-accessible",
		source:   "NCC Group Sadcloud rds findings: a DB instance publicly accessible behind a security group open to 0.0.0.0/0",
		services: []string{fetch.ServiceRDS, fetch.ServiceEC2},
		build: func(e *estate, variant bool) route {
			n := e.vpc("10.9.0.0/16", "10.9.1.0/24", true, "0.0.0.0/0", 5432)
			db := e.publicDatabase("sadcloud-db", n, !variant)
			return route{from: graph.InternetID, via: []string{db}}
		},
	},
	{
		name:     "awsgoat/ecs-task-environment-credentials",
		source:   "AWSGoat module 2 / CloudGoat ecs scenarios: credentials left in a task definition's container environment are readable by anyone who may describe task definitions",
		services: []string{fetch.ServiceECS},
		build: func(e *estate, variant bool) route {
			read := []string{"ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"}
			if variant {
				read = []string{"ecs:ListTaskDefinitions"}
			}
			dev := e.user("developer", map[string]string{"ecs": doc(allow(read, "*"))})
			ops := e.user("ops-deployer", nil)
			e.attachUser("ops-deployer", e.admin())
			keyID, _ := e.accessKey("ops-deployer")
			td := e.taskDefinition("webapp", "", map[string]string{"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": plantedSecretKey}, false)
			cred := credentialOfARN(td, "container:app:environment:AWS_SECRET_ACCESS_KEY")
			return route{from: dev, via: []string{cred, ops}}
		},
	},
	{
		name:     "cloudgoat/codebuild_secrets-ssm-parameters",
		source:   "CloudGoat codebuild_secrets, alternate route: SSM parameters hold keys; whoever reads Parameter Store obtains them",
		services: []string{fetch.ServiceSSM},
		build: func(e *estate, variant bool) route {
			read := []string{"ssm:DescribeParameters", "ssm:GetParameter", "ssm:GetParameters"}
			if variant {
				read = []string{"ssm:DescribeParameters"}
			}
			solo := e.user("solo", map[string]string{"ssm": doc(allow(read, "*"))})
			target := e.user("deploy-bot", nil)
			e.attachUser("deploy-bot", e.admin())
			keyID, _ := e.accessKey("deploy-bot")
			p := e.ssmParam("/deploy/aws-credentials", "aws_access_key_id="+keyID+"\naws_secret_access_key="+plantedSecretKey, false)
			cred := credentialOfARN(p, "value:line 2")
			return route{from: solo, via: []string{cred, target}}
		},
	},
	{
		name:     "cloudgoat/rce_web_app-user-data-database",
		source:   "CloudGoat rce_web_app (Lara's route): a shell on the web instance reads its user data, which holds the RDS database's connection string",
		services: []string{fetch.ServiceEC2, fetch.ServiceRDS},
		build: func(e *estate, variant bool) route {
			n := e.vpc("10.12.0.0/16", "10.12.1.0/24", true, "0.0.0.0/0", 80)
			// The database admits nobody over the network: the route is the credential.
			dbNet := e.vpc("10.13.0.0/16", "10.13.1.0/24", false, "")
			db, host := e.database("cloud-goat-rds", dbNet, restricted)
			ud := "#!/bin/bash\nexport DATABASE_URL=postgresql://cgadmin:" + plantedPassword + "@" + host + ":5432/cloudgoat\n"
			if variant { // the connection string moved to Secrets Manager
				ud = "#!/bin/bash\nexport DATABASE_SECRET_ARN=arn:aws:secretsmanager:us-east-1:" + e.account + ":secret:db\n"
			}
			inst := e.instance(n, instanceOpts{publicIP: true, userData: ud})
			cred := credentialOfARN(inst, "user-data:line 2")
			return route{from: graph.InternetID, via: []string{inst, cred, db}}
		},
	},
	{
		name:     "iam-vulnerable/ssm-send-command-lands-on-instance",
		source:   "BishopFox IAM Vulnerable (ssm:SendCommand path): Run Command on a managed instance runs the attacker's commands on the host, whose instance role is an administrator",
		services: []string{fetch.ServiceEC2},
		build: func(e *estate, variant bool) route {
			action := "ssm:SendCommand"
			if variant {
				action = "ssm:DescribeInstanceInformation"
			}
			u := e.user("ssm-user", map[string]string{"p": doc(allow(action, "*"))})
			role := e.role("ssm-admin-host", trustService("ec2.amazonaws.com"), nil, e.admin())
			e.profile("ssm-admin-host", "ssm-admin-host")
			n := e.vpc("10.15.0.0/16", "10.15.1.0/24", false, "")
			inst := e.instance(n, instanceOpts{profile: "ssm-admin-host"})
			return route{from: u, via: []string{inst, role}}
		},
	},
}

func i32(v int32) *int32 { return &v }

func bucketName(arn string) string { return arn[len("arn:aws:s3:::"):] }

// credentialOf is the node id of a credential found at location in the
// configuration of the resource (service, "type/name").
func credentialOf(e *estate, service, res, location string) string {
	return credentialOfARN(e.arn(service, res), location)
}

var _ = s3types.BucketCannedACLPrivate
