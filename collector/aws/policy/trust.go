package policy

import "strings"

// CanAssume decides whether caller may assume the role roleARN whose trust policy is roleTrust.
// callerSet holds the caller's own policies (identity, boundary, session, SCPs); its Resource is
// replaced by the trust policy. The sts:AssumeRole rules then follow from Evaluate:
//   - a trust statement naming the caller's user or session ARN in the same account is enough;
//   - a trust statement naming the account (root or account id) delegates: the caller's identity
//     policy must also allow sts:AssumeRole on the role;
//   - cross-account, both the trust policy and the caller's identity policy must allow;
//   - service and web-identity/SAML principals are decided by the trust policy alone;
//   - a missing sts:ExternalId (or any other unknown key) makes the result Conditional, with the key
//     in UnresolvedKeys; pass ctx{"sts:ExternalId": {...}} to resolve it.
func CanAssume(caller Principal, callerSet PolicySet, roleTrust *Policy, roleARN string, ctx map[string][]string) Result {
	req, set := assumeRequest(caller, callerSet, roleTrust, roleARN, ctx)
	return Evaluate(req, set)
}

// CanAssumeTagged is CanAssume with the role's tags known (nil: unknown): they answer
// aws:ResourceTag/<key> and iam:ResourceTag/<key> in the caller's identity policies (ABAC on
// sts:AssumeRole).
func (ev *Evaluator) CanAssumeTagged(caller Principal, callerSet PolicySet, roleTrust *Policy, roleARN string, roleTags map[string]string, ctx map[string][]string) Result {
	req, set := assumeRequest(caller, callerSet, roleTrust, roleARN, ctx)
	req.ResourceTags = roleTags
	return ev.Evaluate(req, set)
}

// assumeRequest is the request and policy set CanAssume evaluates.
func assumeRequest(caller Principal, callerSet PolicySet, roleTrust *Policy, roleARN string, ctx map[string][]string) (Request, PolicySet) {
	action := "sts:AssumeRole"
	if caller.Type == TypeFederated {
		action = "sts:AssumeRoleWithWebIdentity"
		if strings.Contains(caller.ARN, ":saml-provider/") || strings.Contains(caller.Name, ":saml-provider/") {
			action = "sts:AssumeRoleWithSAML"
		}
	}
	set := callerSet
	set.Resource = roleTrust
	// A role can only be assumed if its trust policy allows it: the identity side alone never suffices.
	set.ResourcePolicyRequired = true
	return Request{Principal: caller, Action: action, Resource: roleARN, ResourceAccount: arnAccount(roleARN), Context: ctx}, set
}

// arnAccount returns the account field of an ARN ("" when absent or not an ARN).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
