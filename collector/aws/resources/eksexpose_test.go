package resources

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// exposedFixture is eksFixture with the web pods labelled app=web, an IP,
// and the given Services and Ingresses in the apps namespace.
func exposedFixture(services []inventory.KubeService, ingresses []inventory.KubeIngress) *inventory.Inventory {
	inv := eksFixture(inventory.KubePod{Labels: map[string]string{"app": "web"}, IP: "10.0.1.77", Containers: []inventory.KubeContainer{{Name: "app"}}})
	ks := inv.Regional[region].EKSClusters[0].Kubernetes
	ks.Pods[1].Labels = map[string]string{"app": "tools"}
	ks.Services, ks.Ingresses = services, ingresses
	return inv
}

func lbService(mod func(*inventory.KubeService)) inventory.KubeService {
	sv := inventory.KubeService{Namespace: "apps", Name: "web", Type: "LoadBalancer", Selector: map[string]string{"app": "web"},
		Ports: []inventory.KubeServicePort{{Protocol: "TCP", Port: 80, NodePort: 30080, TargetPort: "8080"}}}
	if mod != nil {
		mod(&sv)
	}
	return sv
}

func albIngress(ann map[string]string) inventory.KubeIngress {
	return inventory.KubeIngress{Namespace: "apps", Name: "web", Class: "alb", Annotations: ann, Backends: []string{"web-internal:80"}}
}

