package inventory

// EKSNodeGroup is a managed node group: the instances it launches (through
// its Auto Scaling groups) run as its node role.
type EKSNodeGroup struct {
	Name        string `json:"name"`
	ARN         string `json:"arn,omitempty"`
	NodeRoleARN string `json:"node_role_arn,omitempty"`
	Status      string `json:"status,omitempty"`
	// AutoScalingGroups are the names of the groups that launch its nodes.
	AutoScalingGroups []string `json:"auto_scaling_groups,omitempty"`
	SubnetIDs         []string `json:"subnet_ids,omitempty"`
}

// EKSAccessEntry grants an IAM principal access to the cluster's
// Kubernetes API (authentication modes API and API_AND_CONFIG_MAP).
type EKSAccessEntry struct {
	PrincipalARN     string   `json:"principal_arn"`
	Type             string   `json:"type,omitempty"` // STANDARD, EC2_LINUX, FARGATE_LINUX, ...
	Username         string   `json:"username,omitempty"`
	KubernetesGroups []string `json:"kubernetes_groups,omitempty"`
	// Policies are the EKS access policies associated with the entry.
	Policies []EKSAccessPolicy `json:"policies,omitempty"`
}

// EKSAccessPolicy is an access policy associated with an access entry.
type EKSAccessPolicy struct {
	PolicyARN string `json:"policy_arn"`
	// ScopeType is "cluster" or "namespace".
	ScopeType  string   `json:"scope_type"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// EKSPodIdentity is an EKS Pod Identity association: pods running as the
// service account get the role's credentials from the Pod Identity agent.
type EKSPodIdentity struct {
	AssociationARN string `json:"association_arn,omitempty"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"service_account"`
	RoleARN        string `json:"role_arn"`
}

// KubeState is what the cluster's Kubernetes API answered to the
// collector's read-only requests. Secret objects are never read.
type KubeState struct {
	Pods                []KubePod            `json:"pods,omitempty"`
	ServiceAccounts     []KubeServiceAccount `json:"service_accounts,omitempty"`
	Nodes               []KubeNode           `json:"nodes,omitempty"`
	ClusterRoles        []KubeRole           `json:"cluster_roles,omitempty"`
	Roles               []KubeRole           `json:"roles,omitempty"`
	ClusterRoleBindings []KubeBinding        `json:"cluster_role_bindings,omitempty"`
	RoleBindings        []KubeBinding        `json:"role_bindings,omitempty"`
	// AWSAuth is the kube-system/aws-auth ConfigMap's mappings; nil when
	// the ConfigMap does not exist or was not read.
	AWSAuth *KubeAWSAuth `json:"aws_auth,omitempty"`
	// Services, Ingresses and NetworkPolicies decide how pods are reached.
	Services        []KubeService       `json:"services,omitempty"`
	Ingresses       []KubeIngress       `json:"ingresses,omitempty"`
	NetworkPolicies []KubeNetworkPolicy `json:"network_policies,omitempty"`
	// Namespaces (with their Pod Security Admission labels) and the pod
	// webhooks decide what a pod created there may be. NamespacesRead is
	// false when they were not read (an export without them): the
	// admission control is then unknown.
	Namespaces     []KubeNamespace `json:"namespaces,omitempty"`
	NamespacesRead bool            `json:"namespaces_read,omitempty"`
	Webhooks       []KubeWebhook   `json:"webhooks,omitempty"`
	// Errors lists the lists that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// KubePod is a pod with what decides its reach: where it runs, as whom,
// and what of its host it holds.
type KubePod struct {
	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	NodeName       string `json:"node_name,omitempty"`
	ServiceAccount string `json:"service_account,omitempty"`
	Phase          string `json:"phase,omitempty"`
	// Labels are the pod's labels (Service and NetworkPolicy selectors).
	Labels map[string]string `json:"labels,omitempty"`
	// IP is status.podIP (an ip-mode load balancer target).
	IP string `json:"ip,omitempty"`
	// OwnerKind and OwnerName name the controller that owns the pod (a
	// ReplicaSet's Deployment, a DaemonSet, ...); empty for a bare pod.
	OwnerKind   string          `json:"owner_kind,omitempty"`
	OwnerName   string          `json:"owner_name,omitempty"`
	HostNetwork bool            `json:"host_network,omitempty"`
	HostPID     bool            `json:"host_pid,omitempty"`
	HostIPC     bool            `json:"host_ipc,omitempty"`
	HostPaths   []string        `json:"host_paths,omitempty"` // hostPath volume paths
	Containers  []KubeContainer `json:"containers,omitempty"`
}

// KubeContainer is one container (init containers included) of a pod.
type KubeContainer struct {
	Name       string `json:"name"`
	Image      string `json:"image,omitempty"`
	Privileged bool   `json:"privileged,omitempty"`
	// Capabilities are the added Linux capabilities.
	Capabilities []string `json:"capabilities,omitempty"`
}

// KubeServiceAccount is a service account with its IRSA annotation.
type KubeServiceAccount struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// RoleARN is the eks.amazonaws.com/role-arn annotation (IRSA).
	RoleARN string `json:"role_arn,omitempty"`
}

// KubeNode is a cluster node; InstanceID is its EC2 instance, from the
// node's providerID (aws:///<zone>/<instance id>).
type KubeNode struct {
	Name       string `json:"name"`
	ProviderID string `json:"provider_id,omitempty"`
	InstanceID string `json:"instance_id,omitempty"`
}

// KubeRole is a Role (Namespace set) or ClusterRole, with its rules
// (aggregated rules included, as the API server serves them).
type KubeRole struct {
	Namespace string     `json:"namespace,omitempty"`
	Name      string     `json:"name"`
	Rules     []KubeRule `json:"rules,omitempty"`
}

// KubeRule is one RBAC policy rule.
type KubeRule struct {
	Verbs           []string `json:"verbs,omitempty"`
	APIGroups       []string `json:"api_groups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resource_names,omitempty"`
	NonResourceURLs []string `json:"non_resource_urls,omitempty"`
}

// KubeBinding is a RoleBinding (Namespace set) or ClusterRoleBinding.
type KubeBinding struct {
	Namespace string        `json:"namespace,omitempty"`
	Name      string        `json:"name"`
	RoleKind  string        `json:"role_kind"` // Role or ClusterRole
	RoleName  string        `json:"role_name"`
	Subjects  []KubeSubject `json:"subjects,omitempty"`
}

// KubeSubject is a binding's subject: User, Group or ServiceAccount.
type KubeSubject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// KubeAWSAuth is the legacy aws-auth ConfigMap: IAM roles and users mapped
// to Kubernetes user names and groups.
type KubeAWSAuth struct {
	Roles []KubeAWSAuthMapping `json:"roles,omitempty"`
	Users []KubeAWSAuthMapping `json:"users,omitempty"`
}

// KubeAWSAuthMapping maps one IAM role or user ARN.
type KubeAWSAuthMapping struct {
	ARN      string   `json:"arn"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// KubeService is a Service: the pods its selector matches answer on its
// ports, from inside the cluster, on every node's NodePort, and behind the
// load balancer a LoadBalancer Service gets.
type KubeService struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Type      string            `json:"type,omitempty"` // ClusterIP, NodePort, LoadBalancer, ExternalName
	Selector  map[string]string `json:"selector,omitempty"`
	Ports     []KubeServicePort `json:"ports,omitempty"`
	// LoadBalancerClass is spec.loadBalancerClass ("service.k8s.aws/nlb":
	// the AWS Load Balancer Controller).
	LoadBalancerClass string `json:"load_balancer_class,omitempty"`
	// SourceRanges are spec.loadBalancerSourceRanges (or the
	// service.beta.kubernetes.io/load-balancer-source-ranges annotation).
	SourceRanges []string `json:"source_ranges,omitempty"`
	// Annotations keeps only the load balancer annotations
	// (service.beta.kubernetes.io/aws-load-balancer-*).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Hostnames are status.loadBalancer.ingress hostnames: the DNS name of
	// the load balancer that fronts the Service.
	Hostnames []string `json:"hostnames,omitempty"`
}

