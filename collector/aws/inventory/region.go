package inventory

// RegionData holds one region's resources.
type RegionData struct {
	Region string `json:"region"`

	VPCs              []VPC              `json:"vpcs,omitempty"`
	Subnets           []Subnet           `json:"subnets,omitempty"`
	RouteTables       []RouteTable       `json:"route_tables,omitempty"`
	InternetGateways  []InternetGateway  `json:"internet_gateways,omitempty"`
	NATGateways       []NATGateway       `json:"nat_gateways,omitempty"`
	ElasticIPs        []ElasticIP        `json:"elastic_ips,omitempty"`
	SecurityGroups    []SecurityGroup    `json:"security_groups,omitempty"`
	NetworkACLs       []NetworkACL       `json:"network_acls,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"network_interfaces,omitempty"`
	Instances         []Instance         `json:"instances,omitempty"`
	Snapshots         []EBSSnapshot      `json:"snapshots,omitempty"`
	Images            []AMI              `json:"images,omitempty"`

	VPCPeerings     []VPCPeering     `json:"vpc_peerings,omitempty"`
	TransitGateways []TransitGateway `json:"transit_gateways,omitempty"`
	TGWAttachments  []TGWAttachment  `json:"tgw_attachments,omitempty"`
	TGWRouteTables  []TGWRouteTable  `json:"tgw_route_tables,omitempty"`
	VPCEndpoints    []VPCEndpoint    `json:"vpc_endpoints,omitempty"`
	LaunchTemplates []LaunchTemplate `json:"launch_templates,omitempty"`

	LoadBalancers []LoadBalancer `json:"load_balancers,omitempty"`
	TargetGroups  []TargetGroup  `json:"target_groups,omitempty"`

	DBInstances []DBInstance    `json:"db_instances,omitempty"`
	DBClusters  []DBCluster     `json:"db_clusters,omitempty"`
	DBSnapshots []DBSnapshot    `json:"db_snapshots,omitempty"`
	Tables      []DynamoDBTable `json:"dynamodb_tables,omitempty"`

	KMSKeys      []KMSKey         `json:"kms_keys,omitempty"`
	Functions    []LambdaFunction `json:"lambda_functions,omitempty"`
	Queues       []Queue          `json:"sqs_queues,omitempty"`
	Topics       []Topic          `json:"sns_topics,omitempty"`
	Secrets      []Secret         `json:"secrets,omitempty"`
	Repositories []Repository     `json:"ecr_repositories,omitempty"`
	FileSystems  []FileSystem     `json:"efs_file_systems,omitempty"`

	EKSClusters     []EKSCluster     `json:"eks_clusters,omitempty"`
	TaskDefinitions []TaskDefinition `json:"ecs_task_definitions,omitempty"`
	ECSClusters     []ECSCluster     `json:"ecs_clusters,omitempty"`

	SSMParameters         []SSMParameter         `json:"ssm_parameters,omitempty"`
	CodeBuildProjects     []CodeBuildProject     `json:"codebuild_projects,omitempty"`
	BeanstalkEnvironments []BeanstalkEnvironment `json:"beanstalk_environments,omitempty"`

	CognitoUserPools     []CognitoUserPool     `json:"cognito_user_pools,omitempty"`
	CognitoIdentityPools []CognitoIdentityPool `json:"cognito_identity_pools,omitempty"`

	// SerialConsoleAccess is the account's EC2 serial console access in the
	// region: "enabled", "disabled", or "" when unknown (not read, or
	// SerialConsoleError says why it could not be).
	SerialConsoleAccess string `json:"serial_console_access,omitempty"`
	SerialConsoleError  string `json:"serial_console_error,omitempty"`

	// Macie is nil when Macie was not read in the region.
	Macie *MacieData `json:"macie,omitempty"`
}

// Count returns the number of resources in the region.
func (r *RegionData) Count() int {
	return len(r.VPCs) + len(r.Subnets) + len(r.RouteTables) + len(r.InternetGateways) + len(r.NATGateways) +
		len(r.ElasticIPs) + len(r.SecurityGroups) + len(r.NetworkACLs) + len(r.NetworkInterfaces) +
		len(r.Instances) + len(r.Snapshots) + len(r.Images) +
		len(r.VPCPeerings) + len(r.TransitGateways) + len(r.TGWAttachments) + len(r.TGWRouteTables) + len(r.VPCEndpoints) + len(r.LaunchTemplates) + len(r.LoadBalancers) + len(r.TargetGroups) +
		len(r.DBInstances) + len(r.DBClusters) + len(r.DBSnapshots) + len(r.Tables) + len(r.KMSKeys) +
		len(r.Functions) + len(r.Queues) + len(r.Topics) + len(r.Secrets) + len(r.Repositories) + len(r.FileSystems) +
		len(r.EKSClusters) + len(r.TaskDefinitions) + len(r.ECSClusters) + len(r.SSMParameters) + len(r.CodeBuildProjects) + len(r.BeanstalkEnvironments) +
		len(r.CognitoUserPools) + len(r.CognitoIdentityPools)
}
