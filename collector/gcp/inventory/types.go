package inventory

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Asset types the transform reads.
const (
	TypeOrganization   = "cloudresourcemanager.googleapis.com/Organization"
	TypeFolder         = "cloudresourcemanager.googleapis.com/Folder"
	TypeProject        = "cloudresourcemanager.googleapis.com/Project"
	TypeServiceAccount = "iam.googleapis.com/ServiceAccount"
	TypeSAKey          = "iam.googleapis.com/ServiceAccountKey"
	TypeRole           = "iam.googleapis.com/Role"
	TypeInstance       = "compute.googleapis.com/Instance"
	TypeFirewall       = "compute.googleapis.com/Firewall"
	TypeNetwork        = "compute.googleapis.com/Network"
	TypeSubnetwork     = "compute.googleapis.com/Subnetwork"
	TypeRoute          = "compute.googleapis.com/Route"
	TypeForwardingRule = "compute.googleapis.com/ForwardingRule"
	TypeGlobalFwdRule  = "compute.googleapis.com/GlobalForwardingRule"
	TypeTargetPool     = "compute.googleapis.com/TargetPool"
	// Load balancer chain: forwarding rule -> target proxy -> URL map ->
	// backend service -> instance group -> instances.
	TypeBackendService       = "compute.googleapis.com/BackendService"
	TypeRegionBackendService = "compute.googleapis.com/RegionBackendService"
	TypeTargetHTTPProxy      = "compute.googleapis.com/TargetHttpProxy"
	TypeTargetHTTPSProxy     = "compute.googleapis.com/TargetHttpsProxy"
	TypeTargetTCPProxy       = "compute.googleapis.com/TargetTcpProxy"
	TypeTargetSSLProxy       = "compute.googleapis.com/TargetSslProxy"
	TypeURLMap               = "compute.googleapis.com/UrlMap"
	TypeInstanceGroup        = "compute.googleapis.com/InstanceGroup"
	TypeComputeProject       = "compute.googleapis.com/Project"
	TypeBucket               = "storage.googleapis.com/Bucket"
	TypeDataset              = "bigquery.googleapis.com/Dataset"
	TypeSecret               = "secretmanager.googleapis.com/Secret"
	TypeSQLInstance          = "sqladmin.googleapis.com/Instance"
	TypeFunctionV1           = "cloudfunctions.googleapis.com/CloudFunction"
	TypeFunctionV2           = "cloudfunctions.googleapis.com/Function"
	TypeRunService           = "run.googleapis.com/Service"
	TypeCluster              = "container.googleapis.com/Cluster"
	TypeKeyRing              = "cloudkms.googleapis.com/KeyRing"
	TypeCryptoKey            = "cloudkms.googleapis.com/CryptoKey"
	TypeTopic                = "pubsub.googleapis.com/Topic"
	TypeSubscription         = "pubsub.googleapis.com/Subscription"
)

// Decode decodes the asset's resource data into v. An asset without
// resource data (an IAM-policy-only record) leaves v unchanged.
func (a *Asset) Decode(v any) error {
	if a.Resource == nil || len(a.Resource.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.Resource.Data, v); err != nil {
		return fmt.Errorf("asset %s (%s): %w", a.Name, a.AssetType, err)
	}
	return nil
}

// HasData reports whether the asset carries resource data.
func (a *Asset) HasData() bool { return a.Resource != nil && len(a.Resource.Data) > 0 }

// Project is a project's resource data (Resource Manager v1 and v3 shapes).
type Project struct {
	ProjectNumber  string            `json:"projectNumber"`
	ProjectID      string            `json:"projectId"`
	Name           string            `json:"name"` // v3: "projects/123"
	DisplayName    string            `json:"displayName"`
	LifecycleState string            `json:"lifecycleState"`
	State          string            `json:"state"`
	Labels         map[string]string `json:"labels"`
}

// Folder is a folder's resource data.
type Folder struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Parent      string `json:"parent"`
}

// Organization is an organisation's resource data.
type Organization struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// ServiceAccount is a service account's resource data.
type ServiceAccount struct {
	Email       string `json:"email"`
	ProjectID   string `json:"projectId"`
	UniqueID    string `json:"uniqueId"`
	DisplayName string `json:"displayName"`
	Disabled    bool   `json:"disabled"`
}

// ServiceAccountKey is a key's metadata (never key material).
type ServiceAccountKey struct {
	Name           string `json:"name"`
	KeyType        string `json:"keyType"` // USER_MANAGED, SYSTEM_MANAGED
	ValidAfterTime string `json:"validAfterTime"`
	Disabled       bool   `json:"disabled"`
}

