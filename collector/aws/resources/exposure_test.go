package resources

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func TestInternetExposureNeedsEveryCondition(t *testing.T) {
	tests := []struct {
		name   string
		change func(inv *inventory.Inventory)
		want   []string // exposed ports of the web instance; nil = not exposed
	}{
		{"public IP, IGW route, open SG and ACL expose the SG's ports", func(*inventory.Inventory) {}, []string{"22/tcp", "443/tcp"}},
		{"no public IP", func(inv *inventory.Inventory) { inv.Regional[region].Instances[0].PublicIP = "" }, nil},
		{"an Elastic IP on the interface counts as a public IP", func(inv *inventory.Inventory) {
			r := inv.Regional[region]
			r.Instances[0].PublicIP = ""
			r.NetworkInterfaces = []inventory.NetworkInterface{{ID: "eni-1", SubnetID: "subnet-pub", VPCID: "vpc-1", PrivateIPs: []string{"10.0.1.10"}, SecurityGroupIDs: []string{"sg-web"}, AttachedInstance: "i-web"}}
			r.ElasticIPs = []inventory.ElasticIP{{AllocationID: "eipalloc-1", PublicIP: "3.3.3.3", NetworkInterfaceID: "eni-1"}}
		}, []string{"22/tcp", "443/tcp"}},
		{"no default route to an internet gateway", func(inv *inventory.Inventory) {
			inv.Regional[region].RouteTables[1].Routes = inv.Regional[region].RouteTables[1].Routes[:1]
		}, nil},
		{"default route is a blackhole", func(inv *inventory.Inventory) {
			inv.Regional[region].RouteTables[1].Routes[1].State = "blackhole"
		}, nil},
		{"default route to a NAT gateway is not inbound reachability", func(inv *inventory.Inventory) {
			inv.Regional[region].RouteTables[1].Routes[1] = inventory.Route{DestinationCIDR: "0.0.0.0/0", NatGatewayID: "nat-1"}
		}, nil},
		{"internet gateway detached from the VPC", func(inv *inventory.Inventory) {
			inv.Regional[region].InternetGateways[0].VPCs = nil
		}, nil},
		{"subnet without explicit association uses the main table", func(inv *inventory.Inventory) {
			r := inv.Regional[region]
			r.RouteTables[0].Routes = append(r.RouteTables[0].Routes, inventory.Route{DestinationCIDR: "0.0.0.0/0", GatewayID: "igw-1"})
			r.RouteTables = r.RouteTables[:1]
		}, []string{"22/tcp", "443/tcp"}},
		{"narrow public source is an allow-list, not the Internet", func(inv *inventory.Inventory) {
			for i := range inv.Regional[region].SecurityGroups[0].Ingress {
				inv.Regional[region].SecurityGroups[0].Ingress[i].CIDRs = []string{"203.0.113.0/24"}
			}
		}, nil},
		{"broad public range shorter than /8 counts", func(inv *inventory.Inventory) {
			inv.Regional[region].SecurityGroups[0].Ingress[0].CIDRs = []string{"0.0.0.0/1"}
		}, []string{"22/tcp", "443/tcp"}},
		{"private source range is not the Internet", func(inv *inventory.Inventory) {
			for i := range inv.Regional[region].SecurityGroups[0].Ingress {
				inv.Regional[region].SecurityGroups[0].Ingress[i].CIDRs = []string{"10.0.0.0/8"}
			}
		}, nil},
		{"ACL deny before allow removes the port", func(inv *inventory.Inventory) {
			acl := &inv.Regional[region].NetworkACLs[0]
			acl.Entries = append(acl.Entries, inventory.ACLEntry{RuleNumber: 50, Protocol: "6", CIDR: "0.0.0.0/0", FromPort: 22, ToPort: 22})
		}, []string{"443/tcp"}},
		{"ACL allow before a later deny keeps the port", func(inv *inventory.Inventory) {
			acl := &inv.Regional[region].NetworkACLs[0]
			acl.Entries = append(acl.Entries, inventory.ACLEntry{RuleNumber: 200, Protocol: "6", CIDR: "0.0.0.0/0", FromPort: 22, ToPort: 22})
		}, []string{"22/tcp", "443/tcp"}},
		{"ACL deny of part of the Internet leaves the rest exposed", func(inv *inventory.Inventory) {
			acl := &inv.Regional[region].NetworkACLs[0]
			acl.Entries = append(acl.Entries, inventory.ACLEntry{RuleNumber: 50, Protocol: "-1", CIDR: "0.0.0.0/1"})
		}, []string{"22/tcp", "443/tcp"}},
		{"ACL without ephemeral egress blocks replies", func(inv *inventory.Inventory) {
			acl := &inv.Regional[region].NetworkACLs[0]
			acl.Entries = []inventory.ACLEntry{
				{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0"},
				{RuleNumber: 100, Protocol: "6", Allow: true, CIDR: "0.0.0.0/0", Egress: true, FromPort: 443, ToPort: 443},
			}
		}, nil},
		{"ACL with ephemeral egress 1024-65535 lets replies out", func(inv *inventory.Inventory) {
			acl := &inv.Regional[region].NetworkACLs[0]
			acl.Entries = []inventory.ACLEntry{
				{RuleNumber: 100, Protocol: "6", Allow: true, CIDR: "0.0.0.0/0", FromPort: 443, ToPort: 443},
				{RuleNumber: 100, Protocol: "6", Allow: true, CIDR: "0.0.0.0/0", Egress: true, FromPort: 1024, ToPort: 65535},
			}
		}, []string{"443/tcp"}},
		{"ACL with only the implicit deny blocks everything", func(inv *inventory.Inventory) {
			inv.Regional[region].NetworkACLs[0].Entries = nil
		}, nil},
		{"stopped instance without public IP is not exposed", func(inv *inventory.Inventory) {
			inv.Regional[region].Instances[0].State = "stopped"
			inv.Regional[region].Instances[0].PublicIP = ""
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			tc.change(inv)
			p := build(t, inv, Options{})
			e := findEdge(p, graph.InternetID, "EXPOSED_TO", webID)
			if tc.want == nil {
				if e != nil {
					t.Fatalf("exposed on %v, want not exposed; evidence %v", ports(e), e.Evidence)
				}
				return
			}
			if e == nil {
				t.Fatalf("not exposed, want %v", tc.want)
			}
			if !slices.Equal(ports(e), tc.want) {
				t.Errorf("ports = %v, want %v", ports(e), tc.want)
			}
			if e.Technique != TechInternetExposed || len(e.Evidence) == 0 {
				t.Errorf("technique %q evidence %v", e.Technique, e.Evidence)
			}
		})
	}
}

func TestExposureCitesTheFindingsBehindItsPorts(t *testing.T) {
	p := build(t, fixture(), Options{})
	e := findEdge(p, graph.InternetID, "EXPOSED_TO", webID)
	if e == nil {
		t.Fatal("web instance not exposed")
	}
	sg := arnOf("security-group", "sg-web")
	want := []string{graph.FindingID(RuleSGAdminPorts, sg), graph.FindingID(RulePublicIP, webID)}
	for _, f := range want {
		if !slices.Contains(e.Findings, f) {
			t.Errorf("exposure findings %v lack %s", e.Findings, f)
		}
	}
	if findNode(p, graph.InternetID) == nil {
		t.Error("no Internet node")
	}
}

func TestIPv6ExposureNeedsIPv6RouteAndAddress(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	r.Instances[0].PublicIP = ""
	r.NetworkInterfaces = []inventory.NetworkInterface{{ID: "eni-1", SubnetID: "subnet-pub", VPCID: "vpc-1", PrivateIPs: []string{"10.0.1.10"},
		IPv6Addresses: []string{"2600:1f18::10"}, SecurityGroupIDs: []string{"sg-web"}, AttachedInstance: "i-web"}}
	r.SecurityGroups[0].Ingress[0].IPv6CIDRs = []string{"::/0"}
	r.NetworkACLs[0].Entries = append(r.NetworkACLs[0].Entries,
		inventory.ACLEntry{RuleNumber: 101, Protocol: "-1", Allow: true, IPv6CIDR: "::/0"},
		inventory.ACLEntry{RuleNumber: 101, Protocol: "-1", Allow: true, IPv6CIDR: "::/0", Egress: true})
	if e := findEdge(build(t, inv, Options{}), graph.InternetID, "EXPOSED_TO", webID); e != nil {
		t.Fatalf("exposed without an IPv6 default route: %v", ports(e))
	}
	r.RouteTables[1].Routes = append(r.RouteTables[1].Routes, inventory.Route{DestinationIPv6CIDR: "::/0", GatewayID: "igw-1"})
	p := build(t, inv, Options{})
	e := findEdge(p, graph.InternetID, "EXPOSED_TO", webID)
	if !slices.Equal(ports(e), []string{"22/tcp"}) {
		t.Fatalf("ports = %v, want [22/tcp] (only the ::/0 rule)", ports(e))
	}
	if !hasFinding(p, RuleSGAdminPorts, arnOf("security-group", "sg-web")) {
		t.Error("no admin-port finding")
	}
}

func TestRDSExposureNeedsPubliclyAccessible(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	r.SecurityGroups[1].Ingress = append(r.SecurityGroups[1].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432, CIDRs: []string{"0.0.0.0/0"}})
	r.DBInstances[0].SubnetIDs = []string{"subnet-pub"}
	if e := findEdge(build(t, inv, Options{}), graph.InternetID, "EXPOSED_TO", dbARN); e != nil {
		t.Fatal("private database exposed")
	}
	r.DBInstances[0].PubliclyAccessible = true
	p := build(t, inv, Options{})
	e := findEdge(p, graph.InternetID, "EXPOSED_TO", dbARN)
	if e == nil || !slices.Equal(ports(e), []string{"5432/tcp"}) {
		t.Fatalf("public database exposure = %+v", e)
	}
	if !slices.Contains(e.Findings, graph.FindingID(RuleRDSPublic, dbARN)) {
		t.Errorf("exposure does not cite RDS.2 finding: %v", e.Findings)
	}
}

