package export

import (
	"fmt"
	"io"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/scoring/sarif"
)

// sarifLevel maps severities onto SARIF's three levels.
func sarifLevel(s graph.Severity) string {
	switch {
	case s >= graph.SeverityHigh:
		return "error"
	case s == graph.SeverityMedium:
		return "warning"
	}
	return "note"
}

func writeSARIF(w io.Writer, r *scoring.Report) error {
	run := sarif.Run{Tool: sarif.Tool{Driver: sarif.Driver{Name: ToolName, InformationURI: ToolURI, Rules: []sarif.Rule{}}},
		Results: []sarif.Result{}}
	if r.Truncated {
		run.Properties = map[string]any{"truncated": true}
	}
	ruleIndex := map[string]int{}
	for _, row := range r.Queue {
		f := row.Finding
		idx, ok := ruleIndex[f.RuleID]
		if !ok {
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[f.RuleID] = idx
			rule := sarif.Rule{ID: f.RuleID, ShortDescription: sarif.Text{Text: orText(f.Title, f.RuleID)}}
			if f.Remediation != "" {
				rule.Help = &sarif.Text{Text: f.Remediation}
			}
			if len(f.Controls) > 0 {
				rule.Properties = map[string]any{"tags": f.Controls}
			}
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
		}
		msg := fmt.Sprintf("%s on %s: %s", orText(f.Title, f.RuleID), f.Resource, row.Label)
		if row.OnPath {
			msg += fmt.Sprintf(" (%d attack paths, highest risk %.1f, path %s)", row.Paths, row.MaxRisk, row.TopPathID)
		}
		if row.Conditional {
			msg += "; conditional: every such path has a hop whose condition the collection could not decide"
		}
		props := map[string]any{"priority": row.Priority, "onAttackPath": row.OnPath, "conditional": row.Conditional, "label": row.Label,
			"paths": row.Paths, "severity": f.Severity.String()}
		if row.TopPathID != "" {
			props["topPathId"] = row.TopPathID
		}
		if row.Owner != "" {
			props["owner"] = row.Owner
		}
		if len(f.Controls) > 0 {
			props["controls"] = f.Controls
		}
		rank := row.Priority
		run.Results = append(run.Results, sarif.Result{
			RuleID: f.RuleID, RuleIndex: idx, Level: sarifLevel(f.Severity), Rank: &rank,
			Message:             sarif.Text{Text: msg},
			Locations:           []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{Name: row.ResourceName, FullyQualifiedName: f.Resource, Kind: "resource"}}}},
			PartialFingerprints: map[string]string{"breachpathFindingId/v1": f.ID},
			Properties:          props,
		})
	}
	return sarif.Write(w, run)
}

func orText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
