package synthetic

import (
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// rtype is a logical resource type of the generator; vocab maps it to each
// cloud's own vocabulary (kind, native type, service, id format).
type rtype int

const (
	tAccount rtype = iota
	tResourceGroup
	tNetwork
	tSubnet
	tRouteTable
	tGateway
	tNAT
	tFirewall
	tNACL
	tNIC
	tPublicIP
	tLB
	tVM
	tFunction
	tCluster
	tContainer
	tBucket
	tDatabase
	tTable // DynamoDB, Cosmos DB, BigQuery dataset
	tQueue
	tTopic
	tSecret
	tKey
	tSnapshot
	tImage
	tRegistry
	tUser
	tGroup
	tRole
	tIdentity // workload identity: IAM role, managed identity, service account
	tPolicy
	tProfile
	numTypes
)

// spec describes one logical type in one cloud. id builds the stable id from
// the scope, region, a unique name and a unique 64-bit token (for the opaque
// parts of ids: i-0..., guids).
type spec struct {
	kind    graph.Kind
	native  string
	service string
	global  bool // region "global" (IAM, Entra, organisations)
	id      func(s *scope, region, name string, tok uint64) string
}

// vocab is indexed by cloud then type; a nil id means the cloud has no such
// resource and generators fall back or skip.
var vocab = map[graph.Cloud]*[numTypes]spec{
	graph.CloudAWS:   &awsVocab,
	graph.CloudAzure: &azureVocab,
	graph.CloudGCP:   &gcpVocab,
}

func awsEC2(res, prefix string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, region, _ string, tok uint64) string {
		return "arn:aws:ec2:" + region + ":" + s.acct + ":" + res + "/" + prefix + "-0" + hex16(tok)
	}
}

func awsIAM(res string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, _, name string, _ uint64) string {
		return "arn:aws:iam::" + s.acct + ":" + res + "/" + name
	}
}

func awsRegional(service, sep, res string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, region, name string, _ uint64) string {
		return "arn:aws:" + service + ":" + region + ":" + s.acct + ":" + res + sep + name
	}
}

