package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/collector"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/compliance"
)

// complianceDownloads are the non-JSON formats of GET /compliance: the
// writers of `breachpath compliance`.
var complianceDownloads = map[string]struct{ ext, contentType string }{
	"csv":  {"csv", "text/csv; charset=utf-8"},
	"html": {"html", "text/html; charset=utf-8"},
	"ocsf": {"ocsf.json", "application/json"},
}

// compliance answers GET /api/v1/compliance?framework=ID[&format=]: the
// framework's controls as pass / fail / not evaluated over the cached
// analysis (its queue says which failures sit on attack paths), the same
// report as `breachpath compliance`. Without a framework it lists the
// frameworks.
func (s *Server) compliance(c *gin.Context) {
	id := c.Query("framework")
	if id == "" {
		fws, err := compliance.Frameworks()
		if err != nil {
			s.log.Error("load compliance mappings", "err", err)
			abort(c, http.StatusInternalServerError, codeInternal, "the compliance mappings could not be loaded")
			return
		}
		list := make([]*compliance.Framework, len(fws))
		copy(list, fws)
		s.writeJSON(c, http.StatusOK, gin.H{"frameworks": list})
		return
	}
	fw, err := compliance.Lookup(id)
	if err != nil {
		badParam(c, err.Error())
		return
	}
	format := c.DefaultQuery("format", "json")
	dl, isDownload := complianceDownloads[format]
	if format != "json" && !isDownload {
		badParam(c, fmt.Sprintf("format %q: want one of %s", format, strings.Join(compliance.Formats[1:], ", ")))
		return
	}
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	collected, err := compliance.CollectedFrom(c.Request.Context(), s.cfg.Store, graph.Filter{})
	if err != nil {
		s.log.Error("compliance: read sync history", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the store's sync history could not be read")
		return
	}
	rep := compliance.Build(compliance.Input{Framework: fw, Rules: collector.Rules(), Queue: an.report.Queue,
		Collected: collected, Truncated: an.report.Truncated, GeneratedAt: an.builtAt.UTC()})
	if !isDownload {
		s.writeJSON(c, http.StatusOK, rep)
		return
	}
	buf := s.newCappedBuffer(s.cfg.MaxExportBytes)
	defer buf.release()
	err = compliance.Write(buf, format, rep)
	s.sendDownload(c, buf, err, download{
		tooLarge: "the compliance report is over the %d-byte cap",
		logMsg:   "write compliance report", failMsg: "could not write the compliance report", format: format,
		filename: "breachpath-compliance-" + fw.ID + "." + dl.ext, contentType: dl.contentType})
}
