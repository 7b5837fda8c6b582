package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestSetDefaultPolicyVersionReachesBeyondItsHolder: a stored version matters also when what it
// grants only pays off through a service (it passes a role only Lambda may assume to a function
// the attacker creates), when the rolled-back policy is attached to a group of the attacker,
// and to principals that do not hold iam:SetDefaultPolicyVersion but can get it: by joining the
// group whose policy holds it, or by assuming the role that does. The chain is drawn; without the
// one permission that opens it, it is not.
func TestSetDefaultPolicyVersionReachesBeyondItsHolder(t *testing.T) {
	const tech = "aws.iam.set-default-policy-version"
	rollback := allow("*", "iam:SetDefaultPolicyVersion")
	lambdaTrust := trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil)
	type check struct {
		from, to, technique string
	}
	tests := []struct {
		name  string
		seed  func(inv *inventory.Inventory)
		from  string // the principal that must (or must not) reach the administrator
		want  bool
		moves []check // moves that must be drawn when want
	}{
		{name: "version passes a service-only role to a function the attacker creates", from: "user/dev", want: true,
			seed: func(inv *inventory.Inventory) {
				addRole(inv, "fn-admin", lambdaTrust, doc(allow("*", "*")))
				pol := addPolicy(inv, "dev", doc(rollback))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1",
					Document: doc(allow("*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"))}}
				addUser(inv, "dev").AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
			},
			moves: []check{{"user/dev", "role/fn-admin", tech}}},
		{name: "the same version without the service role", from: "user/dev", want: false,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "dev", doc(rollback))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1",
					Document: doc(allow("*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"))}}
				addUser(inv, "dev").AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
			}},
		{name: "the rolled-back policy is attached to the attacker's group", from: "user/member", want: true,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "team", doc(allow("*", "s3:ListAllMyBuckets")))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/team"), Name: "team", Path: "/",
					AttachedPolicies: []inventory.AttachedPolicy{{ARN: pol, Name: "team"}}})
				addUser(inv, "member", doc(rollback)).Groups = []string{"team"}
			},
			moves: []check{{"user/member", "admin", tech}}},
		{name: "joining the group whose policy holds the rollback", from: "user/joiner", want: true,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "ops", doc(rollback))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/ops"), Name: "ops", Path: "/",
					AttachedPolicies: []inventory.AttachedPolicy{{ARN: pol, Name: "ops"}}})
				addUser(inv, "joiner", doc(allow(iamARN("group/ops"), "iam:AddUserToGroup")))
			},
			moves: []check{{"user/joiner", "group/ops", "aws.iam.add-user-to-group"}, {"group/ops", "admin", tech}}},
		{name: "the same group without the right to join it", from: "user/joiner", want: false,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "ops", doc(rollback))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/ops"), Name: "ops", Path: "/",
					AttachedPolicies: []inventory.AttachedPolicy{{ARN: pol, Name: "ops"}}})
				addUser(inv, "joiner", doc(allow(iamARN("group/ops"), "iam:GetGroup")))
			}},
		{name: "assuming the role that holds the rollback", from: "user/dev", want: true,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "deploy", doc(rollback))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				addRole(inv, "deployer", trustDoc(map[string]any{"AWS": iamARN("user/dev")}, nil)).AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
				addUser(inv, "dev")
			},
			moves: []check{{"user/dev", "role/deployer", "aws.sts.assume-role"}, {"role/deployer", "admin", tech}}},
		{name: "a service role the attacker passes holds the rollback", from: "user/dev", want: true,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "fn", doc(rollback))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				addRole(inv, "fn-role", lambdaTrust).AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
				addUser(inv, "dev", doc(allow("*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction")))
			},
			moves: []check{{"user/dev", "role/fn-role", "aws.lambda.passrole-create-function-invoke"}, {"role/fn-role", "admin", tech}}},
		{name: "rolling back the policy of a role the attacker can assume", from: "user/dev", want: true,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "ci", doc(allow("*", "s3:ListAllMyBuckets")))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				addRole(inv, "ci", trustDoc(map[string]any{"AWS": iamARN("user/dev")}, nil)).AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
				addUser(inv, "dev", doc(allow(pol, "iam:SetDefaultPolicyVersion")))
			},
			moves: []check{{"user/dev", "admin", tech}}},
		{name: "rolling back the policy of a role the attacker cannot assume", from: "user/dev", want: false,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "ci", doc(allow("*", "s3:ListAllMyBuckets")))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
				addRole(inv, "ci", trustDoc(map[string]any{"AWS": iamARN("user/ops")}, nil)).AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
				addUser(inv, "ops")
				addUser(inv, "dev", doc(allow(pol, "iam:SetDefaultPolicyVersion")))
			}},
		{name: "rolling back a role's policy whose stored version is not admin", from: "user/dev", want: false,
			seed: func(inv *inventory.Inventory) {
				pol := addPolicy(inv, "ci", doc(allow("*", "s3:ListAllMyBuckets")))
				inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "ec2:*"))}}
				addRole(inv, "ci", trustDoc(map[string]any{"AWS": iamARN("user/dev")}, nil)).AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
				addUser(inv, "dev", doc(allow(pol, "iam:SetDefaultPolicyVersion")))
			}},
	}
	node := func(name string) string {
		if name == "admin" {
			return adminNode()
		}
		return iamARN(name)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			tt.seed(inv)
			part := build(t, inv)
			if got := reachable(part, node(tt.from), adminNode()); got != tt.want {
				t.Fatalf("%s reaches the administrator = %v, want %v\n%s", tt.from, got, tt.want, dumpEdges(part, node(tt.from)))
			}
			for _, m := range tt.moves {
				var e *graph.Edge
				for i := range part.Edges {
					x := &part.Edges[i]
					if x.From == node(m.from) && x.To == node(m.to) && x.Technique == m.technique {
						e = x
					}
				}
				if e == nil {
					t.Errorf("missing %s -[%s]-> %s\n%s", m.from, m.technique, m.to, dumpEdges(part, node(m.from)))
				}
			}
		})
	}
}
