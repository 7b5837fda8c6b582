package resources

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

const fsARN = "arn:aws:elasticfilesystem:" + region + ":" + acct + ":file-system/fs-1"

// efsFixture adds to the fixture a file system whose mount target sits in the
// private subnet behind a group admitting all TCP from the VPC.
func efsFixture(policy string, errs ...string) *inventory.Inventory {
	inv := fixture()
	r := inv.Regional[region]
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-efs", Name: "efs", VPCID: "vpc-1",
		Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDRs: []string{"10.0.0.0/16"}}},
		Egress:  []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}})
	r.FileSystems = []inventory.FileSystem{{ID: "fs-1", ARN: fsARN, Name: "backup", Policy: policy, Errors: errs,
		Tags:         inventory.Tags{"data-classification": "restricted"},
		MountTargets: []inventory.EFSMountTarget{{ID: "fsmt-1", SubnetID: "subnet-priv", VPCID: "vpc-1", IPAddress: "10.0.2.50", State: "available", SecurityGroupIDs: []string{"sg-efs"}}}}}
	return inv
}

func TestEFSMountTargetsDecideNFSReach(t *testing.T) {
	anonymous := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	roleOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"elasticfilesystem:ClientMount","Resource":"*"}]}`
	for _, tc := range []struct {
		name   string
		inv    *inventory.Inventory
		reach  bool // the instance REACHES the file system on 2049 only
		gated  bool // the instance is handed to the identity part with its role
		ruleID bool // the reach cites the file system's finding; otherwise it is conditional
	}{
		{name: "no policy: EFS's default admits every client that reaches a mount target", inv: efsFixture(""), reach: true, ruleID: true},
		{name: "a policy granting anonymous clients ClientMount over TLS is as open", inv: efsFixture(anonymous), reach: true, ruleID: true},
		{name: "a policy naming a role hands the decision to IAM", inv: efsFixture(roleOnly), gated: true},
		{name: "an unreadable policy is unknown: conditional reach, no finding", inv: efsFixture("", "policy: AccessDenied"), reach: true},
		{name: "a mount target whose group does not admit NFS is not reached", inv: func() *inventory.Inventory {
			inv := efsFixture("")
			sgs := inv.Regional[region].SecurityGroups
			sgs[len(sgs)-1].Ingress = []inventory.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/16"}}}
			return inv
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, tc.inv, Options{})
			n := findNode(p, fsARN)
			if n == nil || n.Kind != graph.KindBucket || n.NativeType != "AWS::EFS::FileSystem" || n.Service != "efs" || n.Sensitivity != graph.SensitivityRestricted {
				t.Fatalf("file system node %+v", n)
			}
			if findEdge(p, fsARN, string(graph.EdgeInSubnet), arnOf("subnet", "subnet-priv")) == nil || findEdge(p, fsARN, string(graph.EdgeProtectedBy), arnOf("security-group", "sg-efs")) == nil {
				t.Fatalf("mount target placement missing")
			}
			e := findEdge(p, webID, string(graph.EdgeReaches), fsARN)
			if got := e != nil; got != tc.reach {
				t.Fatalf("instance reaches the file system: %v, want %v", got, tc.reach)
			}
			if tc.reach && (!slices.Equal(ports(e), []string{"2049/tcp"}) || slices.Contains(e.Findings, graph.FindingID(RuleEFSOpenToNFSClients, fsARN)) != tc.ruleID || e.Conditional == tc.ruleID) {
				t.Fatalf("reach edge %+v: want 2049/tcp only, citing the file system's finding %v (conditional otherwise)", e, tc.ruleID)
			}
			if hasFinding(p, RuleEFSOpenToNFSClients, fsARN) != tc.ruleID {
				t.Fatalf("finding %s raised: %v, want %v", RuleEFSOpenToNFSClients, !tc.ruleID, tc.ruleID)
			}
			gated := slices.ContainsFunc(p.NFSMounts, func(m NFSMount) bool {
				return m.Workload == webID && m.FileSystem == fsARN && slices.Contains(m.Roles, roleARN)
			})
			if gated != tc.gated {
				t.Fatalf("NFS mounts %+v: instance gated %v, want %v", p.NFSMounts, gated, tc.gated)
			}
			for _, ed := range p.Edges {
				if ed.From == fsARN && ed.Kind.IsMove() {
					t.Fatalf("a file system is never the source of a move: %+v", ed)
				}
			}
		})
	}
}
