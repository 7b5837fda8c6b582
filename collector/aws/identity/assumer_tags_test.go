package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestTagStepByAPrincipalThatAssumesTheAttacker: a role may send commands only to instances not
// tagged env=prod; a user who may assume it and delete (or overwrite) the instance's tag gets the
// move, with its own tag change as the first step. Nobody else does.
func TestTagStepByAPrincipalThatAssumesTheAttacker(t *testing.T) {
	const tech = "aws.ssm.send-command"
	instance := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0abc"
	send := stmt{Effect: "Allow", Action: "ssm:SendCommand", Resource: "*", Condition: map[string]any{"StringNotEquals": map[string]any{"aws:ResourceTag/env": "prod"}}}
	tests := []struct {
		name      string
		user      []stmt // besides sts:AssumeRole on the role
		roleExtra []stmt
		trustUser bool // the role's trust names the user (else the account, which the user's policy needs)
		want      bool
		wantRole  bool // the role's own edge (it may retag itself)
	}{
		{name: "user deletes the tag, then assumes the role", user: []stmt{allow("*", "ec2:DeleteTags")}, trustUser: true, want: true},
		{name: "user overwrites the tag, then assumes the role", user: []stmt{allow("*", "ec2:CreateTags")}, trustUser: true, want: true},
		{name: "user may not change tags", user: nil, trustUser: true},
		{name: "user's untag denied", user: []stmt{allow("*", "ec2:DeleteTags"), deny("*", "ec2:DeleteTags")}, trustUser: true},
		{name: "user may untag but not assume the role", user: []stmt{allow("*", "ec2:DeleteTags")}, trustUser: false},
		{name: "the role retags on its own: its own edge, none from the user", user: []stmt{allow("*", "ec2:DeleteTags")},
			roleExtra: []stmt{allow("*", "ec2:DeleteTags")}, trustUser: true, wantRole: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.Region("us-east-1").Instances = []inventory.Instance{{ID: "i-0abc", ARN: instance, State: "running", Tags: map[string]string{"env": "prod"}}}
			u := iamARN("user/dev")
			trust := trustDoc(map[string]any{"AWS": iamARN("root")}, nil)
			if tt.trustUser {
				trust = trustDoc(map[string]any{"AWS": u}, nil)
			}
			r := addRole(inv, "ops", trust, doc(append([]stmt{send}, tt.roleExtra...)...))
			userStmts := tt.user
			if tt.trustUser {
				userStmts = append(userStmts, allow(r.ARN, "sts:AssumeRole"))
			}
			if len(userStmts) == 0 {
				userStmts = []stmt{allow("*", "ec2:DescribeInstances")}
			}
			addUser(inv, "dev", doc(userStmts...))
			part := build(t, inv)
			e := findEdge(part, u, graph.EdgeEscalatesTo, instance, tech)
			if (e != nil) != tt.want {
				t.Fatalf("user -> instance present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u))
			}
			if own := findEdge(part, r.ARN, graph.EdgeEscalatesTo, instance, tech); (own != nil) != tt.wantRole {
				t.Errorf("role -> instance present=%v, want %v", own != nil, tt.wantRole)
			}
			if e == nil {
				return
			}
			if e.Props[graph.PropTagStep] == nil || !hasEvidence(e, r.ARN) || e.Props["via_role"] != r.ARN {
				t.Errorf("edge must carry the user's tag step and name the role: props %v evidence %v", e.Props, e.Evidence)
			}
			if e.Conditional {
				t.Errorf("tags and trust are known: not conditional (%v)", e.Evidence)
			}
		})
	}
}

// TestTagStepByAPrincipalThatEscalatesToTheAttacker (CloudGoat ecs_efs_attack): a task role may
// open sessions only on instances tagged StartSession=true; a user who gets that role by pointing
// a service at a task definition it registers with the role (iam:PassRole + ecs:RegisterTaskDefinition
// + ecs:UpdateService) and who may create EC2 tags makes the tag step, then acts as the role. The
// escalation is conditional (bp-ecs-003), so the move is too.
func TestTagStepByAPrincipalThatEscalatesToTheAttacker(t *testing.T) {
	const tech = "aws.ssm.start-session"
	instance := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0adm"
	session := stmt{Effect: "Allow", Action: "ssm:StartSession", Resource: "*", Condition: map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/StartSession": "true"}}}
	for _, tt := range []struct {
		name string
		user []stmt
		want bool
	}{
		{name: "user repoints a service at the role and tags the instance", want: true,
			user: []stmt{allow("*", "iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:UpdateService", "ec2:CreateTags")}},
		{name: "user may not create tags", user: []stmt{allow("*", "iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:UpdateService")}},
		{name: "user may tag but not become the role", user: []stmt{allow("*", "ec2:CreateTags")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.Region("us-east-1").Instances = []inventory.Instance{{ID: "i-0adm", ARN: instance, State: "running", Tags: map[string]string{"StartSession": "false"}}}
			r := addRole(inv, "task", trustDoc(map[string]any{"Service": "ecs-tasks.amazonaws.com"}, nil), doc(session))
			u := iamARN("user/ruse")
			addUser(inv, "ruse", doc(tt.user...))
			part := build(t, inv)
			e := findEdge(part, u, graph.EdgeEscalatesTo, instance, tech)
			if (e != nil) != tt.want {
				t.Fatalf("user -> instance present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u))
			}
			if e == nil {
				return
			}
			if e.Props[graph.PropTagStep] == nil || e.Props["via_role"] != r.ARN || !hasEvidence(e, "aws.ecs.register-task-definition-update-service") || !e.Conditional {
				t.Errorf("edge must carry the tag step, name the role and the escalation, and stay conditional: props %v evidence %v", e.Props, e.Evidence)
			}
		})
	}
}
