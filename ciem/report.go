package ciem

import (
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// Usage states. A state is "unknown" whenever the data to decide is missing:
// no last-accessed data never reads as "unused".
const (
	StateUsed    = "used"
	StateUnused  = "unused"
	StateUnknown = "unknown"
	StateNew     = "new" // created inside the window: too young to call unused
)

// Report is the CIEM report over a graph.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// WindowDays is the last-accessed window: a permission not used in it is unused.
	WindowDays int              `json:"window_days"`
	Accounts   []AccountSummary `json:"accounts"`
	// Principals are ordered riskiest first: principals on attack paths,
	// then by Score.
	Principals []Principal `json:"principals"`
	// AttackPaths counts the attack paths joined; PathsTruncated is set when
	// the search ran out of budget (some principals may miss their paths).
	AttackPaths    int  `json:"attack_paths"`
	PathsTruncated bool `json:"paths_truncated,omitempty"`
}

// AccountSummary aggregates an account's principals.
type AccountSummary struct {
	Cloud           graph.Cloud `json:"cloud"`
	Account         string      `json:"account"`
	Principals      int         `json:"principals"`
	OnAttackPath    int         `json:"on_attack_path"`
	Admin           int         `json:"admin"`
	CanEscalate     int         `json:"can_escalate"`
	Inactive        int         `json:"inactive"`
	Dormant         int         `json:"dormant_credentials"`
	Wildcards       int         `json:"wildcard_principals"`
	ExternalTrust   int         `json:"external_trust"`
	UsageKnown      int         `json:"usage_known"`
	UnusedSensitive int         `json:"unused_sensitive_permissions"`
	// ScoreBands counts principals per score band: [0,20) [20,40) [40,60) [60,80) [80,100].
	ScoreBands [5]int  `json:"score_bands"`
	MaxScore   float64 `json:"max_score"`
}

// Principal is one principal's row of the report.
type Principal struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Kind       graph.Kind  `json:"kind"`
	NativeType string      `json:"native_type,omitempty"`
	Cloud      graph.Cloud `json:"cloud,omitempty"`
	Account    string      `json:"account,omitempty"`

	Score      float64        `json:"score"`
	ScoreParts ScoreBreakdown `json:"score_parts"`
	// AttackPaths are the ids of the attack paths the principal lies on.
	AttackPaths []string `json:"attack_paths,omitempty"`

	// EntitlementsKnown is false when no analyser recorded the principal's
	// permissions (the permission columns then say unknown).
	EntitlementsKnown bool                   `json:"entitlements_known"`
	Permissions       PermissionView         `json:"permissions"`
	Sources           []entitlement.Source   `json:"sources,omitempty"`
	Wildcards         []entitlement.Wildcard `json:"wildcards,omitempty"`

	Resources     []ResourceAccess `json:"resources,omitempty"`
	SensitiveData []ResourceAccess `json:"sensitive_data,omitempty"`

	Admin      AdminStatus             `json:"admin"`
	Usage      UsageSummary            `json:"usage"`
	Activity   Activity                `json:"activity"`
	Dormant    []CredentialRow         `json:"dormant_credentials,omitempty"`
	Trust      []Trust                 `json:"trust,omitempty"`
	Members    int                     `json:"members,omitempty"` // groups: member count
	Suggestion *entitlement.Suggestion `json:"suggestion,omitempty"`
	// SuggestionReason says why there is no suggestion.
	SuggestionReason string   `json:"suggestion_reason,omitempty"`
	Notes            []string `json:"notes,omitempty"`
}

// PermissionView is the principal's permissions with their usage.
type PermissionView struct {
	Total     int                             `json:"total"`
	Sensitive int                             `json:"sensitive"`
	Levels    map[entitlement.AccessLevel]int `json:"levels,omitempty"`
	Services  []ServiceView                   `json:"services,omitempty"`
}

