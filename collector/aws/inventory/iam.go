package inventory

import "time"

// IAMData is the account's identity configuration. The live collector and
// the offline get-account-authorization-details import fill the principal,
// policy and instance-profile lists through the same conversion.
type IAMData struct {
	Users            []User            `json:"users"`
	Groups           []Group           `json:"groups"`
	Roles            []Role            `json:"roles"`
	Policies         []ManagedPolicy   `json:"policies"`
	InstanceProfiles []InstanceProfile `json:"instance_profiles"`
	// CredentialReport is nil when the report could not be generated or read
	// (the offline import never has one).
	CredentialReport []CredentialReportRow `json:"credential_report,omitempty"`
	// PasswordPolicy is nil when it was not read; PasswordPolicy.None is set
	// when the account has no password policy.
	PasswordPolicy *PasswordPolicy `json:"password_policy,omitempty"`
	// AllInstanceProfiles is set when every instance profile was listed, including those that
	// hold no role (ListInstanceProfiles); an authorization-details export only shows profiles
	// through the roles they hold.
	AllInstanceProfiles bool `json:"all_instance_profiles,omitempty"`
	// Summary is nil when GetAccountSummary was not read.
	Summary *AccountSummary `json:"summary,omitempty"`
	// LastAccessed holds service last-accessed data
	// (GenerateServiceLastAccessedDetails, ACTION_LEVEL) keyed by principal
	// ARN. nil means it was not read (usage unknown); a principal missing
	// from a non-nil map could not be read.
	LastAccessed map[string][]ServiceLastAccessed `json:"last_accessed,omitempty"`
}

// ServiceLastAccessed is one service of a principal's last-accessed report:
// AWS lists every service the principal's policies allow, with a zero
// LastAuthenticated when it was never used in the tracking period.
type ServiceLastAccessed struct {
	Namespace                  string    `json:"namespace"` // "s3", "iam", ...
	Name                       string    `json:"name,omitempty"`
	LastAuthenticated          time.Time `json:"last_authenticated,omitzero"`
	LastAuthenticatedEntity    string    `json:"last_authenticated_entity,omitempty"`
	LastAuthenticatedRegion    string    `json:"last_authenticated_region,omitempty"`
	TotalAuthenticatedEntities int32     `json:"total_authenticated_entities,omitempty"`
	// TrackedActions is set for the services AWS reports per action; it
	// lists every tracked action, a zero LastAccessed meaning never used.
	TrackedActions []ActionLastAccessed `json:"tracked_actions,omitempty"`
}

// ActionLastAccessed is one tracked action of a service's last-accessed data.
type ActionLastAccessed struct {
	Action       string    `json:"action"` // as AWS reports it, e.g. "CreateBucket"
	LastAccessed time.Time `json:"last_accessed,omitzero"`
	Entity       string    `json:"entity,omitempty"`
	Region       string    `json:"region,omitempty"`
}

// InlinePolicy is a policy embedded in one principal.
type InlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"` // decoded JSON text
}

// AttachedPolicy is a managed policy attached to a principal.
type AttachedPolicy struct {
	ARN  string `json:"arn"`
	Name string `json:"name"`
}

// User is an IAM user.
type User struct {
	ARN                string           `json:"arn"`
	ID                 string           `json:"id"`
	Name               string           `json:"name"`
	Path               string           `json:"path"`
	CreateDate         time.Time        `json:"create_date,omitzero"`
	Tags               Tags             `json:"tags,omitempty"`
	InlinePolicies     []InlinePolicy   `json:"inline_policies,omitempty"`
	AttachedPolicies   []AttachedPolicy `json:"attached_policies,omitempty"`
	Groups             []string         `json:"groups,omitempty"` // group names
	PermissionBoundary string           `json:"permission_boundary,omitempty"`
	// LoginProfile is set when the user has a console password. Only the
	// live collection knows (from GetLoginProfile / the credential report).
	LoginProfile     bool        `json:"login_profile"`
	PasswordLastUsed time.Time   `json:"password_last_used,omitzero"`
	MFADevices       []MFADevice `json:"mfa_devices,omitempty"`
	AccessKeys       []AccessKey `json:"access_keys,omitempty"`
	// AccessKeysRead and LoginProfileRead are set when the live collection read the user's
	// access keys / login profile. Unset (the offline import, a failed read), "no keys" and
	// "no password" mean unknown, not none.
	AccessKeysRead   bool `json:"access_keys_read,omitempty"`
	LoginProfileRead bool `json:"login_profile_read,omitempty"`
}

