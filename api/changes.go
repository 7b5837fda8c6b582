package api

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/scoring/drift"
)

// maxSince bounds the since parameter: a year back is further than any
// retention the ledger is meant for, and keeps the duration arithmetic sane.
const maxSince = 366 * 24 * time.Hour

// changes answers GET /api/v1/changes: what changed between two observations
// of the change ledger (scoring/drift), the answer of `breachpath diff --format json`.
func (s *Server) changes(c *gin.Context) {
	q := drift.Query{Now: s.cfg.Now()}
	since, from, to := c.Query("since"), c.Query("from"), c.Query("to")
	if since != "" && (from != "" || to != "") {
		badParam(c, "since and from/to exclude each other")
		return
	}
	for _, p := range []struct {
		name, v string
		dst     *int64
	}{{"from", from, &q.FromSync}, {"to", to, &q.ToSync}} {
		if p.v == "" {
			continue
		}
		n, err := strconv.ParseInt(p.v, 10, 64)
		if err != nil || n <= 0 {
			badParam(c, p.name+": want a positive sync id")
			return
		}
		*p.dst = n
	}
	if q.ToSync != 0 && q.FromSync == 0 {
		badParam(c, "to needs from")
		return
	}
	if q.FromSync == 0 {
		q.Since = 24 * time.Hour
		if since != "" {
			d, err := time.ParseDuration(since)
			if err != nil || d <= 0 || d > maxSince {
				badParam(c, "since: want a positive duration up to 8784h, such as 24h or 90m")
				return
			}
			q.Since = d
		}
	}
	if s.cfg.ChangesPath == "" {
		notFound(c, "no change ledger configured")
		return
	}
	if _, err := os.Stat(s.cfg.ChangesPath); err != nil {
		notFound(c, "no changes recorded yet (collect records them after each sync)")
		return
	}
	l, err := drift.OpenLedger(c.Request.Context(), s.cfg.ChangesPath)
	if err != nil {
		s.log.Error("open change ledger", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the change ledger could not be opened")
		return
	}
	defer l.Close()
	ch, err := l.Compare(c.Request.Context(), q)
	switch {
	case errors.Is(err, drift.ErrNoObservations):
		notFound(c, "no changes recorded for that range (collect records them after each sync)")
		return
	case err != nil:
		s.log.Error("compare changes", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the change ledger could not be read")
		return
	}
	s.writeJSON(c, http.StatusOK, ch)
}
