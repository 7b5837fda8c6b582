package inventory

import "time"

// VPC is a virtual private cloud.
type VPC struct {
	ID         string   `json:"id"`
	ARN        string   `json:"arn"`
	CIDRBlocks []string `json:"cidr_blocks"` // IPv4 then IPv6
	IsDefault  bool     `json:"is_default"`
	State      string   `json:"state,omitempty"`
	OwnerID    string   `json:"owner_id,omitempty"`
	Tags       Tags     `json:"tags,omitempty"`
}

// Subnet is a VPC subnet.
type Subnet struct {
	ID                  string   `json:"id"`
	ARN                 string   `json:"arn"`
	VPCID               string   `json:"vpc_id"`
	CIDRBlock           string   `json:"cidr_block,omitempty"`
	IPv6CIDRBlocks      []string `json:"ipv6_cidr_blocks,omitempty"`
	AvailabilityZone    string   `json:"availability_zone,omitempty"`
	MapPublicIPOnLaunch bool     `json:"map_public_ip_on_launch"`
	DefaultForAZ        bool     `json:"default_for_az,omitempty"`
	Tags                Tags     `json:"tags,omitempty"`
}

// RouteTable is a route table with its routes and subnet associations.
type RouteTable struct {
	ID           string                  `json:"id"`
	VPCID        string                  `json:"vpc_id"`
	Routes       []Route                 `json:"routes"`
	Associations []RouteTableAssociation `json:"associations"`
	Tags         Tags                    `json:"tags,omitempty"`
}

// Route is one route. Exactly one destination and usually one target is set.
type Route struct {
	DestinationCIDR         string `json:"destination_cidr,omitempty"`
	DestinationIPv6CIDR     string `json:"destination_ipv6_cidr,omitempty"`
	DestinationPrefixListID string `json:"destination_prefix_list_id,omitempty"`
	GatewayID               string `json:"gateway_id,omitempty"` // igw-..., vgw-..., "local"
	NatGatewayID            string `json:"nat_gateway_id,omitempty"`
	EgressOnlyGatewayID     string `json:"egress_only_gateway_id,omitempty"`
	InstanceID              string `json:"instance_id,omitempty"`
	NetworkInterfaceID      string `json:"network_interface_id,omitempty"`
	TransitGatewayID        string `json:"transit_gateway_id,omitempty"`
	VPCPeeringConnectionID  string `json:"vpc_peering_connection_id,omitempty"`
	State                   string `json:"state,omitempty"` // active / blackhole
}

// RouteTableAssociation ties a route table to a subnet or marks it main.
type RouteTableAssociation struct {
	ID       string `json:"id,omitempty"`
	SubnetID string `json:"subnet_id,omitempty"`
	Main     bool   `json:"main"`
}

// InternetGateway is an internet gateway and the VPCs it is attached to.
type InternetGateway struct {
	ID   string   `json:"id"`
	VPCs []string `json:"vpcs"`
	Tags Tags     `json:"tags,omitempty"`
}

// NATGateway is a NAT gateway.
type NATGateway struct {
	ID               string   `json:"id"`
	VPCID            string   `json:"vpc_id"`
	SubnetID         string   `json:"subnet_id"`
	State            string   `json:"state,omitempty"`
	ConnectivityType string   `json:"connectivity_type,omitempty"` // public / private
	PublicIPs        []string `json:"public_ips,omitempty"`
	Tags             Tags     `json:"tags,omitempty"`
}

// ElasticIP is an Elastic IP address and what it is associated with.
type ElasticIP struct {
	AllocationID       string `json:"allocation_id"`
	PublicIP           string `json:"public_ip"`
	AssociationID      string `json:"association_id,omitempty"`
	InstanceID         string `json:"instance_id,omitempty"`
	NetworkInterfaceID string `json:"network_interface_id,omitempty"`
	PrivateIP          string `json:"private_ip,omitempty"`
	Tags               Tags   `json:"tags,omitempty"`
}

