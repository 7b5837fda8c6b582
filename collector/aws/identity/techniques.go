package identity

// Technique ids of the moves this package emits besides privilege escalation.
const (
	TechAssumeRole            = "aws.sts.assume-role" // catalogue sts-001
	TechAssumeRoleWebIdentity = "aws.sts.assume-role-with-web-identity"
	TechAssumeRoleSAML        = "aws.sts.assume-role-with-saml"
	TechAdminEquivalent       = "aws.iam.admin-equivalent"
)

// Category groups techniques by what they need and what they yield.
type Category string

// Technique categories (the catalogue's, plus how we target them).
const (
	// SelfEscalation: the attacker rewrites its own permissions; the edge goes to the account
	// administrator node, only when neither boundary nor SCPs cap the result.
	SelfEscalation Category = "self-escalation"
	// PrincipalAccess: the attacker obtains another principal's credentials or privileges.
	PrincipalAccess Category = "principal-access"
	// NewPassRole: the attacker creates a workload running as a role it may pass.
	NewPassRole Category = "new-passrole"
	// ExistingPassRole: the attacker takes over an existing workload that runs as a role.
	ExistingPassRole Category = "existing-passrole"
)

// Target says which principals a technique reaches and on which resource each permission is checked.
type Target string

// Targets.
const (
	TargetSelfPolicy        Target = "self-managed-policy"         // a customer-managed policy attached to the attacker
	TargetSelf              Target = "self"                        // the attacker itself (user or role by technique)
	TargetSelfGroup         Target = "self-group"                  // a group the attacker (user) belongs to
	TargetUser              Target = "user"                        // another user of the account
	TargetRole              Target = "role"                        // another role of the account
	TargetGroup             Target = "group"                       // any group (attacker must be a user)
	TargetAssumableRoleMod  Target = "assumable-role"              // a role the attacker can assume, modified to admin
	TargetTrustRoleMod      Target = "trust-rewritable-role"       // a role whose trust the attacker can rewrite, modified to admin
	TargetUserMod           Target = "user-with-new-key"           // a user the attacker can mint a key for, modified to admin
	TargetPassedRole        Target = "passed-role"                 // a role trusting the service, passed to a new workload
	TargetFunctionRole      Target = "function-role"               // the execution role of an inventoried Lambda function
	TargetInstanceRole      Target = "instance-role"               // the role of an inventoried EC2 instance's profile
	TargetUninventoriedRole Target = "uninventoried-workload-role" // a role trusting the service, run by a workload we do not inventory
)

// On says which resource a required permission is evaluated on.
type On string

// Permission resources.
const (
	OnTarget   On = "target"   // the target principal's ARN (user, role, group)
	OnPolicy   On = "policy"   // the managed policy being modified
	OnPassed   On = "passed"   // the role being passed (iam:PassRole, with iam:PassedToService)
	OnAny      On = "any"      // any resource (creation actions: the attacker names the new resource)
	OnWorkload On = "workload" // the existing function / instance
)

// Perm is one required permission.
type Perm struct {
	Action string
	On     On
}

// Technique is one data-driven privilege-escalation rule.
type Technique struct {
	ID        string // ours, used as graph.Edge.Technique
	CatalogID string // pathfinding.cloud id
	Category  Category
	Target    Target
	Perms     []Perm
	// Services are the service principals the target role must trust (passed / workload roles).
	Services []string
	// NeedsProfile: the passed role must be in an instance profile (EC2 launches take profiles).
	NeedsProfile bool
	// Likelihood of the move once the permissions hold (0 = the ESCALATES_TO default).
	Likelihood float64
	Summary    string // our one-line description
}

// permOn builds a table row's permission: the action and the resource it must be allowed on.
// (Not "p": the escalator's methods name their principal p.)
func permOn(action string, on On) Perm { return Perm{action, on} }

var passRole = permOn("iam:PassRole", OnPassed)

