package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestInvokingAsAnAssumedRoleAFunctionThatModifiesTheAssumer: CloudGoat vulnerable_lambda's
// shape. The user may only assume the invoker role; the role may only invoke the function; the
// function's role may attach policies to the user. The move is the user's (via_role the invoker
// role), never the role's, and needs every link.
func TestInvokingAsAnAssumedRoleAFunctionThatModifiesTheAssumer(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:applier"
	user, invoker := iamARN("user/bilbo"), iamARN("role/invoker")
	tests := []struct {
		name        string
		userPolicy  string // the user's inline policy
		trust       string // the invoker role's trust
		invokerPerm string // the invoker role's inline policy
		fnPolicy    string // the function role's inline policy
		want        bool
	}{
		{"user assumes the invoker, function changes the user", doc(allow(invoker, "sts:AssumeRole")), trustDoc(map[string]any{"AWS": user}, nil),
			doc(allow(fn, "lambda:InvokeFunction")), doc(allow(user, "iam:AttachUserPolicy")), true},
		{"function changes someone else", doc(allow(invoker, "sts:AssumeRole")), trustDoc(map[string]any{"AWS": user}, nil),
			doc(allow(fn, "lambda:InvokeFunction")), doc(allow(iamARN("user/carol"), "iam:AttachUserPolicy")), false},
		{"role trusts someone else", doc(allow(invoker, "sts:AssumeRole")), trustDoc(map[string]any{"AWS": iamARN("user/carol")}, nil),
			doc(allow(fn, "lambda:InvokeFunction")), doc(allow(user, "iam:AttachUserPolicy")), false},
		{"role may not invoke the function", doc(allow(invoker, "sts:AssumeRole")), trustDoc(map[string]any{"AWS": user}, nil),
			doc(allow(fn, "lambda:GetFunction")), doc(allow(user, "iam:AttachUserPolicy")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			addUser(inv, "carol")
			r := addRole(inv, "applier-role", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil), tt.fnPolicy)
			inv.Region("us-east-1").Functions = []inventory.LambdaFunction{{Name: "applier", ARN: fn, Role: r.ARN}}
			addUser(inv, "bilbo", tt.userPolicy)
			addRole(inv, "invoker", tt.trust, tt.invokerPerm)
			part := build(t, inv)
			e := findEdge(part, user, graph.EdgeEscalatesTo, adminNode(), TechInvokeModifiesInvoker)
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, ""))
			}
			if e != nil && (!e.Conditional || e.Props["via_role"] != invoker || !hasEvidence(e, r.ARN+" may iam:AttachUserPolicy") ||
				!hasEvidence(e, "may assume "+invoker)) {
				t.Errorf("the edge must be conditional, name the invoker role and cite the assumption and the function role's permission: %+v", e)
			}
			if findEdge(part, invoker, graph.EdgeEscalatesTo, adminNode(), TechInvokeModifiesInvoker) != nil {
				t.Errorf("the invoker role gains nothing itself")
			}
		})
	}
}
