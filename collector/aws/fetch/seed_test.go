package fetch

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const (
	seedAccount     = "123456789012"
	seedSecretValue = "hunter2-do-not-leak-7c1e5b"
	seedEnvValue    = "env-value-must-not-leak-91ab"
)

// seeded holds the ids the assertions look for.
type seeded struct {
	vpc, subnet, igw, routeTable, sg, nacl, instance string
	keyID, queueURL, topicARN, secretARN             string
	lambdaOK                                         bool
	lambdaErr                                        string
}

func trustService(svc string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"sts:AssumeRole"}]}`
}

func must[T any](t testing.TB, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
		return v
	}
}

// seedAccountResources creates, through the real SDK against moto, the
// account the integration tests collect.
func seedAccountResources(t testing.TB, ctx context.Context, cfg aws.Config, endpoint string) seeded {
	t.Helper()
	cfg = cfg.Copy()
	cfg.BaseEndpoint = aws.String(endpoint)
	var out seeded

	// moto starts every account with Macie enabled but implements no
	// findings API (macie_test.go serves findings from fixtures); the
	// seeded account is one without Macie, as most are.
	must[*macie2.DisableMacieOutput](t, "disable macie")(macie2.NewFromConfig(cfg).DisableMacie(ctx, &macie2.DisableMacieInput{}))

	// IAM.
	ic := iam.NewFromConfig(cfg)
	must[*iam.CreatePolicyOutput](t, "boundary policy")(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("DeveloperBoundary"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*"],"Resource":"*"}]}`)}))
	boundary := "arn:aws:iam::" + seedAccount + ":policy/DeveloperBoundary"
	must[*iam.CreatePolicyOutput](t, "managed policy")(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("S3ReadRestricted"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::customer-data","arn:aws:s3:::customer-data/*"]}]}`)}))
	managed := "arn:aws:iam::" + seedAccount + ":policy/S3ReadRestricted"
	must[*iam.CreateGroupOutput](t, "group")(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("developers")}))
	must[*iam.AttachGroupPolicyOutput](t, "attach group policy")(ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("developers"), PolicyArn: aws.String(managed)}))
	must[*iam.PutGroupPolicyOutput](t, "group inline")(ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("dev-ec2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)}))
	must[*iam.CreateUserOutput](t, "user")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(boundary)}))
	must[*iam.AddUserToGroupOutput](t, "group member")(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("developers")}))
	must[*iam.PutUserPolicyOutput](t, "user inline")(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("passrole"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`)}))
	must[*iam.CreateAccessKeyOutput](t, "access key")(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	must[*iam.CreateLoginProfileOutput](t, "login profile")(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Sup3r-secret-pw!")}))

	must[*iam.CreateRoleOutput](t, "ec2 role")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-role"), Path: aws.String("/app/"),
		AssumeRolePolicyDocument: aws.String(trustService("ec2.amazonaws.com")), PermissionsBoundary: aws.String(boundary)}))
	must[*iam.AttachRolePolicyOutput](t, "attach role policy")(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app-role"), PolicyArn: aws.String(managed)}))
	must[*iam.CreateRoleOutput](t, "cross-account role")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("audit-cross-account"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"vendor-7f3a"}}}]}`)}))
	must[*iam.CreateRoleOutput](t, "lambda role")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trustService("lambda.amazonaws.com"))}))
	must[*iam.CreateInstanceProfileOutput](t, "instance profile")(ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app-profile")}))
	must[*iam.AddRoleToInstanceProfileOutput](t, "profile role")(ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), RoleName: aws.String("app-role")}))

	// Network: VPC, IGW, public subnet, route table, SG open on 22/443, NACL.
	ec := ec2.NewFromConfig(cfg)
	vpc := must[*ec2.CreateVpcOutput](t, "vpc")(ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.10.0.0/16")}))
	out.vpc = aws.ToString(vpc.Vpc.VpcId)
	igw := must[*ec2.CreateInternetGatewayOutput](t, "igw")(ec.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{}))
	out.igw = aws.ToString(igw.InternetGateway.InternetGatewayId)
	must[*ec2.AttachInternetGatewayOutput](t, "attach igw")(ec.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(out.igw), VpcId: aws.String(out.vpc)}))
	sub := must[*ec2.CreateSubnetOutput](t, "subnet")(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(out.vpc), CidrBlock: aws.String("10.10.1.0/24")}))
	out.subnet = aws.ToString(sub.Subnet.SubnetId)
	must[*ec2.ModifySubnetAttributeOutput](t, "public subnet")(ec.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String(out.subnet), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	rt := must[*ec2.CreateRouteTableOutput](t, "route table")(ec.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(out.vpc)}))
	out.routeTable = aws.ToString(rt.RouteTable.RouteTableId)
	must[*ec2.CreateRouteOutput](t, "default route")(ec.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(out.routeTable), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(out.igw)}))
	must[*ec2.AssociateRouteTableOutput](t, "associate")(ec.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(out.routeTable), SubnetId: aws.String(out.subnet)}))
	sg := must[*ec2.CreateSecurityGroupOutput](t, "sg")(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: aws.String(out.vpc)}))
	out.sg = aws.ToString(sg.GroupId)
	must[*ec2.AuthorizeSecurityGroupIngressOutput](t, "sg rules")(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(out.sg),
		IpPermissions: []ec2types.IpPermission{
			{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
			{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}, Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
		}}))
	acl := must[*ec2.CreateNetworkAclOutput](t, "nacl")(ec.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(out.vpc)}))
	out.nacl = aws.ToString(acl.NetworkAcl.NetworkAclId)
	must[*ec2.CreateNetworkAclEntryOutput](t, "nacl entry")(ec.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(out.nacl), RuleNumber: aws.Int32(100),
		Protocol: aws.String("6"), RuleAction: ec2types.RuleActionAllow, Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0"), PortRange: &ec2types.PortRange{From: aws.Int32(443), To: aws.Int32(443)}}))
	run := must[*ec2.RunInstancesOutput](t, "instance")(ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: aws.String(out.subnet), SecurityGroupIds: []string{out.sg},
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("app-profile")},
		MetadataOptions:    &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateOptional, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled},
		TagSpecifications:  []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("web-1")}}}}}))
	out.instance = aws.ToString(run.Instances[0].InstanceId)

	// S3 bucket tagged restricted with a policy.
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	must[*s3.CreateBucketOutput](t, "bucket")(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("customer-data")}))
	must[*s3.PutBucketTaggingOutput](t, "bucket tags")(sc.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("customer-data"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("data-classification"), Value: aws.String("restricted")}}}}))
	must[*s3.PutBucketPolicyOutput](t, "bucket policy")(sc.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("customer-data"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::customer-data/*"}]}`)}))

	// KMS key, secret, SQS, SNS, ECR with policies.
	kc := kms.NewFromConfig(cfg)
	key := must[*kms.CreateKeyOutput](t, "kms key")(kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("data key")}))
	out.keyID = aws.ToString(key.KeyMetadata.KeyId)
	smc := secretsmanager.NewFromConfig(cfg)
	sec := must[*secretsmanager.CreateSecretOutput](t, "secret")(smc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db-password"),
		SecretString: aws.String(seedSecretValue), KmsKeyId: aws.String(out.keyID)}))
	out.secretARN = aws.ToString(sec.ARN)
	must[*secretsmanager.PutResourcePolicyOutput](t, "secret policy")(smc.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: sec.ARN,
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}))
	qc := sqs.NewFromConfig(cfg)
	q := must[*sqs.CreateQueueOutput](t, "queue")(qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{
		"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`}}))
	out.queueURL = aws.ToString(q.QueueUrl)
	nc := sns.NewFromConfig(cfg)
	tp := must[*sns.CreateTopicOutput](t, "topic")(nc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")}))
	out.topicARN = aws.ToString(tp.TopicArn)
	must[*sns.SetTopicAttributesOutput](t, "topic policy")(nc.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"pub","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"` + out.topicARN + `"}]}`)}))
	erc := ecr.NewFromConfig(cfg)
	must[*ecr.CreateRepositoryOutput](t, "repository")(erc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")}))
	must[*ecr.SetRepositoryPolicyOutput](t, "repository policy")(erc.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("app"),
		PolicyText: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage"]}]}`)}))

	// RDS (private).
	rc := rds.NewFromConfig(cfg)
	must[*rds.CreateDBInstanceOutput](t, "db instance")(rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders-db"),
		DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("postgres"), MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("Passw0rd-db!"),
		AllocatedStorage: aws.Int32(20), PubliclyAccessible: aws.Bool(false), StorageEncrypted: aws.Bool(true), VpcSecurityGroupIds: []string{out.sg}}))

	// Lambda: moto creates functions without Docker; it only needs Docker to invoke.
	lc := lambda.NewFromConfig(cfg)
	_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("thumbnailer"), Runtime: lambdatypes.RuntimePython312,
		Role: aws.String("arn:aws:iam::" + seedAccount + ":role/fn-role"), Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip(t)},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"DB_PASSWORD": seedEnvValue}},
		Tags:        map[string]string{"team": "media"}}) // ABAC decides on function tags (lambda:ListTags)
	if err != nil {
		out.lambdaErr = err.Error()
		return out
	}
	out.lambdaOK = true
	must[*lambda.AddPermissionOutput](t, "lambda permission")(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("thumbnailer"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: lambdatypes.FunctionUrlAuthTypeNone}))
	must[*lambda.CreateFunctionUrlConfigOutput](t, "function url")(lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("thumbnailer"),
		AuthType: lambdatypes.FunctionUrlAuthTypeNone}))
	return out
}
