package identity

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// postureRules are the identity part's rules other than privilege
// escalation, as the findings state them (titles whose figures depend on
// options name the default). TestCatalogueNamesEveryEmittedRule keeps the
// list in step with the findings the package emits.
var postureRules = []graph.Rule{
	{ID: RuleRootAccessKeys, Severity: graph.SeverityCritical, Title: "Root user has access keys",
		Remediation: "Delete the root user's access keys; use IAM roles or users for programmatic access.", Controls: cis("1.4")},
	{ID: RuleRootWithoutMFA, Severity: graph.SeverityCritical, Title: "Root user has no MFA",
		Remediation: "Enable MFA (preferably a hardware key) on the root user.", Controls: cis("1.5")},
	{ID: RuleNoPasswordPolicy, Severity: graph.SeverityMedium, Title: "Account has no IAM password policy",
		Remediation: "Set a password policy with a minimum length of 14 and reuse prevention of 24.", Controls: cis("1.8", "1.9")},
	{ID: RulePasswordLength, Severity: graph.SeverityMedium, Title: "Password policy allows passwords shorter than 14 characters",
		Remediation: "Set MinimumPasswordLength to 14 or more.", Controls: cis("1.8")},
	{ID: RulePasswordReuse, Severity: graph.SeverityLow, Title: "Password policy does not prevent password reuse",
		Remediation: "Set PasswordReusePrevention (AWS recommends 24).", Controls: cis("1.9")},
	{ID: RuleConsoleWithoutMFA, Severity: graph.SeverityHigh, Title: "User with console password has no MFA",
		Remediation: "Enable MFA for the user, or remove the console password if unused.", Controls: cis("1.10")},
	{ID: RuleKeyNotRotated, Severity: graph.SeverityMedium, Title: "Access key older than the rotation limit (default 90 days)",
		Remediation: "Rotate the key: create a new one, move its users over, deactivate and delete the old one.", Controls: cis("1.14")},
	{ID: RuleCredentialsUnused, Severity: graph.SeverityMedium, Title: "Credentials unused for the unused-credential limit (default 45 days) or more",
		Remediation: "Deactivate or delete unused access keys and remove unused console passwords.", Controls: cis("1.12")},
	{ID: RuleMultipleActiveKeys, Severity: graph.SeverityLow, Title: "User has more than one active access key",
		Remediation: "Keep one active key per user; deactivate the other after rotation.", Controls: cis("1.13")},
	{ID: RuleUserDirectPolicies, Severity: graph.SeverityLow, Title: "User has permissions outside groups",
		Remediation: "Grant permissions through groups (or roles) and remove the user's own policies.", Controls: cis("1.15")},
	{ID: RuleFullAdminPolicy, Severity: graph.SeverityHigh, Title: `Policy grants full "*:*" administrative privileges`,
		Remediation: "Replace with least-privilege policies; keep full admin on a few break-glass roles with MFA.", Controls: cis("1.16")},
	{ID: RuleRoleTrustsAnyone, Severity: graph.SeverityCritical, Title: "Role trust policy allows any AWS principal",
		Remediation: `Replace Principal "*" with the accounts or roles that need access, or add aws:PrincipalOrgID / aws:PrincipalAccount conditions.`},
	{ID: RuleRoleTrustsNoExternalID, Severity: graph.SeverityHigh, Title: "Role trusts an external account without an external id",
		Remediation: "Require sts:ExternalId (third parties) or restrict the trust to specific principals with conditions; remove the trust if unused."},
	{ID: RuleRoleTrustsOIDCUnscoped, Severity: graph.SeverityHigh, Title: "Role trusts a web-identity provider without a subject condition",
		Remediation: "Add a StringEquals/StringLike condition on <provider>:sub (for GitHub: repo:<org>/<repo>:ref:...) and on :aud."},
	{ID: RulePublicResourcePolicy, Severity: graph.SeverityHigh, Title: `Resource policy allows any AWS principal (Principal "*")`,
		Remediation: `Remove Principal "*" grants or restrict them with aws:PrincipalOrgID / aws:SourceVpce conditions; for S3 enable Block Public Access.`},
	{ID: RuleCrossAccountResource, Severity: graph.SeverityMedium, Title: "Resource policy grants access to an account outside the organization",
		Remediation: "Confirm the external account is a trusted partner; scope the grant to specific principals and conditions, or remove it."},
	{ID: RuleQueueDrivesFunction, Severity: graph.SeverityMedium, Title: "Queue that invokes a function accepts messages from principals other than the function",
		Remediation: "Grant sqs:SendMessage on the queue only to the producers that need it, and validate every message in the function as untrusted input."},
	{ID: RuleABACRetag, Severity: graph.SeverityHigh, Title: "Attacker-controlled tags: the principal may change the tags an ABAC grant depends on",
		Remediation: "Deny the tagging action (or the tag keys ABAC uses) to the principal, so that only administrators set the tags ABAC decides on."},
}

// PrivescRuleID is the finding rule id of an escalation technique.
func PrivescRuleID(t Technique) string {
	return RulePrivescPrefix + strings.TrimPrefix(t.ID, "aws.")
}

// Catalogue lists every finding rule of the identity part: the posture
// rules and one privilege-escalation rule per technique, for the report
// side's rule registry (collector.Rules).
func Catalogue() []graph.Rule {
	out := make([]graph.Rule, 0, len(postureRules)+len(Techniques))
	for _, r := range postureRules {
		r.Cloud, r.Source = graph.CloudAWS, "collector/aws/identity"
		out = append(out, r)
	}
	for _, t := range Techniques {
		out = append(out, graph.Rule{ID: PrivescRuleID(t), Cloud: graph.CloudAWS, Severity: graph.SeverityHigh,
			Title:       "Privilege escalation: " + t.Summary,
			Remediation: "Remove or scope " + permList(&t) + " (restrict Resource, add iam:PassedToService / tag conditions, or deny it in a boundary or SCP).",
			Source:      "collector/aws/identity"})
	}
	return graph.SortRules(out)
}

// FromAuthorizationDetails reports whether the rule is fully evaluated from
// `aws iam get-account-authorization-details` alone (the offline import):
// the policy-shape, trust and escalation rules are; the credential, root and
// password-policy rules need the credential report, the account summary and
// the password policy, and resource policies are not in the file.
func FromAuthorizationDetails(ruleID string) bool {
	switch ruleID {
	case RuleFullAdminPolicy, RuleUserDirectPolicies, RuleRoleTrustsAnyone, RuleRoleTrustsNoExternalID, RuleRoleTrustsOIDCUnscoped:
		return true
	}
	return strings.HasPrefix(ruleID, RulePrivescPrefix)
}
