package fetch

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/breachpath/breachpath/collector/aws/fetch/kubetest"
	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// kubeObjects is a small cluster in the API's own shapes.
func kubeObjects() *kubetest.Objects {
	return &kubetest.Objects{
		Pods: []map[string]any{
			kubetest.Pod(kubetest.PodSpec{Namespace: "apps", Name: "web-5d8f9-abcde", Node: "ip-10-0-1-10.ec2.internal", ServiceAccount: "web", Owner: "ReplicaSet/web-5d8f9",
				Labels: map[string]string{"app": "web"}, IP: "10.0.1.21",
				Containers: []kubetest.Container{{Name: "app", Image: "nginx", Privileged: true, HostPaths: []string{"/var/run/containerd/containerd.sock"}}}}),
			kubetest.Pod(kubetest.PodSpec{Namespace: "kube-system", Name: "aws-node-x1", Node: "ip-10-0-1-10.ec2.internal", ServiceAccount: "aws-node", Owner: "DaemonSet/aws-node",
				HostNetwork: true, Containers: []kubetest.Container{{Name: "aws-node", Image: "amazon-k8s-cni", Capabilities: []string{"NET_ADMIN"}}}}),
			kubetest.Pod(kubetest.PodSpec{Namespace: "apps", Name: "debug", Node: "ip-10-0-1-10.ec2.internal", HostPID: true,
				Containers: []kubetest.Container{{Name: "sh", Image: "busybox"}}}),
		},
		ServiceAccounts: []map[string]any{
			kubetest.ServiceAccount("apps", "web", "arn:aws:iam::123456789012:role/uploader"),
			kubetest.ServiceAccount("apps", "default", ""),
		},
		Nodes:        []map[string]any{kubetest.Node("ip-10-0-1-10.ec2.internal", "us-east-1a", "i-0abc")},
		ClusterRoles: []map[string]any{kubetest.Role("", "deployer", kubetest.Rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}})},
		RoleBindings: []map[string]any{kubetest.Binding("apps", "web-deploys", "ClusterRole/deployer", kubetest.Subject{Kind: "ServiceAccount", Name: "web"})},
		ConfigMaps: map[string]map[string]any{"kube-system/aws-auth": kubetest.AWSAuth(
			"- rolearn: arn:aws:iam::123456789012:role/ops\n  username: ops\n  groups:\n    - system:masters\n")},
		Services: []map[string]any{kubetest.Service(kubetest.ServiceSpec{Namespace: "apps", Name: "web", Type: "LoadBalancer", Selector: map[string]string{"app": "web"},
			Ports:        []kubetest.ServicePort{{Port: 80, NodePort: 30080, TargetPort: "http"}},
			Annotations:  map[string]string{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing", "example.com/api-token": "tok-4242"},
			SourceRanges: []string{"0.0.0.0/0"}, Hostname: "k8s-apps-web-0123.elb.us-east-1.amazonaws.com"})},
		Ingresses: []map[string]any{kubetest.Ingress(kubetest.IngressSpec{Namespace: "apps", Name: "web", Class: "alb",
			Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": "internet-facing"}, Backends: []string{"web:80", "api:http"}})},
		Namespaces: []map[string]any{kubetest.Namespace("apps", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}), kubetest.Namespace("default", nil)},
		ValidatingWebhookConfigurations: []map[string]any{kubetest.PodWebhook("kyverno", map[string]string{"policy": "on"}),
			{"metadata": map[string]any{"name": "ingress-only"}, "webhooks": []any{map[string]any{"name": "ing.example", "rules": []any{
				map[string]any{"apiGroups": []any{"networking.k8s.io"}, "operations": []any{"CREATE"}, "resources": []any{"ingresses"}}}}}}},
		NetworkPolicies: []map[string]any{kubetest.NetworkPolicy("apps", "web-deny", map[string]string{"app": "web"}, nil)},
	}
}

// checkKubeNetAndAdmission asserts what the cluster's Services, Ingresses,
// Namespaces, webhooks and NetworkPolicies were read as.
func checkKubeNetAndAdmission(t *testing.T, ks *inventory.KubeState) {
	t.Helper()
	wantSvc := inventory.KubeService{Namespace: "apps", Name: "web", Type: "LoadBalancer", Selector: map[string]string{"app": "web"},
		Ports:        []inventory.KubeServicePort{{Protocol: "TCP", Port: 80, NodePort: 30080, TargetPort: "http"}},
		SourceRanges: []string{"0.0.0.0/0"}, Annotations: map[string]string{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
		Hostnames: []string{"k8s-apps-web-0123.elb.us-east-1.amazonaws.com"}}
	if len(ks.Services) != 1 || mustJSON(t, ks.Services[0]) != mustJSON(t, wantSvc) {
		t.Errorf("services = %s\nwant %s", mustJSON(t, ks.Services), mustJSON(t, wantSvc))
	}
	wantIng := inventory.KubeIngress{Namespace: "apps", Name: "web", Class: "alb", Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": "internet-facing"},
		Backends: []string{"web:80", "api:http"}}
	if len(ks.Ingresses) != 1 || mustJSON(t, ks.Ingresses[0]) != mustJSON(t, wantIng) {
		t.Errorf("ingresses = %s\nwant %s", mustJSON(t, ks.Ingresses), mustJSON(t, wantIng))
	}
	if !ks.NamespacesRead || len(ks.Namespaces) != 2 || ks.Namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespaces = %+v (read %v)", ks.Namespaces, ks.NamespacesRead)
	}
	if len(ks.Webhooks) != 1 || ks.Webhooks[0].Configuration != "kyverno" || ks.Webhooks[0].NamespaceSelector == nil ||
		ks.Webhooks[0].NamespaceSelector.MatchLabels["policy"] != "on" {
		t.Errorf("pod webhooks = %+v (only the one reviewing pod creation)", ks.Webhooks)
	}
	if len(ks.NetworkPolicies) != 1 || !ks.NetworkPolicies[0].Ingress || ks.NetworkPolicies[0].IngressRules != 0 ||
		ks.NetworkPolicies[0].PodSelector.MatchLabels["app"] != "web" {
		t.Errorf("network policies = %+v", ks.NetworkPolicies)
	}
	if ks.Pods[0].IP != "10.0.1.21" || ks.Pods[0].Labels["app"] != "web" {
		t.Errorf("pod IP or labels lost: %+v", ks.Pods[0])
	}
	if strings.Contains(mustJSON(t, ks), "tok-4242") {
		t.Error("an application annotation's value was kept")
	}
}

// seedEKS creates the cluster and a node group in moto.
func seedEKS(t *testing.T, cfg aws.Config, endpoint string) {
	ctx := testContext(t)
	cfg = cfg.Copy()
	cfg.BaseEndpoint = aws.String(endpoint)
	e2 := ec2.NewFromConfig(cfg)
	vpc := must[*ec2.CreateVpcOutput](t, "vpc")(e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}))
	sub := must[*ec2.CreateSubnetOutput](t, "subnet")(e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")}))
	c := eks.NewFromConfig(cfg)
	must[*eks.CreateClusterOutput](t, "cluster")(c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("prod"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/eks-cluster"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{*sub.Subnet.SubnetId}}}))
	must[*eks.CreateNodegroupOutput](t, "nodegroup")(c.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String("prod"), NodegroupName: aws.String("workers"),
		NodeRole: aws.String("arn:aws:iam::123456789012:role/eks-node"), Subnets: []string{*sub.Subnet.SubnetId}}))
}

