package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	yaml "go.yaml.in/yaml/v4"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/strictjson"
)

// The Kubernetes API is read with a small REST client over the documented
// v1 list shapes rather than k8s.io/client-go: the collector needs eight
// list/get requests and a dozen fields, and client-go's typed core and RBAC
// clients cost about 86 CPU-seconds of cold compilation and 28 MB of binary
// (docs/ARCHITECTURE.md, "Departures from the planned stack").

// KubeEndpoint is where to reach one cluster's API server: its URL and the
// PEM of the CA that signed its certificate (nil: the cluster's CA from
// DescribeCluster).
type KubeEndpoint struct {
	URL   string
	CAPEM []byte
}

// KubeReads are the requests the collector sends to a cluster's API server,
// every one a read (list, or get of the one ConfigMap). Secrets are never
// requested. docs/aws-collector.md gives the ClusterRole they need.
var KubeReads = []string{
	"/api/v1/pods",
	"/api/v1/serviceaccounts",
	"/api/v1/nodes",
	"/apis/rbac.authorization.k8s.io/v1/clusterroles",
	"/apis/rbac.authorization.k8s.io/v1/roles",
	"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
	"/apis/rbac.authorization.k8s.io/v1/rolebindings",
	"/api/v1/namespaces/kube-system/configmaps/aws-auth",
	"/api/v1/services",
	"/apis/networking.k8s.io/v1/ingresses",
	"/api/v1/namespaces",
	"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
	"/apis/networking.k8s.io/v1/networkpolicies",
}

// kubeListKinds is the kind of each list of KubeReads ("" for the
// ConfigMap get).
var kubeListKinds = []string{"Pod", "ServiceAccount", "Node", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding", "",
	"Service", "Ingress", "Namespace", "ValidatingWebhookConfiguration", "NetworkPolicy"}

const (
	kubePageSize = 500
	// kubeMaxPage bounds one response body: a page of 500 pods is a few MB.
	kubeMaxPage = 64 << 20
	// eksTokenPrefix marks an EKS bearer token (aws-iam-authenticator's format).
	eksTokenPrefix = "k8s-aws-v1."
)

// EKSToken returns the bearer token the EKS API server accepts for the
// credentials of cfg: a presigned STS GetCallerIdentity URL whose signed
// headers include x-k8s-aws-id (the cluster name), base64url-encoded
// without padding after "k8s-aws-v1." — what aws-iam-authenticator and
// `aws eks get-token` produce. No request is sent: the API server sends it
// to STS to learn who the caller is.
func EKSToken(ctx context.Context, cfg aws.Config, region, cluster string) (string, error) {
	c := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Region = region })
	req, err := sts.NewPresignClient(c).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(po *sts.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
			o.APIOptions = append(o.APIOptions,
				smithyhttp.SetHeaderValue("x-k8s-aws-id", cluster),
				smithyhttp.SetHeaderValue("X-Amz-Expires", "60"))
		})
	})
	if err != nil {
		return "", fmt.Errorf("presign sts:GetCallerIdentity: %w", err)
	}
	return eksTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)), nil
}

// kubeClient reads one API server.
type kubeClient struct {
	base  string
	token func(context.Context) (string, error)
	http  *http.Client
}

// readKubernetes reads the cluster's Kubernetes objects. Lists that fail
// are named in KubeState.Errors and returned joined; the others are kept.
func (s *session) readKubernetes(ctx context.Context, region string, o *inventory.EKSCluster, caData string) (*inventory.KubeState, error) {
	endpoint := o.Endpoint
	ca, err := base64.StdEncoding.DecodeString(caData)
	if err != nil {
		ca = nil
	}
	if ep, ok := s.opts.KubeEndpoints[o.Name]; ok {
		endpoint = ep.URL
		if ep.CAPEM != nil {
			ca = ep.CAPEM
		}
	}
	if endpoint == "" {
		return nil, fmt.Errorf("cluster %s has no API server endpoint", o.Name)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("cluster %s: its certificate authority is not a PEM certificate", o.Name)
	}
	k := &kubeClient{
		base: strings.TrimRight(endpoint, "/"),
		// A token per request: presigning is local, and a token lives 15
		// minutes while a large cluster's lists may take longer.
		token: func(ctx context.Context) (string, error) { return EKSToken(ctx, s.cfg, region, o.Name) },
		http: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}},
	}
	return k.read(ctx)
}

