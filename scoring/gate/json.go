package gate

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON (JSON escaping makes every
// string inert).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