func TestEKSCollectsNodeGroupsAndTheKubernetesAPI(t *testing.T) {
	ep := motoEndpoint(t)
	seedEKS(t, testConfig("AKIAIOSFODNN7EXAMPLE"), ep)
	srv := kubetest.Start(t, kubeObjects())
	srv.PageSize = 1 // every list takes several pages
	inv := collectMoto(t, ep, Options{Services: []string{ServiceEKS}, Kubernetes: true,
		KubeEndpoints: map[string]KubeEndpoint{"prod": {URL: srv.URL, CAPEM: srv.CAPEM}}})
	if f, failed := failedArea(inv, ServiceEKS, "us-east-1"); failed {
		t.Fatalf("eks area failed: %+v", f)
	}
	cls := inv.Regional["us-east-1"].EKSClusters
	if len(cls) != 1 {
		t.Fatalf("clusters = %+v", cls)
	}
	c := cls[0]
	if !strings.HasPrefix(c.OIDCIssuer, "https://oidc.eks.us-east-1.amazonaws.com/id/") {
		t.Errorf("OIDC issuer = %q", c.OIDCIssuer)
	}
	if len(c.NodeGroups) != 1 || c.NodeGroups[0].NodeRoleARN != "arn:aws:iam::123456789012:role/eks-node" {
		t.Errorf("node groups = %+v", c.NodeGroups)
	}
	t.Logf("not offered by this endpoint: %v", c.Unavailable)
	ks := c.Kubernetes
	if ks == nil || len(ks.Errors) > 0 {
		t.Fatalf("kubernetes = %+v", ks)
	}
	if len(ks.Pods) != 3 || len(ks.ServiceAccounts) != 2 || len(ks.Nodes) != 1 || len(ks.ClusterRoles) != 1 || len(ks.RoleBindings) != 1 {
		t.Fatalf("lists not read whole across pages: %d pods, %d sas, %d nodes, %d clusterroles, %d rolebindings",
			len(ks.Pods), len(ks.ServiceAccounts), len(ks.Nodes), len(ks.ClusterRoles), len(ks.RoleBindings))
	}
	web := ks.Pods[0]
	want := inventory.KubePod{Namespace: "apps", Name: "web-5d8f9-abcde", NodeName: "ip-10-0-1-10.ec2.internal", ServiceAccount: "web", Phase: "Running",
		Labels: map[string]string{"app": "web"}, IP: "10.0.1.21",
		OwnerKind: "ReplicaSet", OwnerName: "web-5d8f9", HostPaths: []string{"/var/run/containerd/containerd.sock"},
		Containers: []inventory.KubeContainer{{Name: "app", Image: "nginx", Privileged: true}}}
	if mustJSON(t, web) != mustJSON(t, want) {
		t.Errorf("pod = %s\nwant %s", mustJSON(t, web), mustJSON(t, want))
	}
	if !ks.Pods[1].HostNetwork || !slices.Equal(ks.Pods[1].Containers[0].Capabilities, []string{"NET_ADMIN"}) || !ks.Pods[2].HostPID {
		t.Errorf("host namespaces / capabilities lost: %+v", ks.Pods[1:])
	}
	if ks.ServiceAccounts[0].RoleARN != "arn:aws:iam::123456789012:role/uploader" || ks.Nodes[0].InstanceID != "i-0abc" {
		t.Errorf("IRSA annotation or node instance lost: %+v %+v", ks.ServiceAccounts, ks.Nodes)
	}
	if b := ks.RoleBindings[0]; b.RoleKind != "ClusterRole" || b.RoleName != "deployer" || b.Subjects[0].Kind != "ServiceAccount" {
		t.Errorf("binding = %+v", b)
	}
	if a := ks.AWSAuth; a == nil || len(a.Roles) != 1 || a.Roles[0].ARN != "arn:aws:iam::123456789012:role/ops" || !slices.Equal(a.Roles[0].Groups, []string{"system:masters"}) {
		t.Errorf("aws-auth = %+v", ks.AWSAuth)
	}
	checkKubeNetAndAdmission(t, ks)
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") || strings.Contains(r, "secrets") {
			t.Errorf("the collector asked %q: only reads, never Secrets", r)
		}
	}
	for _, p := range KubeReads {
		if !slices.ContainsFunc(srv.Requests(), func(r string) bool { return r == "GET "+p }) {
			t.Errorf("%s was not read", p)
		}
	}
}

