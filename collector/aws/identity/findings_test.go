package identity

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func TestPostureFindings(t *testing.T) {
	old := testNow.AddDate(0, 0, -200)
	recent := testNow.AddDate(0, 0, -3)
	alice := iamARN("user/alice")
	root := iamARN("root")
	tests := []struct {
		name     string
		setup    func(inv *inventory.Inventory, u *inventory.User)
		rule     string
		resource string
		want     bool
		control  string
	}{
		{"console user without MFA", func(_ *inventory.Inventory, u *inventory.User) { u.LoginProfile = true; u.PasswordLastUsed = recent },
			RuleConsoleWithoutMFA, alice, true, "CIS-AWS-3.0:1.10"},
		{"console user with MFA", func(_ *inventory.Inventory, u *inventory.User) {
			u.LoginProfile, u.PasswordLastUsed = true, recent
			u.MFADevices = []inventory.MFADevice{{SerialNumber: "arn:aws:iam::111111111111:mfa/alice"}}
		}, RuleConsoleWithoutMFA, alice, false, ""},
		{"console without MFA from the credential report", func(inv *inventory.Inventory, u *inventory.User) {
			inv.IAM.CredentialReport = []inventory.CredentialReportRow{{User: "alice", ARN: u.ARN, PasswordEnabled: true, PasswordLastUsed: recent}}
		}, RuleConsoleWithoutMFA, alice, true, "CIS-AWS-3.0:1.10"},
		{"access key older than 90 days", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active", CreateDate: old, LastUsedDate: recent}}
		}, RuleKeyNotRotated, alice, true, "CIS-AWS-3.0:1.14"},
		{"access key 30 days old", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active", CreateDate: testNow.AddDate(0, 0, -30), LastUsedDate: recent}}
		}, RuleKeyNotRotated, alice, false, ""},
		{"old but inactive key", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Inactive", CreateDate: old}}
		}, RuleKeyNotRotated, alice, false, ""},
		{"key unused for 60 days", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active", CreateDate: testNow.AddDate(0, 0, -80), LastUsedDate: testNow.AddDate(0, 0, -60)}}
		}, RuleCredentialsUnused, alice, true, "CIS-AWS-3.0:1.12"},
		{"key used yesterday", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active", CreateDate: testNow.AddDate(0, 0, -80), LastUsedDate: testNow.AddDate(0, 0, -1)}}
		}, RuleCredentialsUnused, alice, false, ""},
		{"password never used", func(_ *inventory.Inventory, u *inventory.User) {
			u.LoginProfile = true
			u.MFADevices = []inventory.MFADevice{{SerialNumber: "x"}}
		}, RuleCredentialsUnused, alice, true, "CIS-AWS-3.0:1.12"},
		{"two active keys", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active", CreateDate: recent, LastUsedDate: recent},
				{ID: "AKIA0000000000000002", Status: "Active", CreateDate: recent, LastUsedDate: recent}}
		}, RuleMultipleActiveKeys, alice, true, "CIS-AWS-3.0:1.13"},
		{"one active one inactive key", func(_ *inventory.Inventory, u *inventory.User) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active", CreateDate: recent, LastUsedDate: recent},
				{ID: "AKIA0000000000000002", Status: "Inactive", CreateDate: recent}}
		}, RuleMultipleActiveKeys, alice, false, ""},
		{"inline policy on a user", func(_ *inventory.Inventory, u *inventory.User) {
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "x", Document: doc(allow("*", "s3:GetObject"))}}
		}, RuleUserDirectPolicies, alice, true, "CIS-AWS-3.0:1.15"},
		{"permissions through groups only", func(inv *inventory.Inventory, u *inventory.User) {
			inv.IAM.Groups = []inventory.Group{{ARN: iamARN("group/g"), Name: "g", InlinePolicies: []inventory.InlinePolicy{{Name: "x", Document: doc(allow("*", "s3:GetObject"))}}}}
			u.Groups = []string{"g"}
		}, RuleUserDirectPolicies, alice, false, ""},
		{"root access keys", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.Summary = &inventory.AccountSummary{RootMFAEnabled: true, RootAccessKeysPresent: true}
		}, RuleRootAccessKeys, root, true, "CIS-AWS-3.0:1.4"},
		{"no root access keys", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.Summary = &inventory.AccountSummary{RootMFAEnabled: true}
		}, RuleRootAccessKeys, root, false, ""},
		{"root without MFA", func(inv *inventory.Inventory, _ *inventory.User) { inv.IAM.Summary = &inventory.AccountSummary{} },
			RuleRootWithoutMFA, root, true, "CIS-AWS-3.0:1.5"},
		{"root MFA unknown is not a finding", func(inv *inventory.Inventory, _ *inventory.User) {}, RuleRootWithoutMFA, root, false, ""},
		{"short minimum password length", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.PasswordPolicy = &inventory.PasswordPolicy{MinimumPasswordLength: 8, PasswordReusePrevention: 24}
		}, RulePasswordLength, root, true, "CIS-AWS-3.0:1.8"},
		{"minimum password length 14", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.PasswordPolicy = &inventory.PasswordPolicy{MinimumPasswordLength: 14, PasswordReusePrevention: 24}
		}, RulePasswordLength, root, false, ""},
		{"no reuse prevention", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.PasswordPolicy = &inventory.PasswordPolicy{MinimumPasswordLength: 14}
		}, RulePasswordReuse, root, true, "CIS-AWS-3.0:1.9"},
		{"reuse prevention set", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.PasswordPolicy = &inventory.PasswordPolicy{MinimumPasswordLength: 14, PasswordReusePrevention: 5}
		}, RulePasswordReuse, root, false, ""},
		{"no password policy at all", func(inv *inventory.Inventory, _ *inventory.User) {
			inv.IAM.PasswordPolicy = &inventory.PasswordPolicy{None: true}
		},
			RuleNoPasswordPolicy, root, true, "CIS-AWS-3.0:1.8"},
		{"customer policy granting *:* attached", func(inv *inventory.Inventory, u *inventory.User) {
			arn := addPolicy(inv, "god", doc(allow("*", "*")))
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: arn}}
		}, RuleFullAdminPolicy, iamARN("policy/god"), true, "CIS-AWS-3.0:1.16"},
		{"customer policy granting *:* not attached", func(inv *inventory.Inventory, u *inventory.User) { addPolicy(inv, "god", doc(allow("*", "*"))) },
			RuleFullAdminPolicy, iamARN("policy/god"), false, ""},
		{"*:* with a condition is not full admin", func(inv *inventory.Inventory, u *inventory.User) {
			arn := addPolicy(inv, "god", doc(stmt{Effect: "Allow", Action: "*", Resource: "*", Condition: map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}}}))
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: arn}}
		}, RuleFullAdminPolicy, iamARN("policy/god"), false, ""},
		{"AWS-managed AdministratorAccess is reported on the principal", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
		}, RuleFullAdminPolicy, alice, true, "CIS-AWS-3.0:1.16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			u := addUser(inv, "alice")
			tt.setup(inv, u)
			part := build(t, inv)
			f := findFinding(part, tt.rule, tt.resource)
			if (f != nil) != tt.want {
				t.Fatalf("finding %s on %s present=%v, want %v (findings: %+v)", tt.rule, tt.resource, f != nil, tt.want, part.Findings)
			}
			if f != nil && !slices.Contains(f.Controls, tt.control) {
				t.Fatalf("controls = %v, want %s", f.Controls, tt.control)
			}
			if f != nil && (f.Title == "" || f.Remediation == "" || f.Evidence == "") {
				t.Fatalf("finding lacks title/evidence/remediation: %+v", f)
			}
		})
	}
}
