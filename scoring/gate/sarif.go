package gate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext"
)

// SARIF 2.1.0, only the parts the gate fills.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
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
	ID               string     `json:"id"`
	ShortDescription sarifText  `json:"shortDescription"`
	Help             *sarifText `json:"help,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// Rule ids of the gate's SARIF results.
const (
	RuleOpened = "breachpath-gate/path-opened"
	RuleClosed = "breachpath-gate/path-closed"
)

// WriteSARIF writes one result per opened path (error when it fails the
// gate, warning otherwise) and per closed path (note), located at each
// Terraform resource that causes it: in its .tf file when known, always as
// a logical location named by its address.
func WriteSARIF(w io.Writer, r *Report) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "breachpath-gate", InformationURI: "https://github.com/breachpath/breachpath",
		Rules: []sarifRule{
			{ID: RuleOpened, ShortDescription: sarifText{Text: "The change opens an attack path to sensitive data"},
				Help: &sarifText{Text: "Change the resources named in the path's hops so that the move they add no longer exists."}},
			{ID: RuleClosed, ShortDescription: sarifText{Text: "The change closes an attack path"}},
		}}}, Results: []sarifResult{}}
	add := func(p PathChange, rule string, idx int, level, verb string) {
		var locs []sarifLocation
		for _, a := range p.Addresses {
			loc := sarifLocation{LogicalLocations: []sarifLogical{{FullyQualifiedName: safetext.Visible(a), Kind: "resource"}}}
			if l, ok := r.Locations[a]; ok && l.File != "" {
				loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: l.File}}
				if l.Line > 0 {
					loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line}
				}
			}
			locs = append(locs, loc)
		}
		if len(locs) == 0 {
			locs = []sarifLocation{{LogicalLocations: []sarifLogical{{FullyQualifiedName: safetext.Visible(p.Target), Kind: "resource"}}}}
		}
		hops := make([]string, len(p.Hops))
		for i, h := range p.Hops {
			hops[i] = fmt.Sprintf("%d. %s -[%s %s]-> %s", i+1, display(h.From, h.FromName), h.Kind, h.Technique, display(h.To, h.ToName))
			if len(h.Causes) > 0 {
				hops[i] += " (" + strings.Join(h.Causes, ", ") + ")"
			}
		}
		msg := fmt.Sprintf("This change %s an attack path from %s to %s (%s, risk %.1f): %s",
			verb, p.Source, display(p.Target, p.TargetName), p.TargetSensitivity, p.Risk, strings.Join(hops, "; "))
		run.Results = append(run.Results, sarifResult{RuleID: rule, RuleIndex: idx, Level: level,
			Message:             sarifText{Text: safetext.Visible(msg)},
			Locations:           locs,
			PartialFingerprints: map[string]string{"breachpathPathId/v1": p.ID},
			Properties:          map[string]any{"risk": p.Risk, "target": safetext.Visible(p.Target), "targetSensitivity": p.TargetSensitivity, "fails": p.Fails},
		})
	}
	for _, p := range r.Opened {
		level := "warning"
		if p.Fails {
			level = "error"
		}
		add(p, RuleOpened, 0, level, "opens")
	}
	for _, p := range r.Closed {
		add(p, RuleClosed, 1, "note", "closes")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
