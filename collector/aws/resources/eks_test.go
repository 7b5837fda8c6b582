package resources

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

var (
	eksARN     = "arn:aws:eks:" + region + ":" + acct + ":cluster/prod"
	eksIssuer  = "https://oidc.eks." + region + ".amazonaws.com/id/ABC123"
	irsaRole   = "arn:aws:iam::" + acct + ":role/uploader"
	adminRole  = "arn:aws:iam::" + acct + ":role/platform-admin"
	podIDRole  = "arn:aws:iam::" + acct + ":role/reporting"
	appID      = WorkloadID(eksARN, "apps", "Deployment", "web")
	toolsID    = WorkloadID(eksARN, "apps", "Deployment", "tools")
	appsHubID  = namespaceControlID(eksARN, "apps")
	eksOIDCARN = "arn:aws:iam::" + acct + ":oidc-provider/oidc.eks." + region + ".amazonaws.com/id/ABC123"
)

// eksFixture runs an EKS cluster whose one node is the web instance, with a
// "web" deployment (pod as given) and a plain "tools" deployment in the
// apps namespace.
func eksFixture(web inventory.KubePod) *inventory.Inventory {
	inv := fixture()
	r := inv.Regional[region]
	web.Namespace, web.Name, web.NodeName, web.OwnerKind, web.OwnerName = "apps", "web-5d8f9-abcde", "ip-10-0-1-10", "ReplicaSet", "web-5d8f9"
	if web.ServiceAccount == "" {
		web.ServiceAccount = "web"
	}
	tools := inventory.KubePod{Namespace: "apps", Name: "tools-77c4-xyz12", NodeName: "ip-10-0-1-10", OwnerKind: "ReplicaSet", OwnerName: "tools-77c4",
		ServiceAccount: "tools", Containers: []inventory.KubeContainer{{Name: "tools", Image: "busybox"}}}
	r.EKSClusters = []inventory.EKSCluster{{Name: "prod", ARN: eksARN, OIDCIssuer: eksIssuer, VPCID: "vpc-1", SubnetIDs: []string{"subnet-priv"},
		Kubernetes: &inventory.KubeState{
			Nodes:           []inventory.KubeNode{{Name: "ip-10-0-1-10", ProviderID: "aws:///us-east-1a/i-web", InstanceID: "i-web"}},
			Pods:            []inventory.KubePod{web, tools},
			ServiceAccounts: []inventory.KubeServiceAccount{{Namespace: "apps", Name: "web"}, {Namespace: "apps", Name: "tools", RoleARN: irsaRole}},
		}}}
	return inv
}

func irsaTrust(sub string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + eksOIDCARN + `"},"Action":"sts:AssumeRoleWithWebIdentity",` +
		`"Condition":{"StringLike":{"oidc.eks.` + region + `.amazonaws.com/id/ABC123:sub":"` + sub + `"},"StringEquals":{"oidc.eks.` + region + `.amazonaws.com/id/ABC123:aud":"sts.amazonaws.com"}}}]}`
}

