// Package sarif holds the SARIF 2.1.0 wire types breachpath writes (the
// parts its exports fill) and the writer of a one-run log. The risk-queue
// export (scoring/export) and the change gate (scoring/gate) both fill
// these types, so the two outputs cannot drift apart in shape; each
// package's test validates its output against the official schema.
package sarif

import (
	"encoding/json"
	"fmt"
	"io"
)

// SchemaURI and Version identify the SARIF format written.
const (
	SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	Version   = "2.1.0"
)

// Log is a SARIF log file.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of one tool.
type Run struct {
	Tool       Tool           `json:"tool"`
	Results    []Result       `json:"results"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Tool names the tool that produced a run.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool's main component and its rules.
type Driver struct {
	Name           string `json:"name"`
	InformationURI string `json:"informationUri"`
	Rules          []Rule `json:"rules"`
}

// Text is a SARIF message string.
type Text struct {
	Text string `json:"text"`
}

// Rule is a reporting descriptor.
type Rule struct {
	ID               string         `json:"id"`
	ShortDescription Text           `json:"shortDescription"`
	Help             *Text          `json:"help,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

// Result is one result of a run.
type Result struct {
	RuleID    string `json:"ruleId"`
	RuleIndex int    `json:"ruleIndex"`
	Level     string `json:"level"`
	// Rank is 0..100; nil leaves it out (SARIF's default: unknown).
	Rank                *float64          `json:"rank,omitempty"`
	Message             Text              `json:"message"`
	Locations           []Location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

// Location is where a result is: a file region when known, and always a
// logical location (a resource id or address).
type Location struct {
	PhysicalLocation *PhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []LogicalLocation `json:"logicalLocations"`
}

// PhysicalLocation is a file and region.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// ArtifactLocation is a file, by URI relative to the repository root.
type ArtifactLocation struct {
	URI string `json:"uri"`
}

// Region is a part of a file.
type Region struct {
	StartLine int `json:"startLine"`
}

// LogicalLocation is a named thing (a cloud resource, a Terraform address).
type LogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// Write writes a log of one run, indented.
func Write(w io.Writer, run Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Log{Schema: SchemaURI, Version: Version, Runs: []Run{run}}); err != nil {
		return fmt.Errorf("write SARIF: %w", err)
	}
	return nil
}
