package inventory

import (
	"encoding/json"
	"strings"

	"github.com/breachpath/breachpath/collector/credscan"
)

// ARM resource types the collector models, lower-cased as ids are.
const (
	TypeSubscription        = "microsoft.resources/subscriptions"
	TypeResourceGroup       = "microsoft.resources/subscriptions/resourcegroups"
	TypeManagementGroup     = "microsoft.management/managementgroups"
	TypeVM                  = "microsoft.compute/virtualmachines"
	TypeVMExtension         = "microsoft.compute/virtualmachines/extensions"
	TypeVMSS                = "microsoft.compute/virtualmachinescalesets"
	TypeVNet                = "microsoft.network/virtualnetworks"
	TypeSubnet              = "microsoft.network/virtualnetworks/subnets"
	TypeNIC                 = "microsoft.network/networkinterfaces"
	TypeNSG                 = "microsoft.network/networksecuritygroups"
	TypePublicIP            = "microsoft.network/publicipaddresses"
	TypeLoadBalancer        = "microsoft.network/loadbalancers"
	TypeAppGateway          = "microsoft.network/applicationgateways"
	TypeRouteTable          = "microsoft.network/routetables"
	TypeNATGateway          = "microsoft.network/natgateways"
	TypePrivateEndpoint     = "microsoft.network/privateendpoints"
	TypeAzureFirewall       = "microsoft.network/azurefirewalls"
	TypeFirewallPolicy      = "microsoft.network/firewallpolicies"
	TypeFirewallPolicyRCG   = "microsoft.network/firewallpolicies/rulecollectiongroups"
	TypeStorageAccount      = "microsoft.storage/storageaccounts"
	TypeBlobContainer       = "microsoft.storage/storageaccounts/blobservices/containers"
	TypeKeyVault            = "microsoft.keyvault/vaults"
	TypeKeyVaultSecret      = "microsoft.keyvault/vaults/secrets"
	TypeKeyVaultKey         = "microsoft.keyvault/vaults/keys"
	TypeSQLServer           = "microsoft.sql/servers"
	TypeSQLDatabase         = "microsoft.sql/servers/databases"
	TypeSQLFirewallRule     = "microsoft.sql/servers/firewallrules"
	TypeSQLVNetRule         = "microsoft.sql/servers/virtualnetworkrules"
	TypeCosmosAccount       = "microsoft.documentdb/databaseaccounts"
	TypeWebSite             = "microsoft.web/sites"
	TypeAutomationAccount   = "microsoft.automation/automationaccounts"
	TypeLogicApp            = "microsoft.logic/workflows"
	TypeRunbook             = "microsoft.automation/automationaccounts/runbooks"
	TypeAutomationVariable  = "microsoft.automation/automationaccounts/variables"
	TypeAKS                 = "microsoft.containerservice/managedclusters"
	TypeACR                 = "microsoft.containerregistry/registries"
	TypeUserAssignedID      = "microsoft.managedidentity/userassignedidentities"
	TypeFederatedCredential = "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials"
	TypeRoleDefinition      = "microsoft.authorization/roledefinitions"
	TypeRoleAssignment      = "microsoft.authorization/roleassignments"
	TypeRoleEligibility     = "microsoft.authorization/roleeligibilityscheduleinstances"
	TypeDenyAssignment      = "microsoft.authorization/denyassignments"
	TypePolicyAssignment    = "microsoft.authorization/policyassignments"
	TypePolicyDefinition    = "microsoft.authorization/policydefinitions"
	TypePolicySetDefinition = "microsoft.authorization/policysetdefinitions"
)

