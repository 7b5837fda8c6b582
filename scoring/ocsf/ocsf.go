// Package ocsf holds the Open Cybersecurity Schema Framework (schema 1.3.0)
// wire types breachpath writes: the Findings-category event with the
// objects both its classes use, Detection Finding (class 2004, the risk
// queue export in scoring/export) and Compliance Finding (class 2003,
// scoring/compliance). One shape, so the two exports cannot drift apart in
// how they spell the same attribute.
package ocsf

// Version is the OCSF schema version the events follow.
const Version = "1.3.0"

// The Findings category and the Create activity, which every event here is.
const (
	CategoryFindings = 2
	ActivityCreate   = 1
)

// Classes written.
const (
	ClassComplianceFinding = 2003
	ClassDetectionFinding  = 2004
)

// TypeUID is the event type of a class's Create activity (class_uid*100 +
// activity_id).
func TypeUID(class int) int { return class*100 + ActivityCreate }

// Severities are the severity names by severity_id-1: 1 Informational, 2
// Low, 3 Medium, 4 High, 5 Critical.
var Severities = [...]string{"Informational", "Low", "Medium", "High", "Critical"}

// Event is one Findings-category event. Attributes a class does not have
// are left empty and omitted: Compliance for a Detection Finding, Risk and
// the event status for a Compliance Finding.
type Event struct {
	ActivityID   int          `json:"activity_id"`
	ActivityName string       `json:"activity_name"`
	CategoryUID  int          `json:"category_uid"`
	CategoryName string       `json:"category_name"`
	ClassUID     int          `json:"class_uid"`
	ClassName    string       `json:"class_name"`
	TypeUID      int          `json:"type_uid"`
	SeverityID   int          `json:"severity_id"`
	Severity     string       `json:"severity"`
	StatusID     int          `json:"status_id,omitempty"`
	Status       string       `json:"status,omitempty"`
	Time         int64        `json:"time"`
	Message      string       `json:"message"`
	Metadata     Metadata     `json:"metadata"`
	FindingInfo  FindingInfo  `json:"finding_info"`
	Compliance   *Compliance  `json:"compliance,omitempty"`
	Resources    []Resource   `json:"resources,omitempty"`
	Remediation  *Remediation `json:"remediation,omitempty"`
	// Risk is embedded so that its attributes sit at the event's top level
	// and are all written, zeros included, when it is set.
	*Risk
	Unmapped map[string]any `json:"unmapped,omitempty"`
}

// Metadata names the schema version and the product.
type Metadata struct {
	Version string  `json:"version"`
	Product Product `json:"product"`
}

// Product is the tool that wrote the event.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	URL        string `json:"url_string"`
}

// FindingInfo identifies the finding.
type FindingInfo struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Desc          string   `json:"desc,omitempty"`
	Types         []string `json:"types,omitempty"`
	FirstSeenTime int64    `json:"first_seen_time,omitempty"`
	LastSeenTime  int64    `json:"last_seen_time,omitempty"`
}

// Compliance is a Compliance Finding's control and its status.
type Compliance struct {
	Standards    []string `json:"standards"`
	Control      string   `json:"control"`
	Requirements []string `json:"requirements,omitempty"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

// Resource is an affected resource.
type Resource struct {
	UID   string `json:"uid"`
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"`
	Owner *User  `json:"owner,omitempty"`
}

// User is a resource's owner.
type User struct {
	Name string `json:"name"`
}

// Remediation is what to do about the finding.
type Remediation struct {
	Desc string `json:"desc"`
}

// Risk is a Detection Finding's risk score and level (risk_level_id 0 Info,
// 1 Low, 2 Medium, 3 High, 4 Critical).
type Risk struct {
	RiskScore   int    `json:"risk_score"`
	RiskLevelID int    `json:"risk_level_id"`
	RiskLevel   string `json:"risk_level"`
}

// RiskLevels are the risk level names by risk_level_id.
var RiskLevels = [...]string{"Info", "Low", "Medium", "High", "Critical"}
