package inventory

import "encoding/json"

// Typed views of the ARM properties the transform uses: subsets of the
// documented REST shapes (api-versions as in the SDK modules named in
// docs/azure-collector.md). Fields absent from a record stay zero, which
// the transform treats as "not known" wherever that differs from false.

// VMProps are the properties of Microsoft.Compute/virtualMachines.
type VMProps struct {
	NetworkProfile struct {
		NetworkInterfaces []Ref `json:"networkInterfaces"`
	} `json:"networkProfile"`
	OSProfile struct {
		AdminUsername      string `json:"adminUsername"`
		LinuxConfiguration *struct {
			DisablePasswordAuthentication bool `json:"disablePasswordAuthentication"`
			// SSH holds the admin account's authorized public keys.
			SSH *struct {
				PublicKeys []struct {
					Path    string `json:"path"`
					KeyData string `json:"keyData"`
				} `json:"publicKeys"`
			} `json:"ssh"`
		} `json:"linuxConfiguration"`
		WindowsConfiguration *struct{} `json:"windowsConfiguration"`
	} `json:"osProfile"`
	StorageProfile struct {
		OSDisk struct {
			OSType string `json:"osType"`
		} `json:"osDisk"`
	} `json:"storageProfile"`
}

// VMSSProps are the properties of Microsoft.Compute/virtualMachineScaleSets.
type VMSSProps struct {
	VirtualMachineProfile struct {
		NetworkProfile struct {
			NetworkInterfaceConfigurations []struct {
				Name       string `json:"name"`
				Properties struct {
					NetworkSecurityGroup *Ref `json:"networkSecurityGroup"`
					IPConfigurations     []struct {
						Name       string `json:"name"`
						Properties struct {
							Subnet                                *Ref      `json:"subnet"`
							PublicIPAddressConfiguration          *struct{} `json:"publicIPAddressConfiguration"`
							LoadBalancerBackendAddressPools       []Ref     `json:"loadBalancerBackendAddressPools"`
							ApplicationGatewayBackendAddressPools []Ref     `json:"applicationGatewayBackendAddressPools"`
						} `json:"properties"`
					} `json:"ipConfigurations"`
				} `json:"properties"`
			} `json:"networkInterfaceConfigurations"`
		} `json:"networkProfile"`
	} `json:"virtualMachineProfile"`
}

// ExtensionProps are the properties of a VM extension.
type ExtensionProps struct {
	Publisher string `json:"publisher"`
	Type      string `json:"type"`
}

// NICProps are the properties of Microsoft.Network/networkInterfaces.
type NICProps struct {
	IPConfigurations []struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Properties struct {
			Subnet                                *Ref   `json:"subnet"`
			PublicIPAddress                       *Ref   `json:"publicIPAddress"`
			PrivateIPAddress                      string `json:"privateIPAddress"`
			LoadBalancerBackendAddressPools       []Ref  `json:"loadBalancerBackendAddressPools"`
			ApplicationGatewayBackendAddressPools []Ref  `json:"applicationGatewayBackendAddressPools"`
			ApplicationSecurityGroups             []Ref  `json:"applicationSecurityGroups"`
		} `json:"properties"`
	} `json:"ipConfigurations"`
	NetworkSecurityGroup *Ref `json:"networkSecurityGroup"`
	VirtualMachine       *Ref `json:"virtualMachine"`
}

// SecurityRule is one NSG rule.
type SecurityRule struct {
	Name       string `json:"name"`
	Properties struct {
		Priority                             int      `json:"priority"`
		Direction                            string   `json:"direction"` // Inbound, Outbound
		Access                               string   `json:"access"`    // Allow, Deny
		Protocol                             string   `json:"protocol"`  // Tcp, Udp, Icmp, *, ...
		SourceAddressPrefix                  string   `json:"sourceAddressPrefix"`
		SourceAddressPrefixes                []string `json:"sourceAddressPrefixes"`
		SourceApplicationSecurityGroups      []Ref    `json:"sourceApplicationSecurityGroups"`
		DestinationPortRange                 string   `json:"destinationPortRange"`
		DestinationPortRanges                []string `json:"destinationPortRanges"`
		DestinationAddressPrefix             string   `json:"destinationAddressPrefix"`
		DestinationAddressPrefixes           []string `json:"destinationAddressPrefixes"`
		DestinationApplicationSecurityGroups []Ref    `json:"destinationApplicationSecurityGroups"`
	} `json:"properties"`
}

