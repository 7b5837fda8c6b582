package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/collector/terraform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/gate"
)

// exitGateFailed is gate's verdict: the change opens an attack path at or
// above --fail-on (README.md, docs/ci-gate.md).
const exitGateFailed = 4

// gateFailedError carries the failing verdict to run's exit-code mapping
// after the report has been written.
type gateFailedError struct{ opened int }

func (e *gateFailedError) Error() string {
	return fmt.Sprintf("gate failed: the change opens %d attack path(s) at or above --fail-on", e.opened)
}

type gateFlags struct {
	plan       string
	format     string
	failOn     string
	failOnRisk float64
	noBaseline bool
	allScopes  bool
	account    string
	region     string
	tfDir      string
	// azureSubscription, azureTenant and gcpProject place azurerm and
	// google resources whose ids the plan does not give.
	azureSubscription string
	azureTenant       string
	gcpProject        string
	repoRoot          string
	maxDepth          int
	top               int
	maxWork           int64
}

func (a *app) gateCommand() *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Fail an infrastructure change that opens an attack path (Terraform plan JSON)",
		Long: `gate reads a Terraform plan in its JSON form (terraform show -json plan.out),
models the planned AWS, azurerm and google resources with the AWS, Azure and GCP
collectors' transforms, overlays the change on the stored graph of the affected
account, subscription or project (creates add, updates replace,
deletes remove) and reports the attack paths the change opens and closes, each hop
tied to the Terraform resource address that causes it. Values unknown until apply
are assumed to open (an unknown CIDR is 0.0.0.0/0, an unknown policy allows
everything) and listed. Exit code 4 when an opened path reaches a target at or
above --fail-on with at least --fail-on-risk; docs/ci-gate.md has CI recipes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runGate(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.plan, "plan", "", "plan JSON (terraform show -json plan.out > plan.json)")
	fl.StringVar(&f.format, "format", "table", "output: table, json, markdown or sarif")
	fl.StringVar(&f.failOn, "fail-on", "confidential", "least target sensitivity that fails the gate: public, internal, confidential, restricted, or none (crown jewels always fail)")
	fl.Float64Var(&f.failOnRisk, "fail-on-risk", 0, "least path risk (0-100) that fails the gate")
	fl.BoolVar(&f.noBaseline, "no-baseline", false, "compare the plan alone, without the stored estate")
	fl.BoolVar(&f.allScopes, "all-scopes", false, "search the whole stored estate (every account, subscription and project), not only the plan's account: finds paths that cross into it")
	fl.StringVar(&f.account, "account", "", "AWS account of the plan (default: from the plan's ARNs, else the store's only AWS account)")
	fl.StringVar(&f.region, "region", "", "AWS region of resources the plan does not place (default: the aws provider's region, else us-east-1)")
	fl.StringVar(&f.azureSubscription, "azure-subscription", "", "Azure subscription of the plan's azurerm resources (default: from the plan's ids, else the azurerm provider's subscription_id)")
	fl.StringVar(&f.azureTenant, "azure-tenant", "", "Azure tenant of the plan's azurerm resources (default: the azurerm provider's tenant_id)")
	fl.StringVar(&f.gcpProject, "gcp-project", "", "GCP project of the plan's google resources (default: the first project a resource names, else the google provider's project)")
	fl.StringVar(&f.tfDir, "tf-dir", "", "directory of the root module's .tf files, for SARIF locations (default: the plan file's directory)")
	fl.StringVar(&f.repoRoot, "repo-root", ".", "SARIF file locations are relative to this directory")
	fl.IntVar(&f.maxDepth, "max-depth", paths.DefaultMaxDepth, "longest attack path, in moves")
	fl.IntVar(&f.top, "top", paths.DefaultTop, "most likely paths kept per target")
	fl.Int64Var(&f.maxWork, "max-work", paths.DefaultMaxWork, "search work budget in edges scanned")
	_ = cmd.MarkFlagRequired("plan")
	return cmd
}

func (a *app) runGate(ctx context.Context, f gateFlags) error {
	switch f.format {
	case "table", "json", "markdown", "sarif":
	default:
		return usageErrorf("--format %q: want table, json, markdown or sarif", f.format)
	}
	failOn := graph.SensitivityNone
	if f.failOn != "none" {
		s, err := graph.ParseSensitivity(f.failOn)
		if err != nil || s == graph.SensitivityNone {
			return usageErrorf("--fail-on %q: want public, internal, confidential, restricted or none", f.failOn)
		}
		failOn = s
	}
	if f.failOnRisk < 0 || f.failOnRisk > 100 {
		return usageErrorf("--fail-on-risk %v: want 0..100", f.failOnRisk)
	}
	if f.maxDepth < 1 || f.maxDepth > paths.MaxMaxDepth {
		return usageErrorf("--max-depth %d: want 1..%d", f.maxDepth, paths.MaxMaxDepth)
	}
	if f.top < 1 || f.top > paths.MaxTop {
		return usageErrorf("--top %d: want 1..%d", f.top, paths.MaxTop)
	}
	start := time.Now()
	plan, err := terraform.ReadPlan(f.plan)
	if err != nil {
		return err
	}
	var st graph.Store
	if !f.noBaseline {
		if st, err = a.openStoreRead(ctx); err != nil {
			return fmt.Errorf("gate needs the stored estate (or --no-baseline): %w", err)
		}
		defer st.Close()
		if f.account == "" {
			f.account = terraform.PlanAccount(plan)
		}
		if f.account == "" && terraform.HasAWS(plan) {
			scopes, err := st.Scopes(ctx)
			if err != nil {
				return fmt.Errorf("gate: list stored scopes: %w", err)
			}
			var aws []graph.Scope
			for _, s := range scopes {
				if s.Cloud == graph.CloudAWS {
					aws = append(aws, s)
				}
			}
			if len(aws) != 1 {
				return usageErrorf("the plan names no account and the store holds %d AWS accounts: pass --account", len(aws))
			}
			f.account = aws[0].ID
		}
	}
	// The stored estate is read first: the plan's builder takes from it the
	// resources the plan references without holding them (its fact edges
	// say which instance a stored group protects, which role a stored
	// profile holds, how a stored subnet routes).
	opts := terraform.Options{AccountID: f.account, Region: f.region, AzureSubscription: f.azureSubscription,
		AzureTenant: f.azureTenant, GCPProject: f.gcpProject}
	var base, landing *graph.Graph
	if !f.noBaseline {
		scopes := terraform.Scopes(plan, opts)
		filter := graph.Filter{Scopes: scopes, SkipFacts: true, KeepFacts: terraform.StoredFacts()}
		if landing, err = st.Load(ctx, filter); err != nil {
			return fmt.Errorf("load graph from %s: %w", a.storeName(), err)
		}
		if len(scopes) == 0 || len(landing.Nodes) == 0 {
			return usageErrorf("the store holds nothing for %v: collect it first, pass --account / --azure-subscription / --gcp-project, or use --no-baseline", scopes)
		}
		base = landing
		if f.allScopes {
			// the whole estate is searched; only the plan's scopes are
			// needed with their facts
			if base, err = st.Load(ctx, graph.Filter{SkipFacts: true}); err != nil {
				return fmt.Errorf("load graph from %s: %w", a.storeName(), err)
			}
		}
		opts.Stored = terraform.NewStored(landing, f.account)
	}
	loaded := time.Now()
	change, err := terraform.Analyse(ctx, plan, opts, a.log)
	if err != nil {
		return err
	}
	converted := time.Now()
	in := gate.Input{NodeCauses: change.NodeCauses, Assumptions: change.Assumptions, Unsupported: change.Unsupported,
		Baseline: !f.noBaseline, Locations: map[string]gate.Location{}}
	if f.noBaseline {
		in.Before = graph.Assemble(change.Before.Nodes, change.Before.Edges, change.Before.Findings)
		in.After = graph.Assemble(change.After.Nodes, change.After.Edges, change.After.Findings)
		in.Added, in.Removed = edgeDiff(change.Before.Edges, change.After.Edges)
	} else {
		known := change.Known(base)
		in.Before = known.Apply(base)
		in.After = change.Delta.Apply(in.Before)
		in.Added, in.Removed = edgeDiff(change.Before.Edges, change.After.Edges)
	}
	overlaid := time.Now()
	tfDir := f.tfDir
	if tfDir == "" {
		tfDir = filepath.Dir(f.plan)
	}
	if locs, err := terraform.Locate(tfDir, f.repoRoot); err == nil {
		for addr := range change.Changed {
			if l, ok := terraform.LocationOf(locs, addr); ok {
				in.Locations[addr] = gate.Location{File: l.File, Line: l.Line}
			}
		}
	} else {
		a.log.Warn("gate: .tf files not read; SARIF locations are logical only", "err", err)
	}
	report, err := gate.Compare(ctx, in, gate.Options{
		Search:     paths.Options{MaxDepth: f.maxDepth, Top: f.top, Threshold: paths.DefaultThreshold, MaxWork: f.maxWork},
		FailOn:     failOn,
		FailOnRisk: f.failOnRisk,
	})
	if err != nil {
		return err
	}
	a.log.Info("gate", "load", loaded.Sub(start).Round(time.Millisecond).String(),
		"convert", converted.Sub(loaded).Round(time.Millisecond).String(),
		"overlay", overlaid.Sub(converted).Round(time.Millisecond).String(),
		"analyse_twice", time.Since(overlaid).Round(time.Millisecond).String(),
		"opened", len(report.Opened), "closed", len(report.Closed))
	switch f.format {
	case "json":
		err = gate.WriteJSON(a.stdout, report)
	case "markdown":
		err = gate.WriteMarkdown(a.stdout, report)
	case "sarif":
		err = gate.WriteSARIF(a.stdout, report)
	default:
		err = gate.WriteTable(a.stdout, report)
	}
	if err != nil {
		return fmt.Errorf("write gate report: %w", err)
	}
	if report.Failed {
		n := 0
		for _, p := range report.Opened {
			if p.Fails {
				n++
			}
		}
		return &gateFailedError{opened: n}
	}
	return nil
}

func edgeDiff(before, after []graph.Edge) (added, removed map[graph.EdgeKey]bool) {
	b := make(map[graph.EdgeKey]bool, len(before))
	for i := range before {
		b[before[i].Key()] = true
	}
	a := make(map[graph.EdgeKey]bool, len(after))
	added = map[graph.EdgeKey]bool{}
	for i := range after {
		k := after[i].Key()
		a[k] = true
		if !b[k] {
			added[k] = true
		}
	}
	removed = map[graph.EdgeKey]bool{}
	for k := range b {
		if !a[k] {
			removed[k] = true
		}
	}
	return added, removed
}

// isGateFailure recognises gate's failing verdict.
func isGateFailure(err error) bool {
	var g *gateFailedError
	return errors.As(err, &g)
}
