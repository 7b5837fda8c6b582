package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// Posture rule ids. Controls cite the CIS AWS Foundations Benchmark v3.0.0.
const (
	RuleConsoleWithoutMFA       = "aws.iam.user-console-without-mfa"
	RuleKeyNotRotated           = "aws.iam.access-key-not-rotated"
	RuleCredentialsUnused       = "aws.iam.credentials-unused"
	RuleRootAccessKeys          = "aws.iam.root-access-keys"
	RuleRootWithoutMFA          = "aws.iam.root-without-mfa"
	RuleFullAdminPolicy         = "aws.iam.policy-full-admin"
	RulePasswordLength          = "aws.iam.password-policy-min-length"
	RulePasswordReuse           = "aws.iam.password-policy-reuse"
	RuleNoPasswordPolicy        = "aws.iam.password-policy-missing"
	RuleMultipleActiveKeys      = "aws.iam.user-multiple-active-keys"
	RuleUserDirectPolicies      = "aws.iam.user-direct-policies"
	RuleRoleTrustsAnyone        = "aws.iam.role-trusts-any-principal"
	RuleRoleTrustsNoExternalID  = "aws.iam.role-trusts-external-without-external-id"
	RuleRoleTrustsOIDCUnscoped  = "aws.iam.role-trusts-oidc-without-subject"
	RulePublicResourcePolicy    = "aws.resource-policy.public"
	RuleCrossAccountResource    = "aws.resource-policy.external-account"
	RulePrivescPrefix           = "aws.iam.privesc-"
	cisPrefix                   = "CIS-AWS-3.0:"
	minPasswordLength           = 14
	minPasswordReusePrevention  = 24
	passwordReuseCISRequirement = 1 // CIS 1.9 only requires reuse prevention to be set; 24 is the AWS recommendation
)

func cis(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = cisPrefix + id
	}
	return out
}

// postureFindings evaluates the credential, root, password-policy and policy-shape rules.
func (b *builder) postureFindings(ctx context.Context) error {
	b.rootFindings()
	b.passwordPolicyFindings()
	for i, p := range b.principals {
		if i%512 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if p.user != nil {
			b.userFindings(p)
		}
	}
	b.adminPolicyFindings()
	return nil
}

func (b *builder) rootFindings() {
	root := b.rootID(b.account)
	keys, mfa, known := false, false, false
	if s := b.inv.IAM.Summary; s != nil {
		keys, mfa, known = s.RootAccessKeysPresent, s.RootMFAEnabled, true
	}
	for _, r := range b.inv.IAM.CredentialReport {
		if r.User == "<root_account>" {
			keys = keys || r.AccessKey1Active || r.AccessKey2Active
			mfa = mfa || r.MFAActive
			known = true
		}
	}
	if !known {
		return // neither the summary nor the report was read: unknown is not compliant nor failing
	}
	if keys {
		b.addFinding(graph.Finding{RuleID: RuleRootAccessKeys, Resource: root, Severity: graph.SeverityCritical,
			Title: "Root user has access keys", Evidence: "the account summary or credential report shows active root access keys",
			Remediation: "Delete the root user's access keys; use IAM roles or users for programmatic access.", Controls: cis("1.4")})
	}
	if !mfa {
		b.addFinding(graph.Finding{RuleID: RuleRootWithoutMFA, Resource: root, Severity: graph.SeverityCritical,
			Title: "Root user has no MFA", Evidence: "AccountMFAEnabled is 0",
			Remediation: "Enable MFA (preferably a hardware key) on the root user.", Controls: cis("1.5")})
	}
}

// passwordPolicyFindings are attached to the root node: the password policy is an account setting
// and the root user stands for the account in this part.
func (b *builder) passwordPolicyFindings() {
	pp := b.inv.IAM.PasswordPolicy
	if pp == nil {
		return
	}
	root := b.rootID(b.account)
	if pp.None {
		b.addFinding(graph.Finding{RuleID: RuleNoPasswordPolicy, Resource: root, Severity: graph.SeverityMedium,
			Title: "Account has no IAM password policy", Evidence: "GetAccountPasswordPolicy: NoSuchEntity",
			Remediation: fmt.Sprintf("Set a password policy with a minimum length of %d and reuse prevention of %d.", minPasswordLength, minPasswordReusePrevention),
			Controls:    cis("1.8", "1.9")})
		return
	}
	if pp.MinimumPasswordLength < minPasswordLength {
		b.addFinding(graph.Finding{RuleID: RulePasswordLength, Resource: root, Severity: graph.SeverityMedium,
			Title:       "Password policy allows passwords shorter than 14 characters",
			Evidence:    fmt.Sprintf("MinimumPasswordLength is %d", pp.MinimumPasswordLength),
			Remediation: fmt.Sprintf("Set MinimumPasswordLength to %d or more.", minPasswordLength), Controls: cis("1.8")})
	}
	if pp.PasswordReusePrevention < passwordReuseCISRequirement {
		b.addFinding(graph.Finding{RuleID: RulePasswordReuse, Resource: root, Severity: graph.SeverityLow,
			Title:       "Password policy does not prevent password reuse",
			Evidence:    fmt.Sprintf("PasswordReusePrevention is %d", pp.PasswordReusePrevention),
			Remediation: fmt.Sprintf("Set PasswordReusePrevention (AWS recommends %d).", minPasswordReusePrevention), Controls: cis("1.9")})
	}
}

