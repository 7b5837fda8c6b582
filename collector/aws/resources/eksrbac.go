package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// kubeSubject is who a request to the Kubernetes API authenticates as.
type kubeSubject struct {
	user   string
	groups []string
	sa     string // "namespace/name" for a service account
}

// kubeGrant is what RBAC lets a subject do that matters for attack paths,
// per namespace ("*" for every namespace).
type kubeGrant struct {
	create map[string][]string // namespace -> evidence: create pods (or a pod controller), escalate, bind, impersonate
	exec   map[string][]string // namespace -> evidence: pods/exec
	// secrets: get or list on Secrets. No move: the collector never reads
	// Secret objects, so what they would open is unknown; the grant is
	// evidence for the workload's RBAC finding.
	secrets map[string][]string
}

func (g *kubeGrant) add(m *map[string][]string, ns, why string) {
	if *m == nil {
		*m = map[string][]string{}
	}
	if !slices.Contains((*m)[ns], why) {
		(*m)[ns] = append((*m)[ns], why)
	}
}

// ruleAllows reports whether an RBAC rule grants verb on resource (with
// its subresource, "pods/exec") of the API group. Rules limited to named
// objects (resourceNames) do not grant creating new ones.
func ruleAllows(r inventory.KubeRule, verb, group, resource string) bool {
	if len(r.ResourceNames) > 0 {
		return false
	}
	if !slices.Contains(r.Verbs, "*") && !slices.Contains(r.Verbs, verb) {
		return false
	}
	if !slices.Contains(r.APIGroups, "*") && !slices.Contains(r.APIGroups, group) {
		return false
	}
	base, _, sub := strings.Cut(resource, "/")
	for _, res := range r.Resources {
		if res == "*" || res == resource || (sub && res == base+"/*") {
			return true
		}
	}
	return false
}

// takeover lists the (verb, group, resource) grants that let a subject run
// code of its choosing in a namespace: create a pod or a pod controller,
// or grant itself more (escalate, bind, impersonate).
var takeover = []struct{ verb, group, resource string }{
	{"create", "", "pods"},
	{"create", "apps", "deployments"}, {"create", "apps", "daemonsets"}, {"create", "apps", "statefulsets"}, {"create", "apps", "replicasets"},
	{"create", "batch", "jobs"}, {"create", "batch", "cronjobs"},
	{"escalate", "rbac.authorization.k8s.io", "roles"}, {"escalate", "rbac.authorization.k8s.io", "clusterroles"},
	{"bind", "rbac.authorization.k8s.io", "roles"}, {"bind", "rbac.authorization.k8s.io", "clusterroles"},
	{"impersonate", "", "users"}, {"impersonate", "", "groups"}, {"impersonate", "", "serviceaccounts"},
}

// kubeRBAC evaluates the cluster's RBAC for subjects.
type kubeRBAC struct {
	ks           *inventory.KubeState
	clusterRoles map[string]*inventory.KubeRole
	roles        map[string]*inventory.KubeRole // "namespace/name"
}

func newKubeRBAC(ks *inventory.KubeState) *kubeRBAC {
	r := &kubeRBAC{ks: ks, clusterRoles: map[string]*inventory.KubeRole{}, roles: map[string]*inventory.KubeRole{}}
	if ks == nil {
		return r
	}
	for i := range ks.ClusterRoles {
		r.clusterRoles[ks.ClusterRoles[i].Name] = &ks.ClusterRoles[i]
	}
	for i := range ks.Roles {
		r.roles[ks.Roles[i].Namespace+"/"+ks.Roles[i].Name] = &ks.Roles[i]
	}
	return r
}

// matches reports whether a binding's subject is s.
func (s *kubeSubject) matches(bs inventory.KubeSubject, bindingNS string) bool {
	switch bs.Kind {
	case "User":
		return s.user != "" && bs.Name == s.user
	case "Group":
		return slices.Contains(s.groups, bs.Name)
	case "ServiceAccount":
		ns := bs.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return s.sa != "" && s.sa == ns+"/"+bs.Name
	}
	return false
}