// Techniques is the escalation catalogue: every pathfinding.cloud AWS path (65; sts-001 is the
// ASSUMES edge, TechAssumeRole) plus nothing invented. docs/techniques.md is generated from the
// same facts; TestTechniquesDocumented keeps them in sync.
var Techniques = []Technique{
	// IAM: self-escalation.
	{ID: "aws.iam.create-policy-version", CatalogID: "iam-001", Category: SelfEscalation, Target: TargetSelfPolicy,
		Perms: []Perm{permOn("iam:CreatePolicyVersion", OnPolicy)}, Likelihood: 0.9,
		Summary: "Publish a new default version of a customer-managed policy attached to yourself that allows everything."},
	{ID: "aws.iam.put-role-policy", CatalogID: "iam-005", Category: SelfEscalation, Target: TargetSelf,
		Perms: []Perm{permOn("iam:PutRolePolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A role writes an allow-everything inline policy onto itself."},
	{ID: "aws.iam.put-user-policy", CatalogID: "iam-007", Category: SelfEscalation, Target: TargetSelf,
		Perms: []Perm{permOn("iam:PutUserPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user writes an allow-everything inline policy onto itself."},
	{ID: "aws.iam.attach-user-policy", CatalogID: "iam-008", Category: SelfEscalation, Target: TargetSelf,
		Perms: []Perm{permOn("iam:AttachUserPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user attaches AdministratorAccess (or any broad managed policy) to itself."},
	{ID: "aws.iam.attach-role-policy", CatalogID: "iam-009", Category: SelfEscalation, Target: TargetSelf,
		Perms: []Perm{permOn("iam:AttachRolePolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A role attaches AdministratorAccess (or any broad managed policy) to itself."},
	{ID: "aws.iam.attach-group-policy", CatalogID: "iam-010", Category: SelfEscalation, Target: TargetSelfGroup,
		Perms: []Perm{permOn("iam:AttachGroupPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user attaches a broad managed policy to a group it belongs to."},
	{ID: "aws.iam.put-group-policy", CatalogID: "iam-011", Category: SelfEscalation, Target: TargetSelfGroup,
		Perms: []Perm{permOn("iam:PutGroupPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user writes an allow-everything inline policy onto a group it belongs to."},
	{ID: "aws.iam.add-user-to-group", CatalogID: "iam-013", Category: SelfEscalation, Target: TargetGroup,
		Perms: []Perm{permOn("iam:AddUserToGroup", OnTarget)}, Likelihood: 0.9,
		Summary: "A user adds itself to a more privileged group and inherits its policies."},
	// IAM: access to other principals.
	{ID: "aws.iam.create-access-key", CatalogID: "iam-002", Category: PrincipalAccess, Target: TargetUser,
		Perms: []Perm{permOn("iam:CreateAccessKey", OnTarget)}, Likelihood: 0.9,
		Summary: "Mint an access key for another user (who has fewer than two keys) and act as that user."},
	{ID: "aws.iam.create-access-key-rotate", CatalogID: "iam-003", Category: PrincipalAccess, Target: TargetUser,
		Perms: []Perm{permOn("iam:CreateAccessKey", OnTarget), permOn("iam:DeleteAccessKey", OnTarget)}, Likelihood: 0.85,
		Summary: "Delete one of another user's two keys to make room, then mint a new key for that user."},
	{ID: "aws.iam.create-login-profile", CatalogID: "iam-004", Category: PrincipalAccess, Target: TargetUser,
		Perms: []Perm{permOn("iam:CreateLoginProfile", OnTarget)}, Likelihood: 0.85,
		Summary: "Set a console password for a user that has none and sign in as that user."},
	{ID: "aws.iam.update-login-profile", CatalogID: "iam-006", Category: PrincipalAccess, Target: TargetUser,
		Perms: []Perm{permOn("iam:UpdateLoginProfile", OnTarget)}, Likelihood: 0.8,
		Summary: "Reset another user's console password and sign in as that user (MFA, if enrolled, still stands in the way)."},
	{ID: "aws.iam.update-assume-role-policy", CatalogID: "iam-012", Category: PrincipalAccess, Target: TargetRole,
		Perms: []Perm{permOn("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.85,
		Summary: "Rewrite a role's trust policy to trust yourself, then assume it."},
	{ID: "aws.iam.attach-role-policy-assume", CatalogID: "iam-014", Category: PrincipalAccess, Target: TargetAssumableRoleMod,
		Perms: []Perm{permOn("iam:AttachRolePolicy", OnTarget), permOn("sts:AssumeRole", OnTarget)}, Likelihood: 0.85,
		Summary: "Attach a broad managed policy to a role you can already assume, then assume it."},
	{ID: "aws.iam.attach-user-policy-create-access-key", CatalogID: "iam-015", Category: PrincipalAccess, Target: TargetUserMod,
		Perms: []Perm{permOn("iam:AttachUserPolicy", OnTarget), permOn("iam:CreateAccessKey", OnTarget)}, Likelihood: 0.85,
		Summary: "Attach a broad managed policy to another user and mint an access key for it."},
	{ID: "aws.iam.create-policy-version-assume", CatalogID: "iam-016", Category: PrincipalAccess, Target: TargetAssumableRoleMod,
		Perms: []Perm{permOn("iam:CreatePolicyVersion", OnPolicy), permOn("sts:AssumeRole", OnTarget)}, Likelihood: 0.85,
		Summary: "Rewrite a customer-managed policy attached to a role you can assume, then assume it."},
	{ID: "aws.iam.put-role-policy-assume", CatalogID: "iam-017", Category: PrincipalAccess, Target: TargetAssumableRoleMod,
		Perms: []Perm{permOn("iam:PutRolePolicy", OnTarget), permOn("sts:AssumeRole", OnTarget)}, Likelihood: 0.85,
		Summary: "Write an allow-everything inline policy onto a role you can assume, then assume it."},
	{ID: "aws.iam.put-user-policy-create-access-key", CatalogID: "iam-018", Category: PrincipalAccess, Target: TargetUserMod,
		Perms: []Perm{permOn("iam:PutUserPolicy", OnTarget), permOn("iam:CreateAccessKey", OnTarget)}, Likelihood: 0.85,
		Summary: "Write an allow-everything inline policy onto another user and mint an access key for it."},
	{ID: "aws.iam.attach-role-policy-update-trust", CatalogID: "iam-019", Category: PrincipalAccess, Target: TargetTrustRoleMod,
		Perms: []Perm{permOn("iam:AttachRolePolicy", OnTarget), permOn("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.8,
		Summary: "Attach a broad managed policy to a role and rewrite its trust to let you assume it."},
	{ID: "aws.iam.create-policy-version-update-trust", CatalogID: "iam-020", Category: PrincipalAccess, Target: TargetTrustRoleMod,
		Perms: []Perm{permOn("iam:CreatePolicyVersion", OnPolicy), permOn("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.8,
		Summary: "Rewrite a customer-managed policy attached to a role and the role's trust, then assume it."},
	{ID: "aws.iam.put-role-policy-update-trust", CatalogID: "iam-021", Category: PrincipalAccess, Target: TargetTrustRoleMod,
		Perms: []Perm{permOn("iam:PutRolePolicy", OnTarget), permOn("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.8,
		Summary: "Write an allow-everything inline policy onto a role and rewrite its trust, then assume it."},

	// New workloads running as a passed role.
	{ID: "aws.apprunner.passrole-create-service", CatalogID: "apprunner-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("apprunner:CreateService", OnAny)}, Services: []string{"tasks.apprunner.amazonaws.com"},
		Summary: "Create an App Runner service whose instance role is the passed role and run your own code in it."},
	{ID: "aws.bedrock-agentcore.passrole-code-interpreter", CatalogID: "bedrock-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("bedrock-agentcore:CreateCodeInterpreter", OnAny), permOn("bedrock-agentcore:StartCodeInterpreterSession", OnAny),
			permOn("bedrock-agentcore:InvokeCodeInterpreter", OnAny)}, Services: []string{"bedrock-agentcore.amazonaws.com"},
		Summary: "Create an AgentCore code interpreter with the passed role as its execution role and run code in a session."},
	{ID: "aws.cloudformation.passrole-create-stack", CatalogID: "cloudformation-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("cloudformation:CreateStack", OnAny)}, Services: []string{"cloudformation.amazonaws.com"},
		Summary: "Create a stack with the passed role as its service role; the template creates whatever you want with that role's rights."},
	{ID: "aws.cloudformation.passrole-create-stack-set", CatalogID: "cloudformation-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, permOn("cloudformation:CreateStackSet", OnAny), permOn("cloudformation:CreateStackInstances", OnAny)},
		Services: []string{"cloudformation.amazonaws.com"},
		Summary:  "Create a self-managed stack set with the passed role as administration/execution role and deploy instances of it."},
	{ID: "aws.cloudformation.passrole-update-stack-set", CatalogID: "cloudformation-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("cloudformation:UpdateStackSet", OnAny)}, Services: []string{"cloudformation.amazonaws.com"},
		Summary: "Update an existing stack set to use the passed role and a template of your choosing."},
	{ID: "aws.codebuild.passrole-create-project-start-build", CatalogID: "codebuild-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("codebuild:CreateProject", OnAny), permOn("codebuild:StartBuild", OnAny)}, Services: []string{"codebuild.amazonaws.com"},
		Summary: "Create a CodeBuild project with the passed role as service role and a buildspec that runs your commands."},
	{ID: "aws.codebuild.passrole-create-project-start-build-batch", CatalogID: "codebuild-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("codebuild:CreateProject", OnAny), permOn("codebuild:StartBuildBatch", OnAny)}, Services: []string{"codebuild.amazonaws.com"},
		Summary: "As with a single build, but started as a batch build."},
	{ID: "aws.datapipeline.passrole-create-pipeline", CatalogID: "datapipeline-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, permOn("datapipeline:CreatePipeline", OnAny), permOn("datapipeline:PutPipelineDefinition", OnAny), permOn("datapipeline:ActivatePipeline", OnAny)},
		Services: []string{"ec2.amazonaws.com"}, NeedsProfile: true,
		Summary: "Define and activate a pipeline whose EC2 resource runs your shell command with the passed resource role."},
	{ID: "aws.ec2.passrole-run-instances", CatalogID: "ec2-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("ec2:RunInstances", OnAny)}, Services: []string{"ec2.amazonaws.com"}, NeedsProfile: true,
		Summary: "Launch an instance with an instance profile holding the passed role and read its credentials from the metadata service."},
	{ID: "aws.ec2.passrole-request-spot-instances", CatalogID: "ec2-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("ec2:RequestSpotInstances", OnAny)}, Services: []string{"ec2.amazonaws.com"}, NeedsProfile: true,
		Summary: "Request a spot instance with an instance profile holding the passed role."},
	{ID: "aws.ecs.passrole-create-cluster-service", CatalogID: "ecs-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, permOn("ecs:CreateCluster", OnAny), permOn("ecs:RegisterTaskDefinition", OnAny), permOn("ecs:CreateService", OnAny)},
		Services: []string{"ecs-tasks.amazonaws.com"},
		Summary:  "Create a cluster and a service running a task definition whose task role is the passed role."},
	{ID: "aws.ecs.passrole-create-cluster-run-task", CatalogID: "ecs-002", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, permOn("ecs:CreateCluster", OnAny), permOn("ecs:RegisterTaskDefinition", OnAny), permOn("ecs:RunTask", OnAny)},
		Services: []string{"ecs-tasks.amazonaws.com"},
		Summary:  "Create a cluster and run a task whose task role is the passed role."},
	{ID: "aws.ecs.passrole-create-service", CatalogID: "ecs-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("ecs:RegisterTaskDefinition", OnAny), permOn("ecs:CreateService", OnAny)}, Services: []string{"ecs-tasks.amazonaws.com"},
		Summary: "Register a task definition with the passed task role and create a service in an existing cluster."},
	{ID: "aws.ecs.passrole-run-task", CatalogID: "ecs-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("ecs:RegisterTaskDefinition", OnAny), permOn("ecs:RunTask", OnAny)}, Services: []string{"ecs-tasks.amazonaws.com"},
		Summary: "Register a task definition with the passed task role and run it in an existing cluster."},
	{ID: "aws.ecs.passrole-start-task", CatalogID: "ecs-005", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("ecs:RegisterTaskDefinition", OnAny), permOn("ecs:StartTask", OnAny)}, Services: []string{"ecs-tasks.amazonaws.com"},
		Summary: "Register a task definition with the passed task role and start it on an existing container instance."},
	{ID: "aws.glue.passrole-create-dev-endpoint", CatalogID: "glue-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("glue:CreateDevEndpoint", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Create a Glue development endpoint with the passed role and your SSH key, then log in and use the role."},
	{ID: "aws.glue.passrole-create-job-start-run", CatalogID: "glue-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("glue:CreateJob", OnAny), permOn("glue:StartJobRun", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Create a Glue job running your script as the passed role and start it."},
	{ID: "aws.glue.passrole-create-job-trigger", CatalogID: "glue-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("glue:CreateJob", OnAny), permOn("glue:CreateTrigger", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Create a Glue job running your script as the passed role and a trigger that starts it."},
	{ID: "aws.glue.passrole-update-job-start-run", CatalogID: "glue-005", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("glue:UpdateJob", OnAny), permOn("glue:StartJobRun", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Point an existing Glue job at your script and the passed role, then start it."},
	{ID: "aws.glue.passrole-update-job-trigger", CatalogID: "glue-006", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("glue:UpdateJob", OnAny), permOn("glue:CreateTrigger", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Point an existing Glue job at your script and the passed role, and add a trigger that starts it."},
	{ID: "aws.lambda.passrole-create-function-invoke", CatalogID: "lambda-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("lambda:CreateFunction", OnAny), permOn("lambda:InvokeFunction", OnAny)}, Services: []string{"lambda.amazonaws.com"},
		Summary: "Create a function with the passed role as execution role and invoke it."},
	{ID: "aws.lambda.passrole-create-function-event-source", CatalogID: "lambda-002", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("lambda:CreateFunction", OnAny), permOn("lambda:CreateEventSourceMapping", OnAny)}, Services: []string{"lambda.amazonaws.com"},
		Summary: "Create a function with the passed role and an event source mapping (stream or queue) that invokes it.", Likelihood: 0.65},
	{ID: "aws.lambda.passrole-create-function-add-permission", CatalogID: "lambda-006", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("lambda:CreateFunction", OnAny), permOn("lambda:AddPermission", OnAny)}, Services: []string{"lambda.amazonaws.com"},
		Summary: "Create a function with the passed role and grant yourself (or anyone) invoke permission on it."},
	{ID: "aws.sagemaker.passrole-create-notebook", CatalogID: "sagemaker-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("sagemaker:CreateNotebookInstance", OnAny)}, Services: []string{"sagemaker.amazonaws.com"},
		Summary: "Create a notebook instance with the passed role and use its Jupyter terminal."},
	{ID: "aws.sagemaker.passrole-create-training-job", CatalogID: "sagemaker-002", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("sagemaker:CreateTrainingJob", OnAny)}, Services: []string{"sagemaker.amazonaws.com"},
		Summary: "Run a training job whose container is yours and whose execution role is the passed role."},
	{ID: "aws.sagemaker.passrole-create-processing-job", CatalogID: "sagemaker-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, permOn("sagemaker:CreateProcessingJob", OnAny)}, Services: []string{"sagemaker.amazonaws.com"},
		Summary: "Run a processing job whose container is yours and whose execution role is the passed role."},

	// Existing workloads we inventory.
	{ID: "aws.lambda.update-function-code", CatalogID: "lambda-003", Category: ExistingPassRole, Target: TargetFunctionRole,
		Perms: []Perm{permOn("lambda:UpdateFunctionCode", OnWorkload)}, Likelihood: 0.6,
		Summary: "Replace an existing function's code; the next invocation runs it with the function's role."},
	{ID: "aws.lambda.update-function-code-invoke", CatalogID: "lambda-004", Category: ExistingPassRole, Target: TargetFunctionRole,
		Perms:   []Perm{permOn("lambda:UpdateFunctionCode", OnWorkload), permOn("lambda:InvokeFunction", OnWorkload)},
		Summary: "Replace an existing function's code and invoke it yourself."},
	{ID: "aws.lambda.update-function-code-add-permission", CatalogID: "lambda-005", Category: ExistingPassRole, Target: TargetFunctionRole,
		Perms:   []Perm{permOn("lambda:UpdateFunctionCode", OnWorkload), permOn("lambda:AddPermission", OnWorkload)},
		Summary: "Replace an existing function's code and grant yourself permission to invoke it."},
	{ID: "aws.ec2.modify-instance-user-data", CatalogID: "ec2-002", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms:      []Perm{permOn("ec2:ModifyInstanceAttribute", OnWorkload), permOn("ec2:StopInstances", OnWorkload), permOn("ec2:StartInstances", OnWorkload)},
		Likelihood: 0.6, Summary: "Stop an instance, replace its user data with your script, and start it: the script runs with the instance's role."},
	{ID: "aws.ec2-instance-connect.send-ssh-public-key", CatalogID: "ec2instanceconnect-003", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{permOn("ec2-instance-connect:SendSSHPublicKey", OnWorkload), permOn("ec2:DescribeInstances", OnAny)}, Likelihood: 0.5,
		Summary: "Push a temporary SSH key to an instance and log in (network reach to SSH still needed), then use its role."},
	{ID: "aws.ssm.start-session", CatalogID: "ssm-001", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{permOn("ssm:StartSession", OnWorkload)}, Likelihood: 0.75,
		Summary: "Open a Session Manager shell on a managed instance and use its role."},
	{ID: "aws.ssm.send-command", CatalogID: "ssm-002", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{permOn("ssm:SendCommand", OnWorkload)}, Likelihood: 0.75,
		Summary: "Run a command through SSM on a managed instance and use its role."},

	// Existing workloads we do not inventory: conditional on such a workload existing with the role.
	{ID: "aws.apprunner.update-service", CatalogID: "apprunner-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("apprunner:UpdateService", OnAny)}, Services: []string{"tasks.apprunner.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Change an existing App Runner service's image or start command to run your code with its instance role."},
	{ID: "aws.bedrock-agentcore.existing-code-interpreter", CatalogID: "bedrock-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms:    []Perm{permOn("bedrock-agentcore:StartCodeInterpreterSession", OnAny), permOn("bedrock-agentcore:InvokeCodeInterpreter", OnAny)},
		Services: []string{"bedrock-agentcore.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Open a session on an existing code interpreter and run code with its execution role."},
	{ID: "aws.cloudformation.update-stack", CatalogID: "cloudformation-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("cloudformation:UpdateStack", OnAny)}, Services: []string{"cloudformation.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Update an existing stack that has a service role with a template of your choosing."},
	{ID: "aws.cloudformation.change-set", CatalogID: "cloudformation-005", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms:    []Perm{permOn("cloudformation:CreateChangeSet", OnAny), permOn("cloudformation:ExecuteChangeSet", OnAny)},
		Services: []string{"cloudformation.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Create and execute a change set on an existing stack that has a service role."},
	{ID: "aws.codebuild.start-build", CatalogID: "codebuild-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("codebuild:StartBuild", OnAny)}, Services: []string{"codebuild.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Start a build of an existing project overriding its buildspec, running your commands with its service role."},
	{ID: "aws.codebuild.start-build-batch", CatalogID: "codebuild-003", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("codebuild:StartBuildBatch", OnAny)}, Services: []string{"codebuild.amazonaws.com"}, Likelihood: 0.5,
		Summary: "As with start-build, through a batch build with an overridden buildspec."},
	{ID: "aws.ec2.launch-template-version", CatalogID: "ec2-004", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms:    []Perm{permOn("ec2:CreateLaunchTemplateVersion", OnAny), permOn("ec2:ModifyLaunchTemplate", OnAny)},
		Services: []string{"ec2.amazonaws.com"}, NeedsProfile: true, Likelihood: 0.4,
		Summary: "Publish a launch-template version with your user data and make it the default; instances launched from it run your code with its profile's role."},
	{ID: "aws.glue.update-dev-endpoint", CatalogID: "glue-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("glue:UpdateDevEndpoint", OnAny)}, Services: []string{"glue.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Add your SSH key to an existing Glue development endpoint and use its role."},
	{ID: "aws.sagemaker.presigned-notebook-url", CatalogID: "sagemaker-004", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("sagemaker:CreatePresignedNotebookInstanceUrl", OnAny)}, Services: []string{"sagemaker.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Open an existing notebook instance's Jupyter UI through a presigned URL and use its role."},
	{ID: "aws.sagemaker.notebook-lifecycle-config", CatalogID: "sagemaker-005", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{permOn("sagemaker:CreateNotebookInstanceLifecycleConfig", OnAny), permOn("sagemaker:StopNotebookInstance", OnAny),
			permOn("sagemaker:UpdateNotebookInstance", OnAny), permOn("sagemaker:StartNotebookInstance", OnAny)},
		Services: []string{"sagemaker.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Attach a lifecycle script to an existing notebook instance and restart it: the script runs with its role."},
}

// TechniqueByID returns the technique with the given id.
func TechniqueByID(id string) (Technique, bool) {
	for _, t := range Techniques {
		if t.ID == id {
			return t, true
		}
	}
	return Technique{}, false
}