// NSGProps are the properties of Microsoft.Network/networkSecurityGroups.
type NSGProps struct {
	SecurityRules        []SecurityRule `json:"securityRules"`
	DefaultSecurityRules []SecurityRule `json:"defaultSecurityRules"`
	Subnets              []Ref          `json:"subnets"`
	NetworkInterfaces    []Ref          `json:"networkInterfaces"`
}

// SubnetProps are the properties of a subnet.
type SubnetProps struct {
	AddressPrefix        string   `json:"addressPrefix"`
	AddressPrefixes      []string `json:"addressPrefixes"`
	NetworkSecurityGroup *Ref     `json:"networkSecurityGroup"`
	RouteTable           *Ref     `json:"routeTable"`
	NATGateway           *Ref     `json:"natGateway"`
	// PrivateEndpointNetworkPolicies is "Enabled" when NSGs (and route
	// tables) apply to the private endpoints in the subnet; Azure's
	// default, "Disabled", leaves private endpoint traffic unfiltered.
	PrivateEndpointNetworkPolicies string `json:"privateEndpointNetworkPolicies"`
	ServiceEndpoints               []struct {
		Service string `json:"service"`
	} `json:"serviceEndpoints"`
}

// VNetProps are the properties of Microsoft.Network/virtualNetworks.
type VNetProps struct {
	AddressSpace struct {
		AddressPrefixes []string `json:"addressPrefixes"`
	} `json:"addressSpace"`
	Subnets []struct {
		ID         string      `json:"id"`
		Name       string      `json:"name"`
		Properties SubnetProps `json:"properties"`
	} `json:"subnets"`
	Peerings []struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Properties struct {
			RemoteVirtualNetwork *Ref   `json:"remoteVirtualNetwork"`
			PeeringState         string `json:"peeringState"`
			AllowForwarded       bool   `json:"allowForwardedTraffic"`
			UseRemoteGateways    bool   `json:"useRemoteGateways"`
			AllowGatewayTransit  bool   `json:"allowGatewayTransit"`
			// AllowVirtualNetworkAccess false stops the local network's VMs
			// from reaching the remote network's (absent: allowed).
			AllowVirtualNetworkAccess *bool `json:"allowVirtualNetworkAccess"`
		} `json:"properties"`
	} `json:"virtualNetworkPeerings"`
}

// PublicIPProps are the properties of Microsoft.Network/publicIPAddresses.
type PublicIPProps struct {
	IPAddress       string `json:"ipAddress"`
	IPConfiguration *Ref   `json:"ipConfiguration"`
	DNSSettings     *struct {
		FQDN string `json:"fqdn"`
	} `json:"dnsSettings"`
}

// LBProps are the properties of Microsoft.Network/loadBalancers.
type LBProps struct {
	FrontendIPConfigurations []struct {
		ID         string `json:"id"`
		Properties struct {
			PublicIPAddress *Ref `json:"publicIPAddress"`
			Subnet          *Ref `json:"subnet"`
		} `json:"properties"`
	} `json:"frontendIPConfigurations"`
	BackendAddressPools []struct {
		ID         string `json:"id"`
		Properties struct {
			BackendIPConfigurations []Ref `json:"backendIPConfigurations"`
		} `json:"properties"`
	} `json:"backendAddressPools"`
	LoadBalancingRules []struct {
		Name       string `json:"name"`
		Properties struct {
			FrontendIPConfiguration *Ref   `json:"frontendIPConfiguration"`
			BackendAddressPool      *Ref   `json:"backendAddressPool"`
			Protocol                string `json:"protocol"`
			FrontendPort            int    `json:"frontendPort"`
			BackendPort             int    `json:"backendPort"`
		} `json:"properties"`
	} `json:"loadBalancingRules"`
	InboundNatRules []struct {
		Name       string `json:"name"`
		Properties struct {
			FrontendIPConfiguration *Ref   `json:"frontendIPConfiguration"`
			BackendIPConfiguration  *Ref   `json:"backendIPConfiguration"`
			Protocol                string `json:"protocol"`
			FrontendPort            int    `json:"frontendPort"`
			BackendPort             int    `json:"backendPort"`
		} `json:"properties"`
	} `json:"inboundNatRules"`
}

