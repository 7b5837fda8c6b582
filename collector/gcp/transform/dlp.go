package transform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// dlpScoreLevels maps a Sensitive Data Protection sensitivity score to the
// level it proves. HIGH means sensitive personal data (SPII: government
// ids, card numbers, credentials) can be present; MODERATE means personal
// data or free text likely to hold some. LOW ("no sensitive information
// detected") and UNKNOWN prove nothing, so they raise nothing: a profile
// never lowers what a label or a name said.
var dlpScoreLevels = map[string]graph.Sensitivity{
	"SENSITIVITY_HIGH":     graph.SensitivityRestricted,
	"SENSITIVITY_MODERATE": graph.SensitivityConfidential,
}

// Node properties the data profiles set. dlp_sensitivity is the classifier
// property collector/sensitivity reads (defaults.yaml classifiers:).
const (
	propDLPLevel    = "dlp_sensitivity"
	propDLPScore    = "dlp_sensitivity_score"
	propDLPRisk     = "dlp_data_risk"
	propDLPEvidence = "dlp_evidence"
	propDLPProject  = "dlp_project_sensitivity_score"
)

var dlpScoreRank = map[string]int{"SENSITIVITY_LOW": 1, "SENSITIVITY_UNKNOWN": 0, "SENSITIVITY_MODERATE": 2, "SENSITIVITY_HIGH": 3,
	"RISK_LOW": 1, "RISK_UNKNOWN": 0, "RISK_MODERATE": 2, "RISK_HIGH": 3}

// dlp sets the data profiles' scores on the data stores they profile: a
// bucket takes its file store profile, a dataset the highest of its tables'
// profiles (tables are not nodes; the evidence names them). A project
// profile is recorded on the project node only: it summarises stores
// that have their own profiles, so it classifies none of them.
func (b *builder) dlp() {
	type agg struct {
		score, risk string
		parts       []string
	}
	byNode := map[string]*agg{}
	for _, p := range b.inv.DataProfiles {
		score, risk := p.SensitivityScore.Score, p.DataRiskLevel.Score
		var id, what string
		switch inventory.ProfileKind(p.Name) {
		case inventory.ProfileTable:
			project := orDefault(p.DatasetProjectID, p.ProjectID)
			if project == "" || p.DatasetID == "" {
				continue
			}
			id = "//bigquery.googleapis.com/projects/" + project + "/datasets/" + p.DatasetID
			what = "table " + p.TableID
		case inventory.ProfileFileStore:
			bucket, ok := strings.CutPrefix(p.FileStorePath, "gs://")
			if !ok {
				bucket, ok = strings.CutPrefix(p.FullResource, "//storage.googleapis.com/")
			}
			if !ok || bucket == "" {
				continue // an S3 or Vertex AI file store: not a GCP node
			}
			id, what = "//storage.googleapis.com/"+bucket, "bucket"
		case inventory.ProfileProject:
			for _, pr := range b.projects() {
				if pr.ID == p.ProjectID {
					if n := b.nodes[pr.Name]; n != nil {
						n.Props[propDLPProject] = score
					}
				}
			}
			continue
		default:
			continue
		}
		n := b.nodes[id]
		if n == nil || n.Stub {
			continue // a store outside the collected scope
		}
		a := byNode[id]
		if a == nil {
			a = &agg{}
			byNode[id] = a
		}
		if dlpScoreRank[score] > dlpScoreRank[a.score] || a.score == "" {
			a.score = score
		}
		if dlpScoreRank[risk] > dlpScoreRank[a.risk] || a.risk == "" {
			a.risk = risk
		}
		part := fmt.Sprintf("%s %s/%s", what, strings.TrimPrefix(score, "SENSITIVITY_"), strings.TrimPrefix(risk, "RISK_"))
		if its := p.InfoTypes(); len(its) > 0 {
			slices.Sort(its)
			part += " (" + strings.Join(slices.Compact(its), ", ") + ")"
		}
		a.parts = append(a.parts, strings.TrimSpace(part))
	}
	for id, a := range byNode {
		n := b.nodes[id]
		slices.Sort(a.parts)
		n.Props[propDLPScore] = a.score
		n.Props[propDLPRisk] = a.risk
		lvl := dlpScoreLevels[a.score]
		verdict := "no level"
		if lvl > graph.SensitivityNone {
			verdict = lvl.String()
		}
		n.Props[propDLPEvidence] = "GCP Sensitive Data Protection: " + strings.Join(a.parts, "; ") + " -> " + verdict
		if lvl > graph.SensitivityNone {
			n.Props[propDLPLevel] = lvl.String()
			n.Sensitivity = max(n.Sensitivity, lvl)
		}
	}
}
