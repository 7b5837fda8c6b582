package resources

import (
	"github.com/breachpath/breachpath/graph"
)

// rule describes one finding rule. Controls use the prefixes of
// docs/model.md: "CIS-AWS-3.0:<id>" (CIS AWS Foundations Benchmark v3.0.0)
// and "AWS-FSBP:<id>" (AWS Foundational Security Best Practices).
type rule struct {
	id          string
	title       string
	severity    graph.Severity
	remediation string
	controls    []string
	fixEffort   float64
}

// Rule ids. docs/aws-transform.md lists them with their controls.
const (
	RuleSGAdminPorts      = "aws.ec2.sg-admin-ports-public"
	RuleSGHighRiskPorts   = "aws.ec2.sg-high-risk-ports-public"
	RuleSGUnrestricted    = "aws.ec2.sg-unrestricted-port"
	RuleDefaultSG         = "aws.ec2.default-sg-allows-traffic"
	RuleNACLAdminPorts    = "aws.ec2.nacl-admin-ports-public"
	RuleIMDSv1            = "aws.ec2.imdsv1-enabled"
	RulePublicIP          = "aws.ec2.instance-public-ip"
	RuleEBSSnapshotPublic = "aws.ec2.ebs-snapshot-public"
	RuleAMIPublic         = "aws.ec2.ami-public"
	RuleS3AccountPAB      = "aws.s3.account-public-access-block-off"
	RuleS3BucketPAB       = "aws.s3.bucket-public-access-block-off"
	RuleS3PublicRead      = "aws.s3.public-read"
	RuleS3PublicWrite     = "aws.s3.public-write"
	RuleS3Versioning      = "aws.s3.sensitive-bucket-versioning-off"
	RuleRDSPublic         = "aws.rds.publicly-accessible"
	RuleRDSUnencrypted    = "aws.rds.storage-unencrypted"
	RuleRDSSnapshotPublic = "aws.rds.snapshot-public"
	RuleEKSPublic         = "aws.eks.public-endpoint"
	RuleLambdaURLNoAuth   = "aws.lambda.function-url-no-auth"
	RuleECSHostAccess     = "aws.ecs.container-host-access"
	RuleS3ObjectPublicACL = "aws.s3.object-public-acl"
)

