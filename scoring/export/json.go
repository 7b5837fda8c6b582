package export

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"

	"github.com/breachpath/breachpath/internal/parjson"
	"github.com/breachpath/breachpath/scoring"
)

// JSONSchemaID names the shape of the JSON export, so consumers can check it.
const JSONSchemaID = "breachpath.queue/v1"

// writeJSON writes {"schema", "truncated", "queue", "paths"} indented by two
// spaces, the bytes of one json.Encoder with SetIndent("", "  "). The queue
// and the paths are encoded a batch of elements at a time on every core and
// streamed (internal/parjson): at 1M resources the document is about 40 MB,
// and encoding it in one piece held it three times over (the encoding, its
// indented copy and the growth of both) on top of the whole analysis.
func writeJSON(w io.Writer, r *scoring.Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	schema, err := json.Marshal(JSONSchemaID)
	if err != nil {
		return err
	}
	bw.WriteString("{\n  \"schema\": ")
	bw.Write(schema)
	bw.WriteString(",\n  \"truncated\": " + strconv.FormatBool(r.Truncated) + ",\n  \"queue\": ")
	if err := parjson.WriteArray(bw, len(r.Queue), func(i int) *scoring.Prioritised { return &r.Queue[i] }, "  ", "  "); err != nil {
		return err
	}
	bw.WriteString(",\n  \"paths\": ")
	if err := parjson.WriteArray(bw, len(r.Paths), func(i int) *scoring.ScoredPath { return &r.Paths[i] }, "  ", "  "); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