func (b *builder) userFindings(p *principal) {
	c := p.cred
	if c.console && !c.mfa {
		b.addFinding(graph.Finding{RuleID: RuleConsoleWithoutMFA, Resource: p.id, Severity: graph.SeverityHigh,
			Title: "User with console password has no MFA", Evidence: "console password enabled, no MFA device",
			Remediation: "Enable MFA for the user, or remove the console password if unused.", Controls: cis("1.10")})
	}
	limitUnused := int64(b.opts.UnusedCredentialDays)
	var old, unused []string
	active := 0
	for _, k := range c.keys {
		if !k.active {
			continue
		}
		active++
		if d := b.days(k.created); d > int64(b.opts.KeyMaxAgeDays) {
			old = append(old, fmt.Sprintf("%s created %d days ago", k.label(), d))
		}
		ref := k.lastUsed
		what := "last used"
		if ref.IsZero() {
			ref, what = k.created, "never used, created"
		}
		if d := b.days(ref); d >= limitUnused {
			unused = append(unused, fmt.Sprintf("%s %s %d days ago", k.label(), what, d))
		}
	}
	if c.console {
		ref, what := c.passwordUsed, "password last used"
		if ref.IsZero() && p.user != nil {
			ref, what = p.user.CreateDate, "password never used, user created"
		}
		if d := b.days(ref); d >= limitUnused {
			unused = append(unused, fmt.Sprintf("%s %d days ago", what, d))
		}
	}
	if len(old) > 0 {
		b.addFinding(graph.Finding{RuleID: RuleKeyNotRotated, Resource: p.id, Severity: graph.SeverityMedium,
			Title:       fmt.Sprintf("Access key older than %d days", b.opts.KeyMaxAgeDays),
			Evidence:    strings.Join(old, "; "),
			Remediation: "Rotate the key: create a new one, move its users over, deactivate and delete the old one.", Controls: cis("1.14")})
	}
	if len(unused) > 0 {
		b.addFinding(graph.Finding{RuleID: RuleCredentialsUnused, Resource: p.id, Severity: graph.SeverityMedium,
			Title:       fmt.Sprintf("Credentials unused for %d days or more", b.opts.UnusedCredentialDays),
			Evidence:    strings.Join(unused, "; "),
			Remediation: "Deactivate or delete unused access keys and remove unused console passwords.", Controls: cis("1.12")})
	}
	if active > 1 {
		b.addFinding(graph.Finding{RuleID: RuleMultipleActiveKeys, Resource: p.id, Severity: graph.SeverityLow,
			Title: "User has more than one active access key", Evidence: fmt.Sprintf("%d active access keys", active),
			Remediation: "Keep one active key per user; deactivate the other after rotation.", Controls: cis("1.13")})
	}
	if u := p.user; len(u.InlinePolicies) > 0 || len(u.AttachedPolicies) > 0 {
		var names []string
		for _, ip := range u.InlinePolicies {
			names = append(names, "inline "+ip.Name)
		}
		for _, a := range u.AttachedPolicies {
			names = append(names, "attached "+a.ARN)
		}
		b.addFinding(graph.Finding{RuleID: RuleUserDirectPolicies, Resource: p.id, Severity: graph.SeverityLow,
			Title: "User has permissions outside groups", Evidence: strings.Join(names, "; "),
			Remediation: "Grant permissions through groups (or roles) and remove the user's own policies.", Controls: cis("1.15"), FixEffort: 2})
	}
}

// fullAdminStatement finds an unconditional Allow of "*" on "*".
func fullAdminStatement(p *policy.Policy) (*policy.Statement, bool) {
	if p == nil {
		return nil, false
	}
	for _, st := range p.Statements {
		if st.Effect == policy.Allow && !st.NotActions && !st.NotResources && len(st.Conditions) == 0 &&
			slices.Contains(st.Actions, "*") && slices.Contains(st.Resources, "*") {
			return st, true
		}
	}
	return nil, false
}

// adminPolicyFindings flags attached policies (managed and inline) granting "*:*" (CIS 1.16).
func (b *builder) adminPolicyFindings() {
	attached := map[string][]string{} // policy id -> principals
	for _, p := range b.principals {
		for _, m := range p.managed {
			attached[m] = append(attached[m], p.id)
		}
		for _, id := range p.inline {
			attached[id] = append(attached[id], p.id)
		}
	}
	for _, g := range b.groups {
		for _, pol := range g.policies {
			attached[pol.Label] = append(attached[pol.Label], g.arn)
		}
	}
	seen := map[string]bool{}
	check := func(p *policy.Policy) {
		if p == nil || seen[p.Label] {
			return
		}
		seen[p.Label] = true
		st, ok := fullAdminStatement(p)
		if !ok || len(attached[p.Label]) == 0 || b.node(p.Label) == nil {
			return
		}
		who := slices.Compact(slices.Sorted(slices.Values(attached[p.Label])))
		sample := who
		if len(sample) > 5 {
			sample = append(slices.Clone(sample[:5]), fmt.Sprintf("and %d more", len(who)-5))
		}
		f := graph.Finding{RuleID: RuleFullAdminPolicy, Resource: p.Label, Severity: graph.SeverityHigh,
			Title:       `Policy grants full "*:*" administrative privileges`,
			Evidence:    fmt.Sprintf("%s %s allows Action * on Resource * without conditions; attached to %s", p.Label, stmtRef(st.Sid, st.Index), strings.Join(sample, ", ")),
			Remediation: "Replace with least-privilege policies; keep full admin on a few break-glass roles with MFA.", Controls: cis("1.16"), FixEffort: 3}
		if !isAWSManagedARN(p.Label) {
			b.addFinding(f)
			return
		}
		// An AWS-managed policy node is shared by every account, so the finding goes on each principal
		// it is attached to in this account.
		for _, id := range who {
			f.Resource = id
			f.Title = `Principal has an AWS-managed "*:*" policy attached`
			b.addFinding(f)
		}
	}
	for _, p := range b.principals {
		for _, pol := range p.set.Identity {
			check(pol)
		}
	}
}