// Resource is one ARM resource in the documented REST shape. Properties
// stay raw: the typed views (VM, NIC, ...) decode what the transform uses.
type Resource struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Kind           string            `json:"kind,omitempty"`
	Location       string            `json:"location,omitempty"`
	ResourceGroup  string            `json:"resourceGroup,omitempty"`
	SubscriptionID string            `json:"subscriptionId,omitempty"`
	TenantID       string            `json:"tenantId,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	Identity       *Identity         `json:"identity,omitempty"`
	SKU            *SKU              `json:"sku,omitempty"`
	Properties     json.RawMessage   `json:"properties,omitempty"`
	// AppSettingNames are the names (never the values) of an App Service or
	// Function app's application settings and connection strings.
	AppSettingNames []string `json:"appSettingNames,omitempty"`
	// AppSettingStorageAccounts maps a setting or connection string that
	// holds a storage connection string with an account key or SAS to the
	// storage account's name: the name only, read from the value as it
	// passes (StorageAccountOfConnectionString); the value is never kept.
	AppSettingStorageAccounts map[string]string `json:"appSettingStorageAccounts,omitempty"`
	// AuthEnabled is App Service Authentication (Easy Auth) of a web app:
	// nil when it was not read.
	AuthEnabled *bool `json:"authEnabled,omitempty"`
	// AnonymousListVerified records an anonymous listing probe of a blob
	// container (fetch.Options.VerifyPublicBlobs): nil when not probed.
	AnonymousListVerified *bool `json:"anonymousListVerified,omitempty"`
	// ObjectScan is what the opt-in object scan (fetch.Options.ScanConfigObjects)
	// found in a blob container: nil when the container was not scanned.
	ObjectScan *credscan.Scan `json:"objectScan,omitempty"`
}

// SKU is a resource's pricing tier.
type SKU struct {
	Name string `json:"name,omitempty"`
	Tier string `json:"tier,omitempty"`
}

// SKUName returns the SKU name, or "".
func (r *Resource) SKUName() string {
	if r.SKU == nil {
		return ""
	}
	return r.SKU.Name
}

// Identity is the managed identity block of a resource.
type Identity struct {
	Type        string                          `json:"type,omitempty"`
	PrincipalID string                          `json:"principalId,omitempty"`
	TenantID    string                          `json:"tenantId,omitempty"`
	UserIDs     map[string]UserAssignedIdentity `json:"userAssignedIdentities,omitempty"`
}

// UserAssignedIdentity is one user-assigned identity attached to a resource.
type UserAssignedIdentity struct {
	PrincipalID string `json:"principalId,omitempty"`
	ClientID    string `json:"clientId,omitempty"`
}

// SystemAssigned reports whether the resource has a system-assigned identity.
func (i *Identity) SystemAssigned() bool {
	return i != nil && strings.Contains(strings.ToLower(i.Type), "systemassigned") && i.PrincipalID != ""
}

// SystemIdentityID is the node id of a resource's system-assigned managed
// identity: the ARM id of the identity extension resource
// (`{resource}/providers/Microsoft.ManagedIdentity/identities/default`).
func SystemIdentityID(resourceID string) string {
	return strings.ToLower(resourceID) + "/providers/microsoft.managedidentity/identities/default"
}

// Ref is an ARM reference ({"id": ...}).
type Ref struct {
	ID string `json:"id"`
}

// LID returns the lower-cased id.
func (r *Ref) LID() string {
	if r == nil {
		return ""
	}
	return strings.ToLower(r.ID)
}

func (r *Resource) normalise() {
	r.ID = strings.ToLower(strings.TrimRight(r.ID, "/"))
	r.Type = strings.ToLower(r.Type)
	if r.Type == "" {
		r.Type = typeFromID(r.ID)
	}
	if r.Type == "microsoft.resources/resourcegroups" {
		r.Type = TypeResourceGroup
	}
	if r.Name == "" {
		r.Name = lastSegment(r.ID)
	}
	if r.SubscriptionID == "" {
		r.SubscriptionID = SubscriptionOf(r.ID)
	}
	r.SubscriptionID = strings.ToLower(r.SubscriptionID)
	if r.ResourceGroup == "" {
		r.ResourceGroup = ResourceGroupOf(r.ID)
	}
	r.ResourceGroup = strings.ToLower(r.ResourceGroup)
	r.Location = strings.ToLower(strings.ReplaceAll(r.Location, " ", ""))
	r.TenantID = strings.ToLower(r.TenantID)
	if r.Identity != nil && len(r.Identity.UserIDs) > 0 {
		ids := make(map[string]UserAssignedIdentity, len(r.Identity.UserIDs))
		for k, v := range r.Identity.UserIDs {
			ids[strings.ToLower(k)] = v
		}
		r.Identity.UserIDs = ids
	}
}

// mergeFrom fills what r lacks from an earlier read of the same resource.
func (r *Resource) mergeFrom(old *Resource) {
	if len(r.Properties) == 0 || string(r.Properties) == "null" {
		r.Properties = old.Properties
	}
	if r.Identity == nil {
		r.Identity = old.Identity
	}
	if r.SKU == nil {
		r.SKU = old.SKU
	}
	if r.Tags == nil {
		r.Tags = old.Tags
	}
	if r.AppSettingNames == nil {
		r.AppSettingNames = old.AppSettingNames
	}
	if r.AuthEnabled == nil {
		r.AuthEnabled = old.AuthEnabled
	}
	if r.AnonymousListVerified == nil {
		r.AnonymousListVerified = old.AnonymousListVerified
	}
	if r.ObjectScan == nil {
		r.ObjectScan = old.ObjectScan
	}
	if r.Kind == "" {
		r.Kind = old.Kind
	}
	if r.Location == "" {
		r.Location = old.Location
	}
}

// Decode decodes the resource's properties into v; a resource without
// properties leaves v as it is.
func (r *Resource) Decode(v any) error {
	if len(r.Properties) == 0 || string(r.Properties) == "null" {
		return nil
	}
	return json.Unmarshal(r.Properties, v)
}

// SubscriptionOf returns the lower-cased subscription id of an ARM id.
func SubscriptionOf(id string) string {
	parts := strings.Split(strings.ToLower(id), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "subscriptions" {
			return parts[i+1]
		}
	}
	return ""
}

// ResourceGroupOf returns the lower-cased resource group name of an ARM id.
func ResourceGroupOf(id string) string {
	parts := strings.Split(strings.ToLower(id), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "resourcegroups" {
			return parts[i+1]
		}
	}
	return ""
}

// ResourceGroupID returns the id of the resource group holding an ARM id.
func ResourceGroupID(id string) string {
	sub, rg := SubscriptionOf(id), ResourceGroupOf(id)
	if sub == "" || rg == "" {
		return ""
	}
	return "/subscriptions/" + sub + "/resourcegroups/" + rg
}

// Parent returns the id of the parent resource of a child resource id
// (".../vaults/kv/secrets/s" -> ".../vaults/kv"), or "" for a top-level one.
func Parent(id string) string {
	id = strings.ToLower(id)
	i := strings.LastIndex(id, "/providers/")
	if i < 0 {
		return ""
	}
	rest := strings.Split(id[i+len("/providers/"):], "/")
	// provider, type, name, [childtype, childname]...
	if len(rest) < 5 {
		return ""
	}
	return id[:i] + "/providers/" + strings.Join(rest[:len(rest)-2], "/")
}

// TypeOf derives the lower-cased ARM type from a resource id.
func TypeOf(id string) string { return typeFromID(strings.ToLower(id)) }

// typeFromID derives the ARM type from an id: the provider namespace and the
// type segments after the last "/providers/".
func typeFromID(id string) string {
	i := strings.LastIndex(id, "/providers/")
	if i < 0 {
		switch {
		case strings.Contains(id, "/resourcegroups/"):
			return TypeResourceGroup
		case strings.HasPrefix(id, "/subscriptions/"):
			return TypeSubscription
		}
		return ""
	}
	rest := strings.Split(id[i+len("/providers/"):], "/")
	if len(rest) < 2 {
		return ""
	}
	t := rest[0]
	for j := 1; j < len(rest); j += 2 {
		t += "/" + rest[j]
	}
	return t
}

// StorageAccountOfConnectionString returns the account name of an Azure
// Storage connection string that authorizes with an account key or a
// shared access signature ("DefaultEndpointsProtocol=https;AccountName=x;
// AccountKey=...;"), or "" for any other value. Only the name leaves.
func StorageAccountOfConnectionString(v string) string {
	var name string
	var key bool
	for _, part := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "accountname":
			name = strings.ToLower(strings.TrimSpace(val))
		case "accountkey", "sharedaccesssignature":
			key = strings.TrimSpace(val) != ""
		}
	}
	if !key {
		return ""
	}
	return name
}
