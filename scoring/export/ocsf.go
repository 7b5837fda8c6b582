package export

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
)

// OCSF Detection Finding (class 2004, category 2 Findings), schema 1.3.0.
const (
	ocsfVersion      = "1.3.0"
	ocsfClassUID     = 2004
	ocsfCategoryUID  = 2
	ocsfActivityNew  = 1 // Create
	ocsfStatusNew    = 1
	ocsfTypeUIDNew   = ocsfClassUID*100 + ocsfActivityNew
	ocsfClassName    = "Detection Finding"
	ocsfCategoryName = "Findings"
)

type ocsfFinding struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	StatusID     int              `json:"status_id"`
	Status       string           `json:"status"`
	Time         int64            `json:"time"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Resources    []ocsfResource   `json:"resources"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	RiskScore    int              `json:"risk_score"`
	RiskLevelID  int              `json:"risk_level_id"`
	RiskLevel    string           `json:"risk_level"`
	Unmapped     map[string]any   `json:"unmapped"`
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
	Types         []string `json:"types"`
	FirstSeenTime int64    `json:"first_seen_time,omitempty"`
	LastSeenTime  int64    `json:"last_seen_time,omitempty"`
}

type ocsfResource struct {
	UID   string `json:"uid"`
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"`
	Owner *struct {
		Name string `json:"name"`
	} `json:"owner,omitempty"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
var ocsfSeverities = [...]string{"Informational", "Low", "Medium", "High", "Critical"}

// OCSF risk_level_id: 0 Info, 1 Low, 2 Medium, 3 High, 4 Critical.
var ocsfRiskLevels = [...]string{"Info", "Low", "Medium", "High", "Critical"}

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
	out := make([]ocsfFinding, 0, len(r.Queue))
	for _, row := range r.Queue {
		f := row.Finding
		sev := min(max(int(f.Severity), 0), int(graph.SeverityCritical))
		lvl := ocsfRiskLevel(row.Priority)
		res := ocsfResource{UID: f.Resource, Name: row.ResourceName, Type: row.ResourceType}
		if row.Owner != "" {
			res.Owner = &struct {
				Name string `json:"name"`
			}{row.Owner}
		}
		e := ocsfFinding{
			ActivityID: ocsfActivityNew, ActivityName: "Create",
			CategoryUID: ocsfCategoryUID, CategoryName: ocsfCategoryName,
			ClassUID: ocsfClassUID, ClassName: ocsfClassName, TypeUID: ocsfTypeUIDNew,
			SeverityID: sev + 1, Severity: ocsfSeverities[sev],
			StatusID: ocsfStatusNew, Status: "New",
			Time:     millis(f.LastSeen),
			Message:  orText(f.Title, f.RuleID) + ": " + row.Label,
			Metadata: ocsfMetadata{Version: ocsfVersion, Product: ocsfProduct{Name: ToolName, VendorName: ToolName, URL: ToolURI}},
			FindingInfo: ocsfFindingInfo{UID: f.ID, Title: orText(f.Title, f.RuleID), Desc: f.Evidence,
				Types: []string{f.RuleID}, FirstSeenTime: millis(f.FirstSeen), LastSeenTime: millis(f.LastSeen)},
			Resources:   []ocsfResource{res},
			RiskScore:   int(math.Round(row.Priority)),
			RiskLevelID: lvl, RiskLevel: ocsfRiskLevels[lvl],
			Unmapped: map[string]any{"on_attack_path": row.OnPath, "conditional": row.Conditional, "label": row.Label, "paths": row.Paths,
				"top_path_id": row.TopPathID, "controls": f.Controls, "priority": row.Priority},
		}
		if f.Remediation != "" {
			e.Remediation = &ocsfRemediation{Desc: f.Remediation}
		}
		out = append(out, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
