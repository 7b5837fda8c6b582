package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/export"
)

// FindingList is GET /findings.
type FindingList struct {
	Generation string        `json:"generation"`
	Total      int           `json:"total"`
	Items      []FindingView `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (s *Server) listFindings(c *gin.Context) {
	q := c.Request.URL.Query()
	all, err := parseBool(q.Get("all"))
	if err != nil {
		badParam(c, "all: "+err.Error())
		return
	}
	var sevs []graph.Severity
	for _, v := range q["severity"] {
		sev, err := graph.ParseSeverity(v)
		if err != nil {
			badParam(c, err.Error())
			return
		}
		sevs = append(sevs, sev)
	}
	rules, resources := q["rule"], q["resource"]
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	offset, limit, key, ok := s.page(c, an, "findings")
	if !ok {
		return
	}
	rows := an.report.Queue
	if !all {
		rows = rows[:an.onPathQueue]
	}
	out := FindingList{Generation: an.generation, Items: []FindingView{}}
	for i := range rows {
		f := rows[i].Finding
		if (len(sevs) > 0 && !slices.Contains(sevs, f.Severity)) ||
			(len(rules) > 0 && !slices.Contains(rules, f.RuleID)) ||
			(len(resources) > 0 && !slices.Contains(resources, f.Resource)) {
			continue
		}
		if out.Total >= offset && out.Total < offset+limit {
			out.Items = append(out.Items, an.findingView(f))
		}
		out.Total++
	}
	out.NextCursor = next(an, "findings", key, offset, limit, out.Total)
	s.writeJSON(c, http.StatusOK, out)
}

func parseBool(v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", v)
	}
	return b, nil
}

var queueTypes = map[string]struct{ contentType, ext string }{
	export.FormatCSV:   {"text/csv; charset=utf-8", "csv"},
	export.FormatJSON:  {"application/json", "json"},
	export.FormatSARIF: {"application/sarif+json", "sarif"},
	export.FormatOCSF:  {"application/json", "ocsf.json"},
}

// errCapped is returned by cappedBuffer once the cap is exceeded.
var errCapped = errors.New("over the size cap")

// errBusy is returned by cappedBuffer when the server's budget of buffered
// answer bytes cannot hold more now.
var errBusy = errors.New("buffered answers at the server's cap")

// cappedBuffer stops the export writer at the cap instead of buffering an
// unbounded answer, and draws every byte it holds from the server's budget
// (release returns them).
type cappedBuffer struct {
	bytes.Buffer
	limit  int
	budget *byteBudget
	taken  int64
}

func (s *Server) newCappedBuffer(limit int) *cappedBuffer {
	return &cappedBuffer{limit: limit, budget: s.buffered}
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, errCapped
	}
	if !b.budget.take(int64(len(p))) {
		return 0, errBusy
	}
	b.taken += int64(len(p))
	return b.Buffer.Write(p)
}

// release returns the buffer's bytes to the budget.
func (b *cappedBuffer) release() {
	b.budget.give(b.taken)
	b.taken = 0
}

// queue downloads the whole risk queue in an export format.
func (s *Server) queue(c *gin.Context) {
	format := c.DefaultQuery("format", export.FormatJSON)
	t, known := queueTypes[format]
	if !known {
		badParam(c, fmt.Sprintf("format %q: want csv, json, sarif or ocsf", format))
		return
	}
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	buf := s.newCappedBuffer(s.cfg.MaxExportBytes)
	defer buf.release()
	s.sendDownload(c, buf, export.Write(buf, format, an.report), download{
		tooLarge: "the queue export is over the %d-byte cap; use GET /api/v1/findings to page through it",
		logMsg:   "export queue", failMsg: "could not export the queue", format: format,
		filename: "breachpath-queue." + t.ext, contentType: t.contentType})
}

// download describes an export answered by sendDownload.
type download struct {
	tooLarge        string // message when over the cap, with %d for the cap
	logMsg, failMsg string // on any other failure: the log line and the answer
	format          string
	filename        string
	contentType     string
}

// sendDownload answers an export written into buf (err is the write's
// error) as an attachment, or the failure: no buffer budget left (503),
// over the export cap, or an internal error (logged).
func (s *Server) sendDownload(c *gin.Context, buf *cappedBuffer, err error, d download) {
	switch {
	case errors.Is(err, errBusy):
		busyBuffers(c)
		return
	case errors.Is(err, errCapped):
		abort(c, http.StatusInternalServerError, codeTooLarge, fmt.Sprintf(d.tooLarge, s.cfg.MaxExportBytes))
		return
	case err != nil:
		s.log.Error(d.logMsg, "format", d.format, "err", err)
		abort(c, http.StatusInternalServerError, codeInternal, d.failMsg)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, d.filename))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, d.contentType, buf.Bytes())
}