// AppGatewayProps are the properties of Microsoft.Network/applicationGateways.
type AppGatewayProps struct {
	FrontendIPConfigurations []struct {
		ID         string `json:"id"`
		Properties struct {
			PublicIPAddress *Ref `json:"publicIPAddress"`
		} `json:"properties"`
	} `json:"frontendIPConfigurations"`
	FrontendPorts []struct {
		ID         string `json:"id"`
		Properties struct {
			Port int `json:"port"`
		} `json:"properties"`
	} `json:"frontendPorts"`
	HTTPListeners []struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Properties struct {
			FrontendIPConfiguration *Ref   `json:"frontendIPConfiguration"`
			FrontendPort            *Ref   `json:"frontendPort"`
			Protocol                string `json:"protocol"`
		} `json:"properties"`
	} `json:"httpListeners"`
	BackendAddressPools []struct {
		ID         string `json:"id"`
		Properties struct {
			BackendAddresses []struct {
				FQDN      string `json:"fqdn"`
				IPAddress string `json:"ipAddress"`
			} `json:"backendAddresses"`
			BackendIPConfigurations []Ref `json:"backendIPConfigurations"`
		} `json:"properties"`
	} `json:"backendAddressPools"`
	RequestRoutingRules []struct {
		Name       string `json:"name"`
		Properties struct {
			HTTPListener       *Ref `json:"httpListener"`
			BackendAddressPool *Ref `json:"backendAddressPool"`
		} `json:"properties"`
	} `json:"requestRoutingRules"`
	WAF *struct {
		Enabled bool `json:"enabled"`
	} `json:"webApplicationFirewallConfiguration"`
	FirewallPolicy *Ref `json:"firewallPolicy"`
}

// NetworkACLs are the network rules of a storage account or Key Vault.
type NetworkACLs struct {
	DefaultAction string `json:"defaultAction"` // Allow, Deny
	Bypass        string `json:"bypass"`
	IPRules       []struct {
		Value  string `json:"value"`
		Action string `json:"action"`
	} `json:"ipRules"`
	VirtualNetworkRules []struct {
		ID string `json:"id"`
		// Action and State are set on storage accounts' rules; a rule in
		// any state other than Succeeded (or unset) admits nothing yet.
		Action string `json:"action"`
		State  string `json:"state"`
	} `json:"virtualNetworkRules"`
}

// StorageAccountProps are the properties of Microsoft.Storage/storageAccounts.
type StorageAccountProps struct {
	AllowBlobPublicAccess    *bool        `json:"allowBlobPublicAccess"`
	AllowSharedKeyAccess     *bool        `json:"allowSharedKeyAccess"`
	PublicNetworkAccess      string       `json:"publicNetworkAccess"`
	NetworkACLs              *NetworkACLs `json:"networkAcls"`
	SupportsHTTPSTrafficOnly *bool        `json:"supportsHttpsTrafficOnly"`
	MinimumTLSVersion        string       `json:"minimumTlsVersion"`
	SASPolicy                *struct {
		SASExpirationPeriod string `json:"sasExpirationPeriod"`
		ExpirationAction    string `json:"expirationAction"`
	} `json:"sasPolicy"`
	KeyPolicy *struct {
		KeyExpirationPeriodInDays int `json:"keyExpirationPeriodInDays"`
	} `json:"keyPolicy"`
}

// ContainerProps are the properties of a blob container.
type ContainerProps struct {
	PublicAccess string `json:"publicAccess"` // None, Blob, Container
}

