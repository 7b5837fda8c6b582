package labs

import (
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/fetch/kubetest"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
)

// The EKS gaps closed after issue 14: pods exposed to the Internet by
// Services and Ingresses (through their load balancer when it is
// inventoried), and Pod Security Admission deciding whether creating pods
// takes a node.
func init() {
	// healthCheck is Kubernetes Goat's DIND scenario workload: a web app with
	// a command injection that mounts the node's containerd socket.
	healthCheck := func(node string) map[string]any {
		return kubetest.Pod(kubetest.PodSpec{Namespace: "default", Name: "health-check-7d9c8b6f5-q4w2e", Owner: "ReplicaSet/health-check-7d9c8b6f5",
			Node: node, ServiceAccount: "default", Labels: map[string]string{"app": "health-check"}, IP: "10.60.1.31",
			Containers: []kubetest.Container{{Name: "health-check", Image: "madhuakula/k8s-goat-health-check", HostPaths: []string{"/run/containerd/containerd.sock"}}}})
	}
	// either is a when the lab runs, b in its one-change variant.
	either := func(variant bool, a, b string) string {
		if variant {
			return b
		}
		return a
	}
	labs = append(labs,
		lab{
			name: "kubernetes-goat/dind-health-check-exposed-by-a-load-balancer-service",
			source: "Kubernetes Goat \"DIND (docker-in-docker) exploitation\" (scenario guide): the health-check web app has a command injection " +
				"and mounts the node's containerd socket, so a shell in it drives the node's runtime; here the app is published on EKS by a " +
				"LoadBalancer Service of the AWS Load Balancer Controller (scheme internet-facing; the load balancer itself is not collected), " +
				"and root on the node takes the node role from IMDS",
			services: []string{fetch.ServiceEC2, fetch.ServiceEKS, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				b, role, node, cluster := nodeCluster(e, "goat-dind", e.vpc("10.60.0.0/16", "10.60.1.0/24", false, ""), 1)
				scheme := either(variant, "internet-facing", "internal") // the variant: the controller makes an internal load balancer
				nodeName := "ip-10-60-1-10.ec2.internal"
				e.kubeObjects("goat-dind", &kubetest.Objects{
					Nodes: []map[string]any{kubetest.Node(nodeName, region+"a", instanceID(node))},
					Pods:  []map[string]any{healthCheck(nodeName)},
					Services: []map[string]any{kubetest.Service(kubetest.ServiceSpec{Namespace: "default", Name: "health-check", Type: "LoadBalancer",
						Selector: map[string]string{"app": "health-check"}, Ports: []kubetest.ServicePort{{Port: 80, NodePort: 31231, TargetPort: 80}},
						Annotations: map[string]string{"service.beta.kubernetes.io/aws-load-balancer-type": "external",
							"service.beta.kubernetes.io/aws-load-balancer-scheme": scheme}})},
				})
				app := resources.WorkloadID(cluster, "default", "Deployment", "health-check")
				return route{from: graph.InternetID, via: []string{app, node, role, b}}
			},
		},
		lab{
			name: "kubernetes-goat/dind-health-check-behind-an-inventoried-nlb",
			source: "Kubernetes Goat \"DIND (docker-in-docker) exploitation\" (scenario guide) published by an in-tree NLB Service: the network " +
				"load balancer (collected, status hostname = its DNS name) forwards its listener to the nodes' NodePort, which the nodes' " +
				"security group opens to the Service's loadBalancerSourceRanges (the in-tree provider writes them there); the NodePort " +
				"lands in the health-check pods, which mount the containerd socket",
			services: []string{fetch.ServiceEC2, fetch.ServiceELB, fetch.ServiceEKS, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				ranges := either(variant, "0.0.0.0/0", "203.0.113.0/24") // the variant: loadBalancerSourceRanges is the office range only
				n := e.vpc("10.61.0.0/16", "10.61.1.0/24", true, ranges, 31231)
				b, role, node, cluster := nodeCluster(e, "goat-nlb", n, 1)
				lb, dns := e.nodePortNLB("k8s-default-healthch", n, node, 80, 31231)
				nodeName := "ip-10-61-1-10.ec2.internal"
				e.kubeObjects("goat-nlb", &kubetest.Objects{
					Nodes: []map[string]any{kubetest.Node(nodeName, region+"a", instanceID(node))},
					Pods:  []map[string]any{healthCheck(nodeName)},
					Services: []map[string]any{kubetest.Service(kubetest.ServiceSpec{Namespace: "default", Name: "health-check", Type: "LoadBalancer",
						Selector: map[string]string{"app": "health-check"}, Ports: []kubetest.ServicePort{{Port: 80, NodePort: 31231, TargetPort: 80}},
						Annotations: map[string]string{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}, SourceRanges: []string{ranges}, Hostname: dns})},
				})
				app := resources.WorkloadID(cluster, "default", "Deployment", "health-check")
				return route{from: graph.InternetID, via: []string{lb, app, node, role, b}}
			},
		},
		lab{
			name: "datadog-security-labs/eks-ssrf-behind-an-alb-ingress-to-node-role",
			source: "Datadog Security Labs \"Attacking and securing cloud identities in managed Kubernetes, part 1: Amazon EKS\" (exploiting SSRF " +
				"in an EKS environment): a web application with a server-side request forgery, published through an ALB Ingress " +
				"(alb.ingress.kubernetes.io/scheme: internet-facing), asks the node's instance metadata service for the node role's " +
				"credentials (IMDSv2 with a hop limit of 2 answers pods), and the node role reads the data bucket",
			services: []string{fetch.ServiceEC2, fetch.ServiceEKS, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				b, role, node, cluster := nodeCluster(e, "dd-ssrf", e.vpc("10.62.0.0/16", "10.62.1.0/24", false, ""), 2)
				scheme := either(variant, "internet-facing", "internal")
				nodeName := "ip-10-62-1-10.ec2.internal"
				e.kubeObjects("dd-ssrf", &kubetest.Objects{
					Nodes: []map[string]any{kubetest.Node(nodeName, region+"a", instanceID(node))},
					Pods: []map[string]any{kubetest.Pod(kubetest.PodSpec{Namespace: "web", Name: "ssrf-app-6b7c9d8f4-k2m3n", Owner: "ReplicaSet/ssrf-app-6b7c9d8f4",
						Node: nodeName, ServiceAccount: "default", Labels: map[string]string{"app": "ssrf-app"}, IP: "10.62.1.40",
						Containers: []kubetest.Container{{Name: "app", Image: "example/ssrf-app"}}})},
					Services: []map[string]any{kubetest.Service(kubetest.ServiceSpec{Namespace: "web", Name: "ssrf-app", Type: "ClusterIP",
						Selector: map[string]string{"app": "ssrf-app"}, Ports: []kubetest.ServicePort{{Port: 80, TargetPort: 8080}}})},
					Ingresses: []map[string]any{kubetest.Ingress(kubetest.IngressSpec{Namespace: "web", Name: "ssrf-app", Class: "alb",
						Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": scheme, "alb.ingress.kubernetes.io/target-type": "ip"},
						Backends:    []string{"ssrf-app:80"}})},
				})
				app := resources.WorkloadID(cluster, "web", "Deployment", "ssrf-app")
				return route{from: graph.InternetID, via: []string{app, role, b}}
			},
		},
		lab{
			name: "bishopfox-badpods/everything-allowed-pod-from-a-ci-service-account",
			source: "Bishop Fox \"Bad Pods: Kubernetes Pod Privilege Escalation\" (everything-allowed pod): whoever may create pods in a namespace " +
				"that admits them schedules a privileged pod with the node's / mounted on the node of its choice; here a CI runner's service " +
				"account may create pods in its namespace, and the node role reads the artifacts bucket",
			services: []string{fetch.ServiceEC2, fetch.ServiceEKS, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				b, role, node, cluster := nodeCluster(e, "badpods", e.vpc("10.63.0.0/16", "10.63.1.0/24", false, ""), 1)
				var labels map[string]string
				if variant { // Pod Security Admission refuses privileged and hostPath pods there
					labels = map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
				}
				nodeName := "ip-10-63-1-10.ec2.internal"
				e.kubeObjects("badpods", &kubetest.Objects{
					Nodes: []map[string]any{kubetest.Node(nodeName, region+"a", instanceID(node))},
					Pods: []map[string]any{kubetest.Pod(kubetest.PodSpec{Namespace: "ci", Name: "runner-5f6d7c8b9-r8t9y", Owner: "ReplicaSet/runner-5f6d7c8b9",
						Node: nodeName, ServiceAccount: "runner", Containers: []kubetest.Container{{Name: "runner", Image: "example/ci-runner"}}})},
					ServiceAccounts: []map[string]any{kubetest.ServiceAccount("ci", "runner", "")},
					Namespaces:      []map[string]any{kubetest.Namespace("ci", labels), kubetest.Namespace("default", nil)},
					Roles: []map[string]any{kubetest.Role("ci", "pod-runner",
						kubetest.Rule{Verbs: []string{"get", "list", "create", "delete"}, APIGroups: []string{""}, Resources: []string{"pods"}})},
					RoleBindings: []map[string]any{kubetest.Binding("ci", "runner-pods", "Role/pod-runner",
						kubetest.Subject{Kind: "ServiceAccount", Name: "runner", Namespace: "ci"})},
				})
				runner := resources.WorkloadID(cluster, "ci", "Deployment", "runner")
				return route{from: runner, via: []string{cluster + "#namespace/ci", node, role, b}}
			},
		},
	)
}

