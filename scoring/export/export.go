// Package export writes a scored risk queue in the formats people feed to
// other tools: a terminal table, CSV, JSON, SARIF 2.1.0 and OCSF Detection
// Finding events. One file per format.
package export

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/scoring"
)

// Format names.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
	FormatOCSF  = "ocsf"
)

// ToolName and ToolURI identify breachpath in SARIF and OCSF output.
const (
	ToolName = "breachpath"
	ToolURI  = "https://github.com/breachpath/breachpath"
)

var writers = map[string]func(io.Writer, *scoring.Report) error{
	FormatTable: writeTable,
	FormatCSV:   writeCSV,
	FormatJSON:  writeJSON,
	FormatSARIF: writeSARIF,
	FormatOCSF:  writeOCSF,
}

// Formats lists the supported format names, sorted.
func Formats() []string {
	out := make([]string, 0, len(writers))
	for f := range writers {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Write writes the report's risk queue to w in the named format.
func Write(w io.Writer, format string, r *scoring.Report) error {
	fn, ok := writers[format]
	if !ok {
		return fmt.Errorf("unknown export format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	if r == nil {
		return fmt.Errorf("export %s: no report", format)
	}
	if err := fn(w, r); err != nil {
		return fmt.Errorf("export %s: %w", format, err)
	}
	return nil
}