func TestLoadBalancerPassesExposureToAdmittedTargets(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	lbARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/app/front/1"
	tgARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":targetgroup/web/1"
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-lb", Name: "lb", VPCID: "vpc-1",
		Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}},
		Egress:  []inventory.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}})
	r.SecurityGroups[0].Ingress = append(r.SecurityGroups[0].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 8080, ToPort: 8080, GroupRefs: []inventory.SGRef{{GroupID: "sg-lb"}}})
	r.Instances = append(r.Instances, inventory.Instance{ID: "i-priv", State: "running", PrivateIP: "10.0.2.20", SubnetID: "subnet-priv", VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-db"}})
	r.LoadBalancers = []inventory.LoadBalancer{{ARN: lbARN, Name: "front", Type: "application", Scheme: "internet-facing", VPCID: "vpc-1",
		SubnetIDs: []string{"subnet-pub"}, SecurityGroupIDs: []string{"sg-lb"},
		Listeners: []inventory.Listener{{Protocol: "HTTPS", Port: 443, TargetGroupARNs: []string{tgARN}}}}}
	r.TargetGroups = []inventory.TargetGroup{{ARN: tgARN, Name: "web", Port: 8080, TargetType: "instance",
		Targets: []inventory.Target{{ID: "i-web"}, {ID: "i-priv"}}}}
	p := build(t, inv, Options{})
	if e := findEdge(p, graph.InternetID, "EXPOSED_TO", lbARN); e == nil || !slices.Equal(ports(e), []string{"443/tcp"}) {
		t.Fatalf("load balancer exposure = %+v", e)
	}
	if e := findEdge(p, lbARN, "REACHES", webID); e == nil || !slices.Equal(ports(e), []string{"8080/tcp"}) {
		t.Fatalf("LB -> admitted target = %+v", e)
	}
	priv := arnOf("instance", "i-priv")
	if findEdge(p, lbARN, "TARGETS", priv) == nil {
		t.Error("no TARGETS fact for the registered private target")
	}
	if e := findEdge(p, lbARN, "REACHES", priv); e != nil {
		t.Errorf("LB reaches a target whose groups do not admit it: %+v", e)
	}
	// A database admitting the load balancer's group is no target of it:
	// the LB forwards only listener -> target port, it is no source of
	// other lateral moves.
	r.SecurityGroups[1].Ingress = append(r.SecurityGroups[1].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432, GroupRefs: []inventory.SGRef{{GroupID: "sg-lb"}}})
	p = build(t, inv, Options{})
	for _, e := range p.Edges {
		if e.From == lbARN && e.Kind == graph.EdgeReaches && e.Technique != TechELBForward {
			t.Errorf("load balancer is the source of a lateral move: %s -[%s]-> %s", e.From, e.Technique, e.To)
		}
	}
	if findEdge(p, lbARN, "REACHES", webID) == nil {
		t.Error("the listener -> target forward is gone")
	}
}

