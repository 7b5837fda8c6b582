package identity

import (
	"strings"

	"github.com/breachpath/breachpath/internal/wildcard"
)

// Node ids this package creates besides the ARNs AWS reports.
//
//   - Inline policy: "<principal-arn>#inline/<policy-name>". '#' cannot occur in IAM names or paths,
//     so the id never collides with a real ARN (a "/inline/" suffix could: it is a legal user path).
//   - Account root user: "arn:<partition>:iam::<account>:root" (the ARN trust policies use).
//   - Account administrator: "arn:<partition>:iam::<account>:account-admin", a synthetic crown-jewel
//     Role node standing for "full control of the account". Self-escalation techniques point at it
//     and admin-equivalent principals have an ADMINISTERS edge to it, so the path engine reaches it
//     whichever way the attacker gains admin. "account-admin" is not an IAM resource type, so the
//     id never collides with a real ARN.
//   - Anonymous principal: AnonymousID, one stub shared by every AWS scope (nobody owns it, like
//     the Internet node).
//   - External account: "arn:<partition>:iam::<other>:root"; an external user/role keeps its ARN.
//   - Federated provider: its ARN ("arn:aws:iam::<account>:oidc-provider/<host>",
//     "...:saml-provider/<name>") or, for a provider named by host ("cognito-identity.amazonaws.com",
//     "accounts.google.com", "graph.facebook.com", "www.amazon.com"), "federated:<host>".
const AnonymousID = "aws:anonymous"

// AnyAWSPrincipalID stands for any authenticated principal of any AWS account: what
// `Principal: "*"` means in the resource policy of a service that accepts only signed requests
// (Secrets Manager, SQS, SNS, KMS, ECR, Lambda, ...). Anyone can open an AWS account, so it is a
// public source like AnonymousID, but the caller signs with its own credentials: not an unsigned
// Internet request (S3 is the service that also serves those; the resources part owns it).
const AnyAWSPrincipalID = "aws:any-authenticated-principal"

func (b *builder) iamARN(account, resource string) string {
	return "arn:" + b.partition + ":iam::" + account + ":" + resource
}

func (b *builder) rootID(account string) string  { return b.iamARN(account, "root") }
func (b *builder) adminID(account string) string { return b.iamARN(account, "account-admin") }

// InlinePolicyID returns the node id of a principal's inline policy.
func InlinePolicyID(principalARN, name string) string { return principalARN + "#inline/" + name }

// AccountAdminID returns the id of the synthetic administrator node of an account.
func AccountAdminID(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":account-admin"
}

// arnParts splits an ARN into its six fields; ok is false for anything else.
func arnParts(arn string) (partition, service, region, account, resource string, ok bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return "", "", "", "", "", false
	}
	return p[1], p[2], p[3], p[4], p[5], true
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	_, _, _, a, _, ok := arnParts(arn)
	if !ok {
		return ""
	}
	return a
}

// lastName returns the part of an IAM ARN after the last '/'.
func lastName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// isAccountID reports whether s is a bare 12-digit account id.
func isAccountID(s string) bool { return validAccountID(s) }

// globMatch matches s against an IAM resource pattern with '*' and '?', case-sensitively (ARNs are).
func globMatch(p, s string) bool { return wildcard.Match(p, s) }

// glob is a globMatch pattern with its literal prefix and suffix (before the first and after
// the last wildcard), which reject most non-matching strings without running the matcher.
type glob struct {
	pat, prefix, suffix string
}

func newGlob(pat string) glob {
	g := glob{pat: pat}
	if i := strings.IndexAny(pat, "*?"); i >= 0 {
		g.prefix = pat[:i]
		g.suffix = pat[strings.LastIndexAny(pat, "*?")+1:]
	}
	return g
}

// match is globMatch(g.pat, s). A match starts with the prefix and ends with the suffix, which
// cannot overlap in s because the wildcards between them match at least nothing.
func (g glob) match(s string) bool {
	if len(s) < len(g.prefix)+len(g.suffix) || !strings.HasPrefix(s, g.prefix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	return globMatch(g.pat, s)
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// MaskKey keeps the last four characters of an access key id: enough to find the key, useless to an attacker.
func MaskKey(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}