// MFADevice is an MFA device enabled for a user.
type MFADevice struct {
	SerialNumber string    `json:"serial_number"`
	EnableDate   time.Time `json:"enable_date,omitzero"`
	Virtual      bool      `json:"virtual"` // serial is an ARN of a virtual device
}

// AccessKey is a user's access key: id and metadata only, never the secret.
type AccessKey struct {
	ID              string    `json:"id"`
	Status          string    `json:"status"` // "Active" or "Inactive"
	CreateDate      time.Time `json:"create_date,omitzero"`
	LastUsedDate    time.Time `json:"last_used_date,omitzero"`
	LastUsedService string    `json:"last_used_service,omitempty"`
	LastUsedRegion  string    `json:"last_used_region,omitempty"`
}

// Group is an IAM group.
type Group struct {
	ARN              string           `json:"arn"`
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	Path             string           `json:"path"`
	CreateDate       time.Time        `json:"create_date,omitzero"`
	InlinePolicies   []InlinePolicy   `json:"inline_policies,omitempty"`
	AttachedPolicies []AttachedPolicy `json:"attached_policies,omitempty"`
}

// Role is an IAM role.
type Role struct {
	ARN                string           `json:"arn"`
	ID                 string           `json:"id"`
	Name               string           `json:"name"`
	Path               string           `json:"path"`
	CreateDate         time.Time        `json:"create_date,omitzero"`
	TrustPolicy        string           `json:"trust_policy"` // decoded JSON text
	InlinePolicies     []InlinePolicy   `json:"inline_policies,omitempty"`
	AttachedPolicies   []AttachedPolicy `json:"attached_policies,omitempty"`
	PermissionBoundary string           `json:"permission_boundary,omitempty"`
	LastUsedDate       time.Time        `json:"last_used_date,omitzero"`
	LastUsedRegion     string           `json:"last_used_region,omitempty"`
	MaxSessionDuration int32            `json:"max_session_duration,omitempty"`
	Tags               Tags             `json:"tags,omitempty"`
	// InstanceProfiles lists the ARNs of the instance profiles holding the role.
	InstanceProfiles []string `json:"instance_profiles,omitempty"`
	// ServiceLinked is set for roles under /aws-service-role/.
	ServiceLinked bool `json:"service_linked,omitempty"`
}

// ManagedPolicy is a customer- or AWS-managed policy with its default version.
type ManagedPolicy struct {
	ARN                           string    `json:"arn"`
	ID                            string    `json:"id"`
	Name                          string    `json:"name"`
	Path                          string    `json:"path"`
	DefaultVersionID              string    `json:"default_version_id"`
	Document                      string    `json:"document"` // default version, decoded JSON text
	AttachmentCount               int32     `json:"attachment_count"`
	PermissionsBoundaryUsageCount int32     `json:"permissions_boundary_usage_count"`
	IsAttachable                  bool      `json:"is_attachable"`
	AWSManaged                    bool      `json:"aws_managed"` // arn:<partition>:iam::aws:policy/...
	CreateDate                    time.Time `json:"create_date,omitzero"`
	UpdateDate                    time.Time `json:"update_date,omitzero"`
	Tags                          Tags      `json:"tags,omitempty"`
	// OtherVersions holds every stored version but the default, for customer-managed policies:
	// whoever may call iam:SetDefaultPolicyVersion on the policy can make any of them the one in
	// force. nil when the policy has no other version (or is AWS-managed, which customers cannot
	// roll back).
	OtherVersions []PolicyVersion `json:"other_versions,omitempty"`
}

