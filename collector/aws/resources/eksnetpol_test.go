package resources

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// TestEKSNetworkPoliciesLimitLateralReachIntoPods: an instance in the VPC
// reaches the web pods through their node's security group; a NetworkPolicy
// isolating those pods removes that move where an enforcing engine runs and
// makes it conditional where enforcement is not known or the policy admits
// some peers.
func TestEKSNetworkPoliciesLimitLateralReachIntoPods(t *testing.T) {
	denyWeb := inventory.KubeNetworkPolicy{Namespace: "apps", Name: "web-deny", Ingress: true,
		PodSelector: inventory.KubeLabelSelector{MatchLabels: map[string]string{"app": "web"}}}
	tests := []struct {
		name        string
		policies    []inventory.KubeNetworkPolicy
		engine      string // image of a pod of the cluster
		want        bool
		conditional bool
		evidence    string
		allIsolated bool // the tools pods of the namespace are isolated too
	}{
		{name: "no policy: the move stands", want: true},
		{name: "deny-all under Calico removes it", policies: []inventory.KubeNetworkPolicy{denyWeb}, engine: "docker.io/calico/node:v3.27.0"},
		{name: "deny-all under Cilium removes it", policies: []inventory.KubeNetworkPolicy{denyWeb}, engine: "quay.io/cilium/cilium:v1.15.1"},
		{name: "deny-all without a seen engine makes it conditional", policies: []inventory.KubeNetworkPolicy{denyWeb},
			want: true, conditional: true, evidence: "no network policy engine was seen"},
		{name: "deny-all with the VPC CNI agent (enablement unknown) makes it conditional", policies: []inventory.KubeNetworkPolicy{denyWeb},
			engine: "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.0", want: true, conditional: true, evidence: "enableNetworkPolicy"},
		{name: "a policy with ingress rules makes it conditional", engine: "docker.io/calico/node:v3.27.0",
			policies: []inventory.KubeNetworkPolicy{{Namespace: "apps", Name: "web-from-front", Ingress: true, IngressRules: 1,
				PodSelector: inventory.KubeLabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			want: true, conditional: true, evidence: "web-from-front"},
		{name: "an empty pod selector isolates every pod of the namespace", engine: "docker.io/calico/node:v3.27.0",
			policies: []inventory.KubeNetworkPolicy{{Namespace: "apps", Name: "default-deny", Ingress: true}}, allIsolated: true},
		{name: "a policy selecting other pods leaves it", engine: "docker.io/calico/node:v3.27.0",
			policies: []inventory.KubeNetworkPolicy{{Namespace: "apps", Name: "api-deny", Ingress: true, PodSelector: inventory.KubeLabelSelector{MatchLabels: map[string]string{"app": "api"}}}},
			want:     true},
		{name: "a policy of another namespace leaves it", engine: "docker.io/calico/node:v3.27.0",
			policies: []inventory.KubeNetworkPolicy{{Namespace: "payments", Name: "deny", Ingress: true}}, want: true},
		{name: "an egress-only policy leaves it", engine: "docker.io/calico/node:v3.27.0",
			policies: []inventory.KubeNetworkPolicy{{Namespace: "apps", Name: "egress", PodSelector: denyWeb.PodSelector}}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := exposedFixture(nil, nil)
			r := inv.Regional[region]
			r.Instances = append(r.Instances, inventory.Instance{ID: "i-ops", State: "running", PrivateIP: "10.0.2.20", SubnetID: "subnet-priv", VPCID: "vpc-1",
				SecurityGroupIDs: []string{"sg-db"}})
			ks := r.EKSClusters[0].Kubernetes
			ks.NetworkPolicies = tc.policies
			if tc.engine != "" {
				ks.Pods = append(ks.Pods, inventory.KubePod{Namespace: "kube-system", Name: "engine-x1", NodeName: "ip-10-0-1-10", OwnerKind: "DaemonSet", OwnerName: "engine",
					Containers: []inventory.KubeContainer{{Name: "engine", Image: tc.engine}}})
			}
			p := build(t, inv, Options{})
			ops := arnOf("instance", "i-ops")
			e := findEdge(p, ops, "REACHES", appID)
			if (e != nil) != tc.want {
				t.Fatalf("instance -> web pods = %+v, want %v", e, tc.want)
			}
			if (findEdge(p, ops, "REACHES", toolsID) == nil) != tc.allIsolated {
				t.Errorf("instance -> tools pods present = %v, want %v", !tc.allIsolated, !tc.allIsolated)
			}
			if e == nil {
				return
			}
			if e.Conditional != tc.conditional || !strings.Contains(strings.Join(e.Evidence, " "), tc.evidence) {
				t.Errorf("move = conditional %v, evidence %v; want conditional %v with %q", e.Conditional, e.Evidence, tc.conditional, tc.evidence)
			}
		})
	}
}
