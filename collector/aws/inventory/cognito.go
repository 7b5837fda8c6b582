package inventory

// CognitoUserPool is an Amazon Cognito user pool: whether anyone may sign
// up, and its app clients.
type CognitoUserPool struct {
	ID   string `json:"id"`
	ARN  string `json:"arn"`
	Name string `json:"name"`
	// AdminCreateUserOnly: only administrators create users (self sign-up
	// off).
	AdminCreateUserOnly bool                `json:"admin_create_user_only"`
	Clients             []CognitoPoolClient `json:"clients,omitempty"`
	Tags                Tags                `json:"tags,omitempty"`
	Errors              []string            `json:"errors,omitempty"`
}

// CognitoPoolClient is an app client of a user pool. A client without a
// secret is public: its id, shipped in the web page or app, is all SignUp
// and InitiateAuth need.
type CognitoPoolClient struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	HasSecret         bool     `json:"has_secret"`
	ExplicitAuthFlows []string `json:"explicit_auth_flows,omitempty"`
	WriteAttributes   []string `json:"write_attributes,omitempty"`
}

// CognitoIdentityPool is an Amazon Cognito identity pool: which identities
// it accepts and the IAM roles it hands them.
type CognitoIdentityPool struct {
	ID                   string                `json:"id"`
	ARN                  string                `json:"arn"`
	Name                 string                `json:"name"`
	AllowUnauthenticated bool                  `json:"allow_unauthenticated"`
	AllowClassicFlow     bool                  `json:"allow_classic_flow,omitempty"`
	Providers            []CognitoPoolProvider `json:"providers,omitempty"`
	AuthenticatedRole    string                `json:"authenticated_role,omitempty"`
	UnauthenticatedRole  string                `json:"unauthenticated_role,omitempty"`
	// RoleMappings are per-provider rules or token-based role choices
	// (GetIdentityPoolRoles RoleMappings), keyed by provider name.
	RoleMappings map[string]CognitoRoleMapping `json:"role_mappings,omitempty"`
	// RolesRead: GetIdentityPoolRoles answered (the roles are known).
	RolesRead bool     `json:"roles_read,omitempty"`
	Tags      Tags     `json:"tags,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// CognitoPoolProvider is a Cognito user pool app client an identity pool
// accepts tokens from.
type CognitoPoolProvider struct {
	ProviderName string `json:"provider_name"` // cognito-idp.<region>.amazonaws.com/<user pool id>
	ClientID     string `json:"client_id"`
}

// CognitoRoleMapping is an identity pool's role choice for one provider.
type CognitoRoleMapping struct {
	Type  string   `json:"type"` // Token or Rules
	Roles []string `json:"roles,omitempty"`
}
