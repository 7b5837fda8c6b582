package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// searchFlags are the path-search options shared by paths, queue, plan and demo.
type searchFlags struct {
	scopeFlags
	maxDepth  int
	top       int
	threshold string
	sources   []string
	targets   []string
	accounts  []string
	maxWork   int64
}

func (f *searchFlags) add(cmd *cobra.Command) {
	f.scopeFlags.add(cmd)
	fl := cmd.Flags()
	fl.IntVar(&f.maxDepth, "max-depth", paths.DefaultMaxDepth, "longest attack path, in moves")
	fl.IntVar(&f.top, "top", paths.DefaultTop, "most likely paths kept per target")
	fl.StringVar(&f.threshold, "threshold", paths.DefaultThreshold.String(), "target sensitivity: public, internal, confidential or restricted (crown jewels are always targets)")
	fl.StringSliceVar(&f.sources, "source", nil, "assume this foothold compromised and start from it instead of the exposure sources: a node id, an access key id, an instance id or a principal's name; repeatable")
	fl.StringSliceVar(&f.targets, "target", nil, "only paths to these node ids; repeatable")
	fl.StringSliceVar(&f.accounts, "account", nil, "only paths touching these accounts / subscriptions / projects; repeatable")
	fl.Int64Var(&f.maxWork, "max-work", paths.DefaultMaxWork, "work budget in edges scanned; results are flagged truncated when it runs out")
}

func (f *searchFlags) options() (graph.Filter, paths.Options, error) {
	filter, err := f.filter()
	if err != nil {
		return filter, paths.Options{}, err
	}
	th, err := graph.ParseSensitivity(f.threshold)
	if err != nil || th == graph.SensitivityNone {
		return filter, paths.Options{}, usageErrorf("--threshold %q: want public, internal, confidential or restricted", f.threshold)
	}
	if f.maxDepth < 1 || f.maxDepth > paths.MaxMaxDepth {
		return filter, paths.Options{}, usageErrorf("--max-depth %d: want 1..%d", f.maxDepth, paths.MaxMaxDepth)
	}
	if f.top < 1 || f.top > paths.MaxTop {
		return filter, paths.Options{}, usageErrorf("--top %d: want 1..%d", f.top, paths.MaxTop)
	}
	if f.maxWork < 1 {
		return filter, paths.Options{}, usageErrorf("--max-work %d: want a positive budget", f.maxWork)
	}
	// search, scoring and the plan read attacker moves only: leave the
	// fact edges (most of the graph) in the store
	filter.SkipFacts = true
	return filter, paths.Options{
		MaxDepth:  f.maxDepth,
		Top:       f.top,
		Threshold: th,
		Sources:   f.sources,
		Targets:   f.targets,
		Clouds:    filter.Clouds,
		Accounts:  f.accounts,
		MaxWork:   f.maxWork,
	}, nil
}

// analyse loads the graph and runs search and scoring. --source values
// are resolved on the loaded graph (graph.Resolve: a node id, an access key
// id, an instance id, a principal's name); when none names a node the error
// is an *unresolvedSources, which 'paths' reports as an empty answer.
//
// With scoped set (paths, whose answer is only the paths), a question with
// --target or --source loads only the scopes it can touch (loadQuestion);
// queue and compliance list every finding, so they load every scope.
func (a *app) analyse(ctx context.Context, filter graph.Filter, opts paths.Options, scoped bool) (*scoring.Analysis, error) {
	start := time.Now()
	load := a.loadGraph
	if scoped {
		load = func(ctx context.Context, filter graph.Filter) (*graph.Graph, error) {
			return a.loadQuestion(ctx, filter, opts)
		}
	}
	g, err := load(ctx, filter)
	if err != nil {
		return nil, err
	}
	if len(opts.Sources) > 0 {
		var ids []string
		un := &unresolvedSources{}
		for _, ref := range opts.Sources {
			got, why := g.Resolve(ref)
			if len(got) == 0 {
				un.notes = append(un.notes, why)
				continue
			}
			if len(got) > 1 || got[0] != ref {
				a.log.Info("source resolved", "source", ref, "nodes", strings.Join(got, ", "))
			}
			ids = append(ids, got...)
		}
		if len(ids) == 0 {
			return nil, un
		}
		for _, n := range un.notes {
			a.log.Warn("source ignored", "why", n)
		}
		opts.Sources = ids
	}
	owners, err := a.owners()
	if err != nil {
		return nil, err
	}
	loaded := time.Now()
	an, err := scoring.Analyse(ctx, g, opts, scoring.Options{Owners: owners})
	if err == nil {
		// the ratio of the two is what docs/benchmarks.md tracks: the store
		// to the answer against the engine itself
		a.log.Info("analysed", "load", loaded.Sub(start).Round(time.Millisecond).String(),
			"search_and_score", time.Since(loaded).Round(time.Millisecond).String(),
			"nodes", len(g.Nodes), "edges", len(g.Edges))
		writeAnalysedProfile()
	}
	return an, err
}

// unresolvedSources: no --source named a node of the graph.
type unresolvedSources struct{ notes []string }

func (u *unresolvedSources) Error() string { return strings.Join(u.notes, "; ") }

// planOf computes the choke-point plan on an analysis' projection.
func planOf(ctx context.Context, an *scoring.Analysis, opts paths.Options) (*scoring.Plan, error) {
	p, err := scoring.PlanProjection(ctx, an.Projection, scoring.PlanOptions{Search: opts})
	if err != nil {
		return nil, fmt.Errorf("remediation plan: %w", err)
	}
	return p, nil
}
