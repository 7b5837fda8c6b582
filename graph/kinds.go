package graph

import (
	"fmt"
	"slices"
)

// Cloud names the provider a node or scope belongs to. The Internet node and
// other global stubs have no cloud.
type Cloud string

// Clouds known to the model.
const (
	CloudNone  Cloud = ""
	CloudAWS   Cloud = "aws"
	CloudAzure Cloud = "azure"
	CloudGCP   Cloud = "gcp"
)

// Valid reports whether c is a known cloud (CloudNone included).
func (c Cloud) Valid() bool {
	switch c {
	case CloudNone, CloudAWS, CloudAzure, CloudGCP:
		return true
	}
	return false
}

// Kind is the normalized, cloud-independent kind of a node. The native type
// ("AWS::S3::Bucket", "Microsoft.Storage/storageAccounts", ...) is kept in
// Node.NativeType so that nothing after the store needs to know the cloud.
type Kind string

// Node kinds. docs/model.md maps each to the native types of every cloud.
const (
	KindInternet          Kind = "Internet"          // the one public Internet source node
	KindExternalPrincipal Kind = "ExternalPrincipal" // anonymous / all-users, or a principal outside the estate
	KindOrganization      Kind = "Organization"      // AWS Organization, Entra tenant, GCP organization
	KindOrgUnit           Kind = "OrgUnit"           // AWS OU, Azure management group, GCP folder
	KindAccount           Kind = "Account"           // AWS account, Azure subscription, GCP project
	KindResourceGroup     Kind = "ResourceGroup"     // Azure resource group (no AWS/GCP equivalent)
	KindNetwork           Kind = "Network"           // VPC, VNet, VPC network
	KindSubnet            Kind = "Subnet"
	KindRouteTable        Kind = "RouteTable"
	KindGateway           Kind = "Gateway"       // internet / NAT gateways
	KindFirewallRules     Kind = "FirewallRules" // security group, NSG, firewall rule set
	KindNetworkACL        Kind = "NetworkACL"
	KindNetworkInterface  Kind = "NetworkInterface"
	KindPublicEndpoint    Kind = "PublicEndpoint" // Elastic IP, public IP address, external address, function URL
	KindLoadBalancer      Kind = "LoadBalancer"
	KindCompute           Kind = "Compute"   // EC2 instance, VM, GCE instance
	KindFunction          Kind = "Function"  // Lambda, Function App, Cloud Function / Cloud Run
	KindCluster           Kind = "Cluster"   // EKS, AKS, GKE
	KindContainer         Kind = "Container" // ECS task definition, container app, Cloud Run service revision
	KindBucket            Kind = "Bucket"    // S3 bucket, storage container, GCS bucket
	KindDatabase          Kind = "Database"  // RDS, DynamoDB, Azure SQL / Cosmos DB, Cloud SQL / BigQuery dataset
	KindQueue             Kind = "Queue"     // SQS, Service Bus queue, Pub/Sub subscription
	KindTopic             Kind = "Topic"     // SNS, Event Grid / Service Bus topic, Pub/Sub topic
	KindRegistry          Kind = "Registry"  // ECR, ACR, Artifact Registry
	KindSnapshot          Kind = "Snapshot"  // EBS / RDS snapshot, managed disk snapshot, disk snapshot
	KindImage             Kind = "Image"     // AMI, managed image, compute image
	KindSecret            Kind = "Secret"    // Secrets Manager, Key Vault secret, Secret Manager
	KindKey               Kind = "Key"       // KMS key, Key Vault key, Cloud KMS key
	KindUser              Kind = "User"
	KindGroup             Kind = "Group"
	KindRole              Kind = "Role"           // IAM role, Azure role definition, GCP role
	KindServiceAccount    Kind = "ServiceAccount" // GCP service account, Azure managed identity / service principal
	KindPolicy            Kind = "Policy"         // IAM policy, role assignment, IAM binding set
	KindInstanceProfile   Kind = "InstanceProfile"
)

// NodeKinds lists every node kind in documentation order.
var NodeKinds = []Kind{
	KindInternet, KindExternalPrincipal, KindOrganization, KindOrgUnit, KindAccount, KindResourceGroup,
	KindNetwork, KindSubnet, KindRouteTable, KindGateway, KindFirewallRules, KindNetworkACL,
	KindNetworkInterface, KindPublicEndpoint, KindLoadBalancer, KindCompute, KindFunction, KindCluster,
	KindContainer, KindBucket, KindDatabase, KindQueue, KindTopic, KindRegistry, KindSnapshot, KindImage,
	KindSecret, KindKey, KindUser, KindGroup, KindRole, KindServiceAccount, KindPolicy, KindInstanceProfile,
}

