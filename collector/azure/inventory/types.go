package inventory

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
		LinuxConfiguration *struct {
			DisablePasswordAuthentication bool `json:"disablePasswordAuthentication"`
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

// CosmosProps are the properties of Microsoft.DocumentDB/databaseAccounts.
type CosmosProps struct {
	PublicNetworkAccess string `json:"publicNetworkAccess"`
	IPRules             []struct {
		IPAddressOrRange string `json:"ipAddressOrRange"`
	} `json:"ipRules"`
	IsVirtualNetworkFilterEnabled bool  `json:"isVirtualNetworkFilterEnabled"`
	DisableLocalAuth              *bool `json:"disableLocalAuth"`
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
