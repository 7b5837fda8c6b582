package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of the EKS moves (docs/aws-transform.md, "EKS workloads").
const (
	// TechEKSPodEscape: a privileged pod, or one holding the host's PID
	// namespace, the container runtime's socket or a sensitive host path,
	// controls the node (EC2 instance) it runs on.
	TechEKSPodEscape = "aws.eks.pod-escape-to-node"
	// TechEKSNodeControlsPods: root on a node controls its pods (the
	// container runtime) and the credentials they hold.
	TechEKSNodeControlsPods = "aws.eks.node-controls-pods"
	// TechEKSPodIMDS: a pod reaches its node's metadata service and the
	// node role's credentials.
	TechEKSPodIMDS = "aws.eks.pod-node-imds"
	// TechEKSIRSA: a pod whose service account is annotated with a role
	// the role trusts (the cluster's OIDC provider, sub/aud conditions
	// evaluated) assumes it with its projected token.
	TechEKSIRSA = "aws.eks.irsa"
	// TechEKSPodIdentity: an EKS Pod Identity association hands the pods of
	// a service account the role's credentials.
	TechEKSPodIdentity = "aws.eks.pod-identity"
	// TechEKSKubernetesAccess: an IAM principal whose access entry or
	// aws-auth mapping grants it (through access policies, system:masters
	// or RBAC bindings of its groups) the creation of pods in a namespace.
	TechEKSKubernetesAccess = "aws.eks.kubernetes-access"
	// TechEKSServiceAccountRBAC: a pod whose service account RBAC lets it
	// create pods (or escalate, bind, impersonate) in a namespace.
	TechEKSServiceAccountRBAC = "aws.eks.service-account-rbac"
	// TechEKSCreatePrivilegedPod: whoever creates pods schedules a
	// privileged pod mounting the node's root on any node.
	TechEKSCreatePrivilegedPod = "aws.eks.create-privileged-pod"
	// TechEKSRunAsServiceAccount: whoever creates pods in a namespace runs
	// one as any of its service accounts, with that account's identity.
	TechEKSRunAsServiceAccount = "aws.eks.run-as-service-account"
	// TechEKSPodExec: pods/exec runs commands in a namespace's pods.
	TechEKSPodExec = "aws.eks.pod-exec"
)

// ServiceEKSKubernetes is the Service of workload nodes: the area the
// collector's Kubernetes read fails as (fetch records "eks/kubernetes"), so a
// failed read keeps the workloads stale instead of removing them.
const ServiceEKSKubernetes = "eks/kubernetes"

// Finding rules of EKS workloads.
const (
	RuleEKSPodHostAccess  = "aws.eks.pod-host-access"
	RuleEKSWorkloadRBAC   = "aws.eks.service-account-controls-workloads"
	RuleEKSAWSAuthMasters = "aws.eks.aws-auth-system-masters"
)

// EKS access policies (arn:aws:eks::aws:cluster-access-policy/<name>) that
// let their holder create pods and exec into them in their scope. View
// policies grant neither.
var eksAccessPolicyControl = map[string]bool{
	"AmazonEKSClusterAdminPolicy": true, "AmazonEKSAdminPolicy": true, "AmazonEKSEditPolicy": true,
}

// podHostPaths are host paths a pod mounts to own its node, beyond the ECS
// list: the kubelet's directory (other pods' tokens and volumes).
var podHostPaths = append(slices.Clone(hostPaths), "/var/lib/kubelet", "/var/lib/containerd", "/var/log")

// podCapabilities are added capabilities that escape the container.
var podCapabilities = []string{"SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH", "ALL"}

// workload is the pods of one controller (a Deployment, DaemonSet, ...) or
// one bare pod: the unit a node in the graph stands for, stable across
// pod restarts.
type workload struct {
	id, namespace, kind, name, sa string
	pods                          []*inventory.KubePod
}