// PolicyVersion is one stored version of a managed policy.
type PolicyVersion struct {
	ID         string    `json:"id"`       // "v1", "v2", ...
	Document   string    `json:"document"` // decoded JSON text
	CreateDate time.Time `json:"create_date,omitzero"`
}

// InstanceProfile is an EC2 instance profile and the roles it holds.
type InstanceProfile struct {
	ARN        string    `json:"arn"`
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	CreateDate time.Time `json:"create_date,omitzero"`
	Roles      []string  `json:"roles"` // role ARNs
	Tags       Tags      `json:"tags,omitempty"`
}

// CredentialReportRow is one row of the IAM credential report. Timestamps
// the report gives as "N/A" or "no_information" are zero.
type CredentialReportRow struct {
	User                      string    `json:"user"` // "<root_account>" for the root user
	ARN                       string    `json:"arn"`
	UserCreationTime          time.Time `json:"user_creation_time,omitzero"`
	PasswordEnabled           bool      `json:"password_enabled"`
	PasswordLastUsed          time.Time `json:"password_last_used,omitzero"`
	PasswordLastChanged       time.Time `json:"password_last_changed,omitzero"`
	PasswordNextRotation      time.Time `json:"password_next_rotation,omitzero"`
	MFAActive                 bool      `json:"mfa_active"`
	AccessKey1Active          bool      `json:"access_key_1_active"`
	AccessKey1LastRotated     time.Time `json:"access_key_1_last_rotated,omitzero"`
	AccessKey1LastUsedDate    time.Time `json:"access_key_1_last_used_date,omitzero"`
	AccessKey1LastUsedService string    `json:"access_key_1_last_used_service,omitempty"`
	AccessKey2Active          bool      `json:"access_key_2_active"`
	AccessKey2LastRotated     time.Time `json:"access_key_2_last_rotated,omitzero"`
	AccessKey2LastUsedDate    time.Time `json:"access_key_2_last_used_date,omitzero"`
	AccessKey2LastUsedService string    `json:"access_key_2_last_used_service,omitempty"`
	Cert1Active               bool      `json:"cert_1_active"`
	Cert2Active               bool      `json:"cert_2_active"`
}

// PasswordPolicy is the account password policy.
type PasswordPolicy struct {
	// None is set when the account has no password policy (NoSuchEntity);
	// the other fields are then zero.
	None                       bool  `json:"none"`
	MinimumPasswordLength      int32 `json:"minimum_password_length,omitempty"`
	RequireSymbols             bool  `json:"require_symbols,omitempty"`
	RequireNumbers             bool  `json:"require_numbers,omitempty"`
	RequireUppercaseCharacters bool  `json:"require_uppercase_characters,omitempty"`
	RequireLowercaseCharacters bool  `json:"require_lowercase_characters,omitempty"`
	AllowUsersToChangePassword bool  `json:"allow_users_to_change_password,omitempty"`
	ExpirePasswords            bool  `json:"expire_passwords,omitempty"`
	MaxPasswordAge             int32 `json:"max_password_age,omitempty"`
	PasswordReusePrevention    int32 `json:"password_reuse_prevention,omitempty"`
	HardExpiry                 bool  `json:"hard_expiry,omitempty"`
}

// AccountSummary holds the GetAccountSummary facts the posture rules use.
type AccountSummary struct {
	RootMFAEnabled        bool `json:"root_mfa_enabled"`
	RootAccessKeysPresent bool `json:"root_access_keys_present"`
	// Counts is the raw SummaryMap (Users, Roles, Policies, MFADevices, ...).
	Counts map[string]int32 `json:"counts,omitempty"`
}
