package export

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/scoring/ocsf"
)

// OCSF Detection Finding (class 2004, category 2 Findings), schema 1.3.0.
const (
	ocsfStatusNew    = 1
	ocsfClassName    = "Detection Finding"
	ocsfCategoryName = "Findings"
)

// ocsfRiskLevel is the risk_level_id of a priority.
func ocsfRiskLevel(priority float64) int {
	switch {
	case priority >= 80:
		return 4
	case priority >= 65:
		return 3
	case priority >= 50:
		return 2
	case priority >= 20:
		return 1
	}
	return 0
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// writeOCSF writes a JSON array of Detection Finding events, one per row.
// Event time is the finding's last-seen time, so the output is a function of
// the data rather than of the clock.
func writeOCSF(w io.Writer, r *scoring.Report) error {
	out := make([]ocsf.Event, 0, len(r.Queue))
	for _, row := range r.Queue {
		f := row.Finding
		sev := min(max(int(f.Severity), 0), int(graph.SeverityCritical))
		lvl := ocsfRiskLevel(row.Priority)
		res := ocsf.Resource{UID: f.Resource, Name: row.ResourceName, Type: row.ResourceType}
		if row.Owner != "" {
			res.Owner = &ocsf.User{Name: row.Owner}
		}
		e := ocsf.Event{
			ActivityID: ocsf.ActivityCreate, ActivityName: "Create",
			CategoryUID: ocsf.CategoryFindings, CategoryName: ocsfCategoryName,
			ClassUID: ocsf.ClassDetectionFinding, ClassName: ocsfClassName, TypeUID: ocsf.TypeUID(ocsf.ClassDetectionFinding),
			SeverityID: sev + 1, Severity: ocsf.Severities[sev],
			StatusID: ocsfStatusNew, Status: "New",
			Time:     millis(f.LastSeen),
			Message:  orText(f.Title, f.RuleID) + ": " + row.Label,
			Metadata: ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: ToolName, VendorName: ToolName, URL: ToolURI}},
			FindingInfo: ocsf.FindingInfo{UID: f.ID, Title: orText(f.Title, f.RuleID), Desc: f.Evidence,
				Types: []string{f.RuleID}, FirstSeenTime: millis(f.FirstSeen), LastSeenTime: millis(f.LastSeen)},
			Resources: []ocsf.Resource{res},
			Risk:      &ocsf.Risk{RiskScore: int(math.Round(row.Priority)), RiskLevelID: lvl, RiskLevel: ocsf.RiskLevels[lvl]},
			Unmapped: map[string]any{"on_attack_path": row.OnPath, "conditional": row.Conditional, "label": row.Label, "paths": row.Paths,
				"top_path_id": row.TopPathID, "controls": f.Controls, "priority": row.Priority},
		}
		if f.Remediation != "" {
			e.Remediation = &ocsf.Remediation{Desc: f.Remediation}
		}
		out = append(out, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
