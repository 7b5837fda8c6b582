package inventory

import "time"

// Bucket ABAC statuses (Bucket.ABAC), as S3 GetBucketAbac reports them.
const (
	BucketABACEnabled  = "Enabled"
	BucketABACDisabled = "Disabled"
)

// Bucket is an S3 bucket with its access configuration.
type Bucket struct {
	Name         string    `json:"name"`
	ARN          string    `json:"arn"`
	Region       string    `json:"region"`
	CreationDate time.Time `json:"creation_date,omitzero"`
	Policy       string    `json:"policy,omitempty"` // JSON text; empty when the bucket has none
	ACL          []Grant   `json:"acl,omitempty"`
	Owner        string    `json:"owner,omitempty"` // canonical id of the bucket owner
	// PublicAccessBlock is nil when the bucket has no configuration.
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	// ObjectOwnership is BucketOwnerEnforced when ACLs are disabled.
	ObjectOwnership string `json:"object_ownership,omitempty"`
	// Encryption lists the default-encryption algorithms (AES256, aws:kms,
	// aws:kms:dsse); empty when none is configured.
	Encryption []BucketEncryption `json:"encryption,omitempty"`
	Versioning string             `json:"versioning,omitempty"` // Enabled / Suspended / ""
	MFADelete  string             `json:"mfa_delete,omitempty"`
	// ABAC is the bucket's attribute-based access control status (S3 GetBucketAbac): "Enabled"
	// (its tags answer aws:ResourceTag/<key>), "Disabled", or "" when it was not read.
	ABAC string `json:"abac,omitempty"`
	Tags Tags   `json:"tags,omitempty"`
	// ConfigScan is what the opt-in configuration-object scan found in the
	// bucket (nil when the scan was off or the bucket does not hold
	// configuration by its name or tags).
	ConfigScan *BucketConfigScan `json:"config_scan,omitempty"`
	// Errors lists per-bucket reads that failed (e.g. AccessDenied on the
	// policy): the field they fill is then unknown, not empty.
	Errors []string `json:"errors,omitempty"`
}

// Grant is one ACL grant.
type Grant struct {
	GranteeType string `json:"grantee_type"` // CanonicalUser, Group, AmazonCustomerByEmail
	GranteeID   string `json:"grantee_id,omitempty"`
	GranteeURI  string `json:"grantee_uri,omitempty"` // e.g. http://acs.amazonaws.com/groups/global/AllUsers
	Permission  string `json:"permission"`            // FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP
}

