package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/scoring/export"
)

func (a *app) pathsCommand() *cobra.Command {
	var sf searchFlags
	var format string
	var minRisk float64
	var limit int
	var explain, loadAll bool
	cmd := &cobra.Command{
		Use:   "paths",
		Short: "Attack paths from exposure to sensitive data, riskiest first",
		Long: `paths searches the stored graph for attack paths from the Internet and other
outside positions (anonymous principals, external accounts) to sensitive data and
crown jewels, and prints them riskiest first. Every hop says which technique it is,
which facts prove it and which findings enable it (--explain, or --format json).

--source X assumes X compromised and answers "what can someone who holds X reach":
X is a node id, an access key id (AKIA...), an instance id (i-...) or a principal's
name. A source the graph does not hold gives an empty answer that says why.

--target admin asks "who can become an administrator": one row per principal that
reaches an administrator identity through identity moves (assuming roles, privilege
escalation techniques), with its shortest chain, the same principals as the query
escalation-to-admin and the CIEM report's admin.via_escalation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, opts, err := sf.options()
			if err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return usageErrorf("--format %q: want table or json", format)
			}
			if minRisk < 0 || minRisk > 100 {
				return usageErrorf("--min-risk %v: want 0..100", minRisk)
			}
			if slices.Contains(opts.Targets, paths.TargetAdmin) {
				if len(opts.Targets) > 1 {
					return usageErrorf("--target %s selects the administrator identities; it does not combine with other targets", paths.TargetAdmin)
				}
				return a.adminPaths(cmd.Context(), filter, opts.Sources, format, limit)
			}
			an, err := a.analyse(cmd.Context(), filter, opts, !loadAll)
			var un *unresolvedSources
			if errors.As(err, &un) {
				// "What can someone who holds X reach" about an X the graph
				// does not hold is an empty answer, not a failure.
				if format == "json" {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(struct {
						Paths      []scoring.ScoredPath `json:"paths"`
						Truncated  bool                 `json:"truncated"`
						Unresolved []string             `json:"unresolved"`
					}{[]scoring.ScoredPath{}, false, un.notes})
				}
				_, err := fmt.Fprintf(a.stdout, "no attack paths found: %s\n", un.Error())
				return err
			}
			if err != nil {
				return err
			}
			ps := make([]scoring.ScoredPath, 0, len(an.Report.Paths))
			for _, p := range an.Report.Paths {
				if p.Risk >= minRisk {
					ps = append(ps, p)
				}
			}
			if limit > 0 && len(ps) > limit {
				ps = ps[:limit]
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Paths     []scoring.ScoredPath `json:"paths"`
					Truncated bool                 `json:"truncated"`
				}{ps, an.Found.Truncated})
			}
			var ex *explainer
			if explain {
				if ex, err = newExplainer(cmd.Context(), an, an.Search); err != nil {
					return err
				}
			}
			return printPaths(a.stdout, ps, an.Found.Truncated, ex)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().Float64Var(&minRisk, "min-risk", 0, "only paths with at least this risk (0-100)")
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most this many paths (0: all)")
	cmd.Flags().BoolVar(&explain, "explain", false, "print every hop with its technique, evidence and findings, the loops a path runs through and what every path to its target crosses")
	cmd.Flags().BoolVar(&loadAll, "load-all", false, loadAllUsage)
	return cmd
}

// adminPaths answers `paths --target admin` with paths.AdminReachers, the one definition of
// "can reach admin" (docs/model.md): every principal, or only those --source names, that becomes
// an administrator through identity moves, with its shortest chain.
func (a *app) adminPaths(ctx context.Context, filter graph.Filter, sources []string, format string, limit int) error {
	g, err := a.loadGraph(ctx, filter)
	if err != nil {
		return err
	}
	reach, err := paths.AdminReachers(ctx, g, paths.DefaultAdminHops)
	if err != nil {
		return fmt.Errorf("principals that reach admin: %w", err)
	}
	if len(sources) > 0 {
		keep := map[string]bool{}
		for _, ref := range sources {
			got, why := g.Resolve(ref)
			if len(got) == 0 {
				a.log.Warn("source ignored", "why", why)
			}
			for _, id := range got {
				keep[id] = true
			}
		}
		reach = slices.DeleteFunc(reach, func(r paths.AdminReach) bool { return !keep[r.Principal] })
	}
	if limit > 0 && len(reach) > limit {
		reach = reach[:limit]
	}
	if reach == nil {
		reach = []paths.AdminReach{}
	}
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Target     string             `json:"target"`
			Principals []paths.AdminReach `json:"principals"`
		}{paths.TargetAdmin, reach})
	}
	if len(reach) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no principal reaches an administrator")
		return err
	}
	name := func(id string) string {
		if n := g.Node(id); n != nil {
			return shortName(n.Name, id)
		}
		return id
	}
	t := termcell.NewTable(a.stdout, "#", "PRINCIPAL", "ADMIN", "HOPS", "CHAIN").Wide(4, 200)
	for i, r := range reach {
		principal := termcell.Cell(name(r.Principal))
		if r.Conditional {
			principal += " (conditional)"
		}
		t.Row(strconv.Itoa(i+1), principal, name(r.Admin), strconv.Itoa(r.Hops), strings.Join(r.Chain, " > "))
	}
	return t.Flush()
}

// printPaths prints the path table, and each path explained when ex is set.
func printPaths(w io.Writer, ps []scoring.ScoredPath, truncated bool, ex *explainer) error {
	if truncated {
		fmt.Fprintln(w, "warning: the search ran out of its work budget (--max-work); paths may be missing")
	}
	if len(ps) == 0 {
		_, err := fmt.Fprintln(w, "no attack paths found")
		return err
	}
	// the terminal rule: every cell and line escaped and cut
	// (graph/safetext/termcell)
	t := termcell.NewTable(w, "#", "RISK", "LIKELIHOOD", "HOPS", "SOURCE", "TARGET", "VIA").Wide(5, 80).Wide(6, 200)
	for i, p := range ps {
		flags := ""
		if p.Stale {
			flags += " (stale)"
		}
		if p.Conditional {
			flags += " (conditional)"
		}
		t.Row(strconv.Itoa(i+1), fmt.Sprintf("%.1f", p.Risk), fmt.Sprintf("%.2f", p.Likelihood), strconv.Itoa(len(p.Hops)),
			shortName(p.Hops[0].FromName, p.Source), termcell.Cell(shortName(p.Hops[len(p.Hops)-1].ToName, p.Target))+flags, techniques(p))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if ex != nil {
		for i := range ps {
			fmt.Fprintln(w)
			termcell.Printf(w, "#%d %s  risk %.1f", i+1, ps[i].ID, ps[i].Risk)
			ex.write(w, &ps[i])
		}
	}
	return nil
}

func techniques(p scoring.ScoredPath) string {
	t := make([]string, len(p.Hops))
	for i, h := range p.Hops {
		t[i] = h.Technique
	}
	return strings.Join(t, " > ")
}

func shortName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func (a *app) queueCommand() *cobra.Command {
	var sf searchFlags
	var format string
	var onPathOnly, centrality bool
	var asff export.ASFFOptions
	var archiveResolved bool
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "The prioritised risk queue: findings on attack paths first",
		Long: `queue prints every finding, ranked: findings that enable attack paths come first
(by the risk of the paths they enable, then severity); findings on no path follow,
labelled "not on an attack path". Each row names the owner (owner tags, the
--owners mapping file, account defaults). Formats: table, csv, json, sarif
(2.1.0), ocsf (Detection Finding), asff (AWS Security Finding Format: one
BatchImportFindings body of at most 100 findings per line, for the Security Hub
of --asff-account in --asff-region; docs/notifications.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, opts, err := sf.options()
			if err != nil {
				return err
			}
			if !validFormat(format) && format != formatASFF {
				return usageErrorf("--format %q: want one of %s", format, strings.Join(append(export.Formats(), formatASFF), ", "))
			}
			if format == formatASFF {
				if asff.Region == "" {
					asff.Region = envOr("AWS_REGION", os.Getenv("AWS_DEFAULT_REGION"))
				}
				// checked before the analysis, which may take a while
				if _, err := export.ASFFBatches(&scoring.Report{}, asff); err != nil {
					return usageErrorf("--format asff: %v (--asff-account, --asff-region)", err)
				}
				filter.IncludeResolved = archiveResolved
			} else if archiveResolved {
				return usageErrorf("--asff-archive-resolved goes with --format asff")
			}
			an, err := a.analyse(cmd.Context(), filter, opts, false)
			if err != nil {
				return err
			}
			rep := an.Report
			if archiveResolved {
				// the resolved findings too, so Security Hub archives what was fixed
				owners, err := a.owners()
				if err != nil {
					return err
				}
				rep = scoring.Score(an.Graph, an.Found, scoring.Options{Owners: owners, IncludeResolved: true})
			}
			if centrality {
				owners, err := a.owners()
				if err != nil {
					return err
				}
				c, err := scoring.FindingCentrality(cmd.Context(), an.Projection, opts, 0)
				if err != nil {
					return err
				}
				rep = scoring.Score(an.Graph, an.Found, scoring.Options{Centrality: c.ByFinding, Owners: owners, IncludeResolved: archiveResolved})
			}
			if onPathOnly {
				cp := *rep
				cp.Queue = nil
				for _, q := range rep.Queue {
					if q.OnPath {
						cp.Queue = append(cp.Queue, q)
					}
				}
				rep = &cp
			}
			if format == formatASFF {
				return export.WriteASFF(a.stdout, rep, asff)
			}
			return export.Write(a.stdout, format, rep)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(append(export.Formats(), formatASFF), ", "))
	cmd.Flags().StringVar(&asff.AccountID, "asff-account", "", "asff: the 12-digit AWS account whose Security Hub imports the findings")
	cmd.Flags().StringVar(&asff.Region, "asff-region", "", "asff: the region of that Security Hub (default AWS_REGION, AWS_DEFAULT_REGION)")
	cmd.Flags().StringVar(&asff.Partition, "asff-partition", "aws", "asff: the AWS partition (aws, aws-cn, aws-us-gov)")
	cmd.Flags().BoolVar(&archiveResolved, "asff-archive-resolved", false, "asff: also export resolved findings, as ARCHIVED / RESOLVED / PASSED, so Security Hub closes what was fixed")
	cmd.Flags().BoolVar(&onPathOnly, "on-path", false, "only findings that enable an attack path")
	cmd.Flags().BoolVar(&centrality, "centrality", false, "raise on-path findings by up to 5 priority points for the attack traffic their moves carry (edge betweenness of the attack subgraph, docs/scoring.md)")
	return cmd
}

// formatASFF is queue's AWS Security Finding Format output; it takes the
// importing account and region, so it is not one of export's plain formats.
const formatASFF = "asff"

func validFormat(f string) bool {
	for _, x := range export.Formats() {
		if x == f {
			return true
		}
	}
	return false
}

func (a *app) planCommand() *cobra.Command {
	var sf searchFlags
	var format string
	var loadAll bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "The choke-point plan: the cheapest set of fixes that cuts every attack path",
		Long: `plan computes the smallest-effort set of findings whose fix cuts every attack path
to targets at or above the threshold (a weighted minimum cut with each finding's
fix effort as weight), verifies it by searching again with the fixes applied, and
prints the fixes ordered by attack paths removed per fix, with remediation text.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, opts, err := sf.options()
			if err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return usageErrorf("--format %q: want table or json", format)
			}
			load := a.loadGraph
			if !loadAll {
				load = func(ctx context.Context, filter graph.Filter) (*graph.Graph, error) {
					return a.loadQuestion(ctx, filter, opts)
				}
			}
			g, err := load(cmd.Context(), filter)
			if err != nil {
				return err
			}
			p, err := scoring.MakePlan(cmd.Context(), g, scoring.PlanOptions{Search: opts})
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			}
			return printPlan(a.stdout, g, p, 0)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().BoolVar(&loadAll, "load-all", false, loadAllUsage)
	return cmd
}

// loadAllUsage describes --load-all of paths and plan.
const loadAllUsage = "with --target or --source, load every selected scope instead of those the question can touch (the answer is the same; for comparison)"

// printPlan prints the plan's steps (at most limit when limit > 0).
func printPlan(w io.Writer, g *graph.Graph, p *scoring.Plan, limit int) error {
	fmt.Fprintf(w, "%d fixes (total effort %.0f) cut %d of %d attack paths", len(p.Steps), p.TotalEffort, p.PathsBefore-p.PathsAfter, p.PathsBefore)
	switch {
	case p.Verified:
		fmt.Fprintln(w, "; verified: a search with the fixes applied finds no path to a cuttable target")
	case p.Truncated:
		fmt.Fprintln(w, "; NOT verified: a search ran out of its work budget")
	default:
		fmt.Fprintln(w, "; NOT verified")
	}
	if len(p.UncuttableTargets) > 0 {
		termcell.Printf(w, "%d targets are reachable along paths no finding fix cuts (by-design access): %s",
			len(p.UncuttableTargets), strings.Join(p.UncuttableTargets, ", "))
	}
	steps := p.Steps
	if limit > 0 && len(steps) > limit {
		steps = steps[:limit]
	}
	t := termcell.NewTable(w, "#", "PATHS CUT", "EFFORT", "SEVERITY", "RULE", "RESOURCE", "REMEDIATION").Wide(6, 200)
	for i, s := range steps {
		res := s.Resource
		if n := g.Node(s.Resource); n != nil && n.Name != "" {
			res = n.Name
		}
		t.Row(strconv.Itoa(i+1), strconv.Itoa(s.PathsRemoved), fmt.Sprintf("%.0f", s.FixEffort), s.Severity.String(), s.RuleID, res, oneLine(s.Remediation))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if limit > 0 && len(p.Steps) > limit {
		fmt.Fprintf(w, "... and %d more (breachpath plan)\n", len(p.Steps)-limit)
	}
	return nil
}