func TestEKSServicesAndIngressesExposeTheirPods(t *testing.T) {
	clusterIP := inventory.KubeService{Namespace: "apps", Name: "web-internal", Type: "ClusterIP", Selector: map[string]string{"app": "web"},
		Ports: []inventory.KubeServicePort{{Port: 80, TargetPort: "8080"}}}
	tests := []struct {
		name      string
		services  []inventory.KubeService
		ingresses []inventory.KubeIngress
		want      []string // the exposed ports; nil: not exposed
	}{
		{"in-tree LoadBalancer Service is internet-facing by default", []inventory.KubeService{lbService(nil)}, nil, []string{"80/tcp"}},
		{"in-tree internal annotation keeps it internal", []inventory.KubeService{lbService(func(s *inventory.KubeService) {
			s.Annotations = map[string]string{annLBInternal: "true"}
		})}, nil, nil},
		{"Load Balancer Controller Service defaults to internal", []inventory.KubeService{lbService(func(s *inventory.KubeService) {
			s.Annotations = map[string]string{annLBType: "external"}
		})}, nil, nil},
		{"Load Balancer Controller Service with scheme internet-facing", []inventory.KubeService{lbService(func(s *inventory.KubeService) {
			s.LoadBalancerClass, s.Annotations = lbcServiceClass, map[string]string{annLBScheme: "internet-facing"}
		})}, nil, []string{"80/tcp"}},
		{"Load Balancer Controller Service with scheme internal", []inventory.KubeService{lbService(func(s *inventory.KubeService) {
			s.Annotations = map[string]string{annLBType: "external", annLBScheme: "internal"}
		})}, nil, nil},
		{"the scheme annotation alone makes it internal", []inventory.KubeService{lbService(func(s *inventory.KubeService) {
			s.Annotations = map[string]string{annLBScheme: "internal"}
		})}, nil, nil},
		{"another controller's load balancer class is not guessed", []inventory.KubeService{lbService(func(s *inventory.KubeService) { s.LoadBalancerClass = "example.com/lb" })}, nil, nil},
		{"a narrow source range removes the exposure", []inventory.KubeService{lbService(func(s *inventory.KubeService) { s.SourceRanges = []string{"203.0.113.10/32"} })}, nil, nil},
		{"a broad source range keeps it", []inventory.KubeService{lbService(func(s *inventory.KubeService) { s.SourceRanges = []string{"203.0.113.10/32", "0.0.0.0/0"} })}, nil, []string{"80/tcp"}},
		{"a selector matching no pod exposes nothing", []inventory.KubeService{lbService(func(s *inventory.KubeService) { s.Selector = map[string]string{"app": "api"} })}, nil, nil},
		{"a ClusterIP Service is not exposed", []inventory.KubeService{clusterIP}, nil, nil},
		{"ALB Ingress with scheme internet-facing exposes its backends' pods", []inventory.KubeService{clusterIP},
			[]inventory.KubeIngress{albIngress(map[string]string{annALBScheme: "internet-facing"})}, []string{"80/tcp"}},
		{"ALB Ingress listen ports are the exposed ports", []inventory.KubeService{clusterIP},
			[]inventory.KubeIngress{albIngress(map[string]string{annALBScheme: "internet-facing", annALBListenPorts: `[{"HTTPS": 443}]`})}, []string{"443/tcp"}},
		{"ALB Ingress defaults to internal", []inventory.KubeService{clusterIP}, []inventory.KubeIngress{albIngress(nil)}, nil},
		{"ALB Ingress with scheme internal", []inventory.KubeService{clusterIP}, []inventory.KubeIngress{albIngress(map[string]string{annALBScheme: "internal"})}, nil},
		{"ALB Ingress limited by inbound-cidrs", []inventory.KubeService{clusterIP},
			[]inventory.KubeIngress{albIngress(map[string]string{annALBScheme: "internet-facing", annALBInbound: "198.51.100.0/24"})}, nil},
		{"an Ingress without a class carrying the controller's annotations is the controller's", []inventory.KubeService{clusterIP},
			[]inventory.KubeIngress{{Namespace: "apps", Name: "web", Annotations: map[string]string{annALBScheme: "internet-facing"}, Backends: []string{"web-internal:80"}}}, []string{"80/tcp"}},
		{"an Ingress of another class is not modelled", []inventory.KubeService{clusterIP},
			[]inventory.KubeIngress{{Namespace: "apps", Name: "web", Class: "nginx", Backends: []string{"web-internal:80"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, exposedFixture(tc.services, tc.ingresses), Options{})
			e := findEdge(p, graph.InternetID, "EXPOSED_TO", appID)
			if (e != nil) != (tc.want != nil) {
				t.Fatalf("Internet -> web pods = %+v, want exposed %v", e, tc.want != nil)
			}
			if hasFinding(p, RuleEKSWorkloadExposed, appID) != (tc.want != nil) {
				t.Errorf("exposure finding present = %v", !(tc.want != nil))
			}
			if findEdge(p, graph.InternetID, "EXPOSED_TO", toolsID) != nil {
				t.Error("the unselected tools pods are exposed")
			}
			if e == nil {
				return
			}
			if e.Technique != TechEKSServiceInternet || !slices.Equal(ports(e), tc.want) || len(e.Findings) == 0 {
				t.Errorf("exposure = %s %v findings %v", e.Technique, ports(e), e.Findings)
			}
			if !strings.Contains(strings.Join(e.Evidence, " "), "apps/web") {
				t.Errorf("evidence does not name the Service or Ingress: %v", e.Evidence)
			}
		})
	}
}

func TestEKSNodePortOnAPublicNodeExposesThePods(t *testing.T) {
	tests := []struct {
		name   string
		sgOpen bool
		public bool
		want   bool
	}{
		{"node security group admits the NodePort range from anywhere", true, true, true},
		{"node security group does not admit the NodePort", false, true, false},
		{"node without a public address", true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			np := lbService(func(s *inventory.KubeService) { s.Type = "NodePort" })
			inv := exposedFixture([]inventory.KubeService{np}, nil)
			r := inv.Regional[region]
			if tc.sgOpen {
				r.SecurityGroups[0].Ingress = append(r.SecurityGroups[0].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 30000, ToPort: 32767, CIDRs: []string{"0.0.0.0/0"}})
			}
			if !tc.public {
				r.Instances[0].PublicIP = ""
			}
			p := build(t, inv, Options{})
			e := findEdge(p, graph.InternetID, "EXPOSED_TO", appID)
			if (e != nil) != tc.want {
				t.Fatalf("Internet -> web pods = %+v, want %v", e, tc.want)
			}
			if e != nil && (e.Technique != TechEKSNodePortInternet || !slices.Equal(ports(e), []string{"30080/tcp"})) {
				t.Errorf("exposure = %s %v", e.Technique, ports(e))
			}
		})
	}
}