// PublicAccessBlock is an S3 Block Public Access configuration.
type PublicAccessBlock struct {
	BlockPublicACLs       bool `json:"block_public_acls"`
	IgnorePublicACLs      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// BucketEncryption is one default-encryption rule.
type BucketEncryption struct {
	Algorithm        string `json:"algorithm"`
	KMSKeyID         string `json:"kms_key_id,omitempty"`
	BucketKeyEnabled bool   `json:"bucket_key_enabled,omitempty"`
}

// KMSKey is a KMS key with its key policy.
type KMSKey struct {
	ID              string    `json:"id"`
	ARN             string    `json:"arn"`
	Description     string    `json:"description,omitempty"`
	KeyManager      string    `json:"key_manager"` // AWS or CUSTOMER
	KeyState        string    `json:"key_state"`
	KeyUsage        string    `json:"key_usage,omitempty"`
	KeySpec         string    `json:"key_spec,omitempty"`
	Enabled         bool      `json:"enabled"`
	Policy          string    `json:"policy,omitempty"` // default key policy, JSON text
	Aliases         []string  `json:"aliases,omitempty"`
	RotationEnabled *bool     `json:"rotation_enabled,omitempty"` // nil when not read
	CreationDate    time.Time `json:"creation_date,omitzero"`
	Tags            Tags      `json:"tags,omitempty"`
	Errors          []string  `json:"errors,omitempty"` // details that could not be read
}

// LambdaFunction is a Lambda function's configuration. Environment
// variable values are never read into the inventory, only their names.
type LambdaFunction struct {
	Name             string   `json:"name"`
	ARN              string   `json:"arn"`
	Runtime          string   `json:"runtime,omitempty"`
	Role             string   `json:"role"` // execution role ARN
	Handler          string   `json:"handler,omitempty"`
	PackageType      string   `json:"package_type,omitempty"`
	Policy           string   `json:"policy,omitempty"` // resource policy JSON text
	EnvironmentNames []string `json:"environment_names,omitempty"`
	// Credentials found in the environment values (the values are not kept).
	Credentials []ConfigCredential `json:"credentials,omitempty"`
	KMSKeyARN   string             `json:"kms_key_arn,omitempty"`
	// VPC is nil for functions outside a VPC.
	VPC          *LambdaVPC    `json:"vpc,omitempty"`
	FunctionURLs []FunctionURL `json:"function_urls,omitempty"`
	Layers       []string      `json:"layers,omitempty"`
	// EventSources are the event source mappings that invoke the function
	// with the records they poll (an SQS queue's messages, a stream's).
	EventSources []LambdaEventSource `json:"event_sources,omitempty"`
	LastModified string              `json:"last_modified,omitempty"`
	Tags         Tags                `json:"tags,omitempty"`
	Errors       []string            `json:"errors,omitempty"`
}

// LambdaEventSource is an event source mapping of a function: Lambda polls
// the source and invokes the function with what it finds there.
type LambdaEventSource struct {
	UUID      string `json:"uuid"`
	SourceARN string `json:"source_arn"`
	// State is Creating, Enabling, Enabled, Disabling, Disabled, Updating or
	// Deleting.
	State string `json:"state,omitempty"`
}

// LambdaVPC is a function's VPC attachment.
type LambdaVPC struct {
	VPCID            string   `json:"vpc_id,omitempty"`
	SubnetIDs        []string `json:"subnet_ids,omitempty"`
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
}

// FunctionURL is a Lambda function URL. AuthType NONE means anyone on the
// Internet can invoke it (subject to the resource policy).
type FunctionURL struct {
	URL      string `json:"url"`
	AuthType string `json:"auth_type"` // NONE or AWS_IAM
}

// Queue is an SQS queue.
type Queue struct {
	URL            string   `json:"url"`
	ARN            string   `json:"arn"`
	Name           string   `json:"name"`
	Policy         string   `json:"policy,omitempty"`
	KMSMasterKeyID string   `json:"kms_master_key_id,omitempty"`
	SQSManagedSSE  bool     `json:"sqs_managed_sse,omitempty"`
	Tags           Tags     `json:"tags,omitempty"`
	Errors         []string `json:"errors,omitempty"` // details that could not be read
}

// Topic is an SNS topic.
type Topic struct {
	ARN            string   `json:"arn"`
	Name           string   `json:"name"`
	Policy         string   `json:"policy,omitempty"`
	KMSMasterKeyID string   `json:"kms_master_key_id,omitempty"`
	Tags           Tags     `json:"tags,omitempty"`
	Errors         []string `json:"errors,omitempty"` // details that could not be read
}

// Secret is a Secrets Manager secret's metadata and resource policy. The
// collector never calls GetSecretValue: no secret value is ever held.
type Secret struct {
	ARN              string    `json:"arn"`
	Name             string    `json:"name"`
	Description      string    `json:"description,omitempty"`
	KMSKeyID         string    `json:"kms_key_id,omitempty"`
	RotationEnabled  bool      `json:"rotation_enabled"`
	LastChangedDate  time.Time `json:"last_changed_date,omitzero"`
	LastAccessedDate time.Time `json:"last_accessed_date,omitzero"`
	Policy           string    `json:"policy,omitempty"`
	Tags             Tags      `json:"tags,omitempty"`
	Errors           []string  `json:"errors,omitempty"` // details that could not be read
}

// Repository is an ECR repository.
type Repository struct {
	Name               string   `json:"name"`
	ARN                string   `json:"arn"`
	URI                string   `json:"uri,omitempty"`
	Policy             string   `json:"policy,omitempty"`
	ImageTagMutability string   `json:"image_tag_mutability,omitempty"`
	ScanOnPush         bool     `json:"scan_on_push"`
	EncryptionType     string   `json:"encryption_type,omitempty"`
	Tags               Tags     `json:"tags,omitempty"`
	Errors             []string `json:"errors,omitempty"` // details that could not be read
}

// LoadBalancer is an ELBv2 (application, network, gateway) or classic load balancer.
type LoadBalancer struct {
	ARN              string     `json:"arn"` // for classic ELBs, a synthesized ARN
	Name             string     `json:"name"`
	Type             string     `json:"type"`   // application, network, gateway, classic
	Scheme           string     `json:"scheme"` // internet-facing / internal
	DNSName          string     `json:"dns_name,omitempty"`
	VPCID            string     `json:"vpc_id,omitempty"`
	SubnetIDs        []string   `json:"subnet_ids,omitempty"`
	SecurityGroupIDs []string   `json:"security_group_ids,omitempty"`
	Listeners        []Listener `json:"listeners,omitempty"`
	// InstanceIDs are the registered instances of a classic ELB.
	InstanceIDs []string `json:"instance_ids,omitempty"`
	Tags        Tags     `json:"tags,omitempty"`
	// Classic holds a classic ELB's attributes; nil for ELBv2 and when
	// they could not be read (Errors then says so).
	Classic *ClassicELBAttributes `json:"classic,omitempty"`
	Errors  []string              `json:"errors,omitempty"` // details that could not be read
}

// ClassicELBAttributes are the security-relevant attributes of a classic
// load balancer (DescribeLoadBalancerAttributes).
type ClassicELBAttributes struct {
	CrossZone          bool  `json:"cross_zone"`
	AccessLogEnabled   bool  `json:"access_log_enabled"`
	ConnectionDraining bool  `json:"connection_draining"`
	IdleTimeoutSeconds int32 `json:"idle_timeout_seconds,omitempty"`
	// DesyncMitigationMode is monitor, defensive or strictest.
	DesyncMitigationMode string `json:"desync_mitigation_mode,omitempty"`
}

// Listener is a load balancer listener.
type Listener struct {
	ARN      string `json:"arn,omitempty"`
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	// TargetGroupARNs lists the target groups the default actions forward to.
	TargetGroupARNs []string `json:"target_group_arns,omitempty"`
	InstancePort    int32    `json:"instance_port,omitempty"` // classic ELB
	// InstanceProtocol is the protocol a classic ELB speaks to its instances.
	InstanceProtocol string `json:"instance_protocol,omitempty"`
	// SSLCertificateID is the certificate ARN of a classic HTTPS/SSL listener.
	SSLCertificateID string `json:"ssl_certificate_id,omitempty"`
}

// TargetGroup is an ELBv2 target group and its registered targets.
type TargetGroup struct {
	ARN              string   `json:"arn"`
	Name             string   `json:"name"`
	Protocol         string   `json:"protocol,omitempty"`
	Port             int32    `json:"port,omitempty"`
	TargetType       string   `json:"target_type"` // instance, ip, lambda, alb
	VPCID            string   `json:"vpc_id,omitempty"`
	LoadBalancerARNs []string `json:"load_balancer_arns,omitempty"`
	Targets          []Target `json:"targets"`
}

// Target is a registered target and its health.
type Target struct {
	ID     string `json:"id"` // instance id, IP, Lambda ARN or ALB ARN
	Port   int32  `json:"port,omitempty"`
	Health string `json:"health,omitempty"` // healthy, unhealthy, unused, ...
}

// DBInstance is an RDS DB instance.
type DBInstance struct {
	ID                 string   `json:"id"`
	ARN                string   `json:"arn"`
	Engine             string   `json:"engine"`
	Status             string   `json:"status,omitempty"`
	PubliclyAccessible bool     `json:"publicly_accessible"`
	StorageEncrypted   bool     `json:"storage_encrypted"`
	KMSKeyID           string   `json:"kms_key_id,omitempty"`
	EndpointAddress    string   `json:"endpoint_address,omitempty"`
	EndpointPort       int32    `json:"endpoint_port,omitempty"`
	VPCID              string   `json:"vpc_id,omitempty"`
	SubnetGroup        string   `json:"subnet_group,omitempty"`
	SubnetIDs          []string `json:"subnet_ids,omitempty"`
	SecurityGroupIDs   []string `json:"security_group_ids,omitempty"`
	ClusterID          string   `json:"cluster_id,omitempty"`
	IAMAuth            bool     `json:"iam_auth"`
	Tags               Tags     `json:"tags,omitempty"`
}

// DBCluster is an RDS / Aurora cluster.
type DBCluster struct {
	ID                 string   `json:"id"`
	ARN                string   `json:"arn"`
	Engine             string   `json:"engine"`
	Status             string   `json:"status,omitempty"`
	PubliclyAccessible bool     `json:"publicly_accessible"`
	StorageEncrypted   bool     `json:"storage_encrypted"`
	KMSKeyID           string   `json:"kms_key_id,omitempty"`
	Endpoint           string   `json:"endpoint,omitempty"`
	Port               int32    `json:"port,omitempty"`
	SubnetGroup        string   `json:"subnet_group,omitempty"`
	SecurityGroupIDs   []string `json:"security_group_ids,omitempty"`
	Members            []string `json:"members,omitempty"` // DB instance ids
	IAMAuth            bool     `json:"iam_auth"`
	Tags               Tags     `json:"tags,omitempty"`
}

// DBSnapshot is an RDS instance or cluster snapshot owned by the account.
type DBSnapshot struct {
	ID         string   `json:"id"`
	ARN        string   `json:"arn"`
	Source     string   `json:"source"` // DB instance or cluster id
	Cluster    bool     `json:"cluster"`
	Encrypted  bool     `json:"encrypted"`
	Public     bool     `json:"public"` // restore attribute grants "all"
	SharedWith []string `json:"shared_with,omitempty"`
	Tags       Tags     `json:"tags,omitempty"`
}

// DynamoDBTable is a DynamoDB table.
type DynamoDBTable struct {
	Name      string `json:"name"`
	ARN       string `json:"arn"`
	Status    string `json:"status,omitempty"`
	ItemCount int64  `json:"item_count,omitempty"`
	// SSEType is "KMS" for a KMS key or "" for the AWS owned key default.
	SSEType   string   `json:"sse_type,omitempty"`
	SSEStatus string   `json:"sse_status,omitempty"`
	KMSKeyARN string   `json:"kms_key_arn,omitempty"`
	Policy    string   `json:"policy,omitempty"` // resource-based policy when present
	Tags      Tags     `json:"tags,omitempty"`
	Errors    []string `json:"errors,omitempty"` // details that could not be read
}

// EKSCluster is an EKS cluster.
type EKSCluster struct {
	Name                  string   `json:"name"`
	ARN                   string   `json:"arn"`
	Version               string   `json:"version,omitempty"`
	Status                string   `json:"status,omitempty"`
	RoleARN               string   `json:"role_arn"`
	Endpoint              string   `json:"endpoint,omitempty"`
	EndpointPublicAccess  bool     `json:"endpoint_public_access"`
	EndpointPrivateAccess bool     `json:"endpoint_private_access"`
	PublicAccessCIDRs     []string `json:"public_access_cidrs,omitempty"`
	VPCID                 string   `json:"vpc_id,omitempty"`
	SubnetIDs             []string `json:"subnet_ids,omitempty"`
	SecurityGroupIDs      []string `json:"security_group_ids,omitempty"`
	// OIDCIssuer is the cluster's OIDC issuer URL (IRSA tokens name it).
	OIDCIssuer string `json:"oidc_issuer,omitempty"`
	// AuthenticationMode is API, API_AND_CONFIG_MAP or CONFIG_MAP ("" when
	// the API did not say: clusters created before access entries behave
	// as CONFIG_MAP).
	AuthenticationMode string           `json:"authentication_mode,omitempty"`
	NodeGroups         []EKSNodeGroup   `json:"node_groups,omitempty"`
	AccessEntries      []EKSAccessEntry `json:"access_entries,omitempty"`
	PodIdentities      []EKSPodIdentity `json:"pod_identities,omitempty"`
	// Unavailable names the per-cluster reads the endpoint does not offer
	// (an emulator without access entries): known to be unknown, not failed.
	Unavailable []string `json:"unavailable,omitempty"`
	// Kubernetes is what the cluster's Kubernetes API answered; nil when it
	// was not read (the --kubernetes opt-in was off).
	Kubernetes *KubeState `json:"kubernetes,omitempty"`
	Tags       Tags       `json:"tags,omitempty"`
	Errors     []string   `json:"errors,omitempty"` // details that could not be read
}

// TaskDefinition is the latest active revision of an ECS task definition
// family. Container environment values are never stored, only names.
type TaskDefinition struct {
	ARN              string         `json:"arn"`
	Family           string         `json:"family"`
	Revision         int32          `json:"revision"`
	TaskRoleARN      string         `json:"task_role_arn,omitempty"`
	ExecutionRoleARN string         `json:"execution_role_arn,omitempty"`
	NetworkMode      string         `json:"network_mode,omitempty"`
	Containers       []ContainerDef `json:"containers,omitempty"`
	Tags             Tags           `json:"tags,omitempty"`
	Errors           []string       `json:"errors,omitempty"` // details that could not be read
}

// ContainerDef is a container in a task definition.
type ContainerDef struct {
	Name             string   `json:"name"`
	Image            string   `json:"image,omitempty"`
	Privileged       bool     `json:"privileged,omitempty"`
	EnvironmentNames []string `json:"environment_names,omitempty"`
	// SecretNames lists the names of secrets injected from Secrets Manager /
	// SSM (their ARNs are in SecretRefs), never their values.
	SecretNames []string `json:"secret_names,omitempty"`
	SecretRefs  []string `json:"secret_refs,omitempty"`
	// Credentials found in the plain environment values (never kept).
	Credentials []ConfigCredential `json:"credentials,omitempty"`
	// HostMounts lists host paths the container mounts (volumes with a
	// host source path), the Docker socket among them.
	HostMounts []string `json:"host_mounts,omitempty"`
	// HostPorts are the host ports of the container's port mappings: in
	// bridge or host network mode the container answers there on its host.
	HostPorts []int32 `json:"host_ports,omitempty"`
}

// ECSCluster is an ECS cluster with its EC2 container instances, running
// tasks and services: where task definitions actually run.
type ECSCluster struct {
	ARN                string                 `json:"arn"`
	Name               string                 `json:"name"`
	ContainerInstances []ECSContainerInstance `json:"container_instances,omitempty"`
	Tasks              []ECSTask              `json:"tasks,omitempty"`
	Services           []ECSService           `json:"services,omitempty"`
	Tags               Tags                   `json:"tags,omitempty"`
	// Errors lists details that could not be read (instances, tasks, services).
	Errors []string `json:"errors,omitempty"`
}

// ECSContainerInstance is an EC2 instance registered in a cluster.
type ECSContainerInstance struct {
	ARN           string `json:"arn"`
	EC2InstanceID string `json:"ec2_instance_id,omitempty"`
	Status        string `json:"status,omitempty"` // ACTIVE, DRAINING, ...
}

// ECSTask is a running task.
type ECSTask struct {
	ARN               string `json:"arn"`
	TaskDefinitionARN string `json:"task_definition_arn"`
	LaunchType        string `json:"launch_type,omitempty"` // EC2, FARGATE, EXTERNAL
	// ContainerInstanceARN is the EC2 container instance the task runs on
	// (EC2 launch type).
	ContainerInstanceARN string `json:"container_instance_arn,omitempty"`
	LastStatus           string `json:"last_status,omitempty"`
	// ENI, SubnetID and PrivateIPs place an awsvpc task's own interface.
	ENI        string   `json:"eni,omitempty"`
	SubnetID   string   `json:"subnet_id,omitempty"`
	PrivateIPs []string `json:"private_ips,omitempty"`
}

// ECSService is a service: the task definition it keeps running and where.
type ECSService struct {
	ARN               string   `json:"arn"`
	Name              string   `json:"name"`
	TaskDefinitionARN string   `json:"task_definition_arn"`
	LaunchType        string   `json:"launch_type,omitempty"`
	SubnetIDs         []string `json:"subnet_ids,omitempty"` // awsvpc configuration
	SecurityGroupIDs  []string `json:"security_group_ids,omitempty"`
}

// FileSystem is an EFS file system with its mount targets, file-system
// policy and access points.
type FileSystem struct {
	ID        string `json:"id"`
	ARN       string `json:"arn"`
	Name      string `json:"name,omitempty"`
	Encrypted bool   `json:"encrypted,omitempty"`
	KMSKeyID  string `json:"kms_key_id,omitempty"`
	// Policy is the file-system policy; "" means none is in effect (EFS's
	// default policy: every client that reaches a mount target gets full
	// access, DescribeFileSystemPolicy answers PolicyNotFound).
	Policy       string           `json:"policy,omitempty"`
	MountTargets []EFSMountTarget `json:"mount_targets,omitempty"`
	AccessPoints []EFSAccessPoint `json:"access_points,omitempty"`
	Tags         Tags             `json:"tags,omitempty"`
	Errors       []string         `json:"errors,omitempty"` // details that could not be read (policy: the policy is unknown)
}

// EFSMountTarget is a file system's NFS endpoint in one subnet.
type EFSMountTarget struct {
	ID               string   `json:"id"`
	SubnetID         string   `json:"subnet_id"`
	VPCID            string   `json:"vpc_id,omitempty"`
	IPAddress        string   `json:"ip_address,omitempty"`
	State            string   `json:"state,omitempty"`
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
}

// EFSAccessPoint is an application entry point of a file system: the POSIX
// user it forces and the directory it roots clients in.
type EFSAccessPoint struct {
	ID            string `json:"id"`
	ARN           string `json:"arn"`
	RootDirectory string `json:"root_directory,omitempty"`
	PosixUID      *int64 `json:"posix_uid,omitempty"`
	PosixGID      *int64 `json:"posix_gid,omitempty"`
}