var awsVocab = [numTypes]spec{
	tAccount: {graph.KindAccount, "AWS::Organizations::Account", "organizations", true, func(s *scope, _, _ string, _ uint64) string {
		return "arn:aws:organizations::" + s.org.mgmtAccount + ":account/" + s.org.awsOrgID + "/" + s.acct
	}},
	tNetwork:    {graph.KindNetwork, "AWS::EC2::VPC", "ec2", false, awsEC2("vpc", "vpc")},
	tSubnet:     {graph.KindSubnet, "AWS::EC2::Subnet", "ec2", false, awsEC2("subnet", "subnet")},
	tRouteTable: {graph.KindRouteTable, "AWS::EC2::RouteTable", "ec2", false, awsEC2("route-table", "rtb")},
	tGateway:    {graph.KindGateway, "AWS::EC2::InternetGateway", "ec2", false, awsEC2("internet-gateway", "igw")},
	tNAT:        {graph.KindGateway, "AWS::EC2::NatGateway", "ec2", false, awsEC2("natgateway", "nat")},
	tFirewall:   {graph.KindFirewallRules, "AWS::EC2::SecurityGroup", "ec2", false, awsEC2("security-group", "sg")},
	tNACL:       {graph.KindNetworkACL, "AWS::EC2::NetworkAcl", "ec2", false, awsEC2("network-acl", "acl")},
	tNIC:        {graph.KindNetworkInterface, "AWS::EC2::NetworkInterface", "ec2", false, awsEC2("network-interface", "eni")},
	tPublicIP:   {graph.KindPublicEndpoint, "AWS::EC2::EIP", "ec2", false, awsEC2("elastic-ip", "eipalloc")},
	tLB: {graph.KindLoadBalancer, "AWS::ElasticLoadBalancingV2::LoadBalancer", "elasticloadbalancing", false, func(s *scope, region, name string, tok uint64) string {
		return "arn:aws:elasticloadbalancing:" + region + ":" + s.acct + ":loadbalancer/app/" + name + "/" + hex16(tok)
	}},
	tVM:       {graph.KindCompute, "AWS::EC2::Instance", "ec2", false, awsEC2("instance", "i")},
	tFunction: {graph.KindFunction, "AWS::Lambda::Function", "lambda", false, awsRegional("lambda", ":", "function")},
	tCluster:  {graph.KindCluster, "AWS::EKS::Cluster", "eks", false, awsRegional("eks", "/", "cluster")},
	tContainer: {graph.KindContainer, "AWS::ECS::TaskDefinition", "ecs", false, func(s *scope, region, name string, tok uint64) string {
		return "arn:aws:ecs:" + region + ":" + s.acct + ":task-definition/" + name + ":" + strconv.FormatUint(tok%40+1, 10)
	}},
	tBucket: {graph.KindBucket, "AWS::S3::Bucket", "s3", false, func(s *scope, _, name string, _ uint64) string {
		return "arn:aws:s3:::" + name
	}},
	tDatabase: {graph.KindDatabase, "AWS::RDS::DBInstance", "rds", false, awsRegional("rds", ":", "db")},
	tTable:    {graph.KindDatabase, "AWS::DynamoDB::Table", "dynamodb", false, awsRegional("dynamodb", "/", "table")},
	tQueue: {graph.KindQueue, "AWS::SQS::Queue", "sqs", false, func(s *scope, region, name string, _ uint64) string {
		return "arn:aws:sqs:" + region + ":" + s.acct + ":" + name
	}},
	tTopic: {graph.KindTopic, "AWS::SNS::Topic", "sns", false, func(s *scope, region, name string, _ uint64) string {
		return "arn:aws:sns:" + region + ":" + s.acct + ":" + name
	}},
	tSecret: {graph.KindSecret, "AWS::SecretsManager::Secret", "secretsmanager", false, func(s *scope, region, name string, tok uint64) string {
		return "arn:aws:secretsmanager:" + region + ":" + s.acct + ":secret:" + name + "-" + alnum6(tok)
	}},
	tKey: {graph.KindKey, "AWS::KMS::Key", "kms", false, func(s *scope, region, _ string, tok uint64) string {
		return "arn:aws:kms:" + region + ":" + s.acct + ":key/" + uuid(tok)
	}},
	tSnapshot: {graph.KindSnapshot, "AWS::EC2::Snapshot", "ec2", false, awsEC2("snapshot", "snap")},
	tImage: {graph.KindImage, "AWS::EC2::Image", "ec2", false, func(s *scope, region, _ string, tok uint64) string {
		return "arn:aws:ec2:" + region + "::image/ami-0" + hex16(tok)
	}},
	tRegistry: {graph.KindRegistry, "AWS::ECR::Repository", "ecr", false, awsRegional("ecr", "/", "repository")},
	tUser:     {graph.KindUser, "AWS::IAM::User", "iam", true, awsIAM("user")},
	tGroup:    {graph.KindGroup, "AWS::IAM::Group", "iam", true, awsIAM("group")},
	tRole:     {graph.KindRole, "AWS::IAM::Role", "iam", true, awsIAM("role")},
	tIdentity: {graph.KindRole, "AWS::IAM::Role", "iam", true, awsIAM("role")},
	tPolicy:   {graph.KindPolicy, "AWS::IAM::Policy", "iam", true, awsIAM("policy")},
	tProfile:  {graph.KindInstanceProfile, "AWS::IAM::InstanceProfile", "iam", true, awsIAM("instance-profile")},
}

// azRG builds a lower-cased Azure resource id inside the scope's resource
// group of the region; name may carry parent segments ("vnet/subnets/app").
func azRG(provider string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, region, name string, _ uint64) string {
		return strings.ToLower("/subscriptions/" + s.acct + "/resourcegroups/" + s.resourceGroup(region) + "/providers/" + provider + "/" + name)
	}
}

