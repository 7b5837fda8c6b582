package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
)

// maxQueryLen bounds free-text parameters.
const maxQueryLen = 200

// PathList is GET /paths.
type PathList struct {
	Generation string        `json:"generation"`
	Total      int           `json:"total"`
	Truncated  bool          `json:"truncated"` // the search ran out of budget: paths may be missing
	Items      []PathSummary `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// pathFilter is the parsed filters of GET /paths.
type pathFilter struct {
	targets, sources, accounts, techniques []string
	clouds                                 []graph.Cloud
	minRisk                                float64
	minSensitivity                         graph.Sensitivity
	q                                      string
}

func parsePathFilter(c *gin.Context) (pathFilter, string, error) {
	q := c.Request.URL.Query()
	f := pathFilter{targets: q["target"], sources: q["source"], accounts: q["account"], techniques: q["technique"]}
	for _, v := range q["cloud"] {
		cl := graph.Cloud(v)
		if cl == graph.CloudNone || !cl.Valid() {
			return f, "", fmt.Errorf("cloud %q: want aws, azure or gcp", v)
		}
		f.clouds = append(f.clouds, cl)
	}
	if v := q.Get("min_risk"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 100 || r != r {
			return f, "", fmt.Errorf("min_risk %q: want a number from 0 to 100", v)
		}
		f.minRisk = r
	}
	if v := q.Get("min_sensitivity"); v != "" {
		s, err := graph.ParseSensitivity(v)
		if err != nil {
			return f, "", fmt.Errorf("min_sensitivity: %w", err)
		}
		f.minSensitivity = s
	}
	f.q = strings.ToLower(strings.TrimSpace(q.Get("q")))
	if len(f.q) > maxQueryLen {
		return f, "", fmt.Errorf("q is longer than %d characters", maxQueryLen)
	}
	sort := q.Get("sort")
	switch sort {
	case "":
		sort = sortRisk
	case sortRisk, sortLikelihood, sortHops:
	default:
		return f, "", fmt.Errorf("sort %q: want risk, likelihood or hops", sort)
	}
	return f, sort, nil
}

func (an *analysis) matchPath(i int32, f *pathFilter) bool {
	p := &an.report.Paths[i]
	m := &an.meta[i]
	switch {
	case p.Risk < f.minRisk:
		return false
	case len(f.targets) > 0 && !slices.Contains(f.targets, p.Target):
		return false
	case len(f.sources) > 0 && !slices.Contains(f.sources, p.Source):
		return false
	case len(f.clouds) > 0 && !anyIn(m.clouds, f.clouds):
		return false
	case len(f.accounts) > 0 && !anyIn(m.accounts, f.accounts):
		return false
	case len(f.techniques) > 0 && !anyIn(m.techniques, f.techniques):
		return false
	case f.q != "" && !strings.Contains(m.haystack, f.q):
		return false
	}
	if f.minSensitivity > graph.SensitivityNone {
		n := an.g.Node(p.Target)
		if n == nil || n.Sensitivity < f.minSensitivity {
			return false
		}
	}
	return true
}

func anyIn[T comparable](have, want []T) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func (s *Server) listPaths(c *gin.Context) {
	f, sort, err := parsePathFilter(c)
	if err != nil {
		badParam(c, err.Error())
		return
	}
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	if isAdminTarget(&f) {
		s.listAdminPaths(c, an, &f)
		return
	}
	offset, limit, key, ok := s.page(c, an, "paths")
	if !ok {
		return
	}
	out := PathList{Generation: an.generation, Truncated: an.report.Truncated, Items: []PathSummary{}}
	for _, i := range an.orders[sort] {
		if !an.matchPath(i, &f) {
			continue
		}
		if out.Total >= offset && out.Total < offset+limit {
			out.Items = append(out.Items, an.pathSummary(i))
		}
		out.Total++
	}
	out.NextCursor = next(an, "paths", key, offset, limit, out.Total)
	s.writeJSON(c, http.StatusOK, out)
}

func (s *Server) getPath(c *gin.Context) {
	id := c.Param("id")
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	i, found := an.byID[id]
	if !found {
		notFound(c, fmt.Sprintf("no attack path %q in the current analysis (path ids change when the graph does)", id))
		return
	}
	s.writeJSON(c, http.StatusOK, an.pathDetail(i))
}
