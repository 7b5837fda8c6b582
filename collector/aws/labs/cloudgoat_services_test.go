package labs

import (
	"github.com/breachpath/breachpath/collector/aws/fetch"
)

// CloudGoat scenarios whose routes pass AWS services beyond IAM (Glue, SSM, EC2 user data,
// Lambda), rebuilt from their published READMEs, cheat sheets and Terraform
// (RhinoSecurityLabs/cloudgoat, scenarios/aws/<name>); no lab code is copied.
func init() {
	labs = append(labs,
		lab{
			name: "cloudgoat/glue_privesc-glue-job-to-parameter",
			source: "CloudGoat glue_privesc, from the Glue manager's leaked key on: the manager may pass any role and create and " +
				"run Glue jobs; the job runs as ssm_parameter_role (AmazonSSMFullAccess), which reads the String parameter \"flag\". " +
				"The first step (SQL injection in the web app yields the key stored in its database) is application data, not modelled",
			services: []string{fetch.ServiceSSM},
			build: func(e *estate, variant bool) route {
				pass := "*"
				if variant { // the one change: the manager may pass only the ETL role
					pass = e.arn("iam", "role/glue_ETL_role")
				}
				manager := e.user("cg-glue-admin", map[string]string{"glue_management_policy": doc(
					allow([]string{"glue:CreateJob", "glue:CreateTrigger", "glue:StartJobRun", "glue:UpdateJob", "iam:Get*", "iam:List*"}, "*"),
					allow("iam:PassRole", pass))})
				glue := trust(map[string]any{"Service": []string{"rds.amazonaws.com", "glue.amazonaws.com"}})
				e.role("glue_ETL_role", glue, nil, e.managedPolicy("LabAmazonRDSFullAccess", doc(allow("rds:*", "*"))))
				ssmRole := e.role("ssm_parameter_role", trustService("glue.amazonaws.com"), nil,
					e.managedPolicy("LabAmazonSSMFullAccess", doc(allow("ssm:*", "*"))))
				flag := e.ssmParam("flag", "flag{lab-objective}", false)
				return route{from: manager, via: []string{ssmRole, flag}}
			},
		},
		lab{
			name: "cloudgoat/data_secrets",
			source: "CloudGoat data_secrets: the start user reads the instance's user data (ec2:DescribeInstanceAttribute), which " +
				"sets ec2-user's password and enables SSH password logins; over SSH the instance role (IMDS) lists Lambda " +
				"functions, one of whose environment holds a user's access key; that user reads the flag secret. The lab admits " +
				"SSH from 0.0.0.0/0 where CloudGoat admits the player's address (cg_whitelist)",
			services: []string{fetch.ServiceEC2, fetch.ServiceLambda, fetch.ServiceSecretsManager},
			build: func(e *estate, variant bool) route {
				start := e.user("cg-start-user", map[string]string{"p": doc(allow([]string{"ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:DescribeTags"}, "*"))})
				ec2Role := e.role("cg-ec2-role", trustService("ec2.amazonaws.com"), map[string]string{"p": doc(allow([]string{"lambda:ListFunctions", "lambda:GetFunction", "lambda:GetFunctionConfiguration"}, "*"))})
				e.profile("cg-ec2-instance-profile", "cg-ec2-role")
				lambdaUser := e.user("cg-lambda-user", map[string]string{"p": doc(allow([]string{"secretsmanager:GetSecretValue", "secretsmanager:ListSecrets", "secretsmanager:DescribeSecret"}, "*"))})
				keyID, _ := e.accessKey("cg-lambda-user")
				e.lambda("cg-lambda-function", e.role("cg-lambda-exec-role", trustService("lambda.amazonaws.com"), nil),
					map[string]string{"DB_USER_ACCESS_KEY": keyID, "DB_USER_SECRET_KEY": plantedSecretKey})
				flag := e.secret("cg-final-flag")
				ud := "#!/bin/bash\necho \"ec2-user:" + plantedPassword + "\" | chpasswd\nsed -i 's/PasswordAuthentication no/PasswordAuthentication yes/g' /etc/ssh/sshd_config\nservice sshd restart\n"
				if variant { // the one change: the user data no longer sets a password
					ud = "#!/bin/bash\nservice sshd restart\n"
				}
				n := e.vpc("10.61.0.0/16", "10.61.1.0/24", true, "0.0.0.0/0", 22)
				inst := e.instance(n, instanceOpts{profile: "cg-ec2-instance-profile", imdsV1: true, publicIP: true, userData: ud})
				userDataCred := credentialOfARN(inst, "user-data:line 2")
				envCred := credentialOf(e, "lambda", "function:cg-lambda-function", "environment:DB_USER_SECRET_KEY")
				return route{from: start, via: []string{userDataCred, inst, ec2Role, envCred, lambdaUser, flag}}
			},
		},
	)
}
