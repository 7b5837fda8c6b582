// Package entitlement is the stored entitlement model: what a collector
// records on principal nodes for the CIEM report, in one cloud-neutral form.
//
// A cloud's collector computes, from the cloud's own policies and access
// logs, each principal's Entitlements (what it may do, per service, and where
// each permission comes from) and UsageData (what it used, and when), and
// records both on the principal's graph node as JSON properties
// (PropEntitlements, PropLastAccessed) with Annotate. The report side (ciem)
// reads them back with Decode and DecodeUsage, so a report is computable from
// the stored graph alone. A cloud that can write least-privilege policies in
// its own language implements PolicyWriter.
//
// The package is a leaf under graph: it imports only graph, and knows no
// cloud. AWS maps its IAM actions onto it in collector/aws/entitlements;
// Azure and GCP map their operations and permissions onto the same
// AccessLevel, Source and Credential kinds.
package entitlement

import (
	"time"
)

// Node properties a collector writes on principal nodes. Both hold JSON
// text (graph properties allow only scalars and string lists).
const (
	// PropEntitlements holds an Entitlements document.
	PropEntitlements = "ciem_entitlements"
	// PropLastAccessed holds a UsageData document: per-service (and, where
	// the cloud tracks it, per-action) last-accessed times. Absent means the
	// principal's usage is unknown, never that it is unused.
	PropLastAccessed = "ciem_last_accessed"
)

// Version is the version of the Entitlements and UsageData JSON documents
// this package writes and reads.
const Version = 1

// AccessLevel classifies an action the way AWS's service authorization
// reference does; Azure and GCP analysers map their operations onto it.
type AccessLevel string

// Access levels, least to most powerful (Tagging aside).
const (
	LevelList        AccessLevel = "List"
	LevelRead        AccessLevel = "Read"
	LevelWrite       AccessLevel = "Write"
	LevelPermissions AccessLevel = "Permissions management"
	LevelTagging     AccessLevel = "Tagging"
	LevelUnknown     AccessLevel = "Unknown"
)

// Levels lists the access levels in report order.
var Levels = []AccessLevel{LevelList, LevelRead, LevelWrite, LevelPermissions, LevelTagging, LevelUnknown}

// Entitlements is what a principal is allowed to do, as a cloud analyser
// computed it from the principal's policies (identity policies, group
// policies, boundaries and organisation policies applied).
type Entitlements struct {
	Version  int                  `json:"v"`
	Services []ServiceEntitlement `json:"services"`
	// Sources lists the policy statements that grant (or, for boundaries,
	// cap) the principal's permissions; ServiceEntitlement.Sources indexes it.
	Sources     []Source     `json:"sources,omitempty"`
	Wildcards   []Wildcard   `json:"wildcards,omitempty"`
	Credentials []Credential `json:"credentials,omitempty"`
	// Unmanaged, when set, says why no policy can narrow the principal (the
	// root user, a service-linked role); no least-privilege policy is suggested.
	Unmanaged string `json:"unmanaged,omitempty"`
	// CreatedAt is when the principal was created; zero when unknown.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Notes are analyser remarks (unparsable policies, unknown managed policies).
	Notes []string `json:"notes,omitempty"`
	// SharedFrom, in a stored document, names the principal node whose
	// document holds this principal's Services, Sources and Wildcards: Annotate
	// stores a large identical set once per snapshot (a thousand users holding
	// AdministratorAccess alone hold the same 450 services), and DecodeWith
	// fills them back in. Empty in every decoded document.
	SharedFrom string `json:"shared_from,omitempty"`
}

// ServiceEntitlement is the principal's allowed actions in one service.
type ServiceEntitlement struct {
	Service string `json:"service"`
	// Levels counts allowed actions per access level; Total is their sum.
	Levels map[AccessLevel]int `json:"levels"`
	Total  int                 `json:"total"`
	// Sensitive counts allowed actions the analyser deems sensitive: writes,
	// permission management, and reads of secrets or data.
	Sensitive int `json:"sensitive"`
	// Conditional counts actions allowed only under conditions the analyser
	// could not resolve (not included in Total).
	Conditional int `json:"conditional,omitempty"`
	// All is set when every action of the service is allowed.
	All bool `json:"all,omitempty"`
	// Actions lists the allowed action names when the analyser kept them:
	// for services the principal accessed (a least-privilege policy needs
	// them) and small partial grants. Nil means not kept, not none.
	Actions []string `json:"actions,omitempty"`
	// SensitiveActions lists the sensitive allowed actions: all of them for
	// accessed services, at most MaxListedActions otherwise (none when All:
	// every sensitive action of the service). SensitiveTruncated says when
	// the list is partial.
	SensitiveActions   []string `json:"sensitive_actions,omitempty"`
	SensitiveTruncated bool     `json:"sensitive_truncated,omitempty"`
	Sources            []int    `json:"sources,omitempty"`
}

// MaxListedActions bounds the action lists an analyser records per service
// the principal did not access: entitlements live on every principal node,
// and an administrator holds some 20,000 actions in 450 services.
const MaxListedActions = 8

// Source kinds: where a permission comes from.
const (
	SourceIdentity = "identity" // a policy attached to the principal itself
	SourceGroup    = "group"    // a policy of a group the principal belongs to
	SourceBoundary = "boundary" // a permissions boundary (caps, never grants)
	SourceResource = "resource" // a resource-based policy
	SourceOrg      = "org"      // an organisation policy (SCP) that caps
)