func TestEKSPodEscapesToItsNode(t *testing.T) {
	tests := []struct {
		name       string
		pod        inventory.KubePod
		wantEscape bool
	}{
		{"privileged container escapes to its node", inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app", Privileged: true}}}, true},
		{"Docker socket mount escapes", inventory.KubePod{HostPaths: []string{"/var/run/docker.sock"}, Containers: []inventory.KubeContainer{{Name: "app"}}}, true},
		{"containerd socket mount escapes", inventory.KubePod{HostPaths: []string{"/var/run/containerd/containerd.sock"}, Containers: []inventory.KubeContainer{{Name: "app"}}}, true},
		{"node root mount escapes", inventory.KubePod{HostPaths: []string{"/"}, Containers: []inventory.KubeContainer{{Name: "app"}}}, true},
		{"/etc mount escapes", inventory.KubePod{HostPaths: []string{"/etc/"}, Containers: []inventory.KubeContainer{{Name: "app"}}}, true},
		{"hostPID escapes", inventory.KubePod{HostPID: true, Containers: []inventory.KubeContainer{{Name: "app"}}}, true},
		{"SYS_ADMIN capability escapes", inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app", Capabilities: []string{"SYS_ADMIN"}}}}, true},
		{"data directory mount does not", inventory.KubePod{HostPaths: []string{"/data/cache"}, Containers: []inventory.KubeContainer{{Name: "app"}}}, false},
		{"NET_BIND_SERVICE does not", inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app", Capabilities: []string{"NET_BIND_SERVICE"}}}}, false},
		{"plain pod does not", inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, eksFixture(tc.pod), Options{})
			e := findEdge(p, appID, "ESCALATES_TO", webID)
			if (e != nil) != tc.wantEscape {
				t.Fatalf("pod -> node = %+v, want %v", e, tc.wantEscape)
			}
			if hasFinding(p, RuleEKSPodHostAccess, appID) != tc.wantEscape {
				t.Errorf("host-access finding present = %v, want %v", !tc.wantEscape, tc.wantEscape)
			}
			if findEdge(p, eksARN, "CONTAINS", webID) == nil || findEdge(p, webID, "CONTAINS", appID) == nil {
				t.Error("cluster -> node -> workload facts missing")
			}
			if !tc.wantEscape {
				return
			}
			if e.Technique != TechEKSPodEscape || len(e.Findings) == 0 {
				t.Errorf("escape edge = %+v", e)
			}
			// Root on the node holds the co-located tools pod and its IRSA role.
			if h := findEdge(p, webID, "ESCALATES_TO", toolsID); h == nil || h.Technique != TechEKSNodeControlsPods {
				t.Errorf("node -> co-located workload = %+v", h)
			}
		})
	}
}

func TestEKSPodsShareTheNodesNetworkAndIMDS(t *testing.T) {
	tests := []struct {
		name        string
		tokens      string
		hops        int32
		hostNetwork bool
		wantIMDS    bool
	}{
		{"IMDSv1 answers the pod", "optional", 1, false, true},
		{"IMDSv2 with hop limit 2 answers the pod", "required", 2, false, true},
		{"IMDSv2 with hop limit 1 does not", "required", 1, false, false},
		{"hostNetwork pod reaches IMDSv2 with hop limit 1", "required", 1, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := eksFixture(inventory.KubePod{HostNetwork: tc.hostNetwork, Containers: []inventory.KubeContainer{{Name: "app"}}})
			in := &inv.Regional[region].Instances[0]
			in.MetadataHTTPTokens, in.MetadataHopLimit = tc.tokens, tc.hops
			p := build(t, inv, Options{})
			e := findEdge(p, appID, "USES_IDENTITY", roleARN)
			if (e != nil) != tc.wantIMDS {
				t.Fatalf("pod -> node role = %+v, want %v", e, tc.wantIMDS)
			}
			if e != nil && e.Technique != TechEKSPodIMDS {
				t.Errorf("technique = %s", e.Technique)
			}
			// The pod has the node's security groups: sg-db admits sg-web.
			if r := findEdge(p, appID, "REACHES", dbARN); r == nil {
				t.Error("pod does not reach the database its node's security group is admitted to")
			}
			if findEdge(p, appID, "REACHES", webID) != nil {
				t.Error("pod reaches its own node over the network")
			}
		})
	}
}

func TestEKSIRSAFollowsTheRolesTrustPolicy(t *testing.T) {
	tests := []struct {
		name     string
		trust    string
		annotate bool
		want     bool
	}{
		{"trust names the service account", irsaTrust("system:serviceaccount:apps:tools"), true, true},
		{"trust allows the namespace's accounts by wildcard", irsaTrust("system:serviceaccount:apps:*"), true, true},
		{"trust bound to another service account", irsaTrust("system:serviceaccount:apps:other"), true, false},
		{"trust of another cluster's provider", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + acct + `:oidc-provider/oidc.eks.` + region + `.amazonaws.com/id/OTHER"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, true, false},
		{"no annotation, no role", irsaTrust("system:serviceaccount:apps:tools"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := eksFixture(inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}})
			inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: irsaRole, Name: "uploader", TrustPolicy: tc.trust})
			if !tc.annotate {
				inv.Regional[region].EKSClusters[0].Kubernetes.ServiceAccounts[1].RoleARN = ""
			}
			p := build(t, inv, Options{})
			e := findEdge(p, toolsID, "USES_IDENTITY", irsaRole)
			if (e != nil) != tc.want {
				t.Fatalf("workload -> IRSA role = %+v, want %v", e, tc.want)
			}
			if e != nil && e.Technique != TechEKSIRSA {
				t.Errorf("technique = %s", e.Technique)
			}
		})
	}
}

func TestEKSPodIdentityNeedsTheRoleToTrustPodIdentity(t *testing.T) {
	for _, tc := range []struct {
		name, service string
		want          bool
	}{
		{"role trusts pods.eks.amazonaws.com", "pods.eks.amazonaws.com", true},
		{"role trusts another service", "ec2.amazonaws.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := eksFixture(inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}})
			inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: podIDRole, Name: "reporting",
				TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + tc.service + `"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`})
			inv.Regional[region].EKSClusters[0].PodIdentities = []inventory.EKSPodIdentity{{Namespace: "apps", ServiceAccount: "web", RoleARN: podIDRole}}
			p := build(t, inv, Options{})
			if e := findEdge(p, appID, "USES_IDENTITY", podIDRole); (e != nil) != tc.want {
				t.Fatalf("workload -> pod identity role = %+v, want %v", e, tc.want)
			}
		})
	}
}