// ServiceView is one service's permissions and usage.
type ServiceView struct {
	Service     string                          `json:"service"`
	Levels      map[entitlement.AccessLevel]int `json:"levels"`
	Total       int                             `json:"total"`
	Sensitive   int                             `json:"sensitive"`
	Conditional int                             `json:"conditional,omitempty"`
	All         bool                            `json:"all,omitempty"`
	// State is used, unused or unknown for the window.
	State string `json:"state"`
	// NotObservable says the usage source cannot see this service's use
	// (Azure data-plane actions): State is unknown and a suggestion keeps
	// the service as held.
	NotObservable bool      `json:"not_observable,omitempty"`
	LastAccessed  time.Time `json:"last_accessed,omitzero"`
	ActionLevel   bool      `json:"action_level,omitempty"`
	// UnusedActions lists tracked allowed actions not used in the window
	// (action-level services only).
	UnusedActions []string `json:"unused_actions,omitempty"`
	// UnusedSensitive counts sensitive permissions known to be unused: every
	// sensitive action of an unused service, or the unused tracked ones.
	UnusedSensitive int                  `json:"unused_sensitive"`
	Sources         []entitlement.Source `json:"sources,omitempty"`
}

// ResourceAccess is one resource the principal reaches directly.
type ResourceAccess struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Kind        graph.Kind        `json:"kind"`
	Sensitivity graph.Sensitivity `json:"sensitivity"`
	CrownJewel  bool              `json:"crown_jewel,omitempty"`
	// Access lists the move kinds: READS, WRITES, ADMINISTERS, DECRYPTS.
	Access []graph.EdgeKind `json:"access"`
	// Via lists the techniques (and so the kind of grant: identity policy,
	// resource policy) behind the access.
	Via         []string `json:"via,omitempty"`
	Conditional bool     `json:"conditional,omitempty"`
}

// AdminStatus says whether and how the principal is admin-equivalent.
type AdminStatus struct {
	Direct bool `json:"direct"`
	// ViaEscalation is set when an escalation path leads to an administrator.
	ViaEscalation bool `json:"via_escalation"`
	// Conditional is set when every escalation chain has a conditional move: the principal
	// becomes admin only if something the collection could not decide holds.
	Conditional bool `json:"conditional,omitempty"`
	// Path is a shortest escalation chain, one "<from> -[technique]-> <to>" per hop.
	Path []string `json:"path,omitempty"`
	// Escalations lists the principal's own escalation moves ("technique -> target").
	Escalations []string `json:"escalations,omitempty"`
}

// UsageSummary is the usage verdict over the window.
type UsageSummary struct {
	Known bool `json:"known"`
	// Reason explains an unknown verdict.
	Reason          string   `json:"reason,omitempty"`
	Source          string   `json:"source,omitempty"`
	UsedServices    []string `json:"used_services,omitempty"`
	UnusedServices  []string `json:"unused_services,omitempty"`
	UnusedActions   int      `json:"unused_actions"`
	UnusedSensitive int      `json:"unused_sensitive"`
}

// Activity says when the principal last acted.
type Activity struct {
	State        string    `json:"state"` // used, unused, new or unknown for the window
	LastActivity time.Time `json:"last_activity,omitzero"`
	Reason       string    `json:"reason,omitempty"`
}

// CredentialRow is a dormant credential.
type CredentialRow struct {
	Kind     string    `json:"kind"`
	ID       string    `json:"id,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Reason   string    `json:"reason"`
}

// Trust kinds.
const (
	TrustPublic       = "public"        // anyone
	TrustExternal     = "external"      // an account or principal outside the estate
	TrustFederated    = "federated"     // an identity provider
	TrustCrossAccount = "cross-account" // another account of the estate
)

// Trust is one principal outside the role's account that may assume it.
type Trust struct {
	Kind      string `json:"kind"`
	Principal string `json:"principal"`
	Name      string `json:"name,omitempty"`
	Account   string `json:"account,omitempty"`
	Statement string `json:"statement,omitempty"`
	// CanAssume is set when an ASSUMES move edge confirms the trust is usable.
	CanAssume bool `json:"can_assume"`
}

// ScoreBreakdown shows how the score was computed (docs/ciem.md).
type ScoreBreakdown struct {
	// UnusedSensitive is the count fed to the base: unused sensitive
	// permissions, or half the sensitive permissions when usage is unknown.
	UnusedSensitive  float64 `json:"unused_sensitive"`
	Base             float64 `json:"base"`
	DataWeight       float64 `json:"data_weight"`
	EscalationWeight float64 `json:"escalation_weight"`
	Extras           float64 `json:"extras"`
}
