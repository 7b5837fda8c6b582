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
	)
}
