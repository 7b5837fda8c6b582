package main

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/scoring/compliance"
)

// TestComplianceCISAWSOnAMotoEstateMatchesTheFindings builds an account in
// moto with a few CIS AWS Foundations 3.0 failures planted (a console user
// without MFA, a "*:*" policy attached to a role, an SSH security group
// open to 0.0.0.0/0, a bucket without Block Public Access; moto's default
// VPC adds its default security group and network ACL, which allow
// everything) and a few controls kept passing (a CIS password policy, no
// RDS, no instance), collects it with `collect aws`, and checks the report
// control by control: each control's status is the one the estate
// deserves, each failing control lists exactly the stored findings of its
// rules, and every control none of the collector's rules evidences is "not
// evaluated".
func TestComplianceCISAWSOnAMotoEstateMatchesTheFindings(t *testing.T) {
	ep := mototest.Endpoint(t)
	ctx := context.Background()
	account, cfg, c := motoAccount(t, ep, 400000000000, "AKIABREACHPATHTEST01", "auditor", "compliance")
	ic, ec, sc := iam.NewFromConfig(cfg), ec2.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	// 1.8 and 1.9 pass: length 14, reuse prevention 24.
	_, err := ic.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: sdkaws.Int32(14),
		PasswordReusePrevention: sdkaws.Int32(24), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true})
	must("password policy", err)
	// 1.10 fails: a console user without MFA.
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: sdkaws.String("console-no-mfa")})
	must("user", err)
	_, err = ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: sdkaws.String("console-no-mfa"), Password: sdkaws.String("Correct-Horse-9-Battery")})
	must("login profile", err)
	// 1.16 fails: a customer policy granting "*:*" attached to a role.
	pol, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: sdkaws.String("everything"),
		PolicyDocument: sdkaws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	must("admin policy", err)
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdkaws.String("ops"),
		AssumeRolePolicyDocument: sdkaws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must("role", err)
	_, err = ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: sdkaws.String("ops"), PolicyArn: pol.Policy.Arn})
	must("attach admin policy", err)
	// 5.2 fails (and 5.3 passes): SSH open to 0.0.0.0/0, nothing from ::/0.
	vpcs, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must("describe vpcs", err)
	if len(vpcs.Vpcs) == 0 {
		t.Fatal("moto account has no default VPC")
	}
	sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: sdkaws.String("ssh-open"), Description: sdkaws.String("ssh"), VpcId: vpcs.Vpcs[0].VpcId})
	must("security group", err)
	_, err = ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: sdkaws.String("tcp"), FromPort: sdkaws.Int32(22), ToPort: sdkaws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}}}})
	must("ssh ingress", err)
	// 2.1.4 fails: a bucket without Block Public Access (the account has none either).
	bucket := "cmp-open-" + account
	_, err = sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(bucket)})
	must("bucket", err)

	t.Setenv("AWS_ENDPOINT_URL", ep)
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", c.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	db := t.TempDir() + "/bp.db"
	if out, err := runCollect(t, ctx, db, "aws", "--regions", "us-east-1", "--concurrency", "16"); err != nil {
		t.Fatalf("collect aws: %v\n%s", err, out)
	}
	out, err := runSub(t, ctx, db, (*app).complianceCommand, "--framework", "cis-aws-3.0", "--format", "json")
	if err != nil {
		t.Fatalf("compliance: %v\n%s", err, out)
	}
	var rep compliance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}

	// What the collection stored: the open findings, by rule.
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	g, err := st.Load(ctx, graph.Filter{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	findingsOf := map[string][]string{}
	for _, f := range g.Findings {
		findingsOf[f.RuleID] = append(findingsOf[f.RuleID], f.ID)
	}
	fw, err := compliance.Lookup("cis-aws-3.0")
	if err != nil {
		t.Fatal(err)
	}
	mapping := map[string]compliance.Control{}
	for _, ctl := range fw.Controls {
		mapping[ctl.ID] = ctl
	}

	want := map[string]compliance.Status{
		"1.4": compliance.StatusPass, "1.5": compliance.StatusFail, "1.8": compliance.StatusPass, "1.9": compliance.StatusPass,
		"1.10": compliance.StatusFail, "1.12": compliance.StatusPass, "1.13": compliance.StatusPass, "1.14": compliance.StatusPass,
		"1.15": compliance.StatusPass, "1.16": compliance.StatusFail, "2.1.4": compliance.StatusFail, "2.3.1": compliance.StatusPass,
		"2.3.3": compliance.StatusPass, "5.1": compliance.StatusFail, "5.2": compliance.StatusFail, "5.3": compliance.StatusPass,
		"5.4": compliance.StatusFail, "5.6": compliance.StatusPass,
	}
	var got []string
	for _, ctl := range rep.Controls {
		w, listed := want[ctl.ID]
		if !listed {
			w = compliance.StatusNotEvaluated // 3.6's only rule is the demo estate's; the rest have none
		}
		if ctl.Status != w {
			t.Errorf("control %s %q: %s, want %s (reason %q, failures %+v)", ctl.ID, ctl.Title, ctl.Status, w, ctl.Reason, ctl.Failures)
		}
		got = append(got, ctl.ID+"="+string(ctl.Status))
		// A failing control lists exactly the stored findings of its
		// rules (for cited-only rules, the ones citing it).
		var expect []string
		m := mapping[ctl.ID]
		for _, r := range m.Rules {
			expect = append(expect, findingsOf[r]...)
		}
		for _, r := range m.RulesIfCited {
			for _, f := range g.Findings {
				if f.RuleID == r && slices.Contains(f.Controls, "CIS-AWS-3.0:"+ctl.ID) {
					expect = append(expect, f.ID)
				}
			}
		}
		var listedIDs []string
		for _, f := range ctl.Failures {
			listedIDs = append(listedIDs, f.FindingID)
		}
		sort.Strings(expect)
		sort.Strings(listedIDs)
		if !slices.Equal(expect, listedIDs) {
			t.Errorf("control %s lists failures %v, the store holds %v", ctl.ID, listedIDs, expect)
		}
	}
	if rep.Summary.Controls != 62 || rep.Summary.Fail != 7 || rep.Summary.Pass != 11 || rep.Summary.NotEvaluated != 44 {
		t.Errorf("summary %+v\n%s", rep.Summary, strings.Join(got, " "))
	}
	// The planted resources are the ones named.
	names := func(id string) string {
		for _, ctl := range rep.Controls {
			if ctl.ID == id {
				var s []string
				for _, f := range ctl.Failures {
					s = append(s, f.Resource)
				}
				return strings.Join(s, " ")
			}
		}
		return ""
	}
	for ctl, sub := range map[string]string{"1.10": ":user/console-no-mfa", "1.16": ":policy/everything", "2.1.4": bucket, "5.2": *sg.GroupId} {
		if !strings.Contains(names(ctl), sub) {
			t.Errorf("control %s failures %q do not name %s", ctl, names(ctl), sub)
		}
	}
}