var nodeKindSet = func() map[Kind]bool {
	m := make(map[Kind]bool, len(NodeKinds))
	for _, k := range NodeKinds {
		m[k] = true
	}
	return m
}()

// Valid reports whether k is a known node kind.
func (k Kind) Valid() bool { return nodeKindSet[k] }

// IsPrincipal reports whether nodes of this kind can act (hold permissions).
func (k Kind) IsPrincipal() bool {
	switch k {
	case KindUser, KindGroup, KindRole, KindServiceAccount, KindExternalPrincipal:
		return true
	}
	return false
}

// IsDataStore reports whether nodes of this kind hold data an attacker wants.
func (k Kind) IsDataStore() bool {
	switch k {
	case KindBucket, KindDatabase, KindQueue, KindTopic, KindSecret, KindSnapshot, KindRegistry, KindImage:
		return true
	}
	return false
}

// EdgeKind is the kind of a relationship. Every edge kind belongs to exactly one
// family: facts describe configuration, moves describe what an attacker can do.
type EdgeKind string

// Family separates configuration facts from attacker moves.
type Family string

// Edge families.
const (
	FamilyFact Family = "fact"
	FamilyMove Family = "move"
)

// Fact edge kinds: configuration as read from the cloud.
const (
	EdgeContains        EdgeKind = "CONTAINS"         // account -> resource, network -> subnet, org -> account
	EdgeMemberOf        EdgeKind = "MEMBER_OF"        // user -> group
	EdgePolicyAttached  EdgeKind = "POLICY_ATTACHED"  // principal -> policy
	EdgeBoundedBy       EdgeKind = "BOUNDED_BY"       // principal -> permission boundary policy
	EdgeTrusts          EdgeKind = "TRUSTS"           // role -> principal its trust policy names
	EdgeInSubnet        EdgeKind = "IN_SUBNET"        // compute / interface / load balancer -> subnet
	EdgeInNetwork       EdgeKind = "IN_NETWORK"       // subnet / firewall rules -> network
	EdgeProtectedBy     EdgeKind = "PROTECTED_BY"     // resource -> firewall rules / network ACL
	EdgeRunsAs          EdgeKind = "RUNS_AS"          // compute / function / container -> identity (or instance profile)
	EdgeRoutesTo        EdgeKind = "ROUTES_TO"        // subnet / route table -> gateway
	EdgeHasInterface    EdgeKind = "HAS_INTERFACE"    // compute -> network interface
	EdgeHasEndpoint     EdgeKind = "HAS_ENDPOINT"     // resource -> public endpoint
	EdgeTargets         EdgeKind = "TARGETS"          // load balancer -> target
	EdgeEncryptedBy     EdgeKind = "ENCRYPTED_BY"     // data store -> key
	EdgeSnapshotOf      EdgeKind = "SNAPSHOT_OF"      // snapshot -> database / volume owner
	EdgeProfileContains EdgeKind = "PROFILE_CONTAINS" // instance profile -> role
)

// Attacker-move edge kinds: each carries a technique, its evidence and the
// findings that enable it.
const (
	EdgeExposedTo     EdgeKind = "EXPOSED_TO"    // Internet/external -> resource reachable from outside
	EdgeReaches       EdgeKind = "REACHES"       // resource -> resource over the network (lateral movement)
	EdgeUsesIdentity  EdgeKind = "USES_IDENTITY" // workload -> identity whose credentials it can use
	EdgeAssumes       EdgeKind = "ASSUMES"       // principal -> role it can assume / impersonate
	EdgeEscalatesTo   EdgeKind = "ESCALATES_TO"  // principal -> principal whose privileges it can gain
	EdgeReads         EdgeKind = "READS"         // principal / public -> data it can read
	EdgeWrites        EdgeKind = "WRITES"        // principal / public -> data it can modify
	EdgeAdministers   EdgeKind = "ADMINISTERS"   // principal -> resource it fully controls (incl. its policy)
	EdgeDecrypts      EdgeKind = "DECRYPTS"      // principal -> key it can use to decrypt
	EdgeAuthenticates EdgeKind = "AUTHENTICATES" // external principal -> the identity its credentials belong to
)

