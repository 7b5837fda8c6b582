package identity

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func TestSharedPolicyAccessIsDrawnOnceFromThePolicy(t *testing.T) {
	readers := iamARN("policy/readers")
	tests := []struct {
		name   string
		setup  func(inv *inventory.Inventory, u *inventory.User)
		viaHub bool // user -> policy -> bucket instead of user -> bucket
		reads  bool // the user can read at all
	}{
		{"holder without restrictions goes through the policy", func(inv *inventory.Inventory, u *inventory.User) {}, true, true},
		{"holder through a group goes through the policy", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = nil
			inv.IAM.Groups = []inventory.Group{{ARN: iamARN("group/g"), Name: "g", AttachedPolicies: []inventory.AttachedPolicy{{ARN: readers}}}}
			u.Groups = []string{"g"}
		}, true, true},
		{"holder whose boundary allows all the policy grants goes through the policy", func(inv *inventory.Inventory, u *inventory.User) {
			u.PermissionBoundary = addPolicy(inv, "b", doc(allow("*", "s3:*")))
		}, true, true},
		{"holder whose boundary allows part of the policy gets its own edges", func(inv *inventory.Inventory, u *inventory.User) {
			inv.S3 = append(inv.S3, inventory.Bucket{Name: "other", ARN: "arn:aws:s3:::other", Region: "us-east-1"})
			u.PermissionBoundary = addPolicy(inv, "b", doc(allow(bucketARN+"/*", "s3:GetObject")))
		}, false, true},
		{"holder with a deny on the bucket reads nothing", func(inv *inventory.Inventory, u *inventory.User) {
			u.InlinePolicies = []inventory.InlinePolicy{{Name: "no", Document: doc(deny(bucketARN+"/*", "s3:GetObject"))}}
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			withBucket(inv, "")
			addPolicy(inv, "readers", doc(allow("*", "s3:GetObject")))
			u := addUser(inv, "alice")
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: readers}}
			tt.setup(inv, u)
			part := build(t, inv)
			direct := findEdge(part, u.ARN, graph.EdgeReads, bucketARN, "aws.s3.reads") != nil
			hub := findEdge(part, u.ARN, graph.EdgeEscalatesTo, readers, TechHoldsPolicy) != nil &&
				findEdge(part, readers, graph.EdgeReads, bucketARN, "aws.s3.reads") != nil
			if hub != tt.viaHub || direct != (tt.reads && !tt.viaHub) {
				t.Fatalf("hub=%v direct=%v, want hub=%v direct=%v\n%s", hub, direct, tt.viaHub, tt.reads && !tt.viaHub, dumpEdges(part, ""))
			}
			if reachable(part, u.ARN, bucketARN) != tt.reads {
				t.Fatalf("user reaches the bucket = %v, want %v", !tt.reads, tt.reads)
			}
			if reachable(part, u.ARN, "arn:aws:s3:::other") && u.PermissionBoundary != "" && !tt.viaHub {
				t.Fatal("the boundary forbids the other bucket, yet the user reaches it")
			}
		})
	}
}

func TestSummaryListsEscalationsThroughHeldPolicies(t *testing.T) {
	inv := newInv()
	deploy := addPolicy(inv, "deploy", doc(allow("*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction")))
	u := addUser(inv, "dev")
	u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: deploy}}
	addRole(inv, "fn", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil))
	part := build(t, inv)
	s := summaryOf(part, u.ARN)
	want := "via " + deploy + ": aws.lambda.passrole-create-function-invoke -> " + iamARN("role/fn")
	if s == nil || !slices.Contains(s.Escalations, want) {
		t.Fatalf("escalations = %v, want %q", s.Escalations, want)
	}
	if !reachable(part, u.ARN, iamARN("role/fn")) {
		t.Fatal("the holder must reach the role through the policy")
	}
}

func TestAssumeThroughHeldPolicy(t *testing.T) {
	for _, bounded := range []bool{false, true} {
		inv := newInv()
		assumer := addPolicy(inv, "assumer", doc(allow("*", "sts:AssumeRole")))
		u := addUser(inv, "dev")
		u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: assumer}}
		if bounded {
			u.PermissionBoundary = addPolicy(inv, "b", doc(allow("*", "sts:AssumeRole", "s3:*")))
		}
		target := addRole(inv, "target", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil)).ARN
		part := build(t, inv)
		viaPolicy := findEdge(part, assumer, graph.EdgeAssumes, target, TechAssumeRole) != nil &&
			findEdge(part, u.ARN, graph.EdgeEscalatesTo, assumer, TechHoldsPolicy) != nil
		direct := findEdge(part, u.ARN, graph.EdgeAssumes, target, TechAssumeRole) != nil
		if viaPolicy == bounded || direct != bounded {
			t.Fatalf("bounded=%v: via policy %v, direct %v\n%s", bounded, viaPolicy, direct, dumpEdges(part, ""))
		}
		if !reachable(part, u.ARN, target) {
			t.Fatalf("bounded=%v: the user must reach the role", bounded)
		}
	}
}

func TestResourceDenyNamingTheHolderDisablesTheHub(t *testing.T) {
	inv := newInv()
	readers := addPolicy(inv, "readers", doc(allow("*", "s3:GetObject")))
	u := addUser(inv, "alice")
	u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: readers}}
	withBucket(inv, doc(stmt{Effect: "Deny", Principal: map[string]any{"AWS": u.ARN}, Action: "s3:*", Resource: bucketARN + "/*"}))
	part := build(t, inv)
	if reachable(part, u.ARN, bucketARN) {
		t.Fatalf("the bucket denies alice by name, yet she reaches it\n%s", dumpEdges(part, ""))
	}
}
