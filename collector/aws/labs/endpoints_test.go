package labs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/breachpath/breachpath/collector/aws/fetch"
)

// Data perimeters on VPC endpoints (issue 14): resource and identity
// policies that grant or deny on aws:SourceVpce / aws:SourceVpc are decided
// with the endpoint a caller actually goes through. A shell on an instance
// whose requests pass the endpoint gets the access; the same role's (or a
// leaked key's) requests from anywhere else do not.
func init() {
	labs = append(labs,
		lab{
			name: "breachpath/ssm-shell-to-secret-behind-interface-endpoint-perimeter",
			source: "AWS Secrets Manager guide 'Using an AWS Secrets Manager VPC endpoint' (resource policy denying requests " +
				"whose aws:SourceVpce is not the endpoint) and AWS's data perimeter examples; foothold as in issue 14 " +
				"(SSM Session Manager onto an instance, then its role via IMDS)",
			services: []string{fetch.ServiceEC2, fetch.ServiceSecretsManager},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				app := e.vpc("10.36.0.0/16", "10.36.1.0/24", false, "10.36.0.0/16", 443)
				e.role("app", trustService("ec2.amazonaws.com"), map[string]string{"p": doc(allow("secretsmanager:GetSecretValue", "*"))})
				inst := e.instance(app, instanceOpts{profile: e.profile("app", "app")})
				epSG := app.sg
				if variant { // the endpoint's security group admits nobody on 443
					epSG = e.securityGroup(app.vpc)
				}
				vpce := e.interfaceEndpoint(app, "secretsmanager", epSG, true, "")
				secret := e.secret("ledger-key")
				e.secretPolicy(secret, doc(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
					"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": vpce}}}))
				return route{from: u, via: []string{inst, secret}}
			},
		},
		lab{
			name: "breachpath/leaked-key-to-secret-cut-by-endpoint-perimeter",
			source: "AWS data perimeter guidance ('Establishing a data perimeter on AWS: allow only trusted networks'): a key " +
				"leaked from a developer laptop reads the secret until the secret's policy denies requests not coming through " +
				"the VPC endpoint",
			services: []string{fetch.ServiceEC2, fetch.ServiceSecretsManager},
			build: func(e *estate, variant bool) route {
				u := e.user("ci", map[string]string{"p": doc(allow("secretsmanager:GetSecretValue", "*"))})
				e.accessKey("ci")
				app := e.vpc("10.37.0.0/16", "10.37.1.0/24", false, "10.37.0.0/16", 443)
				vpce := e.interfaceEndpoint(app, "secretsmanager", app.sg, true, "")
				secret := e.secret("deploy-token")
				if variant { // the one change: the perimeter statement
					e.secretPolicy(secret, doc(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*",
						"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": vpce}}}))
				}
				return route{from: u, via: []string{secret}}
			},
		},
		lab{
			name: "breachpath/ssm-shell-to-kms-key-gated-on-source-vpc",
			source: "AWS KMS guide 'Connecting to AWS KMS through a VPC endpoint' (aws:SourceVpc in a policy condition) and " +
				"'Controlling access to VPC endpoints by using endpoint policies'; foothold as in issue 14",
			services: []string{fetch.ServiceEC2, fetch.ServiceKMS},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				app := e.vpc("10.38.0.0/16", "10.38.1.0/24", false, "10.38.0.0/16", 443)
				e.role("decrypter", trustService("ec2.amazonaws.com"), map[string]string{"p": doc(map[string]any{
					"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpc": app.vpc}}})})
				inst := e.instance(app, instanceOpts{profile: e.profile("decrypter", "decrypter")})
				key := e.kmsKey()
				epPolicy := doc(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})
				if variant { // the endpoint policy lets only kms:Encrypt through
					epPolicy = doc(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"})
				}
				e.interfaceEndpoint(app, "kms", app.sg, true, epPolicy)
				return route{from: u, via: []string{inst, key}}
			},
		},
		lab{
			name: "breachpath/ssm-shell-to-role-whose-trust-admits-only-the-sts-endpoint",
			source: "AWS IAM guide 'Interface VPC endpoints' for AWS STS (endpoint policies, aws:SourceVpce in a role trust " +
				"policy) and AWS's data perimeter examples ('trusted networks' on sts:AssumeRole); foothold as in issue 14 " +
				"(SSM Session Manager onto an instance, its role via IMDS, then the role only the endpoint's callers may assume)",
			services: []string{fetch.ServiceEC2, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				app := e.vpc("10.39.0.0/16", "10.39.1.0/24", false, "10.39.0.0/16", 443)
				worker := e.role("worker", trustService("ec2.amazonaws.com"), map[string]string{"p": doc(allow("sts:AssumeRole", "*"))})
				inst := e.instance(app, instanceOpts{profile: e.profile("worker", "worker")})
				epSG := app.sg
				if variant { // the one change: the STS endpoint's security group admits nobody on 443
					epSG = e.securityGroup(app.vpc)
				}
				vpce := e.interfaceEndpoint(app, "sts", epSG, true, "")
				bucket := e.bucket("sts-ledger", restricted, "")
				reader := e.role("ledger-reader", doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": worker},
					"Action": "sts:AssumeRole", "Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": vpce}}}),
					map[string]string{"p": doc(allow("s3:GetObject", bucket+"/*"))})
				return route{from: u, via: []string{inst, reader, bucket}}
			},
		},
		lab{
			name: "breachpath/ssm-shell-escalates-through-the-iam-endpoint",
			source: "AWS IAM guide 'Create a VPC endpoint for IAM' (com.amazonaws.iam, us-east-1) and AWS's data perimeter " +
				"examples (IAM changes allowed only from the corporate VPC with aws:SourceVpce), with IAM Vulnerable's " +
				"AttachRolePolicy escalation; foothold as in issue 14 (SSM Session Manager onto the instance, its role via IMDS)",
			services: []string{fetch.ServiceEC2},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				app := e.vpc("10.44.0.0/16", "10.44.1.0/24", false, "10.44.0.0/16", 443)
				epSG := app.sg
				if variant { // the one change: the IAM endpoint's security group admits nobody on 443
					epSG = e.securityGroup(app.vpc)
				}
				vpce := e.interfaceEndpoint(app, "com.amazonaws.iam", epSG, true, "")
				e.role("iam-bot", trustService("ec2.amazonaws.com"), map[string]string{"p": doc(map[string]any{
					"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": e.arn("iam", "role/iam-bot"),
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": vpce}}})})
				inst := e.instance(app, instanceOpts{profile: e.profile("iam-bot", "iam-bot")})
				return route{from: u, via: []string{inst, adminNode(e.account)}}
			},
		},
		lab{
			name: "breachpath/leaked-key-to-role-cut-by-trust-on-source-vpce",
			source: "AWS data perimeter guidance ('Establishing a data perimeter on AWS: allow only trusted networks', " +
				"aws:SourceVpce on sts:AssumeRole in role trust policies): a CI user's leaked key assumes the deploy role " +
				"until the role's trust admits only requests through the VPC's STS endpoint",
			services: []string{fetch.ServiceEC2, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				ci := e.user("ci", map[string]string{"p": doc(allow("sts:AssumeRole", "*"))})
				e.accessKey("ci")
				app := e.vpc("10.40.0.0/16", "10.40.1.0/24", false, "10.40.0.0/16", 443)
				vpce := e.interfaceEndpoint(app, "sts", app.sg, true, "")
				bucket := e.bucket("deploy-artifacts", restricted, "")
				st := map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": ci}, "Action": "sts:AssumeRole"}
				if variant { // the one change: the trust admits the user only through the endpoint
					st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": vpce}}
				}
				deploy := e.role("deploy", doc(st), map[string]string{"p": doc(allow("s3:GetObject", bucket+"/*"))})
				return route{from: ci, via: []string{deploy, bucket}}
			},
		},
	)
}

// securityGroup creates a security group without ingress rules.
func (e *estate) securityGroup(vpc string) string {
	e.n++
	out, err := e.ec2().CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{GroupName: s(fmt.Sprintf("closed-%d", e.n)),
		Description: s("lab"), VpcId: s(vpc)})
	e.check("security group", err)
	return *out.GroupId
}

