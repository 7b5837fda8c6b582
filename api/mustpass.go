package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/paths"
)

// MustPassView is GET /targets/{id}/must-pass: what every attack path to
// the target crosses (its dominators in the move graph), whatever its length.
type MustPassView struct {
	Generation string `json:"generation"`
	paths.MustPass
	TargetName string `json:"target_name,omitempty"`
}

// dominators returns the must-pass analysis of this generation, computing
// it once. A failed computation (a timeout) is retried by the next caller.
func (an *analysis) dominators(ctx context.Context) (*paths.Dominators, error) {
	an.domMu.Lock()
	defer an.domMu.Unlock()
	if an.dom != nil {
		return an.dom, nil
	}
	d, err := an.proj.Dominators(ctx, an.opts)
	if err != nil {
		return nil, fmt.Errorf("must-pass analysis: %w", err)
	}
	an.dom = d
	return d, nil
}

// cycles returns the strongly connected components of this generation's
// move graph, computed once on first use (a path detail's loops).
func (an *analysis) cycles() *paths.Cycles {
	an.cyclesOnce.Do(func() { an.cycleSet = an.proj.Cycles(nil) })
	return an.cycleSet
}

func (s *Server) getMustPass(c *gin.Context) {
	id := c.Param("id")
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	// Detached from the request, as the plan: the result is cached for everyone.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), s.cfg.AnalysisTimeout)
	defer cancel()
	d, err := an.dominators(ctx)
	if err != nil {
		s.log.Error("must-pass analysis failed", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the must-pass analysis could not be computed; see the server log")
		return
	}
	m, found := d.For(id)
	if !found {
		notFound(c, fmt.Sprintf("%q is not a target any attack path reaches in the current analysis", id))
		return
	}
	v := MustPassView{Generation: an.generation, MustPass: *m}
	if n := an.g.Node(id); n != nil {
		v.TargetName = n.Name
	}
	s.writeJSON(c, http.StatusOK, v)
}
