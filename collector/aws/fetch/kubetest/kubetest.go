// Package kubetest serves the documented Kubernetes API list shapes over
// TLS, as an EKS API server does, for the collector's tests: it accepts
// only GET requests carrying an EKS token (a presigned STS
// GetCallerIdentity URL that signs x-k8s-aws-id) and records every path
// asked for, so tests can prove the collector never asks for Secrets.
package kubetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Objects are the API objects the server answers with, each in its v1
// JSON shape (the helpers below build them).
type Objects struct {
	Pods, ServiceAccounts, Nodes                           []map[string]any
	ClusterRoles, Roles, ClusterRoleBindings, RoleBindings []map[string]any
	// ConfigMaps by "namespace/name".
	ConfigMaps map[string]map[string]any
	// What exposes, isolates and admits pods.
	Services, Ingresses, NetworkPolicies        []map[string]any
	Namespaces, ValidatingWebhookConfigurations []map[string]any
}

// Server is a running fake API server.
type Server struct {
	*httptest.Server
	// CAPEM is the PEM of the server's certificate (its own CA).
	CAPEM []byte
	// PageSize caps the items of one list page (continue tokens follow);
	// 0 answers whole lists.
	PageSize int

	mu       sync.Mutex
	requests []string
	objs     *Objects
}

// Start serves objs until the test ends.
func Start(t testing.TB, objs *Objects) *Server {
	t.Helper()
	s := &Server{objs: objs}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	return s
}