func TestEKSKubernetesReadIsOptInAndFailuresAreRecorded(t *testing.T) {
	ep := motoEndpoint(t)
	seedEKS(t, testConfig("AKIAIOSFODNN7EXAMPLE"), ep)
	srv := kubetest.Start(t, kubeObjects())

	inv := collectMoto(t, ep, Options{Services: []string{ServiceEKS}, KubeEndpoints: map[string]KubeEndpoint{"prod": {URL: srv.URL, CAPEM: srv.CAPEM}}})
	if c := inv.Regional["us-east-1"].EKSClusters[0]; c.Kubernetes != nil || len(srv.Requests()) != 0 {
		t.Fatalf("without Kubernetes the API was read: %+v, %v", c.Kubernetes, srv.Requests())
	}

	// A certificate the cluster's CA did not sign: nothing is read, and the
	// area says so instead of reporting an empty cluster.
	inv = collectMoto(t, ep, Options{Services: []string{ServiceEKS}, Kubernetes: true,
		KubeEndpoints: map[string]KubeEndpoint{"prod": {URL: srv.URL, CAPEM: kubetest.OtherCAPEM(t)}}})
	f, failed := failedArea(inv, ServiceEKS+"/kubernetes", "us-east-1")
	if !failed || !strings.Contains(f.Error, "certificate") {
		t.Fatalf("TLS failure not recorded: %+v in %+v", f, inv.Coverage.Failed)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("requests reached a server with an untrusted certificate: %v", srv.Requests())
	}
}

