package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/queries"
)

// QueryInfo describes one saved query (GET /queries).
type QueryInfo struct {
	Name        string          `json:"name"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Params      []queries.Param `json:"params"`
	Columns     []string        `json:"columns"`
	Cypher      string          `json:"cypher"`
}

// QueryList is GET /queries.
type QueryList struct {
	Items []QueryInfo `json:"items"`
}

func (s *Server) listQueries(c *gin.Context) {
	out := QueryList{Items: []QueryInfo{}}
	for _, q := range queries.All() {
		ps := q.Params
		if ps == nil {
			ps = []queries.Param{}
		}
		out.Items = append(out.Items, QueryInfo{Name: q.Name, Title: q.Title, Description: q.Description,
			Params: ps, Columns: q.Columns, Cypher: q.Cypher})
	}
	s.writeJSON(c, http.StatusOK, out)
}

// runQuery answers a saved query over the cached analysis' graph with
// the fact edges the query reads (factkinds.go); its parameters are
// the query-string parameters (one value each), validated by the query.
func (s *Server) runQuery(c *gin.Context) {
	q, ok := queries.Get(c.Param("name"))
	if !ok {
		notFound(c, fmt.Sprintf("no saved query %q (GET /api/v1/queries lists them)", c.Param("name")))
		return
	}
	params := map[string]any{}
	for k, vs := range c.Request.URL.Query() {
		if len(vs) != 1 {
			badParam(c, fmt.Sprintf("%s: give one value", k))
			return
		}
		params[k] = vs[0]
	}
	if _, err := q.Bind(params); err != nil {
		badParam(c, err.Error())
		return
	}
	// a saved query reads the moves and the fact kinds its Cypher names
	// (most read no fact at all): only those are loaded
	kinds, every := q.FactKinds()
	_, g, ok := s.withFactKinds(c, kinds, every)
	if !ok {
		return
	}
	release, ok := s.acquireHeavy(c)
	if !ok {
		return
	}
	defer release()
	res, err := q.Run(c.Request.Context(), g, params)
	if err != nil {
		if c.Request.Context().Err() != nil || errors.Is(err, c.Request.Context().Err()) {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled during the query")
			return
		}
		s.log.Error("saved query", "query", q.Name, "err", err)
		abort(c, http.StatusInternalServerError, codeInternal, "the query failed")
		return
	}
	s.writeJSON(c, http.StatusOK, res)
}
