package aws

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestEFSPolicyAndIdentityDecideIAMMounts: with a file-system policy in effect an NFS client that
// reaches a mount target mounts only when the file-system policy or its role's own policies allow
// elasticfilesystem:ClientMount (either suffices; an explicit deny in either stops it), and the
// mount is drawn from the workload, never from the role.
func TestEFSPolicyAndIdentityDecideIAMMounts(t *testing.T) {
	fs := "arn:aws:elasticfilesystem:us-east-1:" + acct + ":file-system/fs-1"
	other := "arn:aws:iam::" + acct + ":role/other"
	grant := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"elasticfilesystem:ClientMount","Resource":"*"}]}`
	}
	denyRole := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + other + `"},"Action":"elasticfilesystem:ClientMount","Resource":"*"},` +
		`{"Effect":"Deny","Principal":{"AWS":"` + roleARN + `"},"Action":"elasticfilesystem:*","Resource":"*"}]}`
	mountGrant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*"}]}`
	for _, tc := range []struct {
		name          string
		policy        string
		identityGrant bool
		reads, writes bool
	}{
		{name: "the file-system policy names the instance's role", policy: grant(roleARN), reads: true},
		{name: "the role's own policy allows it while the file-system policy names another role", policy: grant(other), identityGrant: true, reads: true, writes: true},
		{name: "neither allows it", policy: grant(other)},
		{name: "the file-system policy denies the role whatever its own policy says", policy: denyRole, identityGrant: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := estate()
			if tc.identityGrant {
				inv.IAM.Roles[0].InlinePolicies = append(inv.IAM.Roles[0].InlinePolicies, inventory.InlinePolicy{Name: "efs", Document: mountGrant})
			}
			r := inv.Regional[region]
			r.SecurityGroups[0].Egress = []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}
			r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-efs", VPCID: "vpc-1",
				Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 2049, ToPort: 2049, GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}}}})
			r.FileSystems = []inventory.FileSystem{{ID: "fs-1", ARN: fs, Policy: tc.policy, MountTargets: []inventory.EFSMountTarget{
				{ID: "fsmt-1", SubnetID: "subnet-priv", VPCID: "vpc-1", IPAddress: "10.0.2.9", State: "available", SecurityGroupIDs: []string{"sg-efs"}}}}}
			snap, _ := transform(t, inv)
			web := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-web"
			decoy := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-decoy"
			for kind, want := range map[graph.EdgeKind]bool{graph.EdgeReads: tc.reads, graph.EdgeWrites: tc.writes} {
				es := edges(snap, web, kind, fs)
				if got := len(es) == 1 && es[0].Technique == identity.TechEFSClientMount && !es[0].Conditional; got != want {
					t.Fatalf("instance %s file system: %+v, want one unconditional %s edge: %v", kind, es, identity.TechEFSClientMount, want)
				}
				if len(edges(snap, roleARN, kind, fs)) > 0 {
					t.Fatalf("the role %s the file system from anywhere", kind)
				}
				// The decoy reaches the mount target too but runs as no role: IAM gives it nothing.
				if len(edges(snap, decoy, kind, fs)) > 0 {
					t.Fatalf("a workload with no role %s a policy-gated file system", kind)
				}
			}
			if es := edges(snap, web, graph.EdgeReaches, fs); len(es) > 0 {
				t.Fatalf("a policy-gated file system is reached without an IAM decision: %+v", es)
			}
		})
	}
}