// AccessPolicy is one Key Vault access policy entry.
type AccessPolicy struct {
	TenantID    string `json:"tenantId"`
	ObjectID    string `json:"objectId"`
	Permissions struct {
		Keys         []string `json:"keys"`
		Secrets      []string `json:"secrets"`
		Certificates []string `json:"certificates"`
	} `json:"permissions"`
}

// KeyVaultProps are the properties of Microsoft.KeyVault/vaults.
type KeyVaultProps struct {
	EnableRBACAuthorization bool           `json:"enableRbacAuthorization"`
	AccessPolicies          []AccessPolicy `json:"accessPolicies"`
	NetworkACLs             *NetworkACLs   `json:"networkAcls"`
	PublicNetworkAccess     string         `json:"publicNetworkAccess"`
	EnableSoftDelete        *bool          `json:"enableSoftDelete"`
	EnablePurgeProtection   *bool          `json:"enablePurgeProtection"`
}

// SecretProps are the metadata of a Key Vault secret or key (never its value).
type SecretProps struct {
	Attributes struct {
		Enabled *bool  `json:"enabled"`
		Expires *int64 `json:"exp"`
	} `json:"attributes"`
	ContentType string `json:"contentType"`
}

// SQLServerProps are the properties of Microsoft.Sql/servers.
type SQLServerProps struct {
	PublicNetworkAccess string `json:"publicNetworkAccess"`
	FQDN                string `json:"fullyQualifiedDomainName"`
	Administrators      *struct {
		AzureADOnlyAuthentication *bool `json:"azureADOnlyAuthentication"`
	} `json:"administrators"`
}

// SQLFirewallRuleProps are the properties of a SQL server firewall rule.
type SQLFirewallRuleProps struct {
	StartIPAddress string `json:"startIpAddress"`
	EndIPAddress   string `json:"endIpAddress"`
}

// SQLVNetRuleProps are the properties of a SQL server virtual network
// rule: the subnet it admits (through the subnet's Microsoft.Sql service
// endpoint) and its state (Ready when it admits traffic).
type SQLVNetRuleProps struct {
	VirtualNetworkSubnetID           string `json:"virtualNetworkSubnetId"`
	IgnoreMissingVnetServiceEndpoint bool   `json:"ignoreMissingVnetServiceEndpoint"`
	State                            string `json:"state"`
}

// CosmosProps are the properties of Microsoft.DocumentDB/databaseAccounts.
type CosmosProps struct {
	PublicNetworkAccess string `json:"publicNetworkAccess"`
	IPRules             []struct {
		IPAddressOrRange string `json:"ipAddressOrRange"`
	} `json:"ipRules"`
	IsVirtualNetworkFilterEnabled bool `json:"isVirtualNetworkFilterEnabled"`
	VirtualNetworkRules           []struct {
		ID string `json:"id"`
	} `json:"virtualNetworkRules"`
	DisableLocalAuth *bool `json:"disableLocalAuth"`
}

// WebSiteProps are the properties of Microsoft.Web/sites.
type WebSiteProps struct {
	DefaultHostName     string `json:"defaultHostName"`
	HTTPSOnly           bool   `json:"httpsOnly"`
	PublicNetworkAccess string `json:"publicNetworkAccess"`
	SiteConfig          *struct {
		IPSecurityRestrictions []struct {
			IPAddress string `json:"ipAddress"`
			Action    string `json:"action"`
			Tag       string `json:"tag"`
		} `json:"ipSecurityRestrictions"`
		FTPSState string `json:"ftpsState"`
	} `json:"siteConfig"`
	VirtualNetworkSubnetID string `json:"virtualNetworkSubnetId"`
}

// RunbookProps are the properties of an Automation runbook.
type RunbookProps struct {
	RunbookType string `json:"runbookType"`
	State       string `json:"state"`
}

// AutomationVariableProps are the properties of an Automation variable.
type AutomationVariableProps struct {
	IsEncrypted bool `json:"isEncrypted"`
}