// interfaceEndpoint creates an interface endpoint of the service in the
// network's subnet with the security group, and returns its id. service is
// the regional short name ("kms") or a full service name ("com.amazonaws.iam").
func (e *estate) interfaceEndpoint(n network, service, sg string, privateDNS bool, policy string) string {
	name := service
	if !strings.HasPrefix(service, "com.amazonaws.") {
		name = "com.amazonaws." + region + "." + service
	}
	in := &ec2.CreateVpcEndpointInput{VpcId: s(n.vpc), ServiceName: s(name),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{n.subnet}, SecurityGroupIds: []string{sg},
		PrivateDnsEnabled: &privateDNS}
	if policy != "" {
		in.PolicyDocument = s(policy)
	}
	out, err := e.ec2().CreateVpcEndpoint(e.ctx, in)
	e.check("interface endpoint "+service, err)
	return *out.VpcEndpoint.VpcEndpointId
}

func (e *estate) secretPolicy(secret, policy string) {
	_, err := secretsmanager.NewFromConfig(e.cfg).PutResourcePolicy(e.ctx, &secretsmanager.PutResourcePolicyInput{SecretId: s(secret), ResourcePolicy: s(policy)})
	e.check("secret policy", err)
}

// kmsKey creates a customer-managed key with the default key policy and returns its ARN.
func (e *estate) kmsKey() string {
	out, err := kms.NewFromConfig(e.cfg).CreateKey(e.ctx, &kms.CreateKeyInput{})
	e.check("kms key", err)
	return *out.KeyMetadata.Arn
}