func (k *kubeClient) read(ctx context.Context) (*inventory.KubeState, error) {
	ks := &inventory.KubeState{}
	var errs []error
	note := func(path string, err error) {
		if err != nil {
			ks.Errors = append(ks.Errors, path+": "+err.Error())
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
	}
	// The lists in KubeReads order, each item decoded as an export's would be.
	for i, kind := range kubeListKinds {
		if kind == "" {
			continue
		}
		err := list(ctx, k, KubeReads[i], func(raw json.RawMessage) error { return addKubeObject(ks, kind, raw) })
		if kind == "Namespace" && err == nil {
			ks.NamespacesRead = true
		}
		note(KubeReads[i], err)
	}
	var cm json.RawMessage
	found, err := k.get(ctx, KubeReads[7], &cm)
	if err == nil && found {
		err = addKubeObject(ks, "ConfigMap", cm)
	}
	note(KubeReads[7], err)
	return ks, errors.Join(errs...)
}

// kubeStatusError is a non-2xx answer of the API server.
type kubeStatusError struct{ code int }

func (e *kubeStatusError) Error() string {
	switch e.code {
	case http.StatusUnauthorized:
		return "HTTP 401: the API server did not accept the EKS token (no access entry or aws-auth mapping for the collector's principal?)"
	case http.StatusForbidden:
		return "HTTP 403: RBAC denies the read (docs/aws-collector.md gives the ClusterRole the collector needs)"
	}
	return fmt.Sprintf("HTTP %d", e.code)
}

// get reads one object into v; found is false on 404.
func (k *kubeClient) get(ctx context.Context, path string, v any) (found bool, err error) {
	body, err := k.fetch(ctx, path)
	var se *kubeStatusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, decodeStrict(body, v)
}

func (k *kubeClient) fetch(ctx context.Context, path string) ([]byte, error) {
	tok, err := k.token(ctx)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := k.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, &kubeStatusError{code: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, kubeMaxPage+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > kubeMaxPage {
		return nil, fmt.Errorf("response larger than %d bytes", kubeMaxPage)
	}
	return body, nil
}

// decodeStrict decodes an untrusted JSON body, refusing duplicate keys
// (encoding/json would keep the last; collector/strictjson).
func decodeStrict(body []byte, v any) error {
	if err := strictjson.Check(body, true); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	return nil
}

// list reads every page of a list (limit/continue) and hands each item to fn.
func list(ctx context.Context, k *kubeClient, path string, fn func(json.RawMessage) error) error {
	cont := ""
	for {
		q := url.Values{"limit": {fmt.Sprint(kubePageSize)}}
		if cont != "" {
			q.Set("continue", cont)
		}
		body, err := k.fetch(ctx, path+"?"+q.Encode())
		if err != nil {
			return err
		}
		var page struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := decodeStrict(body, &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if page.Metadata.Continue == "" || page.Metadata.Continue == cont {
			return nil
		}
		cont = page.Metadata.Continue
	}
}

// The v1 shapes, reduced to the fields the collector reads.

type kubeMeta struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels"`
	Annotations     map[string]string `json:"annotations"`
	OwnerReferences []struct {
		Kind       string `json:"kind"`
		Name       string `json:"name"`
		Controller *bool  `json:"controller"`
	} `json:"ownerReferences"`
}

type kubeObject struct {
	Metadata kubeMeta `json:"metadata"`
}

type kubeContainer struct {
	Name            string `json:"name"`
	Image           string `json:"image"`
	SecurityContext *struct {
		Privileged   *bool `json:"privileged"`
		Capabilities *struct {
			Add []string `json:"add"`
		} `json:"capabilities"`
	} `json:"securityContext"`
	VolumeMounts []struct {
		Name string `json:"name"`
	} `json:"volumeMounts"`
}

type kubePod struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		NodeName            string          `json:"nodeName"`
		ServiceAccountName  string          `json:"serviceAccountName"`
		HostNetwork         bool            `json:"hostNetwork"`
		HostPID             bool            `json:"hostPID"`
		HostIPC             bool            `json:"hostIPC"`
		Containers          []kubeContainer `json:"containers"`
		InitContainers      []kubeContainer `json:"initContainers"`
		EphemeralContainers []kubeContainer `json:"ephemeralContainers"`
		Volumes             []struct {
			Name     string `json:"name"`
			HostPath *struct {
				Path string `json:"path"`
			} `json:"hostPath"`
		} `json:"volumes"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
		PodIP string `json:"podIP"`
	} `json:"status"`
}

// inventory keeps what decides the pod's reach: its controller, node,
// service account, host namespaces, the host paths its containers mount,
// privileged mode and added capabilities. Environment and command lines are
// not kept.
func (p kubePod) inventory() inventory.KubePod {
	out := inventory.KubePod{Namespace: p.Metadata.Namespace, Name: p.Metadata.Name, NodeName: p.Spec.NodeName,
		ServiceAccount: p.Spec.ServiceAccountName, Phase: p.Status.Phase, Labels: p.Metadata.Labels, IP: p.Status.PodIP,
		HostNetwork: p.Spec.HostNetwork, HostPID: p.Spec.HostPID, HostIPC: p.Spec.HostIPC}
	for _, o := range p.Metadata.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			out.OwnerKind, out.OwnerName = o.Kind, o.Name
			break
		}
	}
	hostPath := map[string]string{}
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil {
			hostPath[v.Name] = v.HostPath.Path
		}
	}
	all := append(append(append([]kubeContainer(nil), p.Spec.Containers...), p.Spec.InitContainers...), p.Spec.EphemeralContainers...)
	for _, c := range all {
		kc := inventory.KubeContainer{Name: c.Name, Image: c.Image}
		if sc := c.SecurityContext; sc != nil {
			kc.Privileged = sc.Privileged != nil && *sc.Privileged
			if sc.Capabilities != nil {
				kc.Capabilities = sc.Capabilities.Add
			}
		}
		for _, m := range c.VolumeMounts {
			if hp, ok := hostPath[m.Name]; ok {
				out.HostPaths = appendUniqueString(out.HostPaths, hp)
			}
		}
		out.Containers = append(out.Containers, kc)
	}
	return out
}

func appendUniqueString(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

type kubeNode struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		ProviderID string `json:"providerID"`
	} `json:"spec"`
}

// instanceFromProviderID returns the EC2 instance id of a providerID
// "aws:///<zone>/<instance id>", or "".
func instanceFromProviderID(id string) string {
	if !strings.HasPrefix(id, "aws://") {
		return ""
	}
	last := id[strings.LastIndex(id, "/")+1:]
	if !strings.HasPrefix(last, "i-") {
		return ""
	}
	return last
}

type kubeRole struct {
	Metadata kubeMeta `json:"metadata"`
	Rules    []struct {
		Verbs           []string `json:"verbs"`
		APIGroups       []string `json:"apiGroups"`
		Resources       []string `json:"resources"`
		ResourceNames   []string `json:"resourceNames"`
		NonResourceURLs []string `json:"nonResourceURLs"`
	} `json:"rules"`
}

func (r kubeRole) inventory() inventory.KubeRole {
	out := inventory.KubeRole{Namespace: r.Metadata.Namespace, Name: r.Metadata.Name}
	for _, x := range r.Rules {
		out.Rules = append(out.Rules, inventory.KubeRule{Verbs: x.Verbs, APIGroups: x.APIGroups, Resources: x.Resources,
			ResourceNames: x.ResourceNames, NonResourceURLs: x.NonResourceURLs})
	}
	return out
}

type kubeBinding struct {
	Metadata kubeMeta `json:"metadata"`
	RoleRef  struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Subjects []struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"subjects"`
}

func (b kubeBinding) inventory() inventory.KubeBinding {
	out := inventory.KubeBinding{Namespace: b.Metadata.Namespace, Name: b.Metadata.Name, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name}
	for _, s := range b.Subjects {
		out.Subjects = append(out.Subjects, inventory.KubeSubject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
	}
	return out
}

type kubeConfigMap struct {
	Metadata kubeMeta          `json:"metadata"`
	Data     map[string]string `json:"data"`
}

// parseAWSAuth reads the aws-auth ConfigMap's mapRoles and mapUsers (YAML
// lists of {rolearn|userarn, username, groups}).
func parseAWSAuth(data map[string]string) (*inventory.KubeAWSAuth, error) {
	type mapping struct {
		RoleARN  string   `yaml:"rolearn"`
		UserARN  string   `yaml:"userarn"`
		Username string   `yaml:"username"`
		Groups   []string `yaml:"groups"`
	}
	out := &inventory.KubeAWSAuth{}
	for _, key := range []string{"mapRoles", "mapUsers"} {
		text := data[key]
		if strings.TrimSpace(text) == "" {
			continue
		}
		var ms []mapping
		if err := yaml.Unmarshal([]byte(text), &ms); err != nil {
			return nil, fmt.Errorf("aws-auth %s: %w", key, err)
		}
		for _, m := range ms {
			if key == "mapRoles" && m.RoleARN != "" {
				out.Roles = append(out.Roles, inventory.KubeAWSAuthMapping{ARN: m.RoleARN, Username: m.Username, Groups: m.Groups})
			}
			if key == "mapUsers" && m.UserARN != "" {
				out.Users = append(out.Users, inventory.KubeAWSAuthMapping{ARN: m.UserARN, Username: m.Username, Groups: m.Groups})
			}
		}
	}
	return out, nil
}

// ParseKubeExport adds the objects of a kubectl JSON export to ks: a List
// (`kubectl get pods,serviceaccounts,nodes,roles,rolebindings,clusterroles,clusterrolebindings,services,ingresses,namespaces,networkpolicies,validatingwebhookconfigurations -A -o json`)
// or one object (`kubectl get configmap aws-auth -n kube-system -o json`).
// Items of other kinds are skipped: a Secret or another ConfigMap in the
// export is never kept. The file is untrusted: duplicate keys are refused.
func ParseKubeExport(data []byte, ks *inventory.KubeState) error {
	var head struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := decodeStrict(data, &head); err != nil {
		return err
	}
	items := head.Items
	if !strings.HasSuffix(head.Kind, "List") {
		items = []json.RawMessage{data}
	}
	for i, raw := range items {
		var k struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(raw, &k); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		if err := addKubeObject(ks, k.Kind, raw); err != nil {
			return fmt.Errorf("item %d (%s): %w", i, k.Kind, err)
		}
	}
	return nil
}

// addKubeObject decodes one exported object of a kind the collector reads.
func addKubeObject(ks *inventory.KubeState, kind string, raw json.RawMessage) error {
	var err error
	switch kind {
	case "Pod":
		var p kubePod
		if err = json.Unmarshal(raw, &p); err == nil {
			ks.Pods = append(ks.Pods, p.inventory())
		}
	case "ServiceAccount":
		var sa kubeObject
		if err = json.Unmarshal(raw, &sa); err == nil {
			ks.ServiceAccounts = append(ks.ServiceAccounts, inventory.KubeServiceAccount{Namespace: sa.Metadata.Namespace, Name: sa.Metadata.Name,
				RoleARN: sa.Metadata.Annotations["eks.amazonaws.com/role-arn"]})
		}
	case "Node":
		var n kubeNode
		if err = json.Unmarshal(raw, &n); err == nil {
			ks.Nodes = append(ks.Nodes, inventory.KubeNode{Name: n.Metadata.Name, ProviderID: n.Spec.ProviderID, InstanceID: instanceFromProviderID(n.Spec.ProviderID)})
		}
	case "ClusterRole", "Role":
		var r kubeRole
		if err = json.Unmarshal(raw, &r); err == nil {
			if kind == "Role" {
				ks.Roles = append(ks.Roles, r.inventory())
			} else {
				ks.ClusterRoles = append(ks.ClusterRoles, r.inventory())
			}
		}
	case "ClusterRoleBinding", "RoleBinding":
		var b kubeBinding
		if err = json.Unmarshal(raw, &b); err == nil {
			if kind == "RoleBinding" {
				ks.RoleBindings = append(ks.RoleBindings, b.inventory())
			} else {
				ks.ClusterRoleBindings = append(ks.ClusterRoleBindings, b.inventory())
			}
		}
	case "Service":
		var sv kubeService
		if err = json.Unmarshal(raw, &sv); err == nil {
			ks.Services = append(ks.Services, sv.inventory())
		}
	case "Ingress":
		var in kubeIngress
		if err = json.Unmarshal(raw, &in); err == nil {
			ks.Ingresses = append(ks.Ingresses, in.inventory())
		}
	case "Namespace":
		var ns kubeObject
		if err = json.Unmarshal(raw, &ns); err == nil {
			ks.Namespaces = append(ks.Namespaces, inventory.KubeNamespace{Name: ns.Metadata.Name, Labels: ns.Metadata.Labels})
			ks.NamespacesRead = true
		}
	case "ValidatingWebhookConfiguration":
		var wc kubeWebhookConfiguration
		if err = json.Unmarshal(raw, &wc); err == nil {
			ks.Webhooks = append(ks.Webhooks, wc.podWebhooks()...)
		}
	case "NetworkPolicy":
		var np kubeNetworkPolicy
		if err = json.Unmarshal(raw, &np); err == nil {
			ks.NetworkPolicies = append(ks.NetworkPolicies, np.inventory())
		}
	case "ConfigMap":
		var cm kubeConfigMap
		if err = json.Unmarshal(raw, &cm); err == nil && cm.Metadata.Namespace == "kube-system" && cm.Metadata.Name == "aws-auth" {
			ks.AWSAuth, err = parseAWSAuth(cm.Data)
		}
	}
	return err
}