// Source is one policy statement that grants or caps permissions.
type Source struct {
	Kind       string `json:"kind"`
	Policy     string `json:"policy"` // policy id (ARN, inline policy id)
	PolicyName string `json:"policy_name,omitempty"`
	Statement  string `json:"statement"` // Sid or "#<index>"
	// Via names the group (SourceGroup) the policy reaches the principal through.
	Via string `json:"via,omitempty"`
	// Conditional is set when the statement carries conditions.
	Conditional bool `json:"conditional,omitempty"`
}

// Wildcard kinds.
const (
	WildcardAllActions = "all-actions"       // Action "*"
	WildcardService    = "service-wildcard"  // Action "<service>:*"
	WildcardNotAction  = "not-action"        // Allow with NotAction: everything but a list
	WildcardResource   = "resource-wildcard" // Resource "*" (or NotResource) on sensitive actions
)

// Wildcard is an Allow statement whose grant is wider than any single use.
type Wildcard struct {
	Kinds      []string `json:"kinds"`
	Policy     string   `json:"policy"`
	PolicyName string   `json:"policy_name,omitempty"`
	Statement  string   `json:"statement"`
	Via        string   `json:"via,omitempty"`
	// Patterns are the action patterns that make it a wildcard.
	Patterns []string `json:"patterns,omitempty"`
	// Sensitive counts the sensitive actions the statement allows on every resource.
	Sensitive   int  `json:"sensitive,omitempty"`
	Conditional bool `json:"conditional,omitempty"`
}

// Credential kinds.
const (
	CredentialPassword  = "password"     // console / interactive password
	CredentialAccessKey = "access_key"   // long-lived API key (AWS access key, GCP SA key, client secret)
	CredentialSession   = "role_session" // assumable role: last time a session was issued
	// CredentialSignIn is a workload identity's own sign-in (an Azure
	// service principal or managed identity: the last time it was issued a
	// token); unlike a role session it is reported dormant like a password.
	CredentialSignIn = "sign_in"
)

// Credential is one way to act as the principal, with its last use.
type Credential struct {
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"` // masked
	Active bool   `json:"active"`
	// UsageKnown is false when the source cannot say whether it was used
	// (LastUsed is then meaningless).
	UsageKnown bool      `json:"usage_known"`
	Created    time.Time `json:"created,omitzero"`
	LastUsed   time.Time `json:"last_used,omitzero"`
}

// UsageData is a principal's recorded service and action use.
type UsageData struct {
	Version int `json:"v"`
	// Source names where the data comes from, e.g.
	// "aws:iam:GetServiceLastAccessedDetails".
	Source string `json:"source"`
	// CollectedAt is when the data was read; usage after it is not known.
	CollectedAt time.Time `json:"collected_at,omitzero"`
	// TrackingDays is how far back the source tracks (AWS: 400 days);
	// 0 means unknown.
	TrackingDays int            `json:"tracking_days,omitempty"`
	Services     []ServiceUsage `json:"services"`
	// Unobserved names the kinds of use the source cannot see (the Azure
	// Activity Log records no reads and no data-plane operations). When
	// set, a principal with no recorded use in the window is not called
	// inactive: its activity is unknown unless other data says otherwise.
	Unobserved string `json:"unobserved,omitempty"`
	// Suggestion is a least-privilege suggestion the collector computed
	// and verified itself, because checking it needs what the stored graph
	// does not keep (Azure: role definitions with their notActions, deny
	// assignments, group memberships, the scope hierarchy). The report
	// shows it as is instead of calling the cloud's PolicyWriter; when it
	// is nil, SuggestionReason, if set, says why there is none.
	Suggestion       *Suggestion `json:"suggestion,omitempty"`
	SuggestionReason string      `json:"suggestion_reason,omitempty"`
}

// ServiceUsage is the recorded use of one service. Services the principal
// is allowed but that are absent from UsageData.Services were never used
// within the source's tracking period.
type ServiceUsage struct {
	Service string `json:"service"`
	// LastAccessed is zero when the service was never used.
	LastAccessed time.Time `json:"last_accessed,omitzero"`
	// ActionLevel is set when Actions holds per-action data: every tracked
	// action, used or not. Allowed actions the source does not track have
	// unknown usage.
	ActionLevel bool `json:"action_level,omitempty"`
	// Exhaustive (with ActionLevel) says the source tracks every allowed
	// action of the service, so Actions lists only the used ones: an
	// allowed action not listed was tracked and not used. GCP policy
	// insights work this way (each covers every permission of a role
	// binding), and listing thousands of unused permissions of a basic
	// role would not fit the node property limit.
	Exhaustive bool          `json:"exhaustive,omitempty"`
	Actions    []ActionUsage `json:"actions,omitempty"`
	// NotObservable says the source cannot see this service's use at all
	// (Azure data-plane actions are not in the Activity Log): the service
	// is neither used nor unused, and a suggestion keeps it as held.
	NotObservable bool `json:"not_observable,omitempty"`
}

// ActionUsage is the recorded use of one tracked action.
type ActionUsage struct {
	Action       string    `json:"action"`
	LastAccessed time.Time `json:"last_accessed,omitzero"` // zero: tracked, never used
}