func TestLambdaURLAndEKSEndpointExposure(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	fnARN := "arn:aws:lambda:" + region + ":" + acct + ":function:hook"
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnARN + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`
	r.Functions = []inventory.LambdaFunction{
		{Name: "hook", ARN: fnARN, Role: roleARN, Policy: pol, FunctionURLs: []inventory.FunctionURL{{URL: "https://abc.lambda-url.us-east-1.on.aws/", AuthType: "NONE"}}},
		{Name: "iam", ARN: fnARN + "2", Role: roleARN, FunctionURLs: []inventory.FunctionURL{{URL: "https://def.lambda-url.us-east-1.on.aws/", AuthType: "AWS_IAM"}}},
	}
	eksARN := "arn:aws:eks:" + region + ":" + acct + ":cluster/prod"
	r.EKSClusters = []inventory.EKSCluster{{Name: "prod", ARN: eksARN, EndpointPublicAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"}, RoleARN: roleARN}}
	p := build(t, inv, Options{})
	e := findEdge(p, graph.InternetID, "EXPOSED_TO", fnARN)
	if e == nil || e.Technique != TechLambdaURL || e.Likelihood != 0 {
		t.Fatalf("public function URL exposure = %+v", e)
	}
	if findEdge(p, graph.InternetID, "EXPOSED_TO", fnARN+"2") != nil {
		t.Error("AWS_IAM function URL exposed")
	}
	if findEdge(p, fnARN, "USES_IDENTITY", roleARN) == nil {
		t.Error("no function -> execution role move")
	}
	if e := findEdge(p, graph.InternetID, "EXPOSED_TO", eksARN); e == nil || !slices.Contains(e.Findings, graph.FindingID(RuleEKSPublic, eksARN)) {
		t.Fatalf("EKS exposure = %+v", e)
	}
	r.EKSClusters[0].PublicAccessCIDRs = []string{"198.51.100.0/24"}
	p = build(t, inv, Options{})
	if findEdge(p, graph.InternetID, "EXPOSED_TO", eksARN) != nil {
		t.Error("EKS endpoint restricted to an office range is exposed")
	}
	if !hasFinding(p, RuleEKSPublic, eksARN) {
		t.Error("a public endpoint restricted by CIDR should still be an EKS.1 finding")
	}
}
