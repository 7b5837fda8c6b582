package gate

import (
	"fmt"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext"
	"github.com/breachpath/breachpath/scoring/sarif"
)

// Rule ids of the gate's SARIF results.
const (
	RuleOpened = "breachpath-gate/path-opened"
	RuleClosed = "breachpath-gate/path-closed"
)

// WriteSARIF writes one result per opened path (error when it fails the
// gate, warning otherwise) and per closed path (note), located at each
// Terraform resource that causes it: in its .tf file when known, always as
// a logical location named by its address.
func WriteSARIF(w io.Writer, r *Report) error {
	run := sarif.Run{Tool: sarif.Tool{Driver: sarif.Driver{Name: "breachpath-gate", InformationURI: "https://github.com/breachpath/breachpath",
		Rules: []sarif.Rule{
			{ID: RuleOpened, ShortDescription: sarif.Text{Text: "The change opens an attack path to sensitive data"},
				Help: &sarif.Text{Text: "Change the resources named in the path's hops so that the move they add no longer exists."}},
			{ID: RuleClosed, ShortDescription: sarif.Text{Text: "The change closes an attack path"}},
		}}}, Results: []sarif.Result{}}
	add := func(p PathChange, rule string, idx int, level, verb string) {
		var locs []sarif.Location
		for _, a := range p.Addresses {
			loc := sarif.Location{LogicalLocations: []sarif.LogicalLocation{{FullyQualifiedName: safetext.Visible(a), Kind: "resource"}}}
			if l, ok := r.Locations[a]; ok && l.File != "" {
				loc.PhysicalLocation = &sarif.PhysicalLocation{ArtifactLocation: sarif.ArtifactLocation{URI: l.File}}
				if l.Line > 0 {
					loc.PhysicalLocation.Region = &sarif.Region{StartLine: l.Line}
				}
			}
			locs = append(locs, loc)
		}
		if len(locs) == 0 {
			locs = []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{FullyQualifiedName: safetext.Visible(p.Target), Kind: "resource"}}}}
		}
		hops := make([]string, len(p.Hops))
		for i, h := range p.Hops {
			hops[i] = fmt.Sprintf("%d. %s -[%s %s]-> %s", i+1, display(h.From, h.FromName), h.Kind, h.Technique, display(h.To, h.ToName))
			if len(h.Causes) > 0 {
				hops[i] += " (" + strings.Join(h.Causes, ", ") + ")"
			}
		}
		msg := fmt.Sprintf("This change %s an attack path from %s to %s (%s, risk %.1f): %s",
			verb, p.Source, display(p.Target, p.TargetName), p.TargetSensitivity, p.Risk, strings.Join(hops, "; "))
		run.Results = append(run.Results, sarif.Result{RuleID: rule, RuleIndex: idx, Level: level,
			Message:             sarif.Text{Text: safetext.Visible(msg)},
			Locations:           locs,
			PartialFingerprints: map[string]string{"breachpathPathId/v1": p.ID},
			Properties:          map[string]any{"risk": p.Risk, "target": safetext.Visible(p.Target), "targetSensitivity": p.TargetSensitivity, "fails": p.Fails},
		})
	}
	for _, p := range r.Opened {
		level := "warning"
		if p.Fails {
			level = "error"
		}
		add(p, RuleOpened, 0, level, "opens")
	}
	for _, p := range r.Closed {
		add(p, RuleClosed, 1, "note", "closes")
	}
	return sarif.Write(w, run)
}
