package authdetails

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadFixture(t *testing.T) inventory.IAMData {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := Load(f)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return data
}

func TestLoadMatchesGolden(t *testing.T) {
	got, err := json.MarshalIndent(loadFixture(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "authdetails.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("IAMData differs from %s; rerun with -update after checking the diff:\n%s", golden, got)
	}
}

func TestLoadKeepsTheFactsTheTransformNeeds(t *testing.T) {
	d := loadFixture(t)
	byName := map[string]inventory.Role{}
	for _, r := range d.Roles {
		byName[r.Name] = r
	}
	app := byName["app-role"]
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"service principal trust", strings.Contains(app.TrustPolicy, `"Service":"ec2.amazonaws.com"`)},
		{"cross-account trust", strings.Contains(byName["audit-cross-account"].TrustPolicy, "arn:aws:iam::999988887777:root")},
		{"url-encoded trust decoded", strings.Contains(byName["AWSServiceRoleForElasticLoadBalancing"].TrustPolicy, `"elasticloadbalancing.amazonaws.com"`)},
		{"service-linked flagged", byName["AWSServiceRoleForElasticLoadBalancing"].ServiceLinked && !app.ServiceLinked},
		{"role boundary", app.PermissionBoundary == "arn:aws:iam::111122223333:policy/DeveloperBoundary"},
		{"role instance profile", len(app.InstanceProfiles) == 1 && app.InstanceProfiles[0] == "arn:aws:iam::111122223333:instance-profile/app-profile"},
		{"role last used", app.LastUsedRegion == "us-east-1" && app.LastUsedDate.Year() == 2024},
		{"instance profile holds role", len(d.InstanceProfiles) == 1 && len(d.InstanceProfiles[0].Roles) == 1 && d.InstanceProfiles[0].Roles[0] == app.ARN},
		{"user groups sorted", len(d.Users) == 2 && strings.Join(d.Users[0].Groups, ",") == "admins,developers"},
		{"user tags", d.Users[0].Tags["owner"] == "platform-team"},
		{"user boundary", d.Users[0].PermissionBoundary != ""},
		{"user inline", len(d.Users[0].InlinePolicies) == 1 && strings.Contains(d.Users[0].InlinePolicies[0].Document, "iam:PassRole")},
	} {
		if !tc.ok {
			t.Errorf("%s: not kept", tc.name)
		}
	}
	pols := map[string]inventory.ManagedPolicy{}
	for _, p := range d.Policies {
		pols[p.Name] = p
	}
	if b := pols["DeveloperBoundary"]; !strings.Contains(b.Document, "iam:CreatePolicyVersion") || strings.Contains(b.Document, `"Action":"*"`) {
		t.Errorf("boundary document is not the default version v2: %s", b.Document)
	}
	if !strings.Contains(pols["S3ReadRestricted"].Document, "arn:aws:s3:::customer-data/*") {
		t.Errorf("URL-encoded managed policy not decoded: %s", pols["S3ReadRestricted"].Document)
	}
	if !pols["AdministratorAccess"].AWSManaged || pols["S3ReadRestricted"].AWSManaged {
		t.Errorf("AWSManaged wrong: %+v", pols)
	}
}

func TestParseRejectsHostileInputWithOneLineError(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		limit          int64
	}{
		{"empty", "", "empty input", 0},
		{"array", `[]`, "want a JSON object", 0},
		{"other document", `{"Buckets":[]}`, "none of UserDetailList", 0},
		{"truncated", `{"UserDetailList":[{"UserName":"a"`, "truncated JSON", 0},
		{"syntax", `{"UserDetailList":[}`, "invalid JSON at byte", 0},
		{"wrong list type", `{"UserDetailList":{"a":1}}`, "field UserDetailList", 0},
		{"wrong count type", `{"Policies":[{"Arn":"arn:aws:iam::1:policy/p","AttachmentCount":"two"}]}`, "AttachmentCount", 0},
		{"bad date", `{"UserDetailList":[{"Arn":"a","CreateDate":"yesterday"}]}`, "not RFC 3339", 0},
		{"numeric document", `{"RoleDetailList":[{"Arn":"a","AssumeRolePolicyDocument":7}]}`, "must be a JSON object or a string", 0},
		{"too large", `{"UserDetailList":[]}`, "limit", 5},
		{"first page only", `{"UserDetailList":[],"IsTruncated":true,"Marker":"x"}`, "IsTruncated", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = DefaultMaxSize
			}
			_, err := ParseLimit(strings.NewReader(tc.in), limit)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestIAMDataRejectsBrokenDocuments(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"encoded non-json trust", `{"RoleDetailList":[{"Arn":"arn:aws:iam::1:role/r","AssumeRolePolicyDocument":"not%20json"}]}`, "trust policy: policy document is not a JSON object"},
		{"bad escape", `{"RoleDetailList":[{"Arn":"arn:aws:iam::1:role/r","AssumeRolePolicyDocument":"%zz"}]}`, "neither JSON nor URL-encoded"},
		{"no default version", `{"Policies":[{"Arn":"arn:aws:iam::1:policy/p","PolicyVersionList":[{"VersionId":"v1","Document":{}}]}]}`, "no default version"},
		{"user without arn", `{"UserDetailList":[{"UserName":"x"}]}`, "no Arn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, err = d.IAMData()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("IAMData error = %v, want %q", err, tc.want)
			}
		})
	}
}

