package resources

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// classicFixture puts a classic ELB, as fetch reads it (type classic,
// synthesized ARN, registered instances, listeners with instance ports), in
// front of the fixture's web instance and a private instance.
func classicFixture(scheme string) (*inventory.Inventory, string) {
	inv := fixture()
	r := inv.Regional[region]
	lbARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/legacy"
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-clb", Name: "clb", VPCID: "vpc-1",
		Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}}},
		Egress:  []inventory.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}})
	// The web tier admits 8080 from the load balancer's group only.
	r.SecurityGroups[0].Ingress = append(r.SecurityGroups[0].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 8080, ToPort: 8080, GroupRefs: []inventory.SGRef{{GroupID: "sg-clb"}}})
	r.Instances = append(r.Instances, inventory.Instance{ID: "i-priv", State: "running", PrivateIP: "10.0.2.20", SubnetID: "subnet-priv", VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-db"}})
	r.LoadBalancers = []inventory.LoadBalancer{{ARN: lbARN, Name: "legacy", Type: "classic", Scheme: scheme, VPCID: "vpc-1",
		SubnetIDs: []string{"subnet-pub"}, SecurityGroupIDs: []string{"sg-clb"},
		Listeners:   []inventory.Listener{{Protocol: "HTTP", Port: 80, InstancePort: 8080, InstanceProtocol: "HTTP"}},
		InstanceIDs: []string{"i-web", "i-priv"}}}
	return inv, lbARN
}

func TestClassicELBPassesExposureToAdmittedInstancesLikeELBv2(t *testing.T) {
	inv, lbARN := classicFixture("internet-facing")
	p := build(t, inv, Options{})
	n := findNode(p, lbARN)
	if n == nil || n.Kind != graph.KindLoadBalancer || n.NativeType != "AWS::ElasticLoadBalancing::LoadBalancer" || n.Service != "elb" {
		t.Fatalf("classic ELB node = %+v", n)
	}
	e := findEdge(p, graph.InternetID, "EXPOSED_TO", lbARN)
	if e == nil || e.Technique != TechELBInternet || !slices.Equal(ports(e), []string{"80/tcp"}) {
		t.Fatalf("classic ELB exposure = %+v", e)
	}
	if e := findEdge(p, lbARN, "REACHES", webID); e == nil || e.Technique != TechELBForward || !slices.Equal(ports(e), []string{"8080/tcp"}) {
		t.Fatalf("classic ELB -> admitted instance = %+v", e)
	}
	priv := arnOf("instance", "i-priv")
	if findEdge(p, lbARN, "TARGETS", priv) == nil {
		t.Error("no TARGETS fact for the registered private instance")
	}
	if e := findEdge(p, lbARN, "REACHES", priv); e != nil {
		t.Errorf("classic ELB reaches an instance whose groups do not admit it: %+v", e)
	}
	if findEdge(p, lbARN, "PROTECTED_BY", arnOf("security-group", "sg-clb")) == nil {
		t.Error("no PROTECTED_BY fact for the classic ELB's security group")
	}
}

func TestInternalClassicELBIsNotExposed(t *testing.T) {
	inv, lbARN := classicFixture("internal")
	p := build(t, inv, Options{})
	if e := findEdge(p, graph.InternetID, "EXPOSED_TO", lbARN); e != nil {
		t.Errorf("internal classic ELB exposed: %+v", e)
	}
	// It still forwards inside the VPC.
	if findEdge(p, lbARN, "REACHES", webID) == nil {
		t.Error("internal classic ELB does not reach its admitted instance")
	}
}
