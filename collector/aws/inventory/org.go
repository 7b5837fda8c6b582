package inventory

import "time"

// OrgData is the AWS Organizations structure as seen from the collecting
// account.
type OrgData struct {
	ID                  string       `json:"id"`
	ARN                 string       `json:"arn"`
	ManagementAccountID string       `json:"management_account_id"`
	FeatureSet          string       `json:"feature_set,omitempty"` // "ALL" or "CONSOLIDATED_BILLING"
	Roots               []OrgRoot    `json:"roots"`
	OrganizationalUnits []OrgUnit    `json:"organizational_units"`
	Accounts            []OrgAccount `json:"accounts"`
	Policies            []OrgPolicy  `json:"policies"` // SCPs and RCPs
}

// OrgRoot is an organization root.
type OrgRoot struct {
	ID   string `json:"id"`
	ARN  string `json:"arn"`
	Name string `json:"name"`
	// PolicyTypes lists the enabled policy types (SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, ...).
	PolicyTypes []string `json:"policy_types,omitempty"`
}

// OrgUnit is an organizational unit; ParentID is a root or another OU.
type OrgUnit struct {
	ID       string `json:"id"`
	ARN      string `json:"arn"`
	Name     string `json:"name"`
	ParentID string `json:"parent_id"`
}

// OrgAccount is a member account.
type OrgAccount struct {
	ID         string    `json:"id"`
	ARN        string    `json:"arn"`
	Name       string    `json:"name"`
	Email      string    `json:"email,omitempty"`
	Status     string    `json:"status,omitempty"` // ACTIVE, SUSPENDED, ...
	JoinedTime time.Time `json:"joined_time,omitzero"`
	ParentID   string    `json:"parent_id,omitempty"` // root or OU id
}

// Organization policy types the collector reads.
const (
	PolicyTypeSCP = "SERVICE_CONTROL_POLICY"
	PolicyTypeRCP = "RESOURCE_CONTROL_POLICY"
)

// OrgPolicy is a service or resource control policy and where it applies.
type OrgPolicy struct {
	ID          string `json:"id"`
	ARN         string `json:"arn"`
	Name        string `json:"name"`
	Type        string `json:"type"` // PolicyTypeSCP or PolicyTypeRCP
	AWSManaged  bool   `json:"aws_managed"`
	Description string `json:"description,omitempty"`
	Document    string `json:"document"` // JSON text
	// Targets lists the root, OU and account ids the policy is attached to.
	Targets []string `json:"targets"`
}