// An SDK page carries URL-encoded documents; AddPage + IAMData must give the
// same result as the CLI's decoded form of the same data.
func TestSDKPageAndCLIExportConvertAlike(t *testing.T) {
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::999988887777:role/a b+c%"}}}]}`
	page := &iam.GetAccountAuthorizationDetailsOutput{
		RoleDetailList: []iamtypes.RoleDetail{{
			Arn: aws.String("arn:aws:iam::111122223333:role/x"), RoleName: aws.String("x"), RoleId: aws.String("AROAX"), Path: aws.String("/"),
			AssumeRolePolicyDocument: aws.String(url.PathEscape(trust)),
			Tags:                     []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
		}},
	}
	var live Details
	live.AddPage(page)
	liveData, err := live.IAMData()
	if err != nil {
		t.Fatal(err)
	}
	cli := `{"RoleDetailList":[{"Arn":"arn:aws:iam::111122223333:role/x","RoleName":"x","RoleId":"AROAX","Path":"/","Tags":[{"Key":"k","Value":"v"}],"AssumeRolePolicyDocument":` + trust + `}]}`
	offlineData, err := Load(strings.NewReader(cli))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(liveData)
	b, _ := json.Marshal(offlineData)
	if !bytes.Equal(a, b) {
		t.Errorf("live and offline differ:\nlive    %s\noffline %s", a, b)
	}
	if liveData.Roles[0].TrustPolicy != trust {
		t.Errorf("trust policy = %s, want %s", liveData.Roles[0].TrustPolicy, trust)
	}
}

func FuzzParseAuthDetails(f *testing.F) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "authdetails.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	for _, s := range []string{
		`{}`, `{"UserDetailList":[]}`, `{"RoleDetailList":[{"Arn":"a","AssumeRolePolicyDocument":"%7B%7D"}]}`,
		`{"Policies":[{"Arn":"p","PolicyVersionList":[{"IsDefaultVersion":true,"Document":"{\"a\":1}"}]}]}`,
		`{"RoleDetailList":[{"Arn":"a","InstanceProfileList":[{"Arn":"ip","Roles":[{"Arn":"b"}]}]}]}`,
		`{"UserDetailList":[{"Arn":"u","CreateDate":"2020-01-01 00:00:00+00:00","GroupList":["g"]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ParseLimit(bytes.NewReader(in), 1<<20)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		data, err := d.IAMData()
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// Every document that made it through is a JSON object.
		check := func(doc string) {
			if doc != "" && !json.Valid([]byte(doc)) {
				t.Fatalf("invalid document kept: %q", doc)
			}
		}
		for _, r := range data.Roles {
			check(r.TrustPolicy)
			for _, p := range r.InlinePolicies {
				check(p.Document)
			}
		}
		for _, p := range data.Policies {
			check(p.Document)
		}
		if _, err := json.Marshal(data); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
	})
}

// TestDetailsWriteBackAsTheCLIDoes: Details marshals to the CLI's JSON (documents decoded, times
// in RFC 3339), and reading that back converts to the same inventory.
func TestDetailsWriteBackAsTheCLIDoes(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	again, err := Load(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("reading the written export: %v", err)
	}
	want, _ := json.Marshal(loadFixture(t))
	got, _ := json.Marshal(again)
	if !bytes.Equal(want, got) {
		t.Fatalf("round trip changed the inventory:\n%s\nwant\n%s", got, want)
	}
}

func TestParseRefusesDuplicateKeys(t *testing.T) {
	for _, doc := range []string{
		`{"RoleDetailList":[],"UserDetailList":[{"UserName":"a","UserName":"admin"}]}`,
		`{"RoleDetailList":[],"UserDetailList":[{"UserName":"a","username":"admin"}]}`,
		`{"Policies":[],"Policies":[]}`,
	} {
		if _, err := Parse(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("Parse(%s) = %v, want a duplicate-key error", doc, err)
		}
	}
}
