package fetch

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestCollectOrgAssumesTheRoleInEachAccount(t *testing.T) {
	ep := motoEndpoint(t)
	ctx := testContext(t)
	mgmt := testConfig(seedAccount)
	mgmt.BaseEndpoint = aws.String(ep)
	oc := organizations.NewFromConfig(mgmt)
	must[*organizations.CreateOrganizationOutput](t, "organization")(oc.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}))
	var members []string
	for _, name := range []string{"prod", "dev"} {
		out := must[*organizations.CreateAccountOutput](t, "account")(oc.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")}))
		members = append(members, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	// moto picks the account from known access keys, so the seeding acts in
	// each member through an assumed role (moto does not check that it exists).
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + seedAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, acct := range append([]string{seedAccount}, members...) {
		cfg := mgmt.Copy()
		if acct != seedAccount {
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(mgmt), "arn:aws:iam::"+acct+":role/OrganizationAccountAccessRole"))
		}
		must[*iam.CreateRoleOutput](t, "audit role")(iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("BreachpathAudit"), AssumeRolePolicyDocument: aws.String(trust)}))
		must[*sqs.CreateQueueOutput](t, "queue")(sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q-" + acct)}))
	}

	res, err := CollectOrg(ctx, testConfig(seedAccount), "BreachpathAudit", Options{Endpoint: ep, Regions: []string{"us-east-1"},
		Services: []string{ServiceIAM, ServiceSQS, ServiceOrg}, Retryer: fastRetryer(2), Logger: quietLogger()})
	if err != nil {
		t.Fatalf("CollectOrg: %v", err)
	}
	got := map[string]bool{}
	for _, inv := range res.Inventories {
		got[inv.AccountID] = true
		qs := inv.Regional["us-east-1"].Queues
		if len(qs) != 1 || qs[0].Name != "q-"+inv.AccountID {
			t.Errorf("account %s: queues %+v, want only its own", inv.AccountID, qs)
		}
	}
	if len(got) != 3 || !got[seedAccount] || !got[members[0]] || !got[members[1]] || len(res.Failures) != 0 {
		t.Errorf("collected accounts = %v, failures = %+v; want %s and %v", got, res.Failures, seedAccount, members)
	}
}

func TestParseCredentialReportReadsColumnsByName(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		rows     int
		wantErr  string
	}{
		{"root and user", "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_1_last_used_date\n" +
			"<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,2024-01-01T00:00:00+00:00,true,false,N/A\n" +
			"alice,arn:aws:iam::1:user/alice,2021-01-01T00:00:00+00:00,true,no_information,false,true,2024-05-01T00:00:00+00:00\n", 2, ""},
		{"no arn column", "user,password_enabled\nalice,true\n", 0, `no "arn" column`},
		{"empty", "", 0, "empty"},
		{"bad quoting", "user,arn\n\"alice,arn\n", 0, "parse credential report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseCredentialReport([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(rows) != tc.rows {
				t.Fatalf("rows = %d, err = %v", len(rows), err)
			}
			root, alice := rows[0], rows[1]
			if !root.MFAActive || root.PasswordEnabled || root.PasswordLastUsed.Year() != 2024 {
				t.Errorf("root row = %+v", root)
			}
			if !alice.PasswordEnabled || !alice.PasswordLastUsed.IsZero() || !alice.AccessKey1Active || alice.AccessKey1LastUsedDate.Month() != 5 {
				t.Errorf("alice row = %+v", alice)
			}
		})
	}
}

func FuzzParseCredentialReport(f *testing.F) {
	f.Add([]byte("user,arn,password_enabled\nalice,arn:aws:iam::1:user/alice,true\n"))
	f.Add([]byte("user,arn\n\"x"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := ParseCredentialReport(in)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// One row per record after the header, never more than the lines.
		if len(rows) > strings.Count(string(in), "\n") {
			t.Fatalf("%d rows from %d lines", len(rows), strings.Count(string(in), "\n")+1)
		}
	})
}
