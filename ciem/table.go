package ciem

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the report as an aligned text table, riskiest first.
func WriteTable(w io.Writer, r *Report) error {
	for _, a := range r.Accounts {
		fmt.Fprintf(w, "%s account %s: %d principals, %d on attack paths, %d admin, %d can escalate, %d inactive, %d dormant credentials, usage known for %d\n",
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
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSCORE\tPRINCIPAL\tKIND\tACCOUNT\tPATHS\tADMIN\tPERMISSIONS\tUNUSED SVC\tUNUSED SENSITIVE\tACTIVITY\tDORMANT\tWILDCARDS\tTRUST\tLEAST PRIVILEGE")
	for i := range r.Principals {
		p := &r.Principals[i]
		fmt.Fprintf(tw, "%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, p.Score, p.Name, p.Kind, p.Account,
			p.PathsCell(), p.AdminCell(), p.PermissionsCell(), p.UnusedServicesCell(), p.UnusedSensitiveCell(), p.ActivityCell(),
			p.DormantCell(), p.WildcardCell(), p.TrustCell(), shortSuggestion(p))
	}
	return tw.Flush()
}

func shortSuggestion(p *Principal) string {
	if p.Suggestion != nil {
		return p.SuggestionCell()
	}
	return "none"
}