// workloadKey names the controller that owns a pod: a ReplicaSet created by
// a Deployment (name <deployment>-<pod-template-hash>) stands for its
// Deployment.
func workloadKey(p *inventory.KubePod) (kind, name string) {
	switch {
	case p.OwnerKind == "":
		return "Pod", p.Name
	case p.OwnerKind == "ReplicaSet":
		if i := strings.LastIndex(p.OwnerName, "-"); i > 0 {
			return "Deployment", p.OwnerName[:i]
		}
	case p.OwnerKind == "Job":
		if i := strings.LastIndex(p.OwnerName, "-"); i > 0 && isDigits(p.OwnerName[i+1:]) {
			return "CronJob", p.OwnerName[:i]
		}
	}
	return p.OwnerKind, p.OwnerName
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// WorkloadID is the node id of a workload of an EKS cluster.
func WorkloadID(clusterARN, namespace, kind, name string) string {
	return clusterARN + "#workload/" + namespace + "/" + kind + "/" + name
}

// namespaceControlID is the node standing for "can run any pod in the
// namespace": the hub the subjects that create pods there lead to.
func namespaceControlID(clusterARN, namespace string) string {
	return clusterARN + "#namespace/" + namespace
}

// podEscape returns why a pod's workload controls its node, or "".
func podEscape(p *inventory.KubePod) (why string, privileged bool) {
	var out []string
	for _, c := range p.Containers {
		if c.Privileged {
			privileged = true
			out = append(out, fmt.Sprintf("container %s is privileged", c.Name))
		}
		for _, capName := range c.Capabilities {
			if slices.Contains(podCapabilities, strings.ToUpper(strings.TrimPrefix(strings.ToUpper(capName), "CAP_"))) {
				out = append(out, fmt.Sprintf("container %s adds capability %s", c.Name, capName))
			}
		}
	}
	if p.HostPID {
		out = append(out, "hostPID: the pod sees and can enter the node's processes")
	}
	for _, m := range p.HostPaths {
		clean := strings.TrimRight(m, "/")
		if clean == "" {
			clean = "/"
		}
		if strings.HasSuffix(clean, ".sock") || slices.Contains(podHostPaths, clean) {
			out = append(out, "mounts the node's "+m)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), "; "), privileged
}

// eksWorkloads adds what one cluster's node groups, Kubernetes objects and
// access configuration give an attacker: the nodes and their roles, pods
// escaping to their node and reaching its role, pods' own roles (IRSA, Pod
// Identity), and who can run pods (IAM principals through access entries
// or aws-auth, pods through their service account's RBAC). It runs after
// the instances exist.
func (b *builder) eksWorkloads(x *regionIndex, c *inventory.EKSCluster, profiles map[string][]string) {
	cid := c.ARN
	if cid == "" || b.nodes[cid] == nil {
		return
	}
	// Nodes: the instances the Kubernetes API names, and those EKS tagged.
	nodeHost := map[string]string{} // Kubernetes node name -> instance node id
	var hosts []string
	addHost := func(id, why string) {
		if id == "" || slices.Contains(hosts, id) {
			return
		}
		hosts = append(hosts, id)
		b.edge(graph.Edge{From: cid, To: id, Kind: graph.EdgeContains, Evidence: []string{why}})
	}
	ks := c.Kubernetes
	if ks != nil {
		for _, n := range ks.Nodes {
			if id := b.instanceID(x, n.InstanceID); id != "" {
				nodeHost[n.Name] = id
				addHost(id, fmt.Sprintf("node %s has providerID %s", n.Name, n.ProviderID))
			}
		}
	}
	for i := range x.d.Instances {
		inst := &x.d.Instances[i]
		if inst.State == "terminated" {
			continue
		}
		if inst.Tags["eks:cluster-name"] == c.Name || inst.Tags["kubernetes.io/cluster/"+c.Name] == "owned" {
			why := "instance tagged eks:cluster-name=" + c.Name
			if ng := inst.Tags["eks:nodegroup-name"]; ng != "" {
				why += " (node group " + ng + ")"
			}
			addHost(b.instanceID(x, inst.ID), why)
		}
	}
	var groups []string
	for _, ng := range c.NodeGroups {
		groups = append(groups, ng.Name)
		if ng.NodeRoleARN != "" {
			b.roleStub(ng.NodeRoleARN)
			b.edge(graph.Edge{From: cid, To: ng.NodeRoleARN, Kind: graph.EdgeRunsAs, Props: graph.Props{"node_group": ng.Name}})
		}
	}
	if n := b.nodes[cid]; n != nil {
		if len(groups) > 0 {
			n.Props["node_groups"] = groups
		}
		n.Props["nodes"] = int64(len(hosts))
		if c.AuthenticationMode != "" {
			n.Props["authentication_mode"] = c.AuthenticationMode
		}
		n.Props["kubernetes_read"] = ks != nil
	}
	if ks == nil {
		b.eksAccess(c, nil, hosts, nil)
		return
	}
	// Workloads: pods grouped by their controller.
	saRole := map[string]string{}
	for _, sa := range ks.ServiceAccounts {
		if sa.RoleARN != "" {
			saRole[sa.Namespace+"/"+sa.Name] = sa.RoleARN
		}
	}
	byID := map[string]*workload{}
	var order []*workload
	for i := range ks.Pods {
		p := &ks.Pods[i]
		if p.Phase == "Succeeded" || p.Phase == "Failed" {
			continue
		}
		kind, name := workloadKey(p)
		id := WorkloadID(cid, p.Namespace, kind, name)
		w := byID[id]
		if w == nil {
			sa := p.ServiceAccount
			if sa == "" {
				sa = "default"
			}
			w = &workload{id: id, namespace: p.Namespace, kind: kind, name: name, sa: sa}
			byID[id] = w
			order = append(order, w)
		}
		w.pods = append(w.pods, p)
	}
	for _, w := range order {
		b.eksWorkload(x, c, w, nodeHost, saRole, profiles)
	}
	b.eksServices(x, ks, order, hosts)
	b.eksNetworkPolicies(ks, order)
	b.eksAccess(c, ks, hosts, order)
}

// eksWorkload adds one workload's node, placement and moves.
func (b *builder) eksWorkload(x *regionIndex, c *inventory.EKSCluster, w *workload, nodeHost, saRole map[string]string, profiles map[string][]string) {
	n := b.node(graph.Node{ID: w.id, Kind: graph.KindContainer, NativeType: "AWS::EKS::Workload", Service: ServiceEKSKubernetes, Region: x.name,
		Name: w.namespace + "/" + w.name})
	b.edge(graph.Edge{From: b.accountID(), To: w.id, Kind: graph.EdgeContains})
	b.edge(graph.Edge{From: c.ARN, To: w.id, Kind: graph.EdgeContains})
	n.Props["namespace"] = w.namespace
	n.Props["workload_kind"] = w.kind
	n.Props["service_account"] = w.sa
	n.Props["pods"] = int64(len(w.pods))
	var escapes []string
	privileged, hostNetwork := false, false
	var images []string
	for _, p := range w.pods {
		why, priv := podEscape(p)
		if why != "" {
			escapes = append(escapes, fmt.Sprintf("pod %s: %s", p.Name, why))
		}
		privileged = privileged || priv
		hostNetwork = hostNetwork || p.HostNetwork
		for _, ct := range p.Containers {
			images = appendUnique(images, ct.Image)
		}
	}
	n.Props["images"] = images
	n.Props["host_network"] = hostNetwork
	var fid string
	if len(escapes) > 0 {
		sev := graph.SeverityHigh
		if privileged {
			sev = graph.SeverityCritical
		}
		fid = b.flag(RuleEKSPodHostAccess, w.id, sev, strings.Join(escapes, "; "))
		n.Props["host_access"] = strings.Join(escapes, "; ")
	}
	var share member
	for _, p := range w.pods {
		host := nodeHost[p.NodeName]
		if host == "" {
			continue
		}
		where := fmt.Sprintf("pod %s/%s runs on node %s", p.Namespace, p.Name, p.NodeName)
		b.edge(graph.Edge{From: host, To: w.id, Kind: graph.EdgeContains, Evidence: []string{where}})
		if why, _ := podEscape(p); why != "" {
			b.edge(graph.Edge{From: w.id, To: host, Kind: graph.EdgeEscalatesTo, Technique: TechEKSPodEscape, Likelihood: 0.85,
				Evidence: []string{why, where}, Findings: []string{fid}})
		}
		b.edge(graph.Edge{From: host, To: w.id, Kind: graph.EdgeEscalatesTo, Technique: TechEKSNodeControlsPods, Likelihood: 0.8,
			Evidence: []string{"root on the node controls its pods through the container runtime, their tokens and credentials", where}})
		b.hostIMDS(x, w.id, host, p.HostNetwork, "pod network (VPC CNI veth)", TechEKSPodIMDS, profiles)
		// With the VPC CNI a pod takes an address of the node's subnet
		// behind the node's security groups: the node's network position.
		if m := b.memberByID(host); m != nil {
			if share.id == "" {
				share = member{id: w.id, region: x, vpc: m.vpc, host: host}
			}
			if m.vpc == share.vpc {
				share.sgs = unionSorted(share.sgs, m.sgs)
				share.subnets = unionSorted(share.subnets, m.subnets)
				share.blocks = append(share.blocks, m.blocks...)
			}
		}
	}
	if share.id != "" && b.memberByID(w.id) == nil {
		b.addMember(share)
	}
	if role := saRole[w.namespace+"/"+w.sa]; role != "" {
		b.irsa(c, w, role)
	}
	for _, pi := range c.PodIdentities {
		if pi.Namespace == w.namespace && pi.ServiceAccount == w.sa && pi.RoleARN != "" {
			b.podIdentity(w, pi)
		}
	}
}

// roleTrust returns the parsed trust policy of a role of the account, or nil.
func (b *builder) roleTrust(arn string) *policy.Policy {
	for i := range b.inv.IAM.Roles {
		r := &b.inv.IAM.Roles[i]
		if r.ARN != arn || r.TrustPolicy == "" {
			continue
		}
		doc, err := policy.Parse([]byte(r.TrustPolicy))
		if err != nil {
			b.log.Debug("eks: unparsable trust policy", "role", arn, "err", err)
			return nil
		}
		return doc
	}
	return nil
}

// irsa adds workload -> role when the role's trust policy lets the
// cluster's OIDC provider assume it with this service account's token.
func (b *builder) irsa(c *inventory.EKSCluster, w *workload, roleARN string) {
	issuer := strings.TrimPrefix(strings.TrimPrefix(c.OIDCIssuer, "https://"), "http://")
	trust := b.roleTrust(roleARN)
	if issuer == "" || trust == nil {
		return
	}
	provider := fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", b.partition, b.account, issuer)
	sub := "system:serviceaccount:" + w.namespace + ":" + w.sa
	caller := policy.Principal{Type: policy.TypeFederated, ARN: provider, Name: provider}
	r := policy.CanAssume(caller, policy.PolicySet{}, trust, roleARN, map[string][]string{
		issuer + ":sub": {sub}, issuer + ":aud": {"sts.amazonaws.com"},
	})
	if r.Decision != policy.Allowed && r.Decision != policy.Conditional {
		b.log.Debug("eks: IRSA annotation the role does not trust", "workload", w.id, "role", roleARN, "decision", r.Decision.String())
		return
	}
	b.roleStub(roleARN)
	ev := []string{fmt.Sprintf("service account %s/%s is annotated eks.amazonaws.com/role-arn=%s", w.namespace, w.sa, roleARN),
		fmt.Sprintf("trust policy of %s allows sts:AssumeRoleWithWebIdentity by %s with sub %s, aud sts.amazonaws.com: %s", roleARN, provider, sub, r.Decision)}
	b.edge(graph.Edge{From: w.id, To: roleARN, Kind: graph.EdgeUsesIdentity, Technique: TechEKSIRSA, Likelihood: 0.8,
		Conditional: r.Decision == policy.Conditional, Evidence: ev})
}

// podIdentity adds workload -> role for a Pod Identity association whose
// role trusts the Pod Identity service principal.
func (b *builder) podIdentity(w *workload, pi inventory.EKSPodIdentity) {
	trust := b.roleTrust(pi.RoleARN)
	if trust == nil {
		return
	}
	const svc = "pods.eks.amazonaws.com"
	r := policy.CanAssume(policy.Principal{Type: policy.TypeService, Name: svc, ARN: svc}, policy.PolicySet{}, trust, pi.RoleARN, nil)
	if r.Decision != policy.Allowed && r.Decision != policy.Conditional {
		return
	}
	b.roleStub(pi.RoleARN)
	b.edge(graph.Edge{From: w.id, To: pi.RoleARN, Kind: graph.EdgeUsesIdentity, Technique: TechEKSPodIdentity, Likelihood: 0.8,
		Conditional: r.Decision == policy.Conditional,
		Evidence: []string{fmt.Sprintf("pod identity association %s maps %s/%s to %s", pi.AssociationARN, pi.Namespace, pi.ServiceAccount, pi.RoleARN),
			"trust policy allows sts:AssumeRole by " + svc + ": " + r.Decision.String()}})
}
