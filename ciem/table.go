package ciem

import (
	"fmt"
	"io"

	"github.com/breachpath/breachpath/graph/safetext/termcell"
)

// WriteTable prints the report as an aligned text table, riskiest first.
func WriteTable(w io.Writer, r *Report) error {
	for _, a := range r.Accounts {
		termcell.Printf(w, "%s account %s: %d principals, %d on attack paths, %d admin, %d can escalate, %d inactive, %d dormant credentials, usage known for %d",
			a.Cloud, a.Account, a.Principals, a.OnAttackPath, a.Admin, a.CanEscalate, a.Inactive, a.Dormant, a.UsageKnown)
	}
	if r.PathsTruncated {
		fmt.Fprintln(w, "warning: the attack-path search ran out of budget; some principals may miss their paths")
	}
	if len(r.Principals) == 0 {
		_, err := fmt.Fprintln(w, "no principals")
		return err
	}
	fmt.Fprintf(w, "window: %d days\n\n", r.WindowDays)
	// every cell follows the terminal rule of graph/safetext/termcell: a
	// principal name cannot forge a row or act on the terminal
	t := termcell.NewTable(w, "#", "SCORE", "PRINCIPAL", "KIND", "ACCOUNT", "PATHS", "ADMIN", "PERMISSIONS", "UNUSED SVC", "UNUSED SENSITIVE", "ACTIVITY", "DORMANT", "WILDCARDS", "TRUST", "LEAST PRIVILEGE").Wide(13, 100)
	for i := range r.Principals {
		p := &r.Principals[i]
		t.Row(fmt.Sprint(i+1), fmt.Sprintf("%.1f", p.Score), p.Name, string(p.Kind), p.Account,
			p.PathsCell(), p.AdminCell(), p.PermissionsCell(), p.UnusedServicesCell(), p.UnusedSensitiveCell(), p.ActivityCell(),
			p.DormantCell(), p.WildcardCell(), p.TrustCell(), shortSuggestion(p))
	}
	return t.Flush()
}

func shortSuggestion(p *Principal) string {
	if p.Suggestion != nil {
		return p.SuggestionCell()
	}
	return "none"
}
