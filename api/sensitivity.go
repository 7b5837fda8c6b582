package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/scoring/sensitivityreport"
)

// sensitivity answers GET /api/v1/sensitivity: the data-sensitivity
// coverage report (the same numbers as `breachpath sensitivity`) over the
// cached analysis's projection, reachability within the analysis's depth.
func (s *Server) sensitivity(c *gin.Context) {
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	rep, err := sensitivityreport.FromProjection(c.Request.Context(), an.proj, an.opts.MaxDepth)
	if err != nil {
		// Only a cancelled request fails here: the projection is built.
		s.log.Warn("sensitivity report failed", "generation", an.generation, "err", err)
		abort(c, http.StatusServiceUnavailable, codeTimeout, "the sensitivity report was cancelled")
		return
	}
	c.JSON(http.StatusOK, rep)
}