var edgeFamilies = map[EdgeKind]Family{
	EdgeContains: FamilyFact, EdgeMemberOf: FamilyFact, EdgePolicyAttached: FamilyFact, EdgeBoundedBy: FamilyFact,
	EdgeTrusts: FamilyFact, EdgeInSubnet: FamilyFact, EdgeInNetwork: FamilyFact, EdgeProtectedBy: FamilyFact,
	EdgeRunsAs: FamilyFact, EdgeRoutesTo: FamilyFact, EdgeHasInterface: FamilyFact, EdgeHasEndpoint: FamilyFact,
	EdgeTargets: FamilyFact, EdgeEncryptedBy: FamilyFact, EdgeSnapshotOf: FamilyFact, EdgeProfileContains: FamilyFact,

	EdgeExposedTo: FamilyMove, EdgeReaches: FamilyMove, EdgeUsesIdentity: FamilyMove, EdgeAssumes: FamilyMove,
	EdgeEscalatesTo: FamilyMove, EdgeReads: FamilyMove, EdgeWrites: FamilyMove, EdgeAdministers: FamilyMove,
	EdgeDecrypts: FamilyMove, EdgeAuthenticates: FamilyMove,
}

// EdgeKinds lists every edge kind, facts first, in documentation order.
var EdgeKinds = []EdgeKind{
	EdgeContains, EdgeMemberOf, EdgePolicyAttached, EdgeBoundedBy, EdgeTrusts, EdgeInSubnet, EdgeInNetwork,
	EdgeProtectedBy, EdgeRunsAs, EdgeRoutesTo, EdgeHasInterface, EdgeHasEndpoint, EdgeTargets, EdgeEncryptedBy,
	EdgeSnapshotOf, EdgeProfileContains,
	EdgeExposedTo, EdgeReaches, EdgeUsesIdentity, EdgeAssumes, EdgeEscalatesTo, EdgeReads, EdgeWrites,
	EdgeAdministers, EdgeDecrypts, EdgeAuthenticates,
}

// Family returns the family of the edge kind, or "" for an unknown kind.
func (k EdgeKind) Family() Family { return edgeFamilies[k] }

// Valid reports whether k is a known edge kind.
func (k EdgeKind) Valid() bool { _, ok := edgeFamilies[k]; return ok }

// IsMove reports whether the edge kind is an attacker move.
func (k EdgeKind) IsMove() bool { return edgeFamilies[k] == FamilyMove }

// MoveEdgeKinds returns every attacker-move edge kind, sorted.
func MoveEdgeKinds() []EdgeKind {
	var out []EdgeKind
	for k, f := range edgeFamilies {
		if f == FamilyMove {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Severity of a finding.
type Severity int

// Severities, ordered so that larger is worse.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s >= SeverityInfo && s <= SeverityCritical }

// ParseSeverity parses a severity name.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n == name {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of info, low, medium, high, critical)", name)
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Sensitivity is the data-sensitivity level of a node, from tags, labels,
// imported classification results or rules.
type Sensitivity int

// Sensitivity levels, ordered so that larger is more sensitive.
const (
	SensitivityNone Sensitivity = iota
	SensitivityPublic
	SensitivityInternal
	SensitivityConfidential
	SensitivityRestricted
)

var sensitivityNames = []string{"none", "public", "internal", "confidential", "restricted"}

func (s Sensitivity) String() string {
	if s < 0 || int(s) >= len(sensitivityNames) {
		return fmt.Sprintf("sensitivity(%d)", int(s))
	}
	return sensitivityNames[s]
}

// Valid reports whether s is a known level.
func (s Sensitivity) Valid() bool { return s >= SensitivityNone && s <= SensitivityRestricted }

// ParseSensitivity parses a level name.
func ParseSensitivity(name string) (Sensitivity, error) {
	for i, n := range sensitivityNames {
		if n == name {
			return Sensitivity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown sensitivity %q (want one of none, public, internal, confidential, restricted)", name)
}

// MarshalText encodes the level by name.
func (s Sensitivity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid sensitivity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a level name.
func (s *Sensitivity) UnmarshalText(b []byte) error {
	v, err := ParseSensitivity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
