package compliance

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/ocsf"
)

// OCSF Compliance Finding (class 2003, category 2 Findings), schema 1.3.0:
// one event per failing resource of a control (compliance.status_id 3
// Fail), one per passing control (1 Pass) and one per control nothing
// evaluated (2 Warning: "did not yield a result due to missing
// information").
const (
	ocsfComplianceClass = "Compliance Finding"
	ocsfStatusPass      = 1
	ocsfStatusWarning   = 2
	ocsfStatusFail      = 3
)

// OCSFEvent is one Compliance Finding event.
type OCSFEvent = ocsf.Event

// OCSFEvents converts the report to Compliance Finding events. Event time
// is the report's generation time.
func OCSFEvents(r *Report) []OCSFEvent {
	standard := r.Framework.Title + " " + r.Framework.Version
	t := r.GeneratedAt.UnixMilli()
	meta := ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "breachpath", VendorName: "breachpath", URL: "https://github.com/breachpath/breachpath"}}
	event := func(c ControlResult, status int, statusName string) OCSFEvent {
		return OCSFEvent{ActivityID: ocsf.ActivityCreate, ActivityName: "Create", CategoryUID: ocsf.CategoryFindings, CategoryName: "Findings",
			ClassUID: ocsf.ClassComplianceFinding, ClassName: ocsfComplianceClass, TypeUID: ocsf.TypeUID(ocsf.ClassComplianceFinding),
			SeverityID: 1, Severity: ocsf.Severities[0], Time: t, Metadata: meta,
			FindingInfo: ocsf.FindingInfo{UID: r.Framework.ID + ":" + c.ID, Title: c.ID + " " + c.Title},
			Compliance: &ocsf.Compliance{Standards: []string{standard}, Control: c.ID, Requirements: c.Rules,
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
				e.SeverityID, e.Severity = sev+1, ocsf.Severities[sev]
				e.FindingInfo.UID = r.Framework.ID + ":" + c.ID + ":" + f.FindingID
				e.FindingInfo.Desc = f.Evidence
				e.FindingInfo.Types = []string{f.RuleID}
				if !f.FirstSeen.IsZero() {
					e.FindingInfo.FirstSeenTime = f.FirstSeen.UnixMilli()
				}
				e.Message = c.ID + " failed: " + f.Title + " on " + orText(f.ResourceName, f.Resource)
				e.Resources = []ocsf.Resource{{UID: f.Resource, Name: f.ResourceName, Type: f.ResourceType}}
				if f.Remediation != "" {
					e.Remediation = &ocsf.Remediation{Desc: f.Remediation}
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