func TestParseKubeExportKeepsOnlyTheKindsItReads(t *testing.T) {
	objs := kubeObjects()
	withKind := func(kind string, m map[string]any) map[string]any {
		out := map[string]any{"apiVersion": "v1", "kind": kind}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	items := []any{withKind("Pod", objs.Pods[0]), withKind("ServiceAccount", objs.ServiceAccounts[0]), withKind("Node", objs.Nodes[0]),
		withKind("ClusterRole", objs.ClusterRoles[0]), withKind("RoleBinding", objs.RoleBindings[0]),
		withKind("Service", objs.Services[0]), withKind("Ingress", objs.Ingresses[0]), withKind("Namespace", objs.Namespaces[0]), withKind("Namespace", objs.Namespaces[1]),
		withKind("ValidatingWebhookConfiguration", objs.ValidatingWebhookConfigurations[0]), withKind("ValidatingWebhookConfiguration", objs.ValidatingWebhookConfigurations[1]),
		withKind("NetworkPolicy", objs.NetworkPolicies[0]),
		map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "apps"}, "data": map[string]any{"password": "c2VjcmV0LXZhbHVlLTQyNDI="}},
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "app-config", "namespace": "apps"}, "data": map[string]any{"DB_PASSWORD": "plain-value-4242"}}}
	list := mustJSON(t, map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	ks := &inventory.KubeState{}
	if err := ParseKubeExport([]byte(list), ks); err != nil {
		t.Fatal(err)
	}
	if err := ParseKubeExport([]byte(mustJSON(t, objs.ConfigMaps["kube-system/aws-auth"])), ks); err != nil {
		t.Fatal(err)
	}
	if len(ks.Pods) != 1 || len(ks.ServiceAccounts) != 1 || len(ks.Nodes) != 1 || len(ks.ClusterRoles) != 1 || len(ks.RoleBindings) != 1 || ks.AWSAuth == nil {
		t.Fatalf("export not read: %+v", ks)
	}
	checkKubeNetAndAdmission(t, ks)
	if out := mustJSON(t, ks); strings.Contains(out, "4242") || strings.Contains(out, "c2VjcmV0") {
		t.Errorf("a Secret or ConfigMap value was kept: %s", out)
	}
	dup := `{"kind":"Pod","metadata":{"name":"a","namespace":"x"},"spec":{"hostPID":true,"hostPID":false}}`
	if err := ParseKubeExport([]byte(dup), &inventory.KubeState{}); err == nil {
		t.Error("a duplicate key was accepted")
	}
}
