package labs

import (
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
)

// CloudGoat's IAM-only escalation scenarios, rebuilt from their published READMEs, cheat sheets
// and Terraform (RhinoSecurityLabs/cloudgoat, scenarios/aws/<name>); no lab code is copied.
func init() {
	labs = append(labs,
		lab{
			name: "cloudgoat/iam_privesc_by_attachment",
			source: "CloudGoat iam_privesc_by_attachment: Kerrigan may list instance profiles and roles, pass roles, swap the role " +
				"of the only instance profile (meek role out, mighty administrator role in) and run an instance with it",
			services: []string{fetch.ServiceEC2},
			build: func(e *estate, variant bool) route {
				iamActions := []string{"iam:AddRoleToInstanceProfile", "iam:ListInstanceProfiles", "iam:ListRoles", "iam:PassRole",
					"iam:RemoveRoleFromInstanceProfile"}
				if variant { // the one change: Kerrigan may no longer put a role into a profile
					iamActions = []string{"iam:ListInstanceProfiles", "iam:ListRoles", "iam:PassRole", "iam:RemoveRoleFromInstanceProfile"}
				}
				p := e.managedPolicy("cg-kerrigan-policy", doc(allow(iamActions, "*"),
					allow([]string{"ec2:AssociateIamInstanceProfile", "ec2:CreateKeyPair", "ec2:DescribeIamInstanceProfileAssociations",
						"ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:RunInstances"}, "*")))
				kerrigan := e.user("kerrigan", nil)
				e.attachUser("kerrigan", p)
				meek := e.managedPolicy("cg-ec2-meek-policy", doc(map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"}))
				e.role("cg-ec2-meek-role", trustService("ec2.amazonaws.com"), nil, meek)
				e.profile("cg-ec2-meek-instance-profile", "cg-ec2-meek-role")
				mighty := e.role("cg-ec2-mighty-role", trustService("ec2.amazonaws.com"), nil, e.admin())
				n := e.vpc("10.60.0.0/16", "10.60.1.0/24", true, "203.0.113.0/24", 22, 80, 443)
				e.instance(n, instanceOpts{publicIP: true, tags: map[string]string{"Name": "super-critical-security-server"}})
				return route{from: kerrigan, via: []string{mighty, adminNode(e.account)}}
			},
		},
		lab{
			name: "cloudgoat/iam_privesc_by_key_rotation",
			source: "CloudGoat iam_privesc_by_key_rotation: the manager may manage access keys and MFA devices of users tagged " +
				"developer=true and may tag any user; it tags the admin user, deletes one of its two (inactive) keys, creates a new " +
				"one and an MFA device, and as the admin user assumes the secrets role (trust: the account, MFA present) to read the flag",
			services: []string{fetch.ServiceSecretsManager},
			build: func(e *estate, variant bool) route {
				tagActions := []string{"iam:UntagUser", "iam:UntagRole", "iam:TagRole", "iam:UntagMFADevice", "iam:UntagPolicy",
					"iam:TagMFADevice", "iam:TagPolicy", "iam:TagUser"}
				if variant { // the one change: the manager may no longer tag users
					tagActions = []string{"iam:UntagUser", "iam:UntagRole", "iam:TagRole", "iam:UntagMFADevice", "iam:UntagPolicy",
						"iam:TagMFADevice", "iam:TagPolicy"}
				}
				secret := e.secret("cg_secret")
				smRole := e.role("cg_secretsmanager", doc(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole",
					"Principal": map[string]any{"AWS": e.account}, "Condition": map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}}}),
					nil, e.managedPolicy("cg_view_secrets", doc(allow("secretsmanager:ListSecrets", "*"), allow("secretsmanager:GetSecretValue", secret))))
				admin := e.user("admin_cg", map[string]string{"AssumeRoles": doc(allow("sts:AssumeRole", smRole))})
				for range 2 {
					id, _ := e.accessKey("admin_cg")
					_, err := e.iam().UpdateAccessKey(e.ctx, &iam.UpdateAccessKeyInput{UserName: s("admin_cg"), AccessKeyId: s(id), Status: iamtypes.StatusTypeInactive})
					e.check("deactivate key", err)
				}
				manager := e.user("manager_cg", map[string]string{
					"SelfManageAccess": doc(map[string]any{"Effect": "Allow", "Action": []string{"iam:DeactivateMFADevice", "iam:GetMFADevice",
						"iam:EnableMFADevice", "iam:ResyncMFADevice", "iam:DeleteAccessKey", "iam:UpdateAccessKey", "iam:CreateAccessKey"},
						"Resource":  []string{e.arn("iam", "user/*"), e.arn("iam", "mfa/*")},
						"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/developer": "true"}}},
						allow([]string{"iam:DeleteVirtualMFADevice", "iam:CreateVirtualMFADevice"}, e.arn("iam", "mfa/*"))),
					"TagResources": doc(allow(tagActions, "*")),
				})
				_, err := e.iam().CreateUser(e.ctx, &iam.CreateUserInput{UserName: s("developer_cg"), Tags: []iamtypes.Tag{{Key: s("developer"), Value: s("true")}}})
				e.check("developer user", err)
				return route{from: manager, via: []string{admin, smRole, secret}}
			},
		},
		lab{
			name: "cloudgoat/vulnerable_lambda",
			source: "CloudGoat vulnerable_lambda: bilbo assumes the lambda-invoker role, which may invoke the policy-applier function; " +
				"the function's role may attach policies to bilbo, and the function applies whatever policy its (injectable) input names",
			services: []string{fetch.ServiceLambda, fetch.ServiceSecretsManager},
			build: func(e *estate, variant bool) route {
				bilbo := e.user("cg-bilbo", map[string]string{"standard-user-assumer": doc(
					allow("sts:AssumeRole", e.arn("iam", "role/cg-lambda-invoker*")),
					allow([]string{"iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy"}, "*"))})
				applierActions := doc(allow("iam:AttachUserPolicy", bilbo))
				if variant { // the one change: the applier's role may attach policies to another user only
					applierActions = doc(allow("iam:AttachUserPolicy", e.user("cg-carol", nil)))
				}
				applier := e.role("policy_applier_lambda1", trustService("lambda.amazonaws.com"), map[string]string{"policy_applier_lambda1": applierActions})
				fn := e.lambda("policy_applier_lambda1", applier, nil)
				e.role("cg-lambda-invoker", trust(map[string]any{"AWS": bilbo}), map[string]string{"lambda-invoker": doc(
					allow([]string{"lambda:ListFunctionEventInvokeConfigs", "lambda:InvokeFunction", "lambda:ListTags", "lambda:GetFunction", "lambda:GetPolicy"}, fn),
					allow([]string{"lambda:ListFunctions", "iam:Get*", "iam:List*"}, "*"))})
				secret := e.secret("final_flag")
				return route{from: bilbo, via: []string{adminNode(e.account), secret}}
			},
		},
	)
}