// grant returns what s may do. Members of system:masters may do anything
// without any binding (the API server's built-in superuser group).
func (r *kubeRBAC) grant(s kubeSubject) kubeGrant {
	var g kubeGrant
	if slices.Contains(s.groups, "system:masters") {
		g.add(&g.create, "*", "member of system:masters (cluster-admin, no binding needed)")
		g.add(&g.exec, "*", "member of system:masters")
		return g
	}
	if r.ks == nil {
		return g
	}
	apply := func(kind, name, bindingNS, bindingName string) {
		var role *inventory.KubeRole
		if kind == "ClusterRole" {
			role = r.clusterRoles[name]
		} else {
			role = r.roles[bindingNS+"/"+name]
		}
		if role == nil {
			return
		}
		scope := bindingNS
		if scope == "" {
			scope = "*"
		}
		where := "cluster-wide"
		if bindingNS != "" {
			where = "in namespace " + bindingNS
		}
		for _, rule := range role.Rules {
			for _, t := range takeover {
				if ruleAllows(rule, t.verb, t.group, t.resource) {
					res := t.resource
					if t.group != "" {
						res = t.group + "/" + res
					}
					g.add(&g.create, scope, fmt.Sprintf("%s %s (%s) grants %s %s %s", kind, name, bindingName, t.verb, res, where))
					break
				}
			}
			if ruleAllows(rule, "create", "", "pods/exec") || ruleAllows(rule, "get", "", "pods/exec") {
				g.add(&g.exec, scope, fmt.Sprintf("%s %s (%s) grants pods/exec %s", kind, name, bindingName, where))
			}
			if ruleAllows(rule, "get", "", "secrets") || ruleAllows(rule, "list", "", "secrets") {
				g.add(&g.secrets, scope, fmt.Sprintf("%s %s (%s) grants reading secrets %s", kind, name, bindingName, where))
			}
		}
	}
	for _, bd := range r.ks.ClusterRoleBindings {
		for _, bs := range bd.Subjects {
			if s.matches(bs, "") {
				apply("ClusterRole", bd.RoleName, "", "ClusterRoleBinding "+bd.Name)
				break
			}
		}
	}
	for _, bd := range r.ks.RoleBindings {
		for _, bs := range bd.Subjects {
			if s.matches(bs, bd.Namespace) {
				apply(bd.RoleKind, bd.RoleName, bd.Namespace, "RoleBinding "+bd.Namespace+"/"+bd.Name)
				break
			}
		}
	}
	return g
}