var azureVocab = [numTypes]spec{
	tAccount: {graph.KindAccount, "Microsoft.Resources/subscriptions", "resources", true, func(s *scope, _, _ string, _ uint64) string {
		return "/subscriptions/" + s.acct
	}},
	tResourceGroup: {graph.KindResourceGroup, "Microsoft.Resources/resourceGroups", "resources", false, func(s *scope, _, name string, _ uint64) string {
		return strings.ToLower("/subscriptions/" + s.acct + "/resourcegroups/" + name)
	}},
	tNetwork:    {graph.KindNetwork, "Microsoft.Network/virtualNetworks", "network", false, azRG("microsoft.network/virtualnetworks")},
	tSubnet:     {graph.KindSubnet, "Microsoft.Network/virtualNetworks/subnets", "network", false, azRG("microsoft.network/virtualnetworks")},
	tRouteTable: {graph.KindRouteTable, "Microsoft.Network/routeTables", "network", false, azRG("microsoft.network/routetables")},
	tNAT:        {graph.KindGateway, "Microsoft.Network/natGateways", "network", false, azRG("microsoft.network/natgateways")},
	tFirewall:   {graph.KindFirewallRules, "Microsoft.Network/networkSecurityGroups", "network", false, azRG("microsoft.network/networksecuritygroups")},
	tNIC:        {graph.KindNetworkInterface, "Microsoft.Network/networkInterfaces", "network", false, azRG("microsoft.network/networkinterfaces")},
	tPublicIP:   {graph.KindPublicEndpoint, "Microsoft.Network/publicIPAddresses", "network", false, azRG("microsoft.network/publicipaddresses")},
	tLB:         {graph.KindLoadBalancer, "Microsoft.Network/applicationGateways", "network", false, azRG("microsoft.network/applicationgateways")},
	tVM:         {graph.KindCompute, "Microsoft.Compute/virtualMachines", "compute", false, azRG("microsoft.compute/virtualmachines")},
	tFunction:   {graph.KindFunction, "Microsoft.Web/sites", "web", false, azRG("microsoft.web/sites")},
	tCluster:    {graph.KindCluster, "Microsoft.ContainerService/managedClusters", "containerservice", false, azRG("microsoft.containerservice/managedclusters")},
	tContainer:  {graph.KindContainer, "Microsoft.App/containerApps", "app", false, azRG("microsoft.app/containerapps")},
	tBucket:     {graph.KindBucket, "Microsoft.Storage/storageAccounts/blobServices/containers", "storage", false, azRG("microsoft.storage/storageaccounts")},
	tDatabase:   {graph.KindDatabase, "Microsoft.Sql/servers/databases", "sql", false, azRG("microsoft.sql/servers")},
	tTable:      {graph.KindDatabase, "Microsoft.DocumentDB/databaseAccounts", "documentdb", false, azRG("microsoft.documentdb/databaseaccounts")},
	tQueue:      {graph.KindQueue, "Microsoft.ServiceBus/namespaces/queues", "servicebus", false, azRG("microsoft.servicebus/namespaces")},
	tTopic:      {graph.KindTopic, "Microsoft.ServiceBus/namespaces/topics", "servicebus", false, azRG("microsoft.servicebus/namespaces")},
	tSecret:     {graph.KindSecret, "Microsoft.KeyVault/vaults/secrets", "keyvault", false, azRG("microsoft.keyvault/vaults")},
	tKey:        {graph.KindKey, "Microsoft.KeyVault/vaults/keys", "keyvault", false, azRG("microsoft.keyvault/vaults")},
	tSnapshot:   {graph.KindSnapshot, "Microsoft.Compute/snapshots", "compute", false, azRG("microsoft.compute/snapshots")},
	tImage:      {graph.KindImage, "Microsoft.Compute/images", "compute", false, azRG("microsoft.compute/images")},
	tRegistry:   {graph.KindRegistry, "Microsoft.ContainerRegistry/registries", "containerregistry", false, azRG("microsoft.containerregistry/registries")},
	tUser: {graph.KindUser, "Microsoft.Graph/users", "entra", true, func(s *scope, _, _ string, tok uint64) string {
		return "/tenants/" + s.org.tenantID + "/users/" + uuid(tok)
	}},
	tGroup: {graph.KindGroup, "Microsoft.Graph/groups", "entra", true, func(s *scope, _, _ string, tok uint64) string {
		return "/tenants/" + s.org.tenantID + "/groups/" + uuid(tok)
	}},
	tRole: {graph.KindRole, "Microsoft.Authorization/roleDefinitions", "authorization", true, func(s *scope, _, _ string, tok uint64) string {
		return "/subscriptions/" + s.acct + "/providers/microsoft.authorization/roledefinitions/" + uuid(tok)
	}},
	tIdentity: {graph.KindServiceAccount, "Microsoft.ManagedIdentity/userAssignedIdentities", "managedidentity", false, azRG("microsoft.managedidentity/userassignedidentities")},
	tPolicy: {graph.KindPolicy, "Microsoft.Authorization/roleAssignments", "authorization", true, func(s *scope, _, _ string, tok uint64) string {
		return "/subscriptions/" + s.acct + "/providers/microsoft.authorization/roleassignments/" + uuid(tok)
	}},
}