func TestEKSKubernetesAccessOfIAMPrincipals(t *testing.T) {
	createPods := inventory.KubeRole{Name: "deployer", Rules: []inventory.KubeRule{{Verbs: []string{"create", "get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	named := inventory.KubeRole{Name: "deployer", Rules: []inventory.KubeRule{{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"fixed"}}}}
	bindGroup := inventory.KubeBinding{Name: "deployers", RoleKind: "ClusterRole", RoleName: "deployer", Subjects: []inventory.KubeSubject{{Kind: "Group", Name: "deployers"}}}
	tests := []struct {
		name     string
		mode     string
		entries  []inventory.EKSAccessEntry
		awsAuth  *inventory.KubeAWSAuth
		roles    []inventory.KubeRole
		bindings []inventory.KubeBinding
		want     bool
		finding  bool
	}{
		{name: "access entry with the cluster admin policy", entries: []inventory.EKSAccessEntry{{PrincipalARN: adminRole, Type: "STANDARD",
			Policies: []inventory.EKSAccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", ScopeType: "cluster"}}}}, want: true},
		{name: "access entry with the edit policy on the namespace", entries: []inventory.EKSAccessEntry{{PrincipalARN: adminRole,
			Policies: []inventory.EKSAccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", ScopeType: "namespace", Namespaces: []string{"apps"}}}}}, want: true},
		{name: "access entry with the view policy only", entries: []inventory.EKSAccessEntry{{PrincipalARN: adminRole,
			Policies: []inventory.EKSAccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ScopeType: "cluster"}}}}, want: false},
		{name: "access entry group bound to a role that creates pods", entries: []inventory.EKSAccessEntry{{PrincipalARN: adminRole, KubernetesGroups: []string{"deployers"}}},
			roles: []inventory.KubeRole{createPods}, bindings: []inventory.KubeBinding{bindGroup}, want: true},
		{name: "a role limited to named pods creates none", entries: []inventory.EKSAccessEntry{{PrincipalARN: adminRole, KubernetesGroups: []string{"deployers"}}},
			roles: []inventory.KubeRole{named}, bindings: []inventory.KubeBinding{bindGroup}, want: false},
		{name: "aws-auth maps the role to system:masters", awsAuth: &inventory.KubeAWSAuth{Roles: []inventory.KubeAWSAuthMapping{{ARN: adminRole, Username: "admin", Groups: []string{"system:masters"}}}},
			want: true, finding: true},
		{name: "aws-auth is ignored in API authentication mode", mode: "API",
			awsAuth: &inventory.KubeAWSAuth{Roles: []inventory.KubeAWSAuthMapping{{ARN: adminRole, Username: "admin", Groups: []string{"system:masters"}}}}, want: false},
		{name: "access entries are ignored in CONFIG_MAP mode", mode: "CONFIG_MAP", entries: []inventory.EKSAccessEntry{{PrincipalARN: adminRole,
			Policies: []inventory.EKSAccessPolicy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", ScopeType: "cluster"}}}}, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := eksFixture(inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}})
			c := &inv.Regional[region].EKSClusters[0]
			c.AuthenticationMode, c.AccessEntries = tc.mode, tc.entries
			c.Kubernetes.AWSAuth, c.Kubernetes.ClusterRoles, c.Kubernetes.ClusterRoleBindings = tc.awsAuth, tc.roles, tc.bindings
			p := build(t, inv, Options{})
			e := findEdge(p, adminRole, "ESCALATES_TO", appsHubID)
			if (e != nil) != tc.want {
				t.Fatalf("principal -> namespace control = %+v, want %v", e, tc.want)
			}
			if hasFinding(p, RuleEKSAWSAuthMasters, eksARN) != tc.finding {
				t.Errorf("aws-auth system:masters finding = %v, want %v", !tc.finding, tc.finding)
			}
			if !tc.want {
				return
			}
			if e.Technique != TechEKSKubernetesAccess {
				t.Errorf("technique = %s", e.Technique)
			}
			// Running pods in the namespace: a privileged pod on the node, and
			// the namespace's service accounts.
			if h := findEdge(p, appsHubID, "ESCALATES_TO", webID); h == nil || h.Technique != TechEKSCreatePrivilegedPod {
				t.Errorf("namespace control -> node = %+v", h)
			}
			if h := findEdge(p, appsHubID, "ESCALATES_TO", toolsID); h == nil || h.Technique != TechEKSRunAsServiceAccount {
				t.Errorf("namespace control -> workload = %+v", h)
			}
		})
	}
}

func TestEKSServiceAccountRBAC(t *testing.T) {
	tests := []struct {
		name        string
		role        inventory.KubeRole
		binding     inventory.KubeBinding
		wantHub     bool
		wantExec    bool
		wantFinding bool
	}{
		{"cluster-wide create pods", inventory.KubeRole{Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
			inventory.KubeBinding{Name: "b", RoleKind: "ClusterRole", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "ServiceAccount", Name: "web", Namespace: "apps"}}}, true, false, true},
		{"create deployments in the namespace", inventory.KubeRole{Namespace: "apps", Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"create"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}}},
			inventory.KubeBinding{Namespace: "apps", Name: "b", RoleKind: "Role", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "ServiceAccount", Name: "web"}}}, true, false, true},
		{"pods/exec in the namespace", inventory.KubeRole{Namespace: "apps", Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"create", "get"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}}}},
			inventory.KubeBinding{Namespace: "apps", Name: "b", RoleKind: "Role", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "ServiceAccount", Name: "web"}}}, false, true, true},
		{"impersonate through the all-service-accounts group", inventory.KubeRole{Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"impersonate"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts"}}}},
			inventory.KubeBinding{Name: "b", RoleKind: "ClusterRole", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "Group", Name: "system:serviceaccounts"}}}, true, false, true},
		{"reading secrets is a finding without a move", inventory.KubeRole{Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods", "secrets"}}}},
			inventory.KubeBinding{Name: "b", RoleKind: "ClusterRole", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "ServiceAccount", Name: "web", Namespace: "apps"}}}, false, false, true},
		{"read-only pods grant nothing", inventory.KubeRole{Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods", "configmaps"}}}},
			inventory.KubeBinding{Name: "b", RoleKind: "ClusterRole", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "ServiceAccount", Name: "web", Namespace: "apps"}}}, false, false, false},
		{"binding of another service account", inventory.KubeRole{Name: "r", Rules: []inventory.KubeRule{{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
			inventory.KubeBinding{Name: "b", RoleKind: "ClusterRole", RoleName: "r", Subjects: []inventory.KubeSubject{{Kind: "ServiceAccount", Name: "web", Namespace: "other"}}}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := eksFixture(inventory.KubePod{Containers: []inventory.KubeContainer{{Name: "app"}}})
			ks := inv.Regional[region].EKSClusters[0].Kubernetes
			if tc.role.Namespace == "" {
				ks.ClusterRoles = []inventory.KubeRole{tc.role}
			} else {
				ks.Roles = []inventory.KubeRole{tc.role}
			}
			if tc.binding.Namespace == "" {
				ks.ClusterRoleBindings = []inventory.KubeBinding{tc.binding}
			} else {
				ks.RoleBindings = []inventory.KubeBinding{tc.binding}
			}
			p := build(t, inv, Options{})
			hub := findEdge(p, appID, "ESCALATES_TO", appsHubID)
			if (hub != nil) != tc.wantHub {
				t.Fatalf("workload -> namespace control = %+v, want %v", hub, tc.wantHub)
			}
			exec := findEdge(p, appID, "ESCALATES_TO", toolsID)
			if (exec != nil) != tc.wantExec {
				t.Fatalf("workload -> exec target = %+v, want %v", exec, tc.wantExec)
			}
			if hasFinding(p, RuleEKSWorkloadRBAC, appID) != tc.wantFinding {
				t.Errorf("RBAC finding present = %v, want %v", !tc.wantFinding, tc.wantFinding)
			}
			if hub != nil && (hub.Technique != TechEKSServiceAccountRBAC || len(hub.Findings) != 1) {
				t.Errorf("hub edge = %+v", hub)
			}
		})
	}
}
