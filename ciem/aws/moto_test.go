package aws_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// motoAccount sends every request to one moto account (moto's x-moto-account-id header).
func motoAccount(account string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Build.Add(middleware.BuildMiddlewareFunc("motoAccount", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set("x-moto-account-id", account)
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

func randomDigits(t *testing.T, n int) string {
	t.Helper()
	v, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%0*d", n, v.Int64()+1e11)[:n]
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func TestCIEMOnMotoPrincipals(t *testing.T) {
	ep := mototest.Endpoint(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	account := randomDigits(t, 12) // a 12-digit access key id selects a fresh moto account
	sfx := strings.ToLower(randomDigits(t, 6))
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIACIEMTEST", "fake", ""), BaseEndpoint: aws.String(ep),
		APIOptions: []func(*middleware.Stack) error{motoAccount(account)}}
	name := func(base string) string { return base + "-" + sfx }
	arn := func(res string) string { return "arn:aws:iam::" + account + ":" + res }

	ic := iam.NewFromConfig(cfg)
	s3Admin := must[*iam.CreatePolicyOutput](t, "policy")(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name("ciem-s3-admin")),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"AllS3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}))
	must[*iam.CreateGroupOutput](t, "group")(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name("ciem-ops"))}))
	must[*iam.PutGroupPolicyOutput](t, "group policy")(ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(name("ciem-ops")), PolicyName: aws.String("ops-ec2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"AllEC2","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)}))

	// ciem-dev: wildcards (s3:* managed, ec2:* via group), lambda inline, an access key never used.
	must[*iam.CreateUserOutput](t, "dev")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name("ciem-dev"))}))
	must[*iam.AttachUserPolicyOutput](t, "dev s3")(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name("ciem-dev")), PolicyArn: s3Admin.Policy.Arn}))
	must[*iam.PutUserPolicyOutput](t, "dev lambda")(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name("ciem-dev")), PolicyName: aws.String("dev-lambda"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Lambda","Effect":"Allow","Action":["lambda:CreateFunction","lambda:GetFunction","lambda:ListFunctions"],"Resource":"arn:aws:lambda:*:*:function:app-*"}]}`)}))
	must[*iam.AddUserToGroupOutput](t, "dev group")(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name("ciem-dev")), GroupName: aws.String(name("ciem-ops"))}))
	must[*iam.CreateAccessKeyOutput](t, "dev key")(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name("ciem-dev"))}))

	// ciem-ci: an access key used today (moto records the last use of a key that signs a request).
	must[*iam.CreateUserOutput](t, "ci")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name("ciem-ci"))}))
	must[*iam.PutUserPolicyOutput](t, "ci policy")(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name("ciem-ci")), PolicyName: aws.String("ci"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)}))
	ciKey := must[*iam.CreateAccessKeyOutput](t, "ci key")(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name("ciem-ci"))}))
	ciCfg := cfg.Copy()
	ciCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(ciKey.AccessKey.AccessKeyId), aws.ToString(ciKey.AccessKey.SecretAccessKey), "")
	must[*sts.GetCallerIdentityOutput](t, "use ci key")(sts.NewFromConfig(ciCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))

	// ciem-admin: full access and a console password never used. (moto does not load AWS-managed
	// policies by default, so the AdministratorAccess document is a customer policy here.)
	adminAll := must[*iam.CreatePolicyOutput](t, "admin policy")(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name("ciem-admin-all")),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}))
	must[*iam.CreateUserOutput](t, "admin")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name("ciem-admin"))}))
	must[*iam.AttachUserPolicyOutput](t, "attach admin policy")(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name("ciem-admin")),
		PolicyArn: adminAll.Policy.Arn}))
	must[*iam.CreateLoginProfileOutput](t, "admin password")(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name("ciem-admin")), Password: aws.String("Sup3r-secret-pw!")}))

	// ciem-reader: reads one bucket's objects, nothing else; no credentials.
	bucket := name("ciem-payroll")
	must[*iam.CreateUserOutput](t, "reader")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name("ciem-reader"))}))
	must[*iam.PutUserPolicyOutput](t, "reader policy")(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name("ciem-reader")), PolicyName: aws.String("read-payroll"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))

	// ciem-app: EC2 role reading the payroll bucket, never used.
	must[*iam.CreateRoleOutput](t, "app role")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name("ciem-app")),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	must[*iam.PutRolePolicyOutput](t, "app policy")(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name("ciem-app")), PolicyName: aws.String("read-payroll"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`)}))

	// ciem-vendor: trusted by an outside account.
	must[*iam.CreateRoleOutput](t, "vendor role")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name("ciem-vendor")),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"v-1"}}}]}`)}))
	must[*iam.PutRolePolicyOutput](t, "vendor policy")(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name("ciem-vendor")), PolicyName: aws.String("audit"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:LookupEvents","config:Describe*"],"Resource":"*"}]}`)}))

	// ciem-partner: no identity policy; the bucket policy names it.
	must[*iam.CreateUserOutput](t, "partner")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name("ciem-partner"))}))

	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	must[*s3.CreateBucketOutput](t, "bucket")(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))
	must[*s3.PutBucketPolicyOutput](t, "bucket policy")(sc.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"PartnerDrop","Effect":"Allow","Principal":{"AWS":"` + arn("user/"+name("ciem-partner")) +
			`"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))
	must[*s3.PutBucketTaggingOutput](t, "bucket tags")(sc.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("data-classification"), Value: aws.String("restricted")}}}}))

	inv, err := fetch.Collect(ctx, cfg, fetch.Options{Endpoint: ep, Regions: []string{"us-east-1"}, Services: []string{fetch.ServiceIAM, fetch.ServiceS3},
		Concurrency: 2, MaxAttempts: 1, LastAccessed: true})
	if inv.AccountID != account {
		t.Fatalf("collected account %s, want the test's account %s", inv.AccountID, account)
	}
	if err != nil {
		t.Fatal(err)
	}
	// moto does not implement GenerateServiceLastAccessedDetails: every job fails, is filed as a
	// failure, and no principal gets (empty, hence "unused") data.
	laFailed := false
	for _, f := range inv.Coverage.Failed {
		laFailed = laFailed || f.Service == "iam/last-accessed"
	}
	if len(inv.IAM.LastAccessed) != 0 || !laFailed {
		t.Fatalf("last-accessed from moto: %d principals, failure recorded %v; want none and a failure (moto lacks the API)", len(inv.IAM.LastAccessed), laFailed)
	}

	// Without last-accessed data: unknown.
	snap, err := awscollector.Transform(ctx, inv, awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{}); err != nil {
		t.Fatal(err)
	}
	g := graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
	rep, err := ciem.Build(ctx, g, ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Principals {
		if p.Usage.Known || p.Suggestion != nil {
			t.Errorf("%s: usage known %v / suggestion without last-accessed data", p.ID, p.Usage.Known)
		}
	}
	// Fresh credentials are not dormant today, and a key used today is activity.
	if d := mustPrincipal(t, rep, arn("user/"+name("ciem-dev"))).Dormant; len(d) != 0 {
		t.Errorf("a key created today is dormant: %+v", d)
	}
	if p := mustPrincipal(t, rep, arn("user/"+name("ciem-ci"))); p.Activity.State != ciem.StateUsed || len(p.Dormant) != 0 {
		t.Errorf("ci used its key today: activity %+v, dormant %+v", p.Activity, p.Dormant)
	}

	// With last-accessed data from the fixture (moto cannot produce it), 100 days later.
	now := time.Now().UTC().Add(100 * 24 * time.Hour)
	tmpl, err := os.ReadFile("testdata/moto-last-accessed.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.NewReplacer("{{ACCOUNT}}", account, "{{SUFFIX}}", sfx)
	repl := doc.Replace(string(tmpl))
	for _, d := range []int{1, 3, 10, 30, 200} {
		repl = strings.ReplaceAll(repl, fmt.Sprintf("{{DAYS_AGO_%d}}", d), now.Add(-time.Duration(d)*24*time.Hour).Format(time.RFC3339))
	}
	if inv.IAM.LastAccessed, err = entitlements.ParseLastAccessed(strings.NewReader(repl)); err != nil {
		t.Fatal(err)
	}
	snap, err = awscollector.Transform(ctx, inv, awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	g = graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
	rep, err = ciem.Build(ctx, g, ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{Now: now, LastAccessedDays: 90})
	if err != nil {
		t.Fatal(err)
	}
	dev := mustPrincipal(t, rep, arn("user/"+name("ciem-dev")))
	admin := mustPrincipal(t, rep, arn("user/"+name("ciem-admin")))
	reader := mustPrincipal(t, rep, arn("user/"+name("ciem-reader")))
	app := mustPrincipal(t, rep, arn("role/"+name("ciem-app")))
	vendor := mustPrincipal(t, rep, arn("role/"+name("ciem-vendor")))

	t.Run("entitlements and sources", func(t *testing.T) {
		var svcs []string
		for _, s := range dev.Permissions.Services {
			svcs = append(svcs, s.Service)
			if s.Service == "ec2" && (len(s.Sources) != 1 || s.Sources[0].Via != arn("group/"+name("ciem-ops")) || s.Sources[0].Statement != "AllEC2") {
				t.Errorf("ec2 sources %+v, want the ops group's AllEC2 statement", s.Sources)
			}
		}
		if !slices.Equal(svcs, []string{"ec2", "lambda", "s3"}) {
			t.Errorf("dev services %v, want ec2, lambda, s3", svcs)
		}
		if reader.Permissions.Total != 1 || reader.Permissions.Sensitive != 1 {
			t.Errorf("reader permissions %+v, want exactly s3:GetObject", reader.Permissions)
		}
		for _, src := range reader.Sources {
			if src.Kind == entitlement.SourceResource {
				t.Errorf("reader has a resource-policy source %+v", src)
			}
		}
		partner := mustPrincipal(t, rep, arn("user/"+name("ciem-partner")))
		want := entitlement.Source{Kind: entitlement.SourceResource, Policy: "arn:aws:s3:::" + bucket, PolicyName: bucket + " (resource policy)", Statement: "PartnerDrop"}
		if partner.Permissions.Total != 1 || len(partner.Sources) != 1 || partner.Sources[0] != want || len(partner.Wildcards) != 0 {
			t.Errorf("partner permissions %+v sources %+v wildcards %+v, want s3:PutObject from the bucket policy", partner.Permissions, partner.Sources, partner.Wildcards)
		}
	})
	t.Run("admin", func(t *testing.T) {
		if !admin.Admin.Direct || dev.Admin.Direct || reader.Admin.Direct || reader.Admin.ViaEscalation {
			t.Errorf("admin: admin=%+v dev=%+v reader=%+v", admin.Admin, dev.Admin, reader.Admin)
		}
	})
	t.Run("wildcards", func(t *testing.T) {
		if got := dev.WildcardCell(); !strings.Contains(got, entitlement.WildcardService) || !strings.Contains(got, entitlement.WildcardResource) {
			t.Errorf("dev wildcards %q, want service and resource wildcards", got)
		}
		if got := reader.WildcardCell(); got != "-" {
			t.Errorf("reader wildcards %q, want none", got)
		}
		if got := admin.WildcardCell(); !strings.Contains(got, entitlement.WildcardAllActions) {
			t.Errorf("admin wildcards %q, want all-actions", got)
		}
	})
	ci := mustPrincipal(t, rep, arn("user/"+name("ciem-ci")))
	t.Run("dormant credentials", func(t *testing.T) {
		if len(ci.Dormant) != 1 || !strings.HasPrefix(ci.Dormant[0].Reason, "active, not used for 100 days") {
			t.Errorf("ci dormant %+v, want its key unused for 100 days", ci.Dormant)
		}
		if len(dev.Dormant) != 1 || dev.Dormant[0].Kind != entitlement.CredentialAccessKey || dev.Dormant[0].Reason != "active, never used" {
			t.Errorf("dev dormant %+v, want its never-used access key", dev.Dormant)
		}
		if len(admin.Dormant) != 1 || admin.Dormant[0].Kind != entitlement.CredentialPassword {
			t.Errorf("admin dormant %+v, want its never-used password", admin.Dormant)
		}
		if len(reader.Dormant) != 0 {
			t.Errorf("reader has no credentials but dormant %+v", reader.Dormant)
		}
	})
	t.Run("inactive principals", func(t *testing.T) {
		if app.Activity.State != ciem.StateUnused || reader.Activity.State != ciem.StateUsed || dev.Activity.State != ciem.StateUsed {
			t.Errorf("activity app=%s reader=%s dev=%s, want unused, used, used", app.Activity.State, reader.Activity.State, dev.Activity.State)
		}
	})
	t.Run("unused services and actions", func(t *testing.T) {
		if !slices.Equal(dev.Usage.UnusedServices, []string{"ec2"}) || !slices.Equal(dev.Usage.UsedServices, []string{"lambda", "s3"}) {
			t.Errorf("dev usage %+v, want ec2 unused (200 days), lambda and s3 used", dev.Usage)
		}
		for _, s := range dev.Permissions.Services {
			if s.Service == "lambda" && !slices.Equal(s.UnusedActions, []string{"lambda:CreateFunction"}) {
				t.Errorf("lambda unused actions %v, want CreateFunction", s.UnusedActions)
			}
		}
		if admin.Usage.Known {
			t.Errorf("admin has no last-accessed data but usage is known")
		}
	})
	t.Run("outside trust", func(t *testing.T) {
		if len(vendor.Trust) != 1 || vendor.Trust[0].Kind != ciem.TrustExternal || vendor.Trust[0].Account != "999988887777" || len(app.Trust) != 0 {
			t.Errorf("trust vendor=%+v app=%+v", vendor.Trust, app.Trust)
		}
	})
	t.Run("sensitive data", func(t *testing.T) {
		if len(app.SensitiveData) != 1 || app.SensitiveData[0].Name != bucket || app.ScoreParts.DataWeight <= 1 {
			t.Errorf("app sensitive data %+v (weight %v), want the restricted bucket", app.SensitiveData, app.ScoreParts.DataWeight)
		}
		if len(dev.SensitiveData) == 0 {
			t.Errorf("dev (s3:*) reaches no sensitive data")
		}
	})
	t.Run("least-privilege policies", func(t *testing.T) {
		want := map[string][]string{dev.ID: {"lambda:GetFunction", "lambda:ListFunctions", "s3:*"}, reader.ID: {"s3:GetObject"}}
		for id, acts := range want {
			p := mustPrincipal(t, rep, id)
			if p.Suggestion == nil || !slices.Equal(p.Suggestion.Actions, acts) {
				t.Errorf("%s suggestion %+v (%s), want %v", id, p.Suggestion, p.SuggestionReason, acts)
				continue
			}
			assertGrantsExactly(t, p)
		}
		if app.Suggestion != nil || admin.Suggestion != nil {
			t.Errorf("suggestions for app (nothing used) or admin (no data): %v %v", app.Suggestion != nil, admin.Suggestion != nil)
		}
	})
	t.Run("ranking", func(t *testing.T) {
		if admin.Score <= reader.Score || dev.Score <= reader.Score {
			t.Errorf("scores admin=%.1f dev=%.1f reader=%.1f: the narrow reader must rank last", admin.Score, dev.Score, reader.Score)
		}
	})
}