// SecurityGroup is a security group with its rules.
type SecurityGroup struct {
	ID          string   `json:"id"`
	ARN         string   `json:"arn"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	VPCID       string   `json:"vpc_id,omitempty"`
	OwnerID     string   `json:"owner_id,omitempty"`
	Ingress     []SGRule `json:"ingress"`
	Egress      []SGRule `json:"egress"`
	Tags        Tags     `json:"tags,omitempty"`
}

// SGRule is one IP permission: a protocol and port range and every source
// (or destination, for egress) it names.
type SGRule struct {
	// Protocol is "-1" for all, or "tcp", "udp", "icmp", "icmpv6", or a number.
	Protocol string `json:"protocol"`
	// FromPort and ToPort are the port range; -1 or 0..65535 for all
	// protocols. For ICMP they are type and code.
	FromPort    int32    `json:"from_port"`
	ToPort      int32    `json:"to_port"`
	CIDRs       []string `json:"cidrs,omitempty"`
	IPv6CIDRs   []string `json:"ipv6_cidrs,omitempty"`
	PrefixLists []string `json:"prefix_lists,omitempty"`
	GroupRefs   []SGRef  `json:"group_refs,omitempty"`
}

// SGRef is a security group referenced by a rule, possibly in another
// account or a peered VPC.
type SGRef struct {
	GroupID string `json:"group_id"`
	UserID  string `json:"user_id,omitempty"` // owning account
	VPCID   string `json:"vpc_id,omitempty"`
}

// NetworkACL is a network ACL with its entries and associated subnets.
type NetworkACL struct {
	ID        string     `json:"id"`
	VPCID     string     `json:"vpc_id"`
	IsDefault bool       `json:"is_default"`
	Entries   []ACLEntry `json:"entries"`
	SubnetIDs []string   `json:"subnet_ids"`
	Tags      Tags       `json:"tags,omitempty"`
}

// ACLEntry is one numbered NACL rule. Rules are evaluated by ascending
// RuleNumber; 32767 is the implicit default deny.
type ACLEntry struct {
	RuleNumber int32  `json:"rule_number"`
	Egress     bool   `json:"egress"`
	Protocol   string `json:"protocol"` // "-1" for all, or a protocol number ("6" tcp, "17" udp)
	Allow      bool   `json:"allow"`
	CIDR       string `json:"cidr,omitempty"`
	IPv6CIDR   string `json:"ipv6_cidr,omitempty"`
	// FromPort/ToPort are zero when the rule names no port range (all ports).
	FromPort int32 `json:"from_port,omitempty"`
	ToPort   int32 `json:"to_port,omitempty"`
}

// NetworkInterface is an ENI.
type NetworkInterface struct {
	ID               string   `json:"id"`
	SubnetID         string   `json:"subnet_id,omitempty"`
	VPCID            string   `json:"vpc_id,omitempty"`
	InterfaceType    string   `json:"interface_type,omitempty"` // interface, lambda, nat_gateway, network_load_balancer, ...
	Description      string   `json:"description,omitempty"`
	PrivateIPs       []string `json:"private_ips,omitempty"`
	IPv6Addresses    []string `json:"ipv6_addresses,omitempty"`
	PublicIP         string   `json:"public_ip,omitempty"`
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
	AttachedInstance string   `json:"attached_instance,omitempty"`
	RequesterID      string   `json:"requester_id,omitempty"` // service that created it
	Status           string   `json:"status,omitempty"`
	Tags             Tags     `json:"tags,omitempty"`
}

// Instance is an EC2 instance.
type Instance struct {
	ID                 string   `json:"id"`
	ARN                string   `json:"arn"`
	State              string   `json:"state"` // running, stopped, ...
	InstanceType       string   `json:"instance_type,omitempty"`
	ImageID            string   `json:"image_id,omitempty"`
	PublicIP           string   `json:"public_ip,omitempty"`
	PublicDNS          string   `json:"public_dns,omitempty"`
	PrivateIP          string   `json:"private_ip,omitempty"`
	SubnetID           string   `json:"subnet_id,omitempty"`
	VPCID              string   `json:"vpc_id,omitempty"`
	SecurityGroupIDs   []string `json:"security_group_ids,omitempty"`
	NetworkInterfaces  []string `json:"network_interfaces,omitempty"` // ENI ids
	InstanceProfileARN string   `json:"instance_profile_arn,omitempty"`
	// MetadataHTTPTokens is "optional" (IMDSv1 allowed) or "required" (IMDSv2 only).
	MetadataHTTPTokens string `json:"metadata_http_tokens,omitempty"`
	// MetadataHTTPEndpoint is "enabled" or "disabled".
	MetadataHTTPEndpoint string    `json:"metadata_http_endpoint,omitempty"`
	MetadataHopLimit     int32     `json:"metadata_hop_limit,omitempty"`
	LaunchTime           time.Time `json:"launch_time,omitzero"`
	Platform             string    `json:"platform,omitempty"`
	Tags                 Tags      `json:"tags,omitempty"`
	// Credentials found in the instance's user data (never kept).
	Credentials []ConfigCredential `json:"credentials,omitempty"`
	// Errors lists details that could not be read (user data).
	Errors []string `json:"errors,omitempty"`
}

// EBSSnapshot is an EBS snapshot owned by the account, with who may create
// volumes from it.
type EBSSnapshot struct {
	ID        string `json:"id"`
	ARN       string `json:"arn"`
	VolumeID  string `json:"volume_id,omitempty"`
	Encrypted bool   `json:"encrypted"`
	KMSKeyID  string `json:"kms_key_id,omitempty"`
	// Public is set when createVolumePermission grants the group "all".
	Public bool `json:"public"`
	// SharedWith lists account ids granted createVolumePermission.
	SharedWith []string  `json:"shared_with,omitempty"`
	StartTime  time.Time `json:"start_time,omitzero"`
	Tags       Tags      `json:"tags,omitempty"`
}

// AMI is a machine image owned by the account.
type AMI struct {
	ID         string   `json:"id"`
	ARN        string   `json:"arn"`
	Name       string   `json:"name,omitempty"`
	State      string   `json:"state,omitempty"`
	Public     bool     `json:"public"` // launch permission for group "all"
	SharedWith []string `json:"shared_with,omitempty"`
	Tags       Tags     `json:"tags,omitempty"`
}

// VPCPeering is a VPC peering connection. Traffic crosses it only while its
// status is "active" and both sides route the other's addresses to it.
type VPCPeering struct {
	ID     string `json:"id"`
	Status string `json:"status"` // pending-acceptance, active, deleted, rejected, ...
	// Requester and Accepter are the two sides.
	Requester PeeringSide `json:"requester"`
	Accepter  PeeringSide `json:"accepter"`
	Tags      Tags        `json:"tags,omitempty"`
}

// PeeringSide is one VPC of a peering connection.
type PeeringSide struct {
	VPCID   string   `json:"vpc_id"`
	OwnerID string   `json:"owner_id,omitempty"`
	Region  string   `json:"region,omitempty"`
	CIDRs   []string `json:"cidrs,omitempty"` // IPv4 then IPv6
}

// TransitGateway is a transit gateway with its attachments and route tables.
type TransitGateway struct {
	ID      string `json:"id"`
	ARN     string `json:"arn,omitempty"`
	OwnerID string `json:"owner_id,omitempty"`
	State   string `json:"state,omitempty"`
	Tags    Tags   `json:"tags,omitempty"`
}

// TGWAttachment is one attachment of a transit gateway (a VPC, a VPN, a
// peering, ...) and the route table it is associated with.
type TGWAttachment struct {
	ID               string `json:"id"`
	TransitGatewayID string `json:"transit_gateway_id"`
	ResourceType     string `json:"resource_type"` // vpc, vpn, peering, direct-connect-gateway, connect, ...
	ResourceID       string `json:"resource_id,omitempty"`
	ResourceOwnerID  string `json:"resource_owner_id,omitempty"`
	State            string `json:"state,omitempty"` // available, pending, deleted, ...
	// RouteTableID is the transit gateway route table the attachment is
	// associated with: it decides where the attachment's traffic goes.
	RouteTableID string `json:"route_table_id,omitempty"`
	// SecurityGroupReferencing is the VPC attachment's
	// SecurityGroupReferencingSupport option ("enable" / "disable").
	SecurityGroupReferencing string `json:"security_group_referencing,omitempty"`
	Tags                     Tags   `json:"tags,omitempty"`
}

// TGWRouteTable is a transit gateway route table with its routes and the
// attachments that propagate their routes into it.
type TGWRouteTable struct {
	ID               string     `json:"id"`
	TransitGatewayID string     `json:"transit_gateway_id"`
	Routes           []TGWRoute `json:"routes"`
	// Propagations lists the attachments whose routes propagate into the
	// table (a VPC attachment propagates its VPC's CIDR blocks).
	Propagations []string `json:"propagations,omitempty"`
	Tags         Tags     `json:"tags,omitempty"`
	// Errors lists details that could not be read (routes, propagations).
	Errors []string `json:"errors,omitempty"`
}

// TGWRoute is one transit gateway route.
type TGWRoute struct {
	DestinationCIDR string   `json:"destination_cidr,omitempty"`
	PrefixListID    string   `json:"prefix_list_id,omitempty"`
	Type            string   `json:"type,omitempty"`  // static / propagated
	State           string   `json:"state,omitempty"` // active / blackhole
	AttachmentIDs   []string `json:"attachment_ids,omitempty"`
}

// VPCEndpoint is a VPC endpoint: a gateway endpoint (S3, DynamoDB) that
// route tables point at, or an interface endpoint with its own network
// interfaces and security groups.
type VPCEndpoint struct {
	ID          string `json:"id"`
	VPCID       string `json:"vpc_id"`
	ServiceName string `json:"service_name"`          // com.amazonaws.us-east-1.s3
	Type        string `json:"type,omitempty"`        // Gateway, Interface, GatewayLoadBalancer
	State       string `json:"state,omitempty"`       // available, pending, ...
	Policy      string `json:"policy,omitempty"`      // endpoint policy document
	PrivateDNS  bool   `json:"private_dns,omitempty"` // interface endpoints
	OwnerID     string `json:"owner_id,omitempty"`
	// RouteTableIDs are the route tables a gateway endpoint is in.
	RouteTableIDs []string `json:"route_table_ids,omitempty"`
	// SubnetIDs, SecurityGroupIDs and NetworkInterfaceIDs place an
	// interface endpoint.
	SubnetIDs           []string `json:"subnet_ids,omitempty"`
	SecurityGroupIDs    []string `json:"security_group_ids,omitempty"`
	NetworkInterfaceIDs []string `json:"network_interface_ids,omitempty"`
	Tags                Tags     `json:"tags,omitempty"`
}

// LaunchTemplate is an EC2 launch template and the instance profile its
// default version launches instances with.
type LaunchTemplate struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	DefaultVersion int64  `json:"default_version,omitempty"`
	// InstanceProfile is the default version's IamInstanceProfile: its ARN,
	// or its name when the version names it so ("" when none).
	InstanceProfile string `json:"instance_profile,omitempty"`
	Tags            Tags   `json:"tags,omitempty"`
	// Errors lists details that could not be read (the default version).
	Errors []string `json:"errors,omitempty"`
}
