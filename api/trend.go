package api

import (
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/scoring/trend"
)

// trend answers GET /api/v1/metrics/trend: the remediation metrics of
// `breachpath report trend --format json` over the window since (default
// 90 days). It loads the graph with resolved findings, which the cached
// analysis leaves out, so it runs in a heavy slot.
func (s *Server) trend(c *gin.Context) {
	since := 90 * 24 * time.Hour
	if v := c.Query("since"); v != "" {
		d, err := trend.ParseWindow(v)
		if err != nil || d <= 0 || d > maxSince {
			badParam(c, "since: want a positive duration up to 366d, such as 30d, 24h or 90m")
			return
		}
		since = d
	}
	release, ok := s.acquireHeavy(c)
	if !ok {
		return
	}
	defer release()
	ctx := c.Request.Context()
	g, err := s.cfg.Store.Load(ctx, graph.Filter{IncludeResolved: true, SkipFacts: true})
	if err != nil {
		s.log.Error("trend: load graph", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the store could not be read")
		return
	}
	var l *drift.Ledger
	if s.cfg.ChangesPath != "" {
		if _, err := os.Stat(s.cfg.ChangesPath); err == nil {
			if l, err = drift.OpenLedger(ctx, s.cfg.ChangesPath); err != nil {
				s.log.Error("open change ledger", "err", err)
				abort(c, http.StatusServiceUnavailable, codeUnavailable, "the change ledger could not be opened")
				return
			}
			defer l.Close()
		} else if !errors.Is(err, os.ErrNotExist) {
			s.log.Error("change ledger", "err", err)
		}
	}
	now := s.cfg.Now()
	r, err := trend.Build(ctx, g, l, trend.Options{Now: now, Since: now.Add(-since), Owners: s.cfg.Owners})
	if err != nil {
		s.log.Error("trend", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the trend could not be computed; see the server log")
		return
	}
	s.writeJSON(c, http.StatusOK, r)
}
