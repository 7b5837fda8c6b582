package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/collector"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"github.com/breachpath/breachpath/scoring/compliance"
)

// complianceFlags are the flags of `breachpath compliance`.
type complianceFlags struct {
	searchFlags
	framework string
	list      bool
	format    string
	output    string
	now       string
}

func (a *app) complianceCommand() *cobra.Command {
	var f complianceFlags
	cmd := &cobra.Command{
		Use:   "compliance",
		Short: "Report the estate against a compliance framework: each control pass, fail or not evaluated",
		Long: `compliance reports every control of a framework (CIS AWS/Azure/GCP Foundations,
AWS Foundational Security Best Practices, NIST SP 800-53 rev5, PCI DSS v4.0,
ISO/IEC 27001:2022 Annex A, SOC 2) as pass, fail or not evaluated, with the
failing resources. A control fails when an open finding of a rule mapped to it
is on record; it passes when at least one of its rules ran in a collected scope
and found nothing; otherwise it is not evaluated. Controls whose failures sit on
attack paths come first. The mappings are data files naming their sources
(docs/compliance.md); --list shows the frameworks.

Formats: table, csv, json, html (self-contained) and ocsf (OCSF Compliance
Finding, class 2003).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.list {
				return a.listFrameworks()
			}
			if err := f.validate(); err != nil {
				return err
			}
			return a.runCompliance(cmd.Context(), f)
		},
	}
	f.searchFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.framework, "framework", "", "framework id (see --list), e.g. cis-aws-3.0")
	fl.BoolVar(&f.list, "list", false, "list the frameworks and how many of their controls the rules evidence")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(compliance.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout")
	fl.StringVar(&f.now, "now", "", "report time (RFC 3339; reproducible reports and tests)")
	_ = fl.MarkHidden("now")
	return cmd
}

func (f *complianceFlags) validate() error {
	if f.framework == "" {
		return usageErrorf("--framework is required (breachpath compliance --list shows the frameworks)")
	}
	if _, err := compliance.Lookup(f.framework); err != nil {
		return usageErrorf("--framework: %v", err)
	}
	if !slices.Contains(compliance.Formats, f.format) {
		return usageErrorf("--format %q: want one of %s", f.format, strings.Join(compliance.Formats, ", "))
	}
	if f.now != "" {
		if _, err := time.Parse(time.RFC3339, f.now); err != nil {
			return usageErrorf("--now %q: want an RFC 3339 time", f.now)
		}
	}
	return nil
}

func (a *app) listFrameworks() error {
	fws, err := compliance.Frameworks()
	if err != nil {
		return err
	}
	t := termcell.NewTable(a.stdout, "FRAMEWORK", "TITLE", "VERSION", "CATALOGUE", "CONTROLS", "EVIDENCED").Wide(1, 70)
	for _, fw := range fws {
		mapped := 0
		for _, c := range fw.Controls {
			if len(c.Rules)+len(c.RulesIfCited) > 0 {
				mapped++
			}
		}
		t.Row(fw.ID, fw.Title, fw.Version, fw.Catalogue, strconv.Itoa(len(fw.Controls)), strconv.Itoa(mapped))
	}
	return t.Flush()
}

func (a *app) runCompliance(ctx context.Context, f complianceFlags) error {
	fw, err := compliance.Lookup(f.framework)
	if err != nil {
		return err
	}
	filter, opts, err := f.searchFlags.options()
	if err != nil {
		return err
	}
	an, err := a.analyse(ctx, filter, opts, false)
	if err != nil {
		return err
	}
	st, err := a.openStoreRead(ctx)
	if err != nil {
		return err
	}
	collected, err := compliance.CollectedFrom(ctx, st, filter)
	st.Close()
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if f.now != "" {
		now, _ = time.Parse(time.RFC3339, f.now) // validated
	}
	rep := compliance.Build(compliance.Input{Framework: fw, Rules: collector.Rules(), Queue: an.Report.Queue,
		Collected: collected, Truncated: an.Report.Truncated, GeneratedAt: now})
	w := a.stdout
	var file *os.File
	if f.output != "" {
		if file, err = os.Create(f.output); err != nil {
			return fmt.Errorf("compliance: %w", err)
		}
		w = file
	}
	err = compliance.Write(w, f.format, rep)
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("compliance: %w", cerr)
		}
	}
	return err
}
