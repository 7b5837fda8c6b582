package export

import (
	"encoding/json"
	"io"

	"github.com/breachpath/breachpath/scoring"
)

// JSONSchemaID names the shape of the JSON export, so consumers can check it.
const JSONSchemaID = "breachpath.queue/v1"

type jsonDoc struct {
	Schema    string                `json:"schema"`
	Truncated bool                  `json:"truncated"`
	Queue     []scoring.Prioritised `json:"queue"`
	Paths     []scoring.ScoredPath  `json:"paths"`
}

func writeJSON(w io.Writer, r *scoring.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	q, p := r.Queue, r.Paths
	if q == nil {
		q = []scoring.Prioritised{}
	}
	if p == nil {
		p = []scoring.ScoredPath{}
	}
	return enc.Encode(jsonDoc{Schema: JSONSchemaID, Truncated: r.Truncated, Queue: q, Paths: p})
}
