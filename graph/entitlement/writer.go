package entitlement

// Keep is what a least-privilege policy keeps of one used service.
type Keep struct {
	Service string
	// All keeps every action of the service but Except (used when the
	// principal holds the whole service: its action names are not stored).
	All    bool
	Except []string
	// Actions are the kept action names when All is false.
	Actions []string
}

// PolicyWriter writes a least-privilege policy in a cloud's policy language.
// A cloud's collector implements it; the CIEM report calls it with what a
// principal used.
type PolicyWriter interface {
	// LeastPrivilege returns a policy that grants exactly what keep lists
	// and nothing else; removed is the number of permissions dropped.
	LeastPrivilege(keep []Keep, removed int) (*Suggestion, error)
}

// Suggestion is a least-privilege policy generated from what the principal used.
type Suggestion struct {
	// Policy is a policy document in the cloud's own language (IAM JSON for AWS).
	Policy string `json:"policy"`
	// Actions are the actions the policy grants, sorted.
	Actions []string `json:"actions"`
	// Removed counts allowed permissions the suggestion drops.
	Removed int      `json:"removed"`
	Notes   []string `json:"notes,omitempty"`
	// Replaces lists the principal's own grants the suggestion stands in
	// for (the CIEM report fills it from the entitlement sources).
	Replaces []Replaced `json:"replaces,omitempty"`
}

// Replaced is one grant a suggestion replaces: a policy or a role (Grant)
// and where it is attached (On: a policy ARN, a GCP resource name, an Azure
// role assignment id).
type Replaced struct {
	Grant string `json:"grant"`
	On    string `json:"on"`
}
