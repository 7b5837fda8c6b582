package resources

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestFunctionVPCIsItsSubnets: a function's VPC is its subnets' VPC, whatever its configuration's
// VpcId says (moto answers a placeholder): a group admitting the function's group lets it reach.
func TestFunctionVPCIsItsSubnets(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	fn := "arn:aws:lambda:" + region + ":" + acct + ":function:charge"
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-fn", VPCID: "vpc-1",
		Egress: []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}})
	r.SecurityGroups[0].Ingress = append(r.SecurityGroups[0].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 5000, ToPort: 5000, GroupRefs: []inventory.SGRef{{GroupID: "sg-fn"}}})
	r.Functions = []inventory.LambdaFunction{{Name: "charge", ARN: fn, Role: roleARN,
		VPC: &inventory.LambdaVPC{VPCID: "vpc-123abc", SubnetIDs: []string{"subnet-pub"}, SecurityGroupIDs: []string{"sg-fn"}}}}
	p := build(t, inv, Options{})
	if e := findEdge(p, fn, string(graph.EdgeReaches), webID); e == nil || !slices.Contains(ports(e), "5000/tcp") {
		t.Fatalf("function -> instance on 5000: %+v", e)
	}
}