// CustomRole is a custom role's resource data.
type CustomRole struct {
	Name                string   `json:"name"`
	Title               string   `json:"title"`
	IncludedPermissions []string `json:"includedPermissions"`
	Stage               string   `json:"stage"`
	Deleted             bool     `json:"deleted"`
}

// MetadataItem is one instance or project metadata entry.
type MetadataItem struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// Metadata is instance or project metadata. Values are read only for the
// flags below; ssh-keys values are never copied into the graph.
type Metadata struct {
	Items []MetadataItem `json:"items"`
}

// Get returns a metadata value by key.
func (m *Metadata) Get(key string) (string, bool) {
	for _, it := range m.Items {
		if it.Key == key {
			if it.Value == nil {
				return "", true
			}
			return *it.Value, true
		}
	}
	return "", false
}

// Instance is a Compute Engine instance's resource data.
type Instance struct {
	Name   string            `json:"name"`
	Zone   string            `json:"zone"`
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
	Tags   struct {
		Items []string `json:"items"`
	} `json:"tags"`
	ServiceAccounts []struct {
		Email  string   `json:"email"`
		Scopes []string `json:"scopes"`
	} `json:"serviceAccounts"`
	NetworkInterfaces []struct {
		Network       string `json:"network"`
		Subnetwork    string `json:"subnetwork"`
		NetworkIP     string `json:"networkIP"`
		AccessConfigs []struct {
			NatIP string `json:"natIP"`
			Type  string `json:"type"`
		} `json:"accessConfigs"`
	} `json:"networkInterfaces"`
	Metadata     Metadata `json:"metadata"`
	CanIPForward bool     `json:"canIpForward"`
}

// FirewallRule is a VPC firewall rule's resource data.
type FirewallRule struct {
	Name                  string   `json:"name"`
	Network               string   `json:"network"`
	Priority              *int     `json:"priority"`
	Direction             string   `json:"direction"`
	Disabled              bool     `json:"disabled"`
	SourceRanges          []string `json:"sourceRanges"`
	SourceTags            []string `json:"sourceTags"`
	SourceServiceAccounts []string `json:"sourceServiceAccounts"`
	TargetTags            []string `json:"targetTags"`
	TargetServiceAccounts []string `json:"targetServiceAccounts"`
	Allowed               []PortSpec
	Denied                []PortSpec
}

// PortSpec is one protocol and its ports in a firewall rule.
type PortSpec struct {
	IPProtocol string   `json:"IPProtocol"`
	Ports      []string `json:"ports"`
}