var rules = map[string]rule{
	RuleSGAdminPorts: {
		title: "Security group allows the Internet to remote administration ports (22, 3389)", severity: graph.SeverityHigh,
		remediation: "Remove the 0.0.0.0/0 or ::/0 ingress rule for ports 22/3389; use Session Manager, a bastion or a VPN range instead.",
		fixEffort:   1,
	},
	RuleSGHighRiskPorts: {
		title: "Security group allows the Internet to high-risk ports", severity: graph.SeverityHigh,
		remediation: "Restrict the ingress rule to the ranges that need the service, or put the service behind a load balancer.",
		controls:    []string{"AWS-FSBP:EC2.19"}, fixEffort: 1,
	},
	RuleSGUnrestricted: {
		title: "Security group allows the Internet to ports other than 80 and 443", severity: graph.SeverityMedium,
		remediation: "Restrict the ingress rule to known source ranges or remove it.",
		controls:    []string{"AWS-FSBP:EC2.18"}, fixEffort: 1,
	},
	RuleDefaultSG: {
		title: "Default security group allows traffic", severity: graph.SeverityMedium,
		remediation: "Remove every inbound and outbound rule of the VPC's default security group and use dedicated groups.",
		controls:    []string{"CIS-AWS-3.0:5.4", "AWS-FSBP:EC2.2"}, fixEffort: 2,
	},
	RuleNACLAdminPorts: {
		title: "Network ACL allows the Internet to remote administration ports (22, 3389)", severity: graph.SeverityMedium,
		remediation: "Add a deny entry for ports 22 and 3389 from 0.0.0.0/0 and ::/0 ahead of the allow entries.",
		controls:    []string{"CIS-AWS-3.0:5.1", "AWS-FSBP:EC2.21"}, fixEffort: 1,
	},
	RuleIMDSv1: {
		title: "EC2 instance allows IMDSv1 (HttpTokens optional)", severity: graph.SeverityMedium,
		remediation: "Require IMDSv2: aws ec2 modify-instance-metadata-options --http-tokens required --http-endpoint enabled.",
		controls:    []string{"CIS-AWS-3.0:5.6", "AWS-FSBP:EC2.8"}, fixEffort: 1,
	},
	RulePublicIP: {
		title: "EC2 instance has a public IP address", severity: graph.SeverityLow,
		remediation: "Launch the instance in a private subnet behind a load balancer or NAT, and release its public or Elastic IP.",
		controls:    []string{"AWS-FSBP:EC2.9"}, fixEffort: 3,
	},
	RuleEBSSnapshotPublic: {
		title: "EBS snapshot is publicly restorable", severity: graph.SeverityCritical,
		remediation: "Remove the 'all' group from the snapshot's createVolumePermission.",
		controls:    []string{"AWS-FSBP:EC2.1"}, fixEffort: 1,
	},
	RuleAMIPublic: {
		title: "AMI is public", severity: graph.SeverityHigh,
		remediation: "Remove the 'all' group from the image's launch permission (aws ec2 modify-image-attribute).",
		fixEffort:   1,
	},
	RuleS3AccountPAB: {
		title: "S3 Block Public Access is not fully enabled for the account", severity: graph.SeverityMedium,
		remediation: "Enable all four account-level S3 Block Public Access settings (aws s3control put-public-access-block).",
		controls:    []string{"CIS-AWS-3.0:2.1.4", "AWS-FSBP:S3.1"}, fixEffort: 2,
	},
	RuleS3BucketPAB: {
		title: "S3 bucket does not block public access", severity: graph.SeverityMedium,
		remediation: "Enable all four Block Public Access settings on the bucket (aws s3api put-public-access-block).",
		controls:    []string{"CIS-AWS-3.0:2.1.4", "AWS-FSBP:S3.8"}, fixEffort: 1,
	},
	RuleS3PublicRead: {
		title: "S3 bucket is publicly readable", severity: graph.SeverityCritical,
		remediation: "Remove the public grant (AllUsers/AuthenticatedUsers ACL or Principal \"*\" statement) and enable Block Public Access.",
		controls:    []string{"AWS-FSBP:S3.2"}, fixEffort: 1,
	},
	RuleS3PublicWrite: {
		title: "S3 bucket is publicly writable", severity: graph.SeverityCritical,
		remediation: "Remove the public write grant and enable Block Public Access.",
		controls:    []string{"AWS-FSBP:S3.3"}, fixEffort: 1,
	},
	RuleS3Versioning: {
		title: "Sensitive S3 bucket has versioning disabled", severity: graph.SeverityLow,
		remediation: "Enable versioning so that overwritten or deleted objects can be recovered.",
		controls:    []string{"AWS-FSBP:S3.14"}, fixEffort: 1,
	},
	RuleRDSPublic: {
		title: "RDS database is publicly accessible", severity: graph.SeverityHigh,
		remediation: "Set PubliclyAccessible to false (aws rds modify-db-instance --no-publicly-accessible).",
		controls:    []string{"CIS-AWS-3.0:2.3.3", "AWS-FSBP:RDS.2"}, fixEffort: 1,
	},
	RuleRDSUnencrypted: {
		title: "RDS storage is not encrypted", severity: graph.SeverityMedium,
		remediation: "Restore an encrypted copy (snapshot, copy with a KMS key, restore) and switch over.",
		controls:    []string{"CIS-AWS-3.0:2.3.1", "AWS-FSBP:RDS.3"}, fixEffort: 5,
	},
	RuleRDSSnapshotPublic: {
		title: "RDS snapshot is public", severity: graph.SeverityCritical,
		remediation: "Remove 'all' from the snapshot's restore attribute (aws rds modify-db-snapshot-attribute).",
		controls:    []string{"AWS-FSBP:RDS.1"}, fixEffort: 1,
	},
	RuleEFSOpenToNFSClients: {
		title: "EFS file system admits any NFS client that reaches a mount target", severity: graph.SeverityMedium,
		remediation: "Set a file-system policy that grants elasticfilesystem:ClientMount/ClientWrite only to the roles that need them (clients then mount with the mount helper's iam option), and narrow the mount targets' security groups to those clients.",
		fixEffort:   2,
	},
	RuleEKSPublic: {
		title: "EKS cluster endpoint is publicly accessible", severity: graph.SeverityHigh,
		remediation: "Disable the public endpoint or restrict publicAccessCidrs to known ranges.",
		controls:    []string{"AWS-FSBP:EKS.1"}, fixEffort: 2,
	},
	RuleECSHostAccess: {
		title: "ECS container can take over its EC2 host (privileged, Docker socket or host path mount)", severity: graph.SeverityHigh,
		remediation: "Drop privileged mode, do not mount the Docker socket or sensitive host paths; run such workloads on Fargate or dedicated hosts.",
		fixEffort:   2,
	},
	RuleEKSPodHostAccess: {
		title: "EKS pod can take over its node (privileged, hostPID, escaping capability, container runtime socket or host path mount)", severity: graph.SeverityHigh,
		remediation: "Drop privileged mode, hostPID and added capabilities, do not mount the container runtime socket or host paths; enforce the restricted Pod Security Standard on the namespace.",
		fixEffort:   2,
	},
	RuleEKSWorkloadRBAC: {
		title: "EKS workload's service account can run pods, grant itself more or read secrets (create pods, pods/exec, escalate, bind, impersonate, get/list secrets)", severity: graph.SeverityHigh,
		remediation: "Bind the service account to a Role with only the verbs the workload needs; never grant create on pods or controllers, pods/exec, escalate, bind, impersonate or reading secrets to an application's service account.",
		fixEffort:   2,
	},
	RuleEKSWorkloadExposed: {
		title: "EKS workload reachable from the Internet through a Service or Ingress (internet-facing load balancer, or a NodePort on a public node)", severity: graph.SeverityHigh,
		remediation: "Make the load balancer internal (service.beta.kubernetes.io/aws-load-balancer-scheme or alb.ingress.kubernetes.io/scheme: internal), limit loadBalancerSourceRanges / inbound-cidrs to known ranges, and keep nodes in private subnets without public addresses or NodePorts open in their security groups.",
		fixEffort:   2,
	},
	RuleEKSAWSAuthMasters: {
		title: "aws-auth ConfigMap maps an IAM principal to system:masters", severity: graph.SeverityMedium,
		remediation: "Move the mapping to an EKS access entry with a scoped access policy, or map to a group bound to a least-privilege ClusterRole; system:masters cannot be restricted by RBAC.",
		fixEffort:   2,
	},
	RuleS3ObjectPublicACL: {
		title: "S3 object ACL grants read to everyone (AllUsers or AuthenticatedUsers)", severity: graph.SeverityHigh,
		remediation: "Set the object's ACL to private (aws s3api put-object-acl --acl private), then disable ACLs on the bucket (object ownership BucketOwnerEnforced) or turn on IgnorePublicAcls.",
		fixEffort:   1,
	},
	RuleLambdaURLNoAuth: {
		title: "Lambda function URL requires no authentication", severity: graph.SeverityHigh,
		remediation: "Set the function URL's AuthType to AWS_IAM, or delete the URL.",
		controls:    []string{"AWS-FSBP:Lambda.1"}, fixEffort: 1,
	},
}

// flag records a finding of the rule on the resource and returns its id.
// Extra controls (for example the per-port FSBP ids) are added to the rule's.
func (b *builder) flag(ruleID, resource string, severity graph.Severity, evidence string, extraControls ...string) string {
	r := rules[ruleID]
	if severity < 0 {
		severity = r.severity
	}
	return b.finding(graph.Finding{
		RuleID: ruleID, Resource: resource, Severity: severity, Title: r.title, Evidence: evidence,
		Remediation: r.remediation, Controls: unionSorted(r.controls, extraControls), FixEffort: r.fixEffort,
	})
}

// defaultSeverity asks flag for the rule's own severity.
const defaultSeverity graph.Severity = -1
