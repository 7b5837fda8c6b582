package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/paths"
)

// AdminPathList is GET /paths?target=admin: the principals that can become an administrator,
// as `breachpath paths --target admin --format json` lists them (paths.AdminReachers, the one
// definition the escalation-to-admin query and the CIEM report share), a page at a time.
type AdminPathList struct {
	Generation string             `json:"generation"`
	Target     string             `json:"target"`
	Total      int                `json:"total"`
	Principals []paths.AdminReach `json:"principals"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// adminReach caches AdminReachers per analysis: it is a walk over every identity move. A failed
// walk (a cancelled request) is retried by the next caller.
type adminReach struct {
	mu    sync.Mutex
	reach []paths.AdminReach
}

// adminReachers returns the principals that reach an administrator in this generation.
func (an *analysis) adminReachers(ctx context.Context) ([]paths.AdminReach, error) {
	an.admin.mu.Lock()
	defer an.admin.mu.Unlock()
	if an.admin.reach != nil {
		return an.admin.reach, nil
	}
	r, err := paths.AdminReachers(ctx, an.g, paths.DefaultAdminHops)
	if err != nil {
		return nil, fmt.Errorf("principals that reach admin: %w", err)
	}
	if r == nil {
		r = []paths.AdminReach{}
	}
	an.admin.reach = r
	return r, nil
}

// isAdminTarget reports whether GET /paths asks `target=admin` (alone): the keyword, not a node
// id, answered like the CLI's `paths --target admin` rather than by matching path targets.
func isAdminTarget(f *pathFilter) bool {
	return len(f.targets) == 1 && f.targets[0] == paths.TargetAdmin
}

// listAdminPaths answers GET /paths?target=admin[&source=...]: every principal that reaches an
// administrator through identity moves, with its shortest chain and whether every chain is
// conditional. Sources keep only those principals (ids, or names the graph resolves).
func (s *Server) listAdminPaths(c *gin.Context, an *analysis, f *pathFilter) {
	offset, limit, key, ok := s.page(c, an, "admin-paths")
	if !ok {
		return
	}
	reach, err := an.adminReachers(c.Request.Context())
	if err != nil {
		s.log.Error("admin reachers failed", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the principals that reach admin could not be computed; see the server log")
		return
	}
	keep := map[string]bool{}
	for _, ref := range f.sources {
		ids, _ := an.g.Resolve(ref)
		for _, id := range ids {
			keep[id] = true
		}
	}
	out := AdminPathList{Generation: an.generation, Target: paths.TargetAdmin, Principals: []paths.AdminReach{}}
	for _, r := range reach {
		if len(f.sources) > 0 && !keep[r.Principal] {
			continue
		}
		if out.Total >= offset && out.Total < offset+limit {
			out.Principals = append(out.Principals, r)
		}
		out.Total++
	}
	out.NextCursor = next(an, "admin-paths", key, offset, limit, out.Total)
	s.writeJSON(c, http.StatusOK, out)
}