// UnmarshalJSON accepts "allowed"/"denied" as the API spells them.
func (f *FirewallRule) UnmarshalJSON(b []byte) error {
	type plain FirewallRule
	var aux struct {
		plain
		Allowed []PortSpec `json:"allowed"`
		Denied  []PortSpec `json:"denied"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = FirewallRule(aux.plain)
	f.Allowed, f.Denied = aux.Allowed, aux.Denied
	return nil
}

// PriorityValue returns the rule's priority (default 1000).
func (f *FirewallRule) PriorityValue() int {
	if f.Priority == nil {
		return 1000
	}
	return *f.Priority
}

// Network is a VPC network's resource data.
type Network struct {
	Name                  string `json:"name"`
	AutoCreateSubnetworks bool   `json:"autoCreateSubnetworks"`
	Peerings              []struct {
		Name    string `json:"name"`
		Network string `json:"network"`
		State   string `json:"state"`
	} `json:"peerings"`
}

// Subnetwork is a subnet's resource data.
type Subnetwork struct {
	Name                  string `json:"name"`
	Network               string `json:"network"`
	Region                string `json:"region"`
	IPCidrRange           string `json:"ipCidrRange"`
	PrivateIPGoogleAccess bool   `json:"privateIpGoogleAccess"`
}

// ForwardingRule is a (global or regional) forwarding rule's resource data.
type ForwardingRule struct {
	Name                string   `json:"name"`
	IPAddress           string   `json:"IPAddress"`
	IPProtocol          string   `json:"IPProtocol"`
	PortRange           string   `json:"portRange"`
	Ports               []string `json:"ports"`
	LoadBalancingScheme string   `json:"loadBalancingScheme"`
	Target              string   `json:"target"`
	BackendService      string   `json:"backendService"`
}

// TargetPool is a network load balancer target pool.
type TargetPool struct {
	Name      string   `json:"name"`
	Instances []string `json:"instances"`
}

// Bucket is a Cloud Storage bucket's resource data (JSON API shape).
type Bucket struct {
	Name             string            `json:"name"`
	Location         string            `json:"location"`
	Labels           map[string]string `json:"labels"`
	IAMConfiguration struct {
		UniformBucketLevelAccess struct {
			Enabled bool `json:"enabled"`
		} `json:"uniformBucketLevelAccess"`
		PublicAccessPrevention string `json:"publicAccessPrevention"`
	} `json:"iamConfiguration"`
	Versioning struct {
		Enabled bool `json:"enabled"`
	} `json:"versioning"`
	Encryption struct {
		DefaultKmsKeyName string `json:"defaultKmsKeyName"`
	} `json:"encryption"`
	// DefaultObjectACL is the ACL new objects get when they are written
	// without one (fine-grained buckets only; the Storage JSON API's
	// defaultObjectAcl, present when the bucket was read with projection
	// full). The bucket's own ACL is not kept: Cloud Storage mirrors it in
	// the bucket's IAM policy as legacy roles.
	DefaultObjectACL []ACLEntry `json:"defaultObjectAcl,omitempty"`
}

// ACLEntry is one Cloud Storage access-control entry: an entity
// ("user-<email>", "group-<email>", "domain-<domain>", "allUsers",
// "allAuthenticatedUsers", "project-<owners|editors|viewers>-<number>")
// and a role (READER, WRITER, OWNER).
type ACLEntry struct {
	Entity string `json:"entity"`
	Role   string `json:"role"`
}

// Dataset is a BigQuery dataset's resource data.
type Dataset struct {
	DatasetReference struct {
		DatasetID string `json:"datasetId"`
		ProjectID string `json:"projectId"`
	} `json:"datasetReference"`
	Location                       string            `json:"location"`
	Labels                         map[string]string `json:"labels"`
	DefaultEncryptionConfiguration struct {
		KmsKeyName string `json:"kmsKeyName"`
	} `json:"defaultEncryptionConfiguration"`
	Access []DatasetAccess `json:"access"`
}

// DatasetAccess is one legacy dataset ACL entry.
type DatasetAccess struct {
	Role         string `json:"role"`
	UserByEmail  string `json:"userByEmail"`
	GroupByEmail string `json:"groupByEmail"`
	Domain       string `json:"domain"`
	SpecialGroup string `json:"specialGroup"`
	IAMMember    string `json:"iamMember"`
}

// Secret is a Secret Manager secret's metadata (never a payload).
type Secret struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

// SQLInstance is a Cloud SQL instance's resource data.
type SQLInstance struct {
	Name            string `json:"name"`
	Region          string `json:"region"`
	DatabaseVersion string `json:"databaseVersion"`
	Settings        struct {
		UserLabels      map[string]string `json:"userLabels"`
		IPConfiguration struct {
			IPv4Enabled        bool `json:"ipv4Enabled"`
			RequireSSL         bool `json:"requireSsl"`
			AuthorizedNetworks []struct {
				Value string `json:"value"`
				Name  string `json:"name"`
			} `json:"authorizedNetworks"`
		} `json:"ipConfiguration"`
	} `json:"settings"`
	IPAddresses []struct {
		Type      string `json:"type"`
		IPAddress string `json:"ipAddress"`
	} `json:"ipAddresses"`
}

// Function is a Cloud Functions function (1st gen CloudFunction or 2nd gen Function).
type Function struct {
	Name                string            `json:"name"`
	Labels              map[string]string `json:"labels"`
	ServiceAccountEmail string            `json:"serviceAccountEmail"`
	IngressSettings     string            `json:"ingressSettings"`
	HTTPSTrigger        *struct {
		URL string `json:"url"`
	} `json:"httpsTrigger"`
	// EnvironmentVariables are read only to detect secrets stored in them;
	// no value is ever copied into the graph.
	EnvironmentVariables map[string]string `json:"environmentVariables"`
	ServiceConfig        *struct {
		ServiceAccountEmail  string            `json:"serviceAccountEmail"`
		IngressSettings      string            `json:"ingressSettings"`
		URI                  string            `json:"uri"`
		EnvironmentVariables map[string]string `json:"environmentVariables"`
	} `json:"serviceConfig"`
}

// Env returns the function's environment variables whatever the generation.
func (f *Function) Env() map[string]string {
	if f.ServiceConfig != nil && len(f.ServiceConfig.EnvironmentVariables) > 0 {
		return f.ServiceConfig.EnvironmentVariables
	}
	return f.EnvironmentVariables
}

// Identity returns the function's runtime service account and ingress.
func (f *Function) Identity() (sa, ingress string) {
	sa, ingress = f.ServiceAccountEmail, f.IngressSettings
	if f.ServiceConfig != nil {
		if f.ServiceConfig.ServiceAccountEmail != "" {
			sa = f.ServiceConfig.ServiceAccountEmail
		}
		if f.ServiceConfig.IngressSettings != "" {
			ingress = f.ServiceConfig.IngressSettings
		}
	}
	if ingress == "" {
		ingress = "ALLOW_ALL"
	}
	return sa, ingress
}

// RunService is a Cloud Run service (v1 Knative shape or v2 shape).
type RunService struct {
	// v2
	Name     string            `json:"name"`
	Ingress  string            `json:"ingress"`
	URI      string            `json:"uri"`
	Labels   map[string]string `json:"labels"`
	Template *struct {
		ServiceAccount string `json:"serviceAccount"`
		Spec           *struct {
			ServiceAccountName string `json:"serviceAccountName"`
		} `json:"spec"`
	} `json:"template"`
	// v1
	Metadata *struct {
		Name        string            `json:"name"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec *struct {
		Template *struct {
			Spec *struct {
				ServiceAccountName string `json:"serviceAccountName"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// Identity returns the service's runtime service account and ingress
// ("all", "internal", "internal-and-cloud-load-balancing").
func (r *RunService) Identity() (sa, ingress string) {
	if r.Template != nil {
		sa = r.Template.ServiceAccount
		if sa == "" && r.Template.Spec != nil {
			sa = r.Template.Spec.ServiceAccountName
		}
	}
	if sa == "" && r.Spec != nil && r.Spec.Template != nil && r.Spec.Template.Spec != nil {
		sa = r.Spec.Template.Spec.ServiceAccountName
	}
	ingress = strings.ToLower(strings.TrimPrefix(r.Ingress, "INGRESS_TRAFFIC_"))
	if r.Metadata != nil {
		if v := r.Metadata.Annotations["run.googleapis.com/ingress"]; v != "" {
			ingress = v
		}
	}
	ingress = strings.ReplaceAll(ingress, "_", "-")
	if ingress == "" || ingress == "unspecified" {
		ingress = "all"
	}
	return sa, ingress
}

// AllLabels returns the service's labels whatever the shape.
func (r *RunService) AllLabels() map[string]string {
	if r.Metadata != nil && len(r.Metadata.Labels) > 0 {
		return r.Metadata.Labels
	}
	return r.Labels
}

// Cluster is a GKE cluster's resource data.
type Cluster struct {
	Name                 string `json:"name"`
	Endpoint             string `json:"endpoint"`
	PrivateClusterConfig *struct {
		EnablePrivateEndpoint bool `json:"enablePrivateEndpoint"`
	} `json:"privateClusterConfig"`
	MasterAuthorizedNetworksConfig *struct {
		Enabled    bool `json:"enabled"`
		CidrBlocks []struct {
			CidrBlock string `json:"cidrBlock"`
		} `json:"cidrBlocks"`
	} `json:"masterAuthorizedNetworksConfig"`
	WorkloadIdentityConfig *struct {
		WorkloadPool string `json:"workloadPool"`
	} `json:"workloadIdentityConfig"`
	NodeConfig *NodeConfig `json:"nodeConfig"`
	NodePools  []struct {
		Name   string      `json:"name"`
		Config *NodeConfig `json:"config"`
	} `json:"nodePools"`
	ResourceLabels map[string]string `json:"resourceLabels"`
}

// NodeConfig is a GKE node pool's identity.
type NodeConfig struct {
	ServiceAccount string   `json:"serviceAccount"`
	OAuthScopes    []string `json:"oauthScopes"`
}

// CryptoKey is a Cloud KMS key's metadata.
type CryptoKey struct {
	Name           string            `json:"name"`
	Purpose        string            `json:"purpose"`
	RotationPeriod string            `json:"rotationPeriod"`
	Labels         map[string]string `json:"labels"`
}

// Labelled is any resource with labels.
type Labelled struct {
	Labels map[string]string `json:"labels"`
}

// SelfLinkToName converts a Compute Engine self link
// ("https://www.googleapis.com/compute/v1/projects/p/global/networks/n")
// or a partial URL ("projects/p/global/networks/n", "global/networks/n"
// with the project given) to the full resource name
// ("//compute.googleapis.com/projects/p/global/networks/n").
func SelfLinkToName(link, project string) string {
	if link == "" {
		return ""
	}
	if strings.HasPrefix(link, "//") {
		return link
	}
	s := link
	if i := strings.Index(s, "/projects/"); i >= 0 {
		s = s[i+1:]
	}
	if !strings.HasPrefix(s, "projects/") {
		if project == "" {
			return ""
		}
		s = "projects/" + project + "/" + s
	}
	return "//compute.googleapis.com/" + s
}

// LastSegment returns what follows the last "/" ("zones/us-west1-c" -> "us-west1-c").
func LastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
