package resources

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// TestEKSPodSecurityAdmissionDecidesTheNodeTakeover: creating pods in a
// namespace yields a privileged pod on a node only where Pod Security
// Admission admits it; a pod-reviewing webhook makes that conditional; the
// namespace's service accounts stay reachable whatever the level.
func TestEKSPodSecurityAdmissionDecidesTheNodeTakeover(t *testing.T) {
	apps := func(labels map[string]string) []inventory.KubeNamespace {
		return []inventory.KubeNamespace{{Name: "apps", Labels: labels}, {Name: "default"}}
	}
	policyEngine := inventory.KubeWebhook{Configuration: "kyverno-resource-validating-webhook-cfg", Name: "validate.kyverno.svc-fail", FailurePolicy: "Fail"}
	tests := []struct {
		name        string
		read        bool
		namespaces  []inventory.KubeNamespace
		webhooks    []inventory.KubeWebhook
		want        bool
		conditional bool
		evidence    string
	}{
		{name: "namespaces not read: assumed privileged", want: true, evidence: "not read"},
		{name: "no enforce label: privileged", read: true, namespaces: apps(nil), want: true, evidence: "no pod-security.kubernetes.io/enforce label"},
		{name: "enforce=privileged admits it", read: true, namespaces: apps(map[string]string{psaEnforceLabel: "privileged"}), want: true},
		{name: "enforce=baseline refuses it", read: true, namespaces: apps(map[string]string{psaEnforceLabel: "baseline"})},
		{name: "enforce=restricted refuses it", read: true, namespaces: apps(map[string]string{psaEnforceLabel: "restricted"})},
		{name: "warn=restricted alone refuses nothing", read: true, namespaces: apps(map[string]string{"pod-security.kubernetes.io/warn": "restricted"}), want: true},
		{name: "a pod webhook on every namespace makes it conditional", read: true, namespaces: apps(nil), webhooks: []inventory.KubeWebhook{policyEngine},
			want: true, conditional: true, evidence: "kyverno-resource-validating-webhook-cfg"},
		{name: "a webhook whose namespace selector excludes the namespace does not", read: true, namespaces: apps(nil),
			webhooks: []inventory.KubeWebhook{{Configuration: "gatekeeper", Name: "check", NamespaceSelector: &inventory.KubeLabelSelector{
				MatchExpressions: []inventory.KubeSelectorCondition{{Key: "kubernetes.io/metadata.name", Operator: "In", Values: []string{"payments"}}}}}},
			want: true},
		{name: "a webhook selecting the namespace by its labels does", read: true, namespaces: apps(map[string]string{"policy": "enforced"}),
			webhooks: []inventory.KubeWebhook{{Configuration: "gatekeeper", Name: "check", NamespaceSelector: &inventory.KubeLabelSelector{MatchLabels: map[string]string{"policy": "enforced"}}}},
			want:     true, conditional: true, evidence: "gatekeeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := eksFixture(inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}})
			c := &inv.Regional[region].EKSClusters[0]
			c.AccessEntries = []inventory.EKSAccessEntry{{PrincipalARN: adminRole,
				Policies: []inventory.EKSAccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", ScopeType: "namespace", Namespaces: []string{"apps"}}}}}
			c.Kubernetes.NamespacesRead, c.Kubernetes.Namespaces, c.Kubernetes.Webhooks = tc.read, tc.namespaces, tc.webhooks
			p := build(t, inv, Options{})
			if findEdge(p, adminRole, "ESCALATES_TO", appsHubID) == nil {
				t.Fatal("principal -> namespace control missing")
			}
			e := findEdge(p, appsHubID, "ESCALATES_TO", webID)
			if (e != nil) != tc.want {
				t.Fatalf("namespace control -> node = %+v, want %v", e, tc.want)
			}
			if h := findEdge(p, appsHubID, "ESCALATES_TO", toolsID); h == nil || h.Technique != TechEKSRunAsServiceAccount {
				t.Errorf("namespace control -> its service accounts' workload = %+v", h)
			}
			if e == nil {
				return
			}
			if e.Conditional != tc.conditional {
				t.Errorf("conditional = %v, want %v", e.Conditional, tc.conditional)
			}
			if !strings.Contains(strings.Join(e.Evidence, " "), tc.evidence) {
				t.Errorf("evidence %q lacks %q", e.Evidence, tc.evidence)
			}
		})
	}
}

// TestEKSClusterWideCreatorPicksTheUnrestrictedNamespace: a cluster-wide
// pod creator is not stopped by a restricted namespace when another
// namespace (even one where nothing runs) admits privileged pods.
func TestEKSClusterWideCreatorPicksTheUnrestrictedNamespace(t *testing.T) {
	inv := eksFixture(inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}})
	c := &inv.Regional[region].EKSClusters[0]
	c.AccessEntries = []inventory.EKSAccessEntry{{PrincipalARN: adminRole,
		Policies: []inventory.EKSAccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", ScopeType: "cluster"}}}}
	c.Kubernetes.NamespacesRead = true
	c.Kubernetes.Namespaces = []inventory.KubeNamespace{{Name: "apps", Labels: map[string]string{psaEnforceLabel: "restricted"}}, {Name: "scratch"}}
	p := build(t, inv, Options{})
	if e := findEdge(p, appsHubID, "ESCALATES_TO", webID); e != nil {
		t.Errorf("restricted namespace still yields a privileged pod: %+v", e)
	}
	scratch := namespaceControlID(eksARN, "scratch")
	if findEdge(p, adminRole, "ESCALATES_TO", scratch) == nil || findEdge(p, scratch, "ESCALATES_TO", webID) == nil {
		t.Error("the cluster-wide creator does not reach the node through the unlabelled namespace")
	}
}