// nodePortNLB creates a network load balancer (no security groups, as the
// in-tree provider makes it) in the network's subnet and a second one, with
// a listener on port forwarding to the instance's NodePort, and returns its
// ARN and DNS name.
func (e *estate) nodePortNLB(name string, n network, instance string, port, nodePort int32) (arn, dns string) {
	c := elbv2.NewFromConfig(e.cfg)
	sub2, err := e.ec2().CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: s(n.vpc), CidrBlock: s(n.second), AvailabilityZone: s(region + "b")})
	e.check("second subnet", err)
	if n.rt != "" {
		_, err = e.ec2().AssociateRouteTable(e.ctx, &ec2.AssociateRouteTableInput{RouteTableId: s(n.rt), SubnetId: sub2.Subnet.SubnetId})
		e.check("associate second subnet", err)
	}
	lb, err := c.CreateLoadBalancer(e.ctx, &elbv2.CreateLoadBalancerInput{Name: s(name), Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing,
		Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{n.subnet, *sub2.Subnet.SubnetId}})
	e.check("network load balancer", err)
	tg, err := c.CreateTargetGroup(e.ctx, &elbv2.CreateTargetGroupInput{Name: s(name + "-tg"), Protocol: elbtypes.ProtocolEnumTcp, Port: sdkaws.Int32(nodePort),
		VpcId: s(n.vpc), TargetType: elbtypes.TargetTypeEnumInstance})
	e.check("target group", err)
	tgARN := tg.TargetGroups[0].TargetGroupArn
	_, err = c.RegisterTargets(e.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: []elbtypes.TargetDescription{{Id: s(instanceID(instance)), Port: sdkaws.Int32(nodePort)}}})
	e.check("register target", err)
	_, err = c.CreateListener(e.ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumTcp,
		Port: sdkaws.Int32(port), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}})
	e.check("listener", err)
	return *lb.LoadBalancers[0].LoadBalancerArn, *lb.LoadBalancers[0].DNSName
}
