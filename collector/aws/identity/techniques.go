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
	TargetSelfPolicyVersion Target = "self-policy-version"         // a stored version of a customer-managed policy attached to the attacker
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
	TargetTaskRole          Target = "task-role"                   // the task role of an inventoried ECS task definition
	TargetPassedToExisting  Target = "passed-to-existing-workload" // a role trusting the service, passed to a workload we do not inventory
	TargetInvokerAdmin      Target = "invoker-made-admin"          // the attacker itself, made administrator by a function it invokes
	TargetUninventoriedRole Target = "uninventoried-workload-role" // a role trusting the service, run by a workload we do not inventory
	TargetProfileRole       Target = "profile-role"                // a role trusting ec2 put into an existing instance profile, then launched
	TargetHostRole          Target = "host-role"                   // a role in an instance profile, attached to an inventoried instance
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
	// OnTrust: sts:AssumeRole on the target role, decided with the role's trust policy as the
	// resource policy (policy.CanAssume), not by the identity policies alone.
	OnTrust On = "trust"
	// OnProfile: an existing instance profile the attacker puts the role into.
	OnProfile On = "profile"
	// OnHost: an inventoried EC2 instance the attacker attaches a profile to.
	OnHost On = "host"
	// OnWorkloadRole: the role of the existing workload (iam:PassRole of it, with
	// iam:PassedToService set to the technique's service).
	OnWorkloadRole On = "workload-role"
)

// Subject is the kind of principal a technique's attacker must be.
type Subject string

// Subjects.
const (
	AnyPrincipal Subject = ""     // users and roles alike
	UserOnly     Subject = "user" // IAM users (the technique acts on a user: itself, its groups)
	RoleOnly     Subject = "role" // IAM roles (the technique acts on the role itself)
	// StackRole: a role trusting cloudformation.amazonaws.com, i.e. a stack's service role, which
	// acts through the templates CloudFormation runs with it.
	StackRole Subject = "service-role:cloudformation.amazonaws.com"
)

// Precondition is a fact, besides permissions, that must hold of the principal a technique acts
// on (the attacker for self-escalations, the target otherwise) for the move to work.
type Precondition string

// Preconditions.
const (
	// PreHeadroom: the principal made administrator is not one already and would be one with
	// AdministratorAccess attached (neither its boundary nor the SCPs cap it).
	PreHeadroom Precondition = "headroom"
	// PreFreeKeySlot: the user has fewer than two access keys (AWS allows two).
	PreFreeKeySlot Precondition = "free-key-slot"
	// PreTwoKeys: the user has two access keys, one of which must be deleted to make room.
	PreTwoKeys Precondition = "two-keys"
	// PreNoLoginProfile: the user has no console password yet (CreateLoginProfile fails otherwise).
	PreNoLoginProfile Precondition = "no-login-profile"
	// PreLoginProfile: the user has a console password to reset.
	PreLoginProfile Precondition = "login-profile"
	// PreInstanceProfile: the passed role is in an instance profile (EC2 launches take profiles).
	PreInstanceProfile Precondition = "instance-profile"
	// PreLaunchTemplateProfile: the role is in the instance profile that an existing launch
	// template's default version launches with (a template that does not exist launches nothing).
	PreLaunchTemplateProfile Precondition = "launch-template-profile"
	// PreEventSource: an event source (queue or stream) the new function is mapped to. Event
	// sources are not inventoried, so this is always an unknown: the move is conditional.
	PreEventSource Precondition = "event-source"
	// PreEmptyProfile: the instance profile used holds no role (a profile holds at most one).
	PreEmptyProfile Precondition = "empty-profile"
	// PreOccupiedProfile: the instance profile used holds another role, removed first.
	PreOccupiedProfile Precondition = "occupied-profile"
	// PreNoHostProfile: the instance has no instance profile (AssociateIamInstanceProfile).
	PreNoHostProfile Precondition = "host-without-profile"
	// PreHostProfile: the instance has an instance profile (ReplaceIamInstanceProfileAssociation).
	PreHostProfile Precondition = "host-with-profile"
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
	// Attacker is the kind of principal that can use the technique.
	Attacker Subject
	// Pre lists the facts that must hold of the principal the technique acts on.
	Pre []Precondition
	// Services are the service principals the target role must trust (passed / workload roles).
	Services []string
	// Likelihood of the move once the permissions hold (0 = the ESCALATES_TO default).
	Likelihood float64
	Summary    string // our one-line description
}