func gcpCompute(scopeKind, res string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, region, name string, _ uint64) string {
		p := "//compute.googleapis.com/projects/" + s.acct + "/"
		switch scopeKind {
		case "zones":
			return p + "zones/" + region + "-" + string(rune('a'+len(name)%3)) + "/" + res + "/" + name
		case "regions":
			return p + "regions/" + region + "/" + res + "/" + name
		}
		return p + "global/" + res + "/" + name
	}
}

func gcpLocation(host, res string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, region, name string, _ uint64) string {
		return "//" + host + "/projects/" + s.acct + "/locations/" + region + "/" + res + "/" + name
	}
}

func gcpProject(host, res string) func(s *scope, region, name string, tok uint64) string {
	return func(s *scope, _, name string, _ uint64) string {
		return "//" + host + "/projects/" + s.acct + "/" + res + "/" + name
	}
}

var gcpVocab = [numTypes]spec{
	tAccount: {graph.KindAccount, "cloudresourcemanager.googleapis.com/Project", "cloudresourcemanager", true, func(s *scope, _, _ string, _ uint64) string {
		return "//cloudresourcemanager.googleapis.com/projects/" + s.acct
	}},
	tNetwork:    {graph.KindNetwork, "compute.googleapis.com/Network", "compute", false, gcpCompute("global", "networks")},
	tSubnet:     {graph.KindSubnet, "compute.googleapis.com/Subnetwork", "compute", false, gcpCompute("regions", "subnetworks")},
	tRouteTable: {graph.KindRouteTable, "compute.googleapis.com/Route", "compute", false, gcpCompute("global", "routes")},
	tNAT:        {graph.KindGateway, "compute.googleapis.com/Router", "compute", false, gcpCompute("regions", "routers")},
	tFirewall:   {graph.KindFirewallRules, "compute.googleapis.com/Firewall", "compute", false, gcpCompute("global", "firewalls")},
	tPublicIP:   {graph.KindPublicEndpoint, "compute.googleapis.com/Address", "compute", false, gcpCompute("regions", "addresses")},
	tLB:         {graph.KindLoadBalancer, "compute.googleapis.com/ForwardingRule", "compute", false, gcpCompute("global", "forwardingRules")},
	tVM:         {graph.KindCompute, "compute.googleapis.com/Instance", "compute", false, gcpCompute("zones", "instances")},
	tFunction:   {graph.KindFunction, "cloudfunctions.googleapis.com/CloudFunction", "cloudfunctions", false, gcpLocation("cloudfunctions.googleapis.com", "functions")},
	tCluster:    {graph.KindCluster, "container.googleapis.com/Cluster", "container", false, gcpLocation("container.googleapis.com", "clusters")},
	tContainer:  {graph.KindContainer, "run.googleapis.com/Service", "run", false, gcpLocation("run.googleapis.com", "services")},
	tBucket: {graph.KindBucket, "storage.googleapis.com/Bucket", "storage", false, func(_ *scope, _, name string, _ uint64) string {
		return "//storage.googleapis.com/projects/_/buckets/" + name
	}},
	tDatabase: {graph.KindDatabase, "sqladmin.googleapis.com/Instance", "sqladmin", false, gcpProject("sqladmin.googleapis.com", "instances")},
	tTable:    {graph.KindDatabase, "bigquery.googleapis.com/Dataset", "bigquery", false, gcpProject("bigquery.googleapis.com", "datasets")},
	tQueue:    {graph.KindQueue, "pubsub.googleapis.com/Subscription", "pubsub", false, gcpProject("pubsub.googleapis.com", "subscriptions")},
	tTopic:    {graph.KindTopic, "pubsub.googleapis.com/Topic", "pubsub", false, gcpProject("pubsub.googleapis.com", "topics")},
	tSecret:   {graph.KindSecret, "secretmanager.googleapis.com/Secret", "secretmanager", false, gcpProject("secretmanager.googleapis.com", "secrets")},
	tKey: {graph.KindKey, "cloudkms.googleapis.com/CryptoKey", "cloudkms", false, func(s *scope, region, name string, _ uint64) string {
		return "//cloudkms.googleapis.com/projects/" + s.acct + "/locations/" + region + "/keyRings/" + s.acct + "-ring/cryptoKeys/" + name
	}},
	tSnapshot: {graph.KindSnapshot, "compute.googleapis.com/Snapshot", "compute", false, gcpCompute("global", "snapshots")},
	tImage:    {graph.KindImage, "compute.googleapis.com/Image", "compute", false, gcpCompute("global", "images")},
	tRegistry: {graph.KindRegistry, "artifactregistry.googleapis.com/Repository", "artifactregistry", false, gcpLocation("artifactregistry.googleapis.com", "repositories")},
	tUser: {graph.KindUser, "cloudidentity.googleapis.com/User", "cloudidentity", true, func(_ *scope, _, name string, _ uint64) string {
		return "//cloudidentity.googleapis.com/users/" + name
	}},
	tGroup: {graph.KindGroup, "cloudidentity.googleapis.com/Group", "cloudidentity", true, func(_ *scope, _, _ string, tok uint64) string {
		return "//cloudidentity.googleapis.com/groups/0" + hex16(tok)
	}},
	tRole: {graph.KindRole, "iam.googleapis.com/Role", "iam", true, gcpProject("iam.googleapis.com", "roles")},
	tIdentity: {graph.KindServiceAccount, "iam.googleapis.com/ServiceAccount", "iam", true, func(s *scope, _, name string, _ uint64) string {
		return "//iam.googleapis.com/projects/" + s.acct + "/serviceAccounts/" + name + "@" + s.acct + ".iam.gserviceaccount.com"
	}},
	tPolicy: {graph.KindPolicy, "cloudresourcemanager.googleapis.com/IamBinding", "iam", true, func(s *scope, _, name string, _ uint64) string {
		return "//cloudresourcemanager.googleapis.com/projects/" + s.acct + "/iamPolicy/bindings/" + name
	}},
}

const hexDigits = "0123456789abcdef"

// hex16 renders v as 16 lower-case hex digits.
func hex16(v uint64) string {
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&15]
		v >>= 4
	}
	return string(b[:])
}

// uuid renders a version-4-shaped uuid from v (and a mix of it, for the
// second half), lower-case as Azure ids are.
func uuid(v uint64) string {
	w := mix64(v ^ 0x5bd1e995)
	h := hex16(v) + hex16(w)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// alnum6 renders the 6-character suffix Secrets Manager appends to names,
// letters and digits alternating: runs of letters would spell words the
// sensitivity name rules read in the id ("xTaxQ1" holds "tax").
func alnum6(v uint64) string {
	var b [6]byte
	for i := range b {
		if i%2 == 0 {
			b[i] = alnum[v%52]
			v /= 52
		} else {
			b[i] = alnum[52+v%10]
			v /= 10
		}
	}
	return string(b[:])
}

// mix64 is the splitmix64 finaliser: a bijection on uint64, so distinct
// counters give distinct tokens and ids never collide.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