// TestEKSInventoriedLoadBalancerForwardsToThePods: the Service's load
// balancer (status hostname = its DNS name) is the ELBv2 load balancer of
// the inventory, so the route is Internet -> load balancer -> pods, its
// targets (a node's NodePort, a pod IP) resolved to the selected workload.
func TestEKSInventoriedLoadBalancerForwardsToThePods(t *testing.T) {
	lbARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/net/k8s-apps-web/1"
	tgARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":targetgroup/k8s-apps-web/1"
	tests := []struct {
		name        string
		targetType  string
		targets     []inventory.Target
		scheme      string
		conditional bool
	}{
		{"instance targets on the NodePort land on the pods", "instance", []inventory.Target{{ID: "i-web", Port: 30080}}, "internet-facing", false},
		{"ip targets land on the pod with that IP", "ip", []inventory.Target{{ID: "10.0.1.77", Port: 8080}}, "internet-facing", false},
		{"no targets listed: the controller's forward is conditional", "ip", nil, "internet-facing", true},
		{"internal load balancer: no Internet move", "instance", []inventory.Target{{ID: "i-web", Port: 30080}}, "internal", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sv := lbService(func(s *inventory.KubeService) { s.Hostnames = []string{"k8s-apps-web-1.elb.us-east-1.amazonaws.com"} })
			inv := exposedFixture([]inventory.KubeService{sv}, nil)
			r := inv.Regional[region]
			r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-lb", Name: "lb", VPCID: "vpc-1",
				Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0"}}},
				Egress:  []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}})
			r.SecurityGroups[0].Ingress = append(r.SecurityGroups[0].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: 0, ToPort: 65535, GroupRefs: []inventory.SGRef{{GroupID: "sg-lb"}}})
			r.LoadBalancers = []inventory.LoadBalancer{{ARN: lbARN, Name: "k8s-apps-web", Type: "network", Scheme: tc.scheme, VPCID: "vpc-1",
				DNSName: "K8S-apps-web-1.elb.us-east-1.amazonaws.com", SubnetIDs: []string{"subnet-pub"}, SecurityGroupIDs: []string{"sg-lb"},
				Listeners: []inventory.Listener{{Protocol: "TCP", Port: 80, TargetGroupARNs: []string{tgARN}}}}}
			r.TargetGroups = []inventory.TargetGroup{{ARN: tgARN, Name: "k8s-apps-web", TargetType: tc.targetType, Port: 80, Targets: tc.targets}}
			p := build(t, inv, Options{})
			if e := findEdge(p, graph.InternetID, "EXPOSED_TO", lbARN); (e != nil) != (tc.scheme == "internet-facing") {
				t.Fatalf("Internet -> load balancer = %+v", e)
			}
			fw := findEdge(p, lbARN, "REACHES", appID)
			if fw == nil || fw.Technique != TechELBForward || fw.Conditional != tc.conditional {
				t.Fatalf("load balancer -> pods = %+v", fw)
			}
			if e := findEdge(p, lbARN, "REACHES", webID); e != nil {
				t.Errorf("the NodePort belongs to the pods, yet the node is a forward target: %+v", e)
			}
			if e := findEdge(p, graph.InternetID, "EXPOSED_TO", appID); e != nil {
				t.Errorf("a direct Internet -> pods move besides the load balancer's: %+v", e)
			}
			if hasFinding(p, RuleEKSWorkloadExposed, appID) != (tc.scheme == "internet-facing") {
				t.Errorf("exposure finding for scheme %s wrong", tc.scheme)
			}
		})
	}
}