// perm builds one required permission of the table.
func perm(action string, on On) Perm { return Perm{action, on} }

var passRole = perm("iam:PassRole", OnPassed)

// pre lists a technique's preconditions.
func pre(ps ...Precondition) []Precondition { return ps }

// Techniques is the escalation catalogue: every pathfinding.cloud AWS path (65; sts-001 is the
// ASSUMES edge, TechAssumeRole) plus nothing invented. docs/techniques.md is generated from the
// same facts; TestTechniquesDocumented keeps them in sync.
var Techniques = []Technique{
	// IAM: self-escalation.
	{ID: "aws.iam.create-policy-version", CatalogID: "iam-001", Category: SelfEscalation, Target: TargetSelfPolicy,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:CreatePolicyVersion", OnPolicy)}, Likelihood: 0.9,
		Summary: "Publish a new default version of a customer-managed policy attached to yourself that allows everything."},
	{ID: "aws.iam.set-default-policy-version", CatalogID: "bp-iam-001", Category: SelfEscalation, Target: TargetSelfPolicyVersion,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:SetDefaultPolicyVersion", OnPolicy)}, Likelihood: 0.9,
		Summary: "Make a stored older (or newer) version of a customer-managed policy attached to yourself the default, when that version grants more: administrator, another escalation, or data access."},
	{ID: "aws.iam.put-role-policy", CatalogID: "iam-005", Category: SelfEscalation, Target: TargetSelf,
		Attacker: RoleOnly, Pre: pre(PreHeadroom),
		Perms: []Perm{perm("iam:PutRolePolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A role writes an allow-everything inline policy onto itself."},
	{ID: "aws.iam.put-user-policy", CatalogID: "iam-007", Category: SelfEscalation, Target: TargetSelf,
		Attacker: UserOnly, Pre: pre(PreHeadroom),
		Perms: []Perm{perm("iam:PutUserPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user writes an allow-everything inline policy onto itself."},
	{ID: "aws.iam.attach-user-policy", CatalogID: "iam-008", Category: SelfEscalation, Target: TargetSelf,
		Attacker: UserOnly, Pre: pre(PreHeadroom),
		Perms: []Perm{perm("iam:AttachUserPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user attaches AdministratorAccess (or any broad managed policy) to itself."},
	{ID: "aws.iam.attach-role-policy", CatalogID: "iam-009", Category: SelfEscalation, Target: TargetSelf,
		Attacker: RoleOnly, Pre: pre(PreHeadroom),
		Perms: []Perm{perm("iam:AttachRolePolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A role attaches AdministratorAccess (or any broad managed policy) to itself."},
	{ID: "aws.iam.attach-group-policy", CatalogID: "iam-010", Category: SelfEscalation, Target: TargetSelfGroup,
		Attacker: UserOnly, Pre: pre(PreHeadroom),
		Perms: []Perm{perm("iam:AttachGroupPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user attaches a broad managed policy to a group it belongs to."},
	{ID: "aws.iam.put-group-policy", CatalogID: "iam-011", Category: SelfEscalation, Target: TargetSelfGroup,
		Attacker: UserOnly, Pre: pre(PreHeadroom),
		Perms: []Perm{perm("iam:PutGroupPolicy", OnTarget)}, Likelihood: 0.9,
		Summary: "A user writes an allow-everything inline policy onto a group it belongs to."},
	{ID: "aws.iam.add-user-to-group", CatalogID: "iam-013", Category: SelfEscalation, Target: TargetGroup,
		Attacker: UserOnly,
		Perms:    []Perm{perm("iam:AddUserToGroup", OnTarget)}, Likelihood: 0.9,
		Summary: "A user adds itself to a more privileged group and inherits its policies."},
	// IAM: access to other principals.
	{ID: "aws.iam.create-access-key", CatalogID: "iam-002", Category: PrincipalAccess, Target: TargetUser,
		Pre:   pre(PreFreeKeySlot),
		Perms: []Perm{perm("iam:CreateAccessKey", OnTarget)}, Likelihood: 0.9,
		Summary: "Mint an access key for another user (who has fewer than two keys) and act as that user."},
	{ID: "aws.iam.create-access-key-rotate", CatalogID: "iam-003", Category: PrincipalAccess, Target: TargetUser,
		Pre:   pre(PreTwoKeys),
		Perms: []Perm{perm("iam:CreateAccessKey", OnTarget), perm("iam:DeleteAccessKey", OnTarget)}, Likelihood: 0.85,
		Summary: "Delete one of another user's two keys to make room, then mint a new key for that user."},
	{ID: "aws.iam.create-login-profile", CatalogID: "iam-004", Category: PrincipalAccess, Target: TargetUser,
		Pre:   pre(PreNoLoginProfile),
		Perms: []Perm{perm("iam:CreateLoginProfile", OnTarget)}, Likelihood: 0.85,
		Summary: "Set a console password for a user that has none and sign in as that user."},
	{ID: "aws.iam.update-login-profile", CatalogID: "iam-006", Category: PrincipalAccess, Target: TargetUser,
		Pre:   pre(PreLoginProfile),
		Perms: []Perm{perm("iam:UpdateLoginProfile", OnTarget)}, Likelihood: 0.8,
		Summary: "Reset another user's console password and sign in as that user (MFA, if enrolled, still stands in the way)."},
	{ID: "aws.iam.update-assume-role-policy", CatalogID: "iam-012", Category: PrincipalAccess, Target: TargetRole,
		Perms: []Perm{perm("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.85,
		Summary: "Rewrite a role's trust policy to trust yourself, then assume it."},
	{ID: "aws.iam.attach-role-policy-assume", CatalogID: "iam-014", Category: PrincipalAccess, Target: TargetAssumableRoleMod,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:AttachRolePolicy", OnTarget), perm("sts:AssumeRole", OnTrust)}, Likelihood: 0.85,
		Summary: "Attach a broad managed policy to a role you can already assume, then assume it."},
	{ID: "aws.iam.attach-user-policy-create-access-key", CatalogID: "iam-015", Category: PrincipalAccess, Target: TargetUserMod,
		Pre:   pre(PreFreeKeySlot, PreHeadroom),
		Perms: []Perm{perm("iam:AttachUserPolicy", OnTarget), perm("iam:CreateAccessKey", OnTarget)}, Likelihood: 0.85,
		Summary: "Attach a broad managed policy to another user and mint an access key for it."},
	{ID: "aws.iam.create-policy-version-assume", CatalogID: "iam-016", Category: PrincipalAccess, Target: TargetAssumableRoleMod,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:CreatePolicyVersion", OnPolicy), perm("sts:AssumeRole", OnTrust)}, Likelihood: 0.85,
		Summary: "Rewrite a customer-managed policy attached to a role you can assume, then assume it."},
	{ID: "aws.iam.put-role-policy-assume", CatalogID: "iam-017", Category: PrincipalAccess, Target: TargetAssumableRoleMod,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:PutRolePolicy", OnTarget), perm("sts:AssumeRole", OnTrust)}, Likelihood: 0.85,
		Summary: "Write an allow-everything inline policy onto a role you can assume, then assume it."},
	{ID: "aws.iam.put-user-policy-create-access-key", CatalogID: "iam-018", Category: PrincipalAccess, Target: TargetUserMod,
		Pre:   pre(PreFreeKeySlot, PreHeadroom),
		Perms: []Perm{perm("iam:PutUserPolicy", OnTarget), perm("iam:CreateAccessKey", OnTarget)}, Likelihood: 0.85,
		Summary: "Write an allow-everything inline policy onto another user and mint an access key for it."},
	{ID: "aws.iam.attach-role-policy-update-trust", CatalogID: "iam-019", Category: PrincipalAccess, Target: TargetTrustRoleMod,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:AttachRolePolicy", OnTarget), perm("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.8,
		Summary: "Attach a broad managed policy to a role and rewrite its trust to let you assume it."},
	{ID: "aws.iam.create-policy-version-update-trust", CatalogID: "iam-020", Category: PrincipalAccess, Target: TargetTrustRoleMod,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:CreatePolicyVersion", OnPolicy), perm("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.8,
		Summary: "Rewrite a customer-managed policy attached to a role and the role's trust, then assume it."},
	{ID: "aws.iam.put-role-policy-update-trust", CatalogID: "iam-021", Category: PrincipalAccess, Target: TargetTrustRoleMod,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("iam:PutRolePolicy", OnTarget), perm("iam:UpdateAssumeRolePolicy", OnTarget)}, Likelihood: 0.8,
		Summary: "Write an allow-everything inline policy onto a role and rewrite its trust, then assume it."},

	// New workloads running as a passed role.
	{ID: "aws.apprunner.passrole-create-service", CatalogID: "apprunner-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("apprunner:CreateService", OnAny)}, Services: []string{"tasks.apprunner.amazonaws.com"},
		Summary: "Create an App Runner service whose instance role is the passed role and run your own code in it."},
	{ID: "aws.bedrock-agentcore.passrole-code-interpreter", CatalogID: "bedrock-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("bedrock-agentcore:CreateCodeInterpreter", OnAny), perm("bedrock-agentcore:StartCodeInterpreterSession", OnAny),
			perm("bedrock-agentcore:InvokeCodeInterpreter", OnAny)}, Services: []string{"bedrock-agentcore.amazonaws.com"},
		Summary: "Create an AgentCore code interpreter with the passed role as its execution role and run code in a session."},
	{ID: "aws.cloudformation.passrole-create-stack", CatalogID: "cloudformation-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("cloudformation:CreateStack", OnAny)}, Services: []string{"cloudformation.amazonaws.com"},
		Summary: "Create a stack with the passed role as its service role; the template creates whatever you want with that role's rights."},
	{ID: "aws.cloudformation.passrole-create-stack-set", CatalogID: "cloudformation-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, perm("cloudformation:CreateStackSet", OnAny), perm("cloudformation:CreateStackInstances", OnAny)},
		Services: []string{"cloudformation.amazonaws.com"},
		Summary:  "Create a self-managed stack set with the passed role as administration/execution role and deploy instances of it."},
	{ID: "aws.cloudformation.passrole-update-stack-set", CatalogID: "cloudformation-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("cloudformation:UpdateStackSet", OnAny)}, Services: []string{"cloudformation.amazonaws.com"},
		Summary: "Update an existing stack set to use the passed role and a template of your choosing."},
	{ID: "aws.codebuild.passrole-create-project-start-build", CatalogID: "codebuild-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("codebuild:CreateProject", OnAny), perm("codebuild:StartBuild", OnAny)}, Services: []string{"codebuild.amazonaws.com"},
		Summary: "Create a CodeBuild project with the passed role as service role and a buildspec that runs your commands."},
	{ID: "aws.codebuild.passrole-create-project-start-build-batch", CatalogID: "codebuild-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("codebuild:CreateProject", OnAny), perm("codebuild:StartBuildBatch", OnAny)}, Services: []string{"codebuild.amazonaws.com"},
		Summary: "As with a single build, but started as a batch build."},
	{ID: "aws.datapipeline.passrole-create-pipeline", CatalogID: "datapipeline-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, perm("datapipeline:CreatePipeline", OnAny), perm("datapipeline:PutPipelineDefinition", OnAny), perm("datapipeline:ActivatePipeline", OnAny)},
		Services: []string{"ec2.amazonaws.com"}, Pre: pre(PreInstanceProfile),
		Summary: "Define and activate a pipeline whose EC2 resource runs your shell command with the passed resource role."},
	{ID: "aws.ec2.passrole-run-instances", CatalogID: "ec2-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("ec2:RunInstances", OnAny)}, Services: []string{"ec2.amazonaws.com"}, Pre: pre(PreInstanceProfile),
		Summary: "Launch an instance with an instance profile holding the passed role and read its credentials from the metadata service."},
	{ID: "aws.ec2.passrole-request-spot-instances", CatalogID: "ec2-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("ec2:RequestSpotInstances", OnAny)}, Services: []string{"ec2.amazonaws.com"}, Pre: pre(PreInstanceProfile),
		Summary: "Request a spot instance with an instance profile holding the passed role."},
	{ID: "aws.ecs.passrole-create-cluster-service", CatalogID: "ecs-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, perm("ecs:CreateCluster", OnAny), perm("ecs:RegisterTaskDefinition", OnAny), perm("ecs:CreateService", OnAny)},
		Services: []string{"ecs-tasks.amazonaws.com"},
		Summary:  "Create a cluster and a service running a task definition whose task role is the passed role."},
	{ID: "aws.ecs.passrole-create-cluster-run-task", CatalogID: "ecs-002", Category: NewPassRole, Target: TargetPassedRole,
		Perms:    []Perm{passRole, perm("ecs:CreateCluster", OnAny), perm("ecs:RegisterTaskDefinition", OnAny), perm("ecs:RunTask", OnAny)},
		Services: []string{"ecs-tasks.amazonaws.com"},
		Summary:  "Create a cluster and run a task whose task role is the passed role."},
	{ID: "aws.ecs.passrole-create-service", CatalogID: "ecs-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("ecs:RegisterTaskDefinition", OnAny), perm("ecs:CreateService", OnAny)}, Services: []string{"ecs-tasks.amazonaws.com"},
		Summary: "Register a task definition with the passed task role and create a service in an existing cluster."},
	{ID: "aws.ecs.passrole-run-task", CatalogID: "ecs-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("ecs:RegisterTaskDefinition", OnAny), perm("ecs:RunTask", OnAny)}, Services: []string{"ecs-tasks.amazonaws.com"},
		Summary: "Register a task definition with the passed task role and run it in an existing cluster."},
	{ID: "aws.ecs.passrole-start-task", CatalogID: "ecs-005", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("ecs:RegisterTaskDefinition", OnAny), perm("ecs:StartTask", OnAny)}, Services: []string{"ecs-tasks.amazonaws.com"},
		Summary: "Register a task definition with the passed task role and start it on an existing container instance."},
	{ID: "aws.glue.passrole-create-dev-endpoint", CatalogID: "glue-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("glue:CreateDevEndpoint", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Create a Glue development endpoint with the passed role and your SSH key, then log in and use the role."},
	{ID: "aws.glue.passrole-create-job-start-run", CatalogID: "glue-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("glue:CreateJob", OnAny), perm("glue:StartJobRun", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Create a Glue job running your script as the passed role and start it."},
	{ID: "aws.glue.passrole-create-job-trigger", CatalogID: "glue-004", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("glue:CreateJob", OnAny), perm("glue:CreateTrigger", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Create a Glue job running your script as the passed role and a trigger that starts it."},
	{ID: "aws.glue.passrole-update-job-start-run", CatalogID: "glue-005", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("glue:UpdateJob", OnAny), perm("glue:StartJobRun", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Point an existing Glue job at your script and the passed role, then start it."},
	{ID: "aws.glue.passrole-update-job-trigger", CatalogID: "glue-006", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("glue:UpdateJob", OnAny), perm("glue:CreateTrigger", OnAny)}, Services: []string{"glue.amazonaws.com"},
		Summary: "Point an existing Glue job at your script and the passed role, and add a trigger that starts it."},
	{ID: "aws.lambda.passrole-create-function-invoke", CatalogID: "lambda-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("lambda:CreateFunction", OnAny), perm("lambda:InvokeFunction", OnAny)}, Services: []string{"lambda.amazonaws.com"},
		Summary: "Create a function with the passed role as execution role and invoke it."},
	{ID: "aws.lambda.passrole-create-function-event-source", CatalogID: "lambda-002", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("lambda:CreateFunction", OnAny), perm("lambda:CreateEventSourceMapping", OnAny)}, Services: []string{"lambda.amazonaws.com"},
		Pre:     pre(PreEventSource),
		Summary: "Create a function with the passed role and an event source mapping (stream or queue) that invokes it.", Likelihood: 0.65},
	{ID: "aws.lambda.passrole-create-function-add-permission", CatalogID: "lambda-006", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("lambda:CreateFunction", OnAny), perm("lambda:AddPermission", OnAny)}, Services: []string{"lambda.amazonaws.com"},
		Summary: "Create a function with the passed role and grant yourself (or anyone) invoke permission on it."},
	{ID: "aws.sagemaker.passrole-create-notebook", CatalogID: "sagemaker-001", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("sagemaker:CreateNotebookInstance", OnAny)}, Services: []string{"sagemaker.amazonaws.com"},
		Summary: "Create a notebook instance with the passed role and use its Jupyter terminal."},
	{ID: "aws.sagemaker.passrole-create-training-job", CatalogID: "sagemaker-002", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("sagemaker:CreateTrainingJob", OnAny)}, Services: []string{"sagemaker.amazonaws.com"},
		Summary: "Run a training job whose container is yours and whose execution role is the passed role."},
	{ID: "aws.sagemaker.passrole-create-processing-job", CatalogID: "sagemaker-003", Category: NewPassRole, Target: TargetPassedRole,
		Perms: []Perm{passRole, perm("sagemaker:CreateProcessingJob", OnAny)}, Services: []string{"sagemaker.amazonaws.com"},
		Summary: "Run a processing job whose container is yours and whose execution role is the passed role."},

	// Instance profiles: a role in no profile is still reachable through EC2.
	{ID: "aws.iam.add-role-to-instance-profile-run-instances", CatalogID: "bp-ec2-001", Category: NewPassRole, Target: TargetProfileRole,
		Pre:      pre(PreEmptyProfile),
		Perms:    []Perm{passRole, perm("iam:AddRoleToInstanceProfile", OnProfile), perm("ec2:RunInstances", OnAny)},
		Services: []string{"ec2.amazonaws.com"}, Likelihood: 0.8,
		Summary: "Put the passed role into an existing empty instance profile and launch an instance with that profile."},
	{ID: "aws.iam.swap-instance-profile-role-run-instances", CatalogID: "bp-ec2-002", Category: NewPassRole, Target: TargetProfileRole,
		Pre: pre(PreOccupiedProfile),
		Perms: []Perm{passRole, perm("iam:RemoveRoleFromInstanceProfile", OnProfile), perm("iam:AddRoleToInstanceProfile", OnProfile),
			perm("ec2:RunInstances", OnAny)},
		Services: []string{"ec2.amazonaws.com"}, Likelihood: 0.8,
		Summary: "Take the role out of an existing instance profile, put the passed role in, and launch an instance with that profile."},
	{ID: "aws.ec2.associate-iam-instance-profile", CatalogID: "bp-ec2-003", Category: NewPassRole, Target: TargetHostRole,
		Pre:   pre(PreInstanceProfile, PreNoHostProfile),
		Perms: []Perm{passRole, perm("ec2:AssociateIamInstanceProfile", OnHost)}, Services: []string{"ec2.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Attach an instance profile holding the passed role to an instance without one, then use the role from code running on it (conditional on running code there)."},
	{ID: "aws.ec2.replace-iam-instance-profile-association", CatalogID: "bp-ec2-004", Category: NewPassRole, Target: TargetHostRole,
		Pre:   pre(PreInstanceProfile, PreHostProfile),
		Perms: []Perm{passRole, perm("ec2:ReplaceIamInstanceProfileAssociation", OnHost)}, Services: []string{"ec2.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Replace an instance's profile with one holding the passed role, then use the role from code running on it (conditional on running code there)."},

	// Existing workloads we inventory.
	{ID: "aws.lambda.update-function-code", CatalogID: "lambda-003", Category: ExistingPassRole, Target: TargetFunctionRole,
		Perms: []Perm{perm("lambda:UpdateFunctionCode", OnWorkload)}, Likelihood: 0.6,
		Summary: "Replace an existing function's code; the next invocation runs it with the function's role."},
	{ID: "aws.lambda.update-function-code-invoke", CatalogID: "lambda-004", Category: ExistingPassRole, Target: TargetFunctionRole,
		Perms:   []Perm{perm("lambda:UpdateFunctionCode", OnWorkload), perm("lambda:InvokeFunction", OnWorkload)},
		Summary: "Replace an existing function's code and invoke it yourself."},
	{ID: "aws.lambda.update-function-code-add-permission", CatalogID: "lambda-005", Category: ExistingPassRole, Target: TargetFunctionRole,
		Perms:   []Perm{perm("lambda:UpdateFunctionCode", OnWorkload), perm("lambda:AddPermission", OnWorkload)},
		Summary: "Replace an existing function's code and grant yourself permission to invoke it."},
	{ID: "aws.ec2.modify-instance-user-data", CatalogID: "ec2-002", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms:      []Perm{perm("ec2:ModifyInstanceAttribute", OnWorkload), perm("ec2:StopInstances", OnWorkload), perm("ec2:StartInstances", OnWorkload)},
		Likelihood: 0.6, Summary: "Stop an instance, replace its user data with your script, and start it: the script runs with the instance's role."},
	{ID: "aws.ec2-instance-connect.send-ssh-public-key", CatalogID: "ec2instanceconnect-003", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{perm("ec2-instance-connect:SendSSHPublicKey", OnWorkload), perm("ec2:DescribeInstances", OnAny)}, Likelihood: 0.5,
		Summary: "Push a temporary SSH key to an instance and log in (network reach to SSH still needed), then use its role."},
	{ID: TechSerialConsole, CatalogID: "bp-ec2-serial-001", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{perm("ec2-instance-connect:SendSerialConsoleSSHPublicKey", OnWorkload)}, Likelihood: 0.5,
		Summary: "Push a temporary SSH key to an instance's serial console (account-level serial console access enabled in the region; no network reach needed) and log in on the console."},
	{ID: "aws.ssm.start-session", CatalogID: "ssm-001", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{perm("ssm:StartSession", OnWorkload)}, Likelihood: 0.75,
		Summary: "Open a Session Manager shell on a managed instance and use its role."},
	{ID: "aws.ssm.send-command", CatalogID: "ssm-002", Category: ExistingPassRole, Target: TargetInstanceRole,
		Perms: []Perm{perm("ssm:SendCommand", OnWorkload)}, Likelihood: 0.75,
		Summary: "Run a command through SSM on a managed instance and use its role."},

	// ECS: existing task definitions and services.
	{ID: "aws.ecs.run-task-existing-definition", CatalogID: "bp-ecs-001", Category: ExistingPassRole, Target: TargetTaskRole,
		Perms:    []Perm{perm("ecs:RunTask", OnWorkload), perm("iam:PassRole", OnWorkloadRole)},
		Services: []string{"ecs-tasks.amazonaws.com"}, Likelihood: 0.7,
		Summary: "Run an existing task definition whose task role is stronger than yours, overriding the container command to run your code with that role."},
	{ID: "aws.ecs.start-task-existing-definition", CatalogID: "bp-ecs-002", Category: ExistingPassRole, Target: TargetTaskRole,
		Perms:    []Perm{perm("ecs:StartTask", OnWorkload), perm("iam:PassRole", OnWorkloadRole)},
		Services: []string{"ecs-tasks.amazonaws.com"}, Likelihood: 0.6,
		Summary: "Start an existing task definition on a container instance, overriding the container command to run your code with its task role."},
	{ID: "aws.ecs.register-task-definition-update-service", CatalogID: "bp-ecs-003", Category: NewPassRole, Target: TargetPassedToExisting,
		Perms:    []Perm{passRole, perm("ecs:RegisterTaskDefinition", OnAny), perm("ecs:UpdateService", OnAny)},
		Services: []string{"ecs-tasks.amazonaws.com"}, Likelihood: 0.6,
		Summary: "Register a task definition running your code with the passed task role and point an existing service at it (ECS services are not inventoried: conditional on one existing)."},

	// CloudFormation: a stack role acting through a custom resource.
	{ID: "aws.cloudformation.custom-resource-function", CatalogID: "bp-cloudformation-001", Category: NewPassRole, Target: TargetPassedRole,
		Attacker: StackRole,
		Perms:    []Perm{passRole, perm("lambda:CreateFunction", OnAny)}, Services: []string{"lambda.amazonaws.com"}, Likelihood: 0.5,
		Summary: "A stack's service role creates, in the template, a function with the passed execution role and a custom resource whose ServiceToken is that function: CloudFormation invokes it (conditional: whether the stack role also needs lambda:InvokeFunction is not decided here; with it, lambda-001 applies)."},

	// Lambda: a function whose role can change the invoker's own permissions.
	{ID: "aws.lambda.invoke-function-modifies-invoker", CatalogID: "bp-lambda-001", Category: PrincipalAccess, Target: TargetInvokerAdmin,
		Pre:   pre(PreHeadroom),
		Perms: []Perm{perm("lambda:InvokeFunction", OnWorkload)}, Likelihood: 0.4,
		Summary: "Invoke a function whose execution role may attach or write policies on you or add you to an administrator group (conditional on what its code does)."},

	// Existing workloads we do not inventory: conditional on such a workload existing with the role.
	{ID: "aws.apprunner.update-service", CatalogID: "apprunner-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("apprunner:UpdateService", OnAny)}, Services: []string{"tasks.apprunner.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Change an existing App Runner service's image or start command to run your code with its instance role."},
	{ID: "aws.bedrock-agentcore.existing-code-interpreter", CatalogID: "bedrock-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms:    []Perm{perm("bedrock-agentcore:StartCodeInterpreterSession", OnAny), perm("bedrock-agentcore:InvokeCodeInterpreter", OnAny)},
		Services: []string{"bedrock-agentcore.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Open a session on an existing code interpreter and run code with its execution role."},
	{ID: "aws.cloudformation.update-stack", CatalogID: "cloudformation-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("cloudformation:UpdateStack", OnAny)}, Services: []string{"cloudformation.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Update an existing stack that has a service role with a template of your choosing."},
	{ID: "aws.cloudformation.change-set", CatalogID: "cloudformation-005", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms:    []Perm{perm("cloudformation:CreateChangeSet", OnAny), perm("cloudformation:ExecuteChangeSet", OnAny)},
		Services: []string{"cloudformation.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Create and execute a change set on an existing stack that has a service role."},
	{ID: "aws.codebuild.start-build", CatalogID: "codebuild-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("codebuild:StartBuild", OnAny)}, Services: []string{"codebuild.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Start a build of an existing project overriding its buildspec, running your commands with its service role."},
	{ID: "aws.codebuild.start-build-batch", CatalogID: "codebuild-003", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("codebuild:StartBuildBatch", OnAny)}, Services: []string{"codebuild.amazonaws.com"}, Likelihood: 0.5,
		Summary: "As with start-build, through a batch build with an overridden buildspec."},
	{ID: "aws.ec2.launch-template-version", CatalogID: "ec2-004", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms:    []Perm{perm("ec2:CreateLaunchTemplateVersion", OnAny), perm("ec2:ModifyLaunchTemplate", OnAny)},
		Services: []string{"ec2.amazonaws.com"}, Pre: pre(PreInstanceProfile, PreLaunchTemplateProfile), Likelihood: 0.4,
		Summary: "Publish a launch-template version with your user data and make it the default; instances launched from it run your code with its profile's role."},
	{ID: "aws.glue.update-dev-endpoint", CatalogID: "glue-002", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("glue:UpdateDevEndpoint", OnAny)}, Services: []string{"glue.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Add your SSH key to an existing Glue development endpoint and use its role."},
	{ID: "aws.sagemaker.presigned-notebook-url", CatalogID: "sagemaker-004", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("sagemaker:CreatePresignedNotebookInstanceUrl", OnAny)}, Services: []string{"sagemaker.amazonaws.com"}, Likelihood: 0.5,
		Summary: "Open an existing notebook instance's Jupyter UI through a presigned URL and use its role."},
	{ID: "aws.sagemaker.notebook-lifecycle-config", CatalogID: "sagemaker-005", Category: ExistingPassRole, Target: TargetUninventoriedRole,
		Perms: []Perm{perm("sagemaker:CreateNotebookInstanceLifecycleConfig", OnAny), perm("sagemaker:StopNotebookInstance", OnAny),
			perm("sagemaker:UpdateNotebookInstance", OnAny), perm("sagemaker:StartNotebookInstance", OnAny)},
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
