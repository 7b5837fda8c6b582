package compliance

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/breachpath/breachpath/graph"
)

// OCSF Compliance Finding (class 2003, category 2 Findings), schema 1.3.0:
// one event per failing resource of a control (compliance.status_id 3
// Fail), one per passing control (1 Pass) and one per control nothing
// evaluated (2 Warning: "did not yield a result due to missing
// information").
const (
	ocsfVersion         = "1.3.0"
	ocsfClassUID        = 2003
	ocsfCategoryUID     = 2
	ocsfActivityCreate  = 1
	ocsfTypeUID         = ocsfClassUID*100 + ocsfActivityCreate
	ocsfComplianceClass = "Compliance Finding"
	ocsfStatusPass      = 1
	ocsfStatusWarning   = 2
	ocsfStatusFail      = 3
)

// OCSFEvent is one Compliance Finding event.
type OCSFEvent struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	Time         int64            `json:"time"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Compliance   ocsfCompliance   `json:"compliance"`
	Resources    []ocsfResource   `json:"resources,omitempty"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     map[string]any   `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version string      `json:"version"`
	Product ocsfProduct `json:"product"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	URL        string `json:"url_string"`
}

type ocsfFindingInfo struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Desc          string   `json:"desc,omitempty"`
	Types         []string `json:"types,omitempty"`
	FirstSeenTime int64    `json:"first_seen_time,omitempty"`
}

type ocsfCompliance struct {
	Standards    []string `json:"standards"`
	Control      string   `json:"control"`
	Requirements []string `json:"requirements,omitempty"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

type ocsfResource struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// OCSF severity_id: 1 Informational .. 5 Critical.
var ocsfSeverities = [...]string{"Informational", "Low", "Medium", "High", "Critical"}

// OCSFEvents converts the report to Compliance Finding events. Event time
// is the report's generation time.
func OCSFEvents(r *Report) []OCSFEvent {
	standard := r.Framework.Title + " " + r.Framework.Version
	t := r.GeneratedAt.UnixMilli()
	meta := ocsfMetadata{Version: ocsfVersion, Product: ocsfProduct{Name: "breachpath", VendorName: "breachpath", URL: "https://github.com/breachpath/breachpath"}}
	event := func(c ControlResult, status int, statusName string) OCSFEvent {
		return OCSFEvent{ActivityID: ocsfActivityCreate, ActivityName: "Create", CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
			ClassUID: ocsfClassUID, ClassName: ocsfComplianceClass, TypeUID: ocsfTypeUID, SeverityID: 1, Severity: ocsfSeverities[0],
			Time: t, Metadata: meta,
			FindingInfo: ocsfFindingInfo{UID: r.Framework.ID + ":" + c.ID, Title: c.ID + " " + c.Title},
			Compliance: ocsfCompliance{Standards: []string{standard}, Control: c.ID, Requirements: c.Rules,
				StatusID: status, Status: statusName, StatusDetail: c.Reason}}
	}
	var out []OCSFEvent
	for _, c := range r.Controls {
		switch c.Status {
		case StatusPass:
			e := event(c, ocsfStatusPass, "Pass")
			e.Message = c.ID + " passed: no open finding of " + fmt.Sprint(len(c.Rules)) + " evaluated rules"
			out = append(out, e)
		case StatusNotEvaluated:
			e := event(c, ocsfStatusWarning, "Warning")
			e.Message = c.ID + " not evaluated: " + c.Reason
			out = append(out, e)
		default:
			for _, f := range c.Failures {
				e := event(c, ocsfStatusFail, "Fail")
				sev := min(max(int(f.Severity), int(graph.SeverityInfo)), int(graph.SeverityCritical))
				e.SeverityID, e.Severity = sev+1, ocsfSeverities[sev]
				e.FindingInfo.UID = r.Framework.ID + ":" + c.ID + ":" + f.FindingID
				e.FindingInfo.Desc = f.Evidence
				e.FindingInfo.Types = []string{f.RuleID}
				if !f.FirstSeen.IsZero() {
					e.FindingInfo.FirstSeenTime = f.FirstSeen.UnixMilli()
				}
				e.Message = c.ID + " failed: " + f.Title + " on " + orText(f.ResourceName, f.Resource)
				e.Resources = []ocsfResource{{UID: f.Resource, Name: f.ResourceName, Type: f.ResourceType}}
				if f.Remediation != "" {
					e.Remediation = &ocsfRemediation{Desc: f.Remediation}
				}
				e.Unmapped = map[string]any{"on_attack_path": f.OnPath, "attack_paths": f.Paths,
					"priority": math.Round(f.Priority*10) / 10, "stale": f.Stale, "owner": f.Owner}
				out = append(out, e)
			}
		}
	}
	return out
}

// WriteOCSF writes the report as a JSON array of OCSF Compliance Finding
// events.
func WriteOCSF(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(OCSFEvents(r)); err != nil {
		return fmt.Errorf("encode OCSF compliance findings: %w", err)
	}
	return nil
}