// AKSProps are the properties of Microsoft.ContainerService/managedClusters.
type AKSProps struct {
	APIServerAccessProfile *struct {
		EnablePrivateCluster bool     `json:"enablePrivateCluster"`
		AuthorizedIPRanges   []string `json:"authorizedIPRanges"`
	} `json:"apiServerAccessProfile"`
	EnableRBAC          *bool `json:"enableRBAC"`
	DisableLocalAccount *bool `json:"disableLocalAccounts"`
	IdentityProfile     map[string]struct {
		ResourceID string `json:"resourceId"`
		ObjectID   string `json:"objectId"`
	} `json:"identityProfile"`
	FQDN string `json:"fqdn"`
}

// ACRProps are the properties of Microsoft.ContainerRegistry/registries.
type ACRProps struct {
	AdminUserEnabled     bool   `json:"adminUserEnabled"`
	PublicNetworkAccess  string `json:"publicNetworkAccess"`
	AnonymousPullEnabled bool   `json:"anonymousPullEnabled"`
	NetworkRuleSet       *struct {
		DefaultAction string `json:"defaultAction"`
		IPRules       []struct {
			Value string `json:"value"`
		} `json:"ipRules"`
	} `json:"networkRuleSet"`
}

// UserAssignedIDProps are the properties of a user-assigned managed identity.
type UserAssignedIDProps struct {
	PrincipalID string `json:"principalId"`
	ClientID    string `json:"clientId"`
	TenantID    string `json:"tenantId"`
}