// eksAccess adds who can run pods in the cluster: IAM principals through
// access entries (modes API, API_AND_CONFIG_MAP) and the aws-auth ConfigMap
// (modes CONFIG_MAP, API_AND_CONFIG_MAP), and workloads through their
// service account's RBAC; then what running pods gives (any node through a
// privileged pod, the namespace's service accounts).
func (b *builder) eksAccess(c *inventory.EKSCluster, ks *inventory.KubeState, hosts []string, workloads []*workload) {
	rbac := newKubeRBAC(ks)
	mode := c.AuthenticationMode
	if mode == "" {
		mode = "API_AND_CONFIG_MAP"
	}
	var namespaces []string
	byNS := map[string][]*workload{}
	for _, w := range workloads {
		if byNS[w.namespace] == nil {
			namespaces = append(namespaces, w.namespace)
		}
		byNS[w.namespace] = append(byNS[w.namespace], w)
	}
	slices.Sort(namespaces)
	// A cluster-wide grant creates pods in any namespace: with the
	// namespaces read, also in those where nothing runs yet (an attacker
	// picks the one whose admission is the weakest).
	everywhere := slices.Clone(namespaces)
	if ks != nil && ks.NamespacesRead {
		for _, n := range ks.Namespaces {
			everywhere = appendUnique(everywhere, n.Name)
		}
		slices.Sort(everywhere)
	}
	expand := func(ns string) []string {
		if ns != "*" {
			return []string{ns}
		}
		if len(everywhere) == 0 {
			// Nothing runs (or the API was not read): a cluster-wide grant
			// still creates pods in the default namespace.
			return []string{"default"}
		}
		return everywhere
	}
	hubs := map[string]bool{}
	hub := func(ns string) string {
		id := namespaceControlID(c.ARN, ns)
		if hubs[ns] {
			return id
		}
		hubs[ns] = true
		n := b.node(graph.Node{ID: id, Kind: graph.KindRole, NativeType: "AWS::EKS::NamespaceWorkloadControl", Service: "eks",
			Region: arnRegion(c.ARN), Name: c.Name + "/" + ns + " (run pods)"})
		n.Props["namespace"] = ns
		b.edge(graph.Edge{From: b.accountID(), To: id, Kind: graph.EdgeContains})
		b.edge(graph.Edge{From: c.ARN, To: id, Kind: graph.EdgeContains})
		adm := podAdmission(ks, ns)
		n.Props["pod_security"] = adm.level
		if adm.allows {
			for _, h := range hosts {
				b.edge(graph.Edge{From: id, To: h, Kind: graph.EdgeEscalatesTo, Technique: TechEKSCreatePrivilegedPod, Likelihood: 0.8,
					Conditional: len(adm.webhooks) > 0,
					Evidence:    append([]string{fmt.Sprintf("a pod created in namespace %s can be privileged with the node's / mounted and can be placed on any node (nodeName)", ns), adm.why}, adm.webhooks...)})
			}
		} else {
			b.log.Debug("eks: Pod Security Admission refuses privileged pods", "namespace", ns, "level", adm.level)
		}
		for _, w := range byNS[ns] {
			b.edge(graph.Edge{From: id, To: w.id, Kind: graph.EdgeEscalatesTo, Technique: TechEKSRunAsServiceAccount, Likelihood: 0.8,
				Evidence: []string{fmt.Sprintf("a pod created in namespace %s can run as service account %s, the identity of %s", ns, w.sa, w.name)}})
		}
		return id
	}
	// from holds grant g: edges to the namespace hubs and exec targets.
	draw := func(from, tech string, likelihood float64, g kubeGrant, extra []string, findings []string) {
		for _, ns := range sortedKeys(g.create) {
			for _, n := range expand(ns) {
				b.edge(graph.Edge{From: from, To: hub(n), Kind: graph.EdgeEscalatesTo, Technique: tech, Likelihood: likelihood,
					Evidence: append(slices.Clone(extra), g.create[ns]...), Findings: findings})
			}
		}
		for _, ns := range sortedKeys(g.exec) {
			for _, n := range expand(ns) {
				for _, w := range byNS[n] {
					if w.id == from {
						continue
					}
					b.edge(graph.Edge{From: from, To: w.id, Kind: graph.EdgeEscalatesTo, Technique: TechEKSPodExec, Likelihood: 0.8,
						Evidence: append(slices.Clone(extra), g.exec[ns]...), Findings: findings})
				}
			}
		}
	}
	iamStub := func(arn string) {
		if strings.Contains(arn, ":user/") {
			b.stub(arn, graph.KindUser, "AWS::IAM::User", "iam")
		} else {
			b.roleStub(arn)
		}
	}
	if mode != "CONFIG_MAP" {
		for _, e := range c.AccessEntries {
			if e.PrincipalARN == "" || (e.Type != "" && e.Type != "STANDARD") {
				continue
			}
			g := rbac.grant(kubeSubject{user: e.Username, groups: append(slices.Clone(e.KubernetesGroups), "system:authenticated")})
			for _, p := range e.Policies {
				name := arnName(p.PolicyARN)
				if !eksAccessPolicyControl[name] {
					continue
				}
				scopes := []string{"*"}
				if strings.EqualFold(p.ScopeType, "namespace") {
					scopes = p.Namespaces
				}
				for _, ns := range scopes {
					why := fmt.Sprintf("access policy %s (%s scope) on the access entry", name, strings.ToLower(p.ScopeType))
					g.add(&g.create, ns, why)
					g.add(&g.exec, ns, why)
				}
			}
			if len(g.create)+len(g.exec) == 0 {
				continue
			}
			iamStub(e.PrincipalARN)
			draw(e.PrincipalARN, TechEKSKubernetesAccess, 0.9, g,
				[]string{fmt.Sprintf("EKS access entry of cluster %s for %s (groups %s)", c.Name, e.PrincipalARN, strings.Join(e.KubernetesGroups, ", "))}, nil)
		}
	}
	if mode != "API" && ks != nil && ks.AWSAuth != nil {
		maps := append(slices.Clone(ks.AWSAuth.Roles), ks.AWSAuth.Users...)
		for _, m := range maps {
			if m.ARN == "" {
				continue
			}
			g := rbac.grant(kubeSubject{user: m.Username, groups: append(slices.Clone(m.Groups), "system:authenticated")})
			if len(g.create)+len(g.exec) == 0 {
				continue
			}
			var fids []string
			if slices.Contains(m.Groups, "system:masters") {
				fids = append(fids, b.flag(RuleEKSAWSAuthMasters, c.ARN, defaultSeverity,
					fmt.Sprintf("aws-auth maps %s to system:masters", m.ARN)))
			}
			iamStub(m.ARN)
			draw(m.ARN, TechEKSKubernetesAccess, 0.9, g,
				[]string{fmt.Sprintf("kube-system/aws-auth of cluster %s maps %s to user %q, groups %s", c.Name, m.ARN, m.Username, strings.Join(m.Groups, ", "))}, fids)
		}
	}
	for _, w := range workloads {
		g := rbac.grant(kubeSubject{sa: w.namespace + "/" + w.sa,
			groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + w.namespace, "system:authenticated"}})
		if len(g.create)+len(g.exec)+len(g.secrets) == 0 {
			continue
		}
		var ev []string
		for _, m := range []map[string][]string{g.create, g.exec, g.secrets} {
			for _, ns := range sortedKeys(m) {
				ev = append(ev, m[ns]...)
			}
		}
		fid := b.flag(RuleEKSWorkloadRBAC, w.id, defaultSeverity,
			fmt.Sprintf("service account %s/%s of running pods: %s", w.namespace, w.sa, strings.Join(ev, "; ")))
		draw(w.id, TechEKSServiceAccountRBAC, 0.85, g,
			[]string{fmt.Sprintf("the pods of %s hold the token of service account %s/%s", w.name, w.namespace, w.sa)}, []string{fid})
	}
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Pod Security Admission (the built-in admission controller, on in every
// EKS version that has it): the label pod-security.kubernetes.io/enforce
// of a namespace refuses, at "baseline" and "restricted", every pod that is
// privileged, holds a host namespace, adds an escaping capability or
// mounts a hostPath volume. Without the label EKS enforces "privileged"
// (nothing refused).
const psaEnforceLabel = "pod-security.kubernetes.io/enforce"

// admission is what creating a pod in a namespace may yield.
type admission struct {
	// allows: a pod that takes its node (privileged, hostPath /) is admitted.
	allows bool
	level  string // privileged, baseline, restricted, or unknown
	why    string
	// webhooks names the validating webhooks reviewing pod creation there:
	// they may refuse such a pod, so the move is conditional.
	webhooks []string
}

// podAdmission decides whether a privileged pod is admitted in namespace ns.
func podAdmission(ks *inventory.KubeState, ns string) admission {
	if ks == nil || !ks.NamespacesRead {
		return admission{allows: true, level: "unknown",
			why: "namespaces were not read: their Pod Security Admission level is unknown, assumed privileged"}
	}
	labels := map[string]string{"kubernetes.io/metadata.name": ns}
	for _, n := range ks.Namespaces {
		if n.Name == ns {
			for k, v := range n.Labels {
				labels[k] = v
			}
		}
	}
	a := admission{allows: true, level: "privileged",
		why: fmt.Sprintf("namespace %s has no %s label: Pod Security Admission enforces privileged (admits every pod)", ns, psaEnforceLabel)}
	switch v := labels[psaEnforceLabel]; v {
	case "":
	case "baseline", "restricted":
		return admission{level: v, why: fmt.Sprintf("namespace %s: %s=%s refuses privileged, host-namespace and hostPath pods", ns, psaEnforceLabel, v)}
	default:
		a.level = v
		a.why = fmt.Sprintf("namespace %s: %s=%s admits privileged pods", ns, psaEnforceLabel, v)
	}
	for _, w := range ks.Webhooks {
		if labelSelectorMatches(w.NamespaceSelector, labels) {
			fp := w.FailurePolicy
			if fp == "" {
				fp = "Fail"
			}
			a.webhooks = append(a.webhooks, fmt.Sprintf("ValidatingWebhookConfiguration %s (webhook %s, failurePolicy %s) reviews pod creation in namespace %s: a policy engine (Kyverno, Gatekeeper, ...) there may refuse privileged or hostPath pods; its policies are not read",
				w.Configuration, w.Name, fp, ns))
		}
	}
	return a
}
