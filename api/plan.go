package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/scoring"
)

// maxFixes bounds the findings of one what-if question.
const maxFixes = 100

// PlanView is GET /plan: the choke-point remediation plan.
type PlanView struct {
	Generation        string            `json:"generation"`
	Steps             []scoring.Step    `json:"steps"`
	TotalEffort       float64           `json:"total_effort"`
	PathsBefore       int               `json:"paths_before"`
	PathsAfter        int               `json:"paths_after"`
	Uncuttable        int               `json:"uncuttable"`
	UncuttableTargets []string          `json:"uncuttable_targets"`
	Verified          bool              `json:"verified"`
	Truncated         bool              `json:"truncated"`
	Stats             scoring.PlanStats `json:"stats"`
}

// WhatIf is GET /plan/whatif: the paths that disappear if the findings are fixed.
type WhatIf struct {
	Generation  string   `json:"generation"`
	Fixed       []string `json:"fixed"`
	PathsBefore int      `json:"paths_before"`
	PathsAfter  int      `json:"paths_after"`
	// Removed lists the paths of the current analysis the fixes cut (all of
	// them: the list is bounded by the analysis' paths).
	Removed []string `json:"removed"`
	// ProtectedTargets had a path before and have none after.
	ProtectedTargets []string `json:"protected_targets"`
	Truncated        bool     `json:"truncated"`
}

// acquireHeavy bounds the concurrent searches clients can trigger.
func (s *Server) acquireHeavy(c *gin.Context) (release func(), ok bool) {
	select {
	case s.heavy <- struct{}{}:
		return func() { <-s.heavy }, true
	case <-c.Request.Context().Done():
		abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while waiting for a search slot")
		return nil, false
	}
}

func (s *Server) getPlan(c *gin.Context) {
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	release, ok := s.acquireHeavy(c)
	if !ok {
		return
	}
	defer release()
	// Detached from the request: the plan is cached for everyone, so a
	// client hanging up must not waste the computation.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), s.cfg.AnalysisTimeout)
	defer cancel()
	p, err := an.remediationPlan(ctx)
	if err != nil {
		s.log.Error("plan failed", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the remediation plan could not be computed; see the server log")
		return
	}
	v := PlanView{Generation: an.generation, Steps: p.Steps, TotalEffort: p.TotalEffort, PathsBefore: p.PathsBefore,
		PathsAfter: p.PathsAfter, Uncuttable: len(p.Uncuttable), UncuttableTargets: p.UncuttableTargets,
		Verified: p.Verified, Truncated: p.Truncated, Stats: p.Stats}
	if v.Steps == nil {
		v.Steps = []scoring.Step{}
	}
	if v.UncuttableTargets == nil {
		v.UncuttableTargets = []string{}
	}
	s.writeJSON(c, http.StatusOK, v)
}

func (s *Server) whatIf(c *gin.Context) {
	fixes := c.QueryArray("fix")
	if len(fixes) == 0 {
		badParam(c, "fix: name at least one finding id, e.g. ?fix=<id>&fix=<id>")
		return
	}
	if len(fixes) > maxFixes {
		badParam(c, fmt.Sprintf("fix: at most %d findings per question", maxFixes))
		return
	}
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	for _, id := range fixes {
		if an.g.Finding(id) == nil {
			badParam(c, fmt.Sprintf("fix %q: no such finding", id))
			return
		}
	}
	release, ok := s.acquireHeavy(c)
	if !ok {
		return
	}
	defer release()
	opts := an.opts
	opts.RemovedFindings = slices.Compact(slices.Sorted(slices.Values(fixes)))
	after, err := an.proj.Search(c.Request.Context(), opts)
	if err != nil {
		if c.Request.Context().Err() != nil {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled during the search")
			return
		}
		s.log.Error("what-if search", "err", err)
		abort(c, http.StatusInternalServerError, codeInternal, "the what-if search failed")
		return
	}
	kept := make(map[string]bool, len(after.Paths))
	reached := map[string]bool{}
	for i := range after.Paths {
		kept[after.Paths[i].ID] = true
		reached[after.Paths[i].Target] = true
	}
	out := WhatIf{Generation: an.generation, Fixed: opts.RemovedFindings, PathsBefore: len(an.report.Paths),
		PathsAfter: len(after.Paths), Removed: []string{}, ProtectedTargets: []string{},
		Truncated: an.report.Truncated || after.Truncated}
	had := map[string]bool{}
	for i := range an.report.Paths {
		p := &an.report.Paths[i]
		if !kept[p.ID] {
			out.Removed = append(out.Removed, p.ID)
		}
		if !reached[p.Target] && !had[p.Target] {
			had[p.Target] = true
			out.ProtectedTargets = append(out.ProtectedTargets, p.Target)
		}
	}
	slices.Sort(out.ProtectedTargets)
	s.writeJSON(c, http.StatusOK, out)
}
