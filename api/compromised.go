package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// maxCompromisedSources bounds the footholds of one request.
const maxCompromisedSources = 20

// maxCompromisedPaths bounds the paths one answer lists (riskiest first).
const maxCompromisedPaths = 200

// Compromised is GET /compromised: "what can someone who holds X reach".
type Compromised struct {
	Generation string `json:"generation"`
	// Resolved maps each source the request named to the node ids it
	// stands for (an access key id names its user, an instance id its
	// instance).
	Resolved map[string][]string `json:"resolved"`
	// Unresolved says, per source that named no node, why.
	Unresolved map[string]string `json:"unresolved"`
	Total      int               `json:"total"`
	Truncated  bool              `json:"truncated"`
	Items      []PathSummary     `json:"items"`
}

// compromised searches from the footholds the request assumes compromised,
// with the current analysis' graph and search bounds, to the usual targets.
// A source the graph does not hold is an answer (listed in unresolved, with
// why), not an error.
func (s *Server) compromised(c *gin.Context) {
	refs := c.QueryArray("source")
	if len(refs) == 0 {
		badParam(c, "source is required: a node id, an access key id, an instance id or a principal's name (repeatable)")
		return
	}
	if len(refs) > maxCompromisedSources {
		badParam(c, fmt.Sprintf("at most %d sources", maxCompromisedSources))
		return
	}
	for _, r := range refs {
		if len(r) > maxQueryLen {
			badParam(c, fmt.Sprintf("a source is longer than %d characters", maxQueryLen))
			return
		}
	}
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	out := Compromised{Generation: an.generation, Resolved: map[string][]string{}, Unresolved: map[string]string{}, Items: []PathSummary{}}
	var ids []string
	for _, r := range refs {
		got, why := an.g.Resolve(r)
		if len(got) == 0 {
			out.Unresolved[r] = why
			continue
		}
		out.Resolved[r] = got
		ids = append(ids, got...)
	}
	if len(ids) == 0 {
		s.writeJSON(c, http.StatusOK, out)
		return
	}
	opts := an.opts
	opts.Sources = ids
	from, err := analyse(c.Request.Context(), an.g, opts, an.owners)
	if err != nil {
		if c.Request.Context().Err() != nil {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the search ran")
			return
		}
		s.log.Error("compromised search failed", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the search could not be computed; see the server log")
		return
	}
	out.Truncated = from.report.Truncated
	out.Total = len(from.report.Paths)
	for _, i := range from.orders[sortRisk] {
		if len(out.Items) == maxCompromisedPaths {
			break
		}
		out.Items = append(out.Items, from.pathSummary(i))
	}
	s.writeJSON(c, http.StatusOK, out)
}
