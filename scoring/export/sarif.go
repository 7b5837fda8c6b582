package export

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
)

// SARIF 2.1.0 types, only the parts we fill.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool      `json:"tool"`
	Results    []sarifResult  `json:"results"`
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	Help             *sarifText     `json:"help,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Rank                float64           `json:"rank"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

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
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: ToolName, InformationURI: ToolURI, Rules: []sarifRule{}}},
		Results: []sarifResult{}}
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
			rule := sarifRule{ID: f.RuleID, ShortDescription: sarifText{Text: orText(f.Title, f.RuleID)}}
			if f.Remediation != "" {
				rule.Help = &sarifText{Text: f.Remediation}
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
		run.Results = append(run.Results, sarifResult{
			RuleID: f.RuleID, RuleIndex: idx, Level: sarifLevel(f.Severity), Rank: row.Priority,
			Message:             sarifText{Text: msg},
			Locations:           []sarifLocation{{LogicalLocations: []sarifLogical{{Name: row.ResourceName, FullyQualifiedName: f.Resource, Kind: "resource"}}}},
			PartialFingerprints: map[string]string{"breachpathFindingId/v1": f.ID},
			Properties:          props,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

func orText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