// KubeServicePort is one port of a Service.
type KubeServicePort struct {
	Name       string `json:"name,omitempty"`
	Protocol   string `json:"protocol,omitempty"`
	Port       int32  `json:"port"`
	NodePort   int32  `json:"node_port,omitempty"`
	TargetPort string `json:"target_port,omitempty"`
}

// KubeIngress is a networking.k8s.io/v1 Ingress: the Services its rules
// and default backend route to, and how its class's controller exposes it.
type KubeIngress struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Class is spec.ingressClassName, or the kubernetes.io/ingress.class
	// annotation of older manifests.
	Class string `json:"class,omitempty"`
	// Annotations keeps only the AWS Load Balancer Controller's
	// (alb.ingress.kubernetes.io/*).
	Annotations map[string]string `json:"annotations,omitempty"`
	// Backends are the backend Services, "name:port" (port number or name).
	Backends  []string `json:"backends,omitempty"`
	Hostnames []string `json:"hostnames,omitempty"`
}

// KubeNamespace is a namespace with its Pod Security Admission labels
// (pod-security.kubernetes.io/*) and its name label; other labels are kept
// for webhook namespace selectors.
type KubeNamespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// KubeWebhook is one webhook of a ValidatingWebhookConfiguration that
// reviews the creation of pods: an admission controller (Kyverno,
// Gatekeeper, a custom policy) that may refuse a privileged pod.
type KubeWebhook struct {
	Configuration string `json:"configuration"`
	Name          string `json:"name"`
	FailurePolicy string `json:"failure_policy,omitempty"`
	// NamespaceSelector limits the namespaces whose pods it reviews; nil
	// reviews every namespace.
	NamespaceSelector *KubeLabelSelector `json:"namespace_selector,omitempty"`
}

// KubeLabelSelector is a metav1.LabelSelector.
type KubeLabelSelector struct {
	MatchLabels      map[string]string       `json:"match_labels,omitempty"`
	MatchExpressions []KubeSelectorCondition `json:"match_expressions,omitempty"`
}

// KubeSelectorCondition is one matchExpressions entry.
type KubeSelectorCondition struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"` // In, NotIn, Exists, DoesNotExist
	Values   []string `json:"values,omitempty"`
}

// KubeNetworkPolicy is a networking.k8s.io/v1 NetworkPolicy restricting
// the ingress of the pods it selects.
type KubeNetworkPolicy struct {
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	PodSelector KubeLabelSelector `json:"pod_selector"`
	// Ingress is true when the policy's policyTypes include Ingress (or it
	// has ingress rules): the selected pods then admit only what a rule allows.
	Ingress bool `json:"ingress,omitempty"`
	// IngressRules is the number of ingress rules; 0 with Ingress denies
	// all ingress.
	IngressRules int `json:"ingress_rules,omitempty"`
}