// FederatedCredentialProps are the properties of a federated identity credential.
type FederatedCredentialProps struct {
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// PrivateLinkConnection is one private link service connection of a
// private endpoint (automatic or manual).
type PrivateLinkConnection struct {
	Name       string `json:"name"`
	Properties struct {
		PrivateLinkServiceID string   `json:"privateLinkServiceId"`
		GroupIDs             []string `json:"groupIds"`
		State                *struct {
			Status string `json:"status"` // Approved, Pending, Rejected, Disconnected
		} `json:"privateLinkServiceConnectionState"`
	} `json:"properties"`
}

// PrivateEndpointProps are the properties of Microsoft.Network/privateEndpoints.
type PrivateEndpointProps struct {
	Subnet                              *Ref                    `json:"subnet"`
	NetworkInterfaces                   []Ref                   `json:"networkInterfaces"`
	PrivateLinkServiceConnections       []PrivateLinkConnection `json:"privateLinkServiceConnections"`
	ManualPrivateLinkServiceConnections []PrivateLinkConnection `json:"manualPrivateLinkServiceConnections"`
	CustomDNSConfigs                    []struct {
		FQDN        string   `json:"fqdn"`
		IPAddresses []string `json:"ipAddresses"`
	} `json:"customDnsConfigs"`
}

// Route is one user-defined route.
type Route struct {
	Name       string `json:"name"`
	Properties struct {
		AddressPrefix    string `json:"addressPrefix"`
		NextHopType      string `json:"nextHopType"` // VirtualAppliance, None, Internet, VirtualNetworkGateway, VnetLocal
		NextHopIPAddress string `json:"nextHopIpAddress"`
	} `json:"properties"`
}

// RouteTableProps are the properties of Microsoft.Network/routeTables.
type RouteTableProps struct {
	Routes                     []Route `json:"routes"`
	Subnets                    []Ref   `json:"subnets"`
	DisableBGPRoutePropagation bool    `json:"disableBgpRoutePropagation"`
}

// FirewallRule is one rule of an Azure Firewall rule collection, classic
// (networkRuleCollections, applicationRuleCollections, natRuleCollections)
// or of a firewall policy rule collection group; the fields of both shapes
// are merged here.
type FirewallRule struct {
	Name     string `json:"name"`
	RuleType string `json:"ruleType"` // policy rules: NetworkRule, ApplicationRule, NatRule
	// Protocols is a list of strings on network and NAT rules (TCP, UDP,
	// Any, ICMP) and of {protocolType, port} objects on application rules.
	Protocols            []FirewallProtocol `json:"protocols"`
	IPProtocols          []string           `json:"ipProtocols"`
	SourceAddresses      []string           `json:"sourceAddresses"`
	SourceIPGroups       []string           `json:"sourceIpGroups"`
	DestinationIPGroups  []string           `json:"destinationIpGroups"`
	DestinationAddresses []string           `json:"destinationAddresses"`
	DestinationPorts     []string           `json:"destinationPorts"`
	DestinationFQDNs     []string           `json:"destinationFqdns"`
	TargetFQDNs          []string           `json:"targetFqdns"`
	TranslatedAddress    string             `json:"translatedAddress"`
	TranslatedPort       string             `json:"translatedPort"`
	TranslatedFQDN       string             `json:"translatedFqdn"`
}

// FirewallProtocol is a protocol of a firewall rule: a bare string
// ("TCP") or an application rule's {"protocolType": "Https", "port": 443}.
type FirewallProtocol struct {
	Type string
	Port int
}

// UnmarshalJSON accepts both shapes.
func (p *FirewallProtocol) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.Type = s
		return nil
	}
	var o struct {
		ProtocolType string `json:"protocolType"`
		Port         int    `json:"port"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	p.Type, p.Port = o.ProtocolType, o.Port
	return nil
}

// MarshalJSON writes the bare-string shape for protocols without a port.
func (p FirewallProtocol) MarshalJSON() ([]byte, error) {
	if p.Port == 0 {
		return json.Marshal(p.Type)
	}
	return json.Marshal(map[string]any{"protocolType": p.Type, "port": p.Port})
}

// FirewallRuleCollection is a rule collection: classic collections carry
// their fields under properties, policy collections at the top level.
type FirewallRuleCollection struct {
	Name               string          `json:"name"`
	RuleCollectionType string          `json:"ruleCollectionType"` // FirewallPolicyNatRuleCollection, FirewallPolicyFilterRuleCollection
	Priority           int             `json:"priority"`
	Action             *FirewallAction `json:"action"`
	Rules              []FirewallRule  `json:"rules"`
	Properties         *struct {
		Priority int             `json:"priority"`
		Action   *FirewallAction `json:"action"`
		Rules    []FirewallRule  `json:"rules"`
	} `json:"properties"`
}

// FirewallAction is a rule collection's action (Allow, Deny, Dnat/DNAT).
type FirewallAction struct {
	Type string `json:"type"`
}

// Flat returns the collection's priority, action and rules whichever shape
// it came in.
func (c *FirewallRuleCollection) Flat() (int, string, []FirewallRule) {
	prio, act, rules := c.Priority, c.Action, c.Rules
	if c.Properties != nil {
		if c.Properties.Priority != 0 {
			prio = c.Properties.Priority
		}
		if c.Properties.Action != nil {
			act = c.Properties.Action
		}
		if len(c.Properties.Rules) > 0 {
			rules = c.Properties.Rules
		}
	}
	a := ""
	if act != nil {
		a = act.Type
	}
	return prio, a, rules
}

// AzureFirewallProps are the properties of Microsoft.Network/azureFirewalls.
type AzureFirewallProps struct {
	IPConfigurations []struct {
		Name       string `json:"name"`
		Properties struct {
			PrivateIPAddress string `json:"privateIPAddress"`
			PublicIPAddress  *Ref   `json:"publicIPAddress"`
			Subnet           *Ref   `json:"subnet"`
		} `json:"properties"`
	} `json:"ipConfigurations"`
	NetworkRuleCollections     []FirewallRuleCollection `json:"networkRuleCollections"`
	ApplicationRuleCollections []FirewallRuleCollection `json:"applicationRuleCollections"`
	NATRuleCollections         []FirewallRuleCollection `json:"natRuleCollections"`
	FirewallPolicy             *Ref                     `json:"firewallPolicy"`
	ThreatIntelMode            string                   `json:"threatIntelMode"`
}

// FirewallPolicyProps are the properties of Microsoft.Network/firewallPolicies.
type FirewallPolicyProps struct {
	BasePolicy           *Ref  `json:"basePolicy"`
	RuleCollectionGroups []Ref `json:"ruleCollectionGroups"`
}

// RuleCollectionGroupProps are the properties of a firewall policy rule
// collection group.
type RuleCollectionGroupProps struct {
	Priority        int                      `json:"priority"`
	RuleCollections []FirewallRuleCollection `json:"ruleCollections"`
}