// Requests returns the paths asked for so far, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// ValidToken reports whether h is "Bearer k8s-aws-v1.<base64url of a
// presigned sts:GetCallerIdentity URL signing x-k8s-aws-id>".
func ValidToken(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer k8s-aws-v1.")
	if !ok {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return false
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return false
	}
	q := u.Query()
	return q.Get("Action") == "GetCallerIdentity" && q.Get("X-Amz-Signature") != "" &&
		strings.Contains(q.Get("X-Amz-SignedHeaders"), "x-k8s-aws-id")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	if !ValidToken(r.Header.Get("Authorization")) {
		status(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if r.Method != http.MethodGet {
		status(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	}
	lists := map[string]struct {
		kind  string
		items []map[string]any
	}{
		"/api/v1/pods":            {"PodList", s.objs.Pods},
		"/api/v1/serviceaccounts": {"ServiceAccountList", s.objs.ServiceAccounts},
		"/api/v1/nodes":           {"NodeList", s.objs.Nodes},
		"/apis/rbac.authorization.k8s.io/v1/clusterroles":        {"ClusterRoleList", s.objs.ClusterRoles},
		"/apis/rbac.authorization.k8s.io/v1/roles":               {"RoleList", s.objs.Roles},
		"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings": {"ClusterRoleBindingList", s.objs.ClusterRoleBindings},
		"/apis/rbac.authorization.k8s.io/v1/rolebindings":        {"RoleBindingList", s.objs.RoleBindings},
		"/api/v1/services":                           {"ServiceList", s.objs.Services},
		"/api/v1/namespaces":                         {"NamespaceList", s.objs.Namespaces},
		"/apis/networking.k8s.io/v1/ingresses":       {"IngressList", s.objs.Ingresses},
		"/apis/networking.k8s.io/v1/networkpolicies": {"NetworkPolicyList", s.objs.NetworkPolicies},
		"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations": {"ValidatingWebhookConfigurationList", s.objs.ValidatingWebhookConfigurations},
	}
	if l, ok := lists[r.URL.Path]; ok {
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		end := len(l.items)
		if s.PageSize > 0 && start+s.PageSize < end {
			end = start + s.PageSize
		}
		meta := map[string]any{"resourceVersion": "4242"}
		if end < len(l.items) {
			meta["continue"] = strconv.Itoa(end)
		}
		items := l.items
		if start <= len(items) {
			items = items[start:end]
		}
		if items == nil {
			items = []map[string]any{}
		}
		apiVersion := "v1"
		if g, ok := strings.CutPrefix(r.URL.Path, "/apis/"); ok {
			apiVersion = g[:strings.LastIndex(g, "/")]
		}
		write(w, http.StatusOK, map[string]any{"kind": l.kind, "apiVersion": apiVersion, "metadata": meta, "items": items})
		return
	}
	if ns, name, ok := configMapPath(r.URL.Path); ok {
		if cm, ok := s.objs.ConfigMaps[ns+"/"+name]; ok {
			write(w, http.StatusOK, cm)
			return
		}
		status(w, http.StatusNotFound, "NotFound")
		return
	}
	status(w, http.StatusForbidden, "Forbidden")
}

func configMapPath(p string) (ns, name string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/api/v1/namespaces/"), "/")
	if !strings.HasPrefix(p, "/api/v1/namespaces/") || len(parts) != 3 || parts[1] != "configmaps" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

func status(w http.ResponseWriter, code int, reason string) {
	write(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code})
}

func write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func meta(namespace, name string) map[string]any {
	m := map[string]any{"name": name, "uid": "uid-" + namespace + "-" + name, "resourceVersion": "1"}
	if namespace != "" {
		m["namespace"] = namespace
	}
	return m
}

// annotated sets the object metadata's annotations, when there are any.
func annotated(md map[string]any, annotations map[string]string) map[string]any {
	if len(annotations) > 0 {
		md["annotations"] = annotations
	}
	return md
}

// Container is a container of a Pod.
type Container struct {
	Name, Image  string
	Privileged   bool
	Capabilities []string
	// HostPaths are host paths mounted (each becomes a hostPath volume).
	HostPaths []string
}

// PodSpec describes a Pod for the Pod helper.
type PodSpec struct {
	Namespace, Name, Node, ServiceAccount string
	// Owner is "Kind/name" of the controlling owner ("ReplicaSet/web-5d8f9").
	Owner                string
	HostNetwork, HostPID bool
	Containers           []Container
	// Labels are the pod's labels; IP its status.podIP ("10.0.1.77" when empty).
	Labels map[string]string
	IP     string
}

// Pod returns a v1 Pod in its API shape.
func Pod(p PodSpec) map[string]any {
	md := meta(p.Namespace, p.Name)
	if kind, name, ok := strings.Cut(p.Owner, "/"); ok {
		md["ownerReferences"] = []any{map[string]any{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "uid-owner", "controller": true, "blockOwnerDeletion": true}}
	}
	var containers, volumes []any
	for _, c := range p.Containers {
		ct := map[string]any{"name": c.Name, "image": c.Image, "imagePullPolicy": "IfNotPresent"}
		sc := map[string]any{}
		if c.Privileged {
			sc["privileged"] = true
		}
		if len(c.Capabilities) > 0 {
			sc["capabilities"] = map[string]any{"add": c.Capabilities}
		}
		if len(sc) > 0 {
			ct["securityContext"] = sc
		}
		var mounts []any
		for i, hp := range c.HostPaths {
			vol := c.Name + "-host-" + strconv.Itoa(i)
			volumes = append(volumes, map[string]any{"name": vol, "hostPath": map[string]any{"path": hp, "type": ""}})
			mounts = append(mounts, map[string]any{"name": vol, "mountPath": "/host" + strconv.Itoa(i)})
		}
		mounts = append(mounts, map[string]any{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true})
		ct["volumeMounts"] = mounts
		containers = append(containers, ct)
	}
	volumes = append(volumes, map[string]any{"name": "kube-api-access", "projected": map[string]any{"sources": []any{map[string]any{"serviceAccountToken": map[string]any{"path": "token"}}}}})
	spec := map[string]any{"nodeName": p.Node, "serviceAccountName": p.ServiceAccount, "containers": containers, "volumes": volumes,
		"restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}
	if p.HostNetwork {
		spec["hostNetwork"] = true
	}
	if p.HostPID {
		spec["hostPID"] = true
	}
	if len(p.Labels) > 0 {
		md["labels"] = p.Labels
	}
	ip := p.IP
	if ip == "" {
		ip = "10.0.1.77"
	}
	return map[string]any{"metadata": md, "spec": spec, "status": map[string]any{"phase": "Running", "podIP": ip}}
}

// ServiceAccount returns a v1 ServiceAccount, annotated for IRSA when role is set.
func ServiceAccount(namespace, name, role string) map[string]any {
	md := meta(namespace, name)
	if role != "" {
		md["annotations"] = map[string]any{"eks.amazonaws.com/role-arn": role}
	}
	return map[string]any{"metadata": md}
}

// Node returns a v1 Node running on the EC2 instance.
func Node(name, zone, instanceID string) map[string]any {
	return map[string]any{"metadata": meta("", name), "spec": map[string]any{"providerID": "aws:///" + zone + "/" + instanceID},
		"status": map[string]any{"nodeInfo": map[string]any{"kubeletVersion": "v1.31.0-eks"}}}
}

// Rule is one RBAC policy rule.
type Rule struct {
	Verbs, APIGroups, Resources, ResourceNames []string
}

// Role returns a Role (namespace set) or ClusterRole.
func Role(namespace, name string, rules ...Rule) map[string]any {
	var rs []any
	for _, r := range rules {
		m := map[string]any{"verbs": r.Verbs, "apiGroups": r.APIGroups, "resources": r.Resources}
		if len(r.ResourceNames) > 0 {
			m["resourceNames"] = r.ResourceNames
		}
		rs = append(rs, m)
	}
	return map[string]any{"metadata": meta(namespace, name), "rules": rs}
}

// Subject is a binding subject.
type Subject struct{ Kind, Name, Namespace string }

// Binding returns a RoleBinding (namespace set) or ClusterRoleBinding to
// the role ("ClusterRole/name" or "Role/name").
func Binding(namespace, name, role string, subjects ...Subject) map[string]any {
	kind, rname, _ := strings.Cut(role, "/")
	var ss []any
	for _, s := range subjects {
		m := map[string]any{"kind": s.Kind, "name": s.Name}
		if s.Kind != "ServiceAccount" {
			m["apiGroup"] = "rbac.authorization.k8s.io"
		}
		if s.Namespace != "" {
			m["namespace"] = s.Namespace
		}
		ss = append(ss, m)
	}
	return map[string]any{"metadata": meta(namespace, name), "roleRef": map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": rname}, "subjects": ss}
}

// AWSAuth returns the kube-system/aws-auth ConfigMap with the given
// mapRoles YAML.
func AWSAuth(mapRoles string) map[string]any {
	return map[string]any{"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta("kube-system", "aws-auth"), "data": map[string]any{"mapRoles": mapRoles}}
}

// OtherCAPEM returns the PEM of a fresh self-signed certificate: a CA that
// signed none of the servers (every httptest TLS server shares one
// certificate, so another Server's CAPEM would still be trusted).
func OtherCAPEM(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other-ca"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// ServicePort is a port of a Service.
type ServicePort struct {
	Port, NodePort int32
	TargetPort     any // a number or a port name
}

// ServiceSpec describes a Service for the Service helper.
type ServiceSpec struct {
	Namespace, Name, Type string
	Selector              map[string]string
	Ports                 []ServicePort
	Annotations           map[string]string
	SourceRanges          []string
	// Hostname is the load balancer's DNS name in status.loadBalancer.
	Hostname string
}

// Service returns a v1 Service in its API shape.
func Service(sv ServiceSpec) map[string]any {
	md := annotated(meta(sv.Namespace, sv.Name), sv.Annotations)
	var ports []any
	for _, p := range sv.Ports {
		m := map[string]any{"protocol": "TCP", "port": p.Port, "targetPort": p.TargetPort}
		if p.TargetPort == nil {
			m["targetPort"] = p.Port
		}
		if p.NodePort != 0 {
			m["nodePort"] = p.NodePort
		}
		ports = append(ports, m)
	}
	spec := map[string]any{"type": sv.Type, "selector": sv.Selector, "ports": ports, "clusterIP": "172.20.10.10"}
	if len(sv.SourceRanges) > 0 {
		spec["loadBalancerSourceRanges"] = sv.SourceRanges
	}
	return map[string]any{"metadata": md, "spec": spec, "status": lbStatus(sv.Hostname)}
}

// lbStatus is a Service's or Ingress's status: the load balancer's
// hostname once the controller made it.
func lbStatus(hostname string) map[string]any {
	if hostname == "" {
		return map[string]any{"loadBalancer": map[string]any{}}
	}
	return map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": hostname}}}}
}

// IngressSpec describes a networking.k8s.io/v1 Ingress routing every path
// of one host to backend Services ("name:port").
type IngressSpec struct {
	Namespace, Name, Class string
	Annotations            map[string]string
	Backends               []string
	Hostname               string
}

// Ingress returns an Ingress in its API shape.
func Ingress(in IngressSpec) map[string]any {
	md := annotated(meta(in.Namespace, in.Name), in.Annotations)
	var paths []any
	for i, b := range in.Backends {
		name, port, _ := strings.Cut(b, ":")
		pm := map[string]any{"name": port}
		if n, err := strconv.Atoi(port); err == nil {
			pm = map[string]any{"number": n}
		}
		paths = append(paths, map[string]any{"path": "/" + strconv.Itoa(i), "pathType": "Prefix",
			"backend": map[string]any{"service": map[string]any{"name": name, "port": pm}}})
	}
	spec := map[string]any{"rules": []any{map[string]any{"http": map[string]any{"paths": paths}}}}
	if in.Class != "" {
		spec["ingressClassName"] = in.Class
	}
	return map[string]any{"metadata": md, "spec": spec, "status": lbStatus(in.Hostname)}
}

// Namespace returns a v1 Namespace with the name label the API server
// sets and the given labels (Pod Security Admission's among them).
func Namespace(name string, labels map[string]string) map[string]any {
	md := meta("", name)
	l := map[string]any{"kubernetes.io/metadata.name": name}
	for k, v := range labels {
		l[k] = v
	}
	md["labels"] = l
	return map[string]any{"metadata": md, "spec": map[string]any{"finalizers": []any{"kubernetes"}}, "status": map[string]any{"phase": "Active"}}
}

// PodWebhook returns a ValidatingWebhookConfiguration whose one webhook
// reviews pod creation (a policy engine's shape), limited to namespaces
// with the matchLabels when given.
func PodWebhook(name string, namespaceLabels map[string]string) map[string]any {
	w := map[string]any{"name": name + ".policy.example", "admissionReviewVersions": []any{"v1"}, "sideEffects": "None", "failurePolicy": "Fail",
		"clientConfig": map[string]any{"service": map[string]any{"namespace": "policy", "name": name}},
		"rules":        []any{map[string]any{"apiGroups": []any{""}, "apiVersions": []any{"v1"}, "operations": []any{"CREATE", "UPDATE"}, "resources": []any{"pods"}, "scope": "*"}}}
	if len(namespaceLabels) > 0 {
		w["namespaceSelector"] = map[string]any{"matchLabels": namespaceLabels}
	}
	return map[string]any{"metadata": meta("", name), "webhooks": []any{w}}
}

// NetworkPolicy returns a NetworkPolicy isolating the ingress of the pods
// matching podLabels (every pod of the namespace when empty), admitting
// from pods matching fromLabels (none when nil: deny all ingress).
func NetworkPolicy(namespace, name string, podLabels, fromLabels map[string]string) map[string]any {
	spec := map[string]any{"podSelector": map[string]any{"matchLabels": podLabels}, "policyTypes": []any{"Ingress"}}
	if fromLabels != nil {
		spec["ingress"] = []any{map[string]any{"from": []any{map[string]any{"podSelector": map[string]any{"matchLabels": fromLabels}}}}}
	}
	return map[string]any{"metadata": meta(namespace, name), "spec": spec}
}
