package ciem

import (
	"fmt"
	"github.com/breachpath/breachpath/graph/safetext"
	"github.com/breachpath/breachpath/graph/safetext/mdcell"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown: account
// summaries, the ranked principal table, then one section per principal.
func WriteMarkdown(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# CIEM over-privilege report\n\nGenerated %s; permissions not used in the last %d days are unused.\n\n", r.GeneratedAt.Format("2006-01-02 15:04 MST"), r.WindowDays)
	if r.PathsTruncated {
		b.WriteString("> **Warning:** the attack-path search ran out of budget; some principals may miss their paths.\n\n")
	}
	b.WriteString("## Accounts\n\n| Cloud | Account | Principals | On attack paths | Admin | Can escalate | Inactive | Dormant credentials | Wildcard grants | Outside trust | Usage known |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, a := range r.Accounts {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", md(string(a.Cloud)), md(a.Account), a.Principals, a.OnAttackPath,
			a.Admin, a.CanEscalate, a.Inactive, a.Dormant, a.Wildcards, a.ExternalTrust, a.UsageKnown)
	}
	b.WriteString("\n## Principals\n\n| # | Score | Principal | Kind | Account | Attack paths | Admin | Permissions | Unused services | Unused sensitive | Activity | Dormant | Wildcards | Trust |\n|---:|---:|---|---|---|---:|---|---|---|---|---|---|---|---|\n")
	for i := range r.Principals {
		p := &r.Principals[i]
		fmt.Fprintf(b, "| %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i+1, p.Score, md(p.Name), md(string(p.Kind)), md(p.Account),
			md(p.PathsCell()), md(p.AdminCell()), md(p.PermissionsCell()), md(p.UnusedServicesCell()), md(p.UnusedSensitiveCell()), md(p.ActivityCell()),
			md(p.DormantCell()), md(p.WildcardCell()), md(p.TrustCell()))
	}
	for i := range r.Principals {
		p := &r.Principals[i]
		fmt.Fprintf(b, "\n### %d. %s (%s, score %.1f)\n\n%s\n\n", i+1, md(p.Name), md(string(p.Kind)), p.Score, md(p.ID))
		if len(p.AttackPaths) > 0 {
			fmt.Fprintf(b, "- **On attack paths:** %s\n", md(strings.Join(p.AttackPaths, ", ")))
		}
		fmt.Fprintf(b, "- **Admin-equivalent:** %s\n", md(p.AdminCell()))
		for _, h := range p.Admin.Path {
			fmt.Fprintf(b, "  - %s\n", md(h))
		}
		if !p.Usage.Known {
			fmt.Fprintf(b, "- **Usage:** unknown — %s\n", md(p.Usage.Reason))
		} else {
			fmt.Fprintf(b, "- **Usage:** %d services used, %d unused (%s); %d unused sensitive permissions\n", len(p.Usage.UsedServices),
				len(p.Usage.UnusedServices), md(strings.Join(p.Usage.UnusedServices, ", ")), p.Usage.UnusedSensitive)
		}
		fmt.Fprintf(b, "- **Activity:** %s", md(p.ActivityCell()))
		if p.Activity.Reason != "" {
			fmt.Fprintf(b, " — %s", md(p.Activity.Reason))
		}
		b.WriteString("\n")
		for _, d := range p.Dormant {
			fmt.Fprintf(b, "- **Dormant credential:** %s %s — %s\n", md(string(d.Kind)), md(d.ID), md(d.Reason))
		}
		for _, t := range p.Trust {
			fmt.Fprintf(b, "- **Trusts (%s):** %s (can assume: %v)\n", md(string(t.Kind)), md(t.Principal), t.CanAssume)
		}
		for _, wc := range p.Wildcards {
			fmt.Fprintf(b, "- **Wildcard (%s):** %s statement %s %s\n", md(strings.Join(wc.Kinds, ", ")), md(nameOr(wc.PolicyName, wc.Policy)), md(wc.Statement), md(strings.Join(wc.Patterns, " ")))
		}
		if len(p.SensitiveData) > 0 {
			b.WriteString("- **Sensitive data reached:**")
			for _, s := range p.SensitiveData {
				fmt.Fprintf(b, " %s (%s, %s);", md(nameOr(s.Name, s.ID)), md(s.Sensitivity.String()), md(accessList(s)))
			}
			b.WriteString("\n")
		}
		if p.Suggestion != nil {
			fmt.Fprintf(b, "\nLeast-privilege policy (%d actions, %d permissions removed):\n\n```json\n%s\n```\n", len(p.Suggestion.Actions), p.Suggestion.Removed,
				codeBlock(p.Suggestion.Policy))
			for _, n := range p.Suggestion.Notes {
				fmt.Fprintf(b, "\n> %s\n", md(n))
			}
			for _, r := range p.Suggestion.Replaces {
				fmt.Fprintf(b, "\n- **Replaces:** %s on %s\n", md(r.Grant), md(r.On))
			}
		} else {
			fmt.Fprintf(b, "- **Least privilege:** no suggestion — %s\n", md(p.SuggestionReason))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func accessList(r ResourceAccess) string {
	parts := make([]string, len(r.Access))
	for i, a := range r.Access {
		parts[i] = string(a)
	}
	if r.Conditional {
		return strings.Join(parts, "/") + " (conditional)"
	}
	return strings.Join(parts, "/")
}

// md escapes text from the estate for a Markdown table cell or line: the
// markdown rule of graph/safetext/mdcell (docs/security.md).
func md(s string) string { return mdcell.Text(s) }

// codeBlock makes text safe inside a ``` fence: no line can close the
// fence, and every line shows its acting characters as escapes.
func codeBlock(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "```", "'''"), "\n")
	for i, l := range lines {
		lines[i] = safetext.Visible(l)
	}
	return strings.Join(lines, "\n")
}
