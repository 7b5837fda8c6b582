package ciem

import (
	"fmt"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext/csvcell"
)

var csvHeader = []string{"rank", "score", "id", "name", "kind", "cloud", "account", "attack_paths", "admin", "admin_path",
	"permissions", "sensitive_permissions", "usage_known", "unused_services", "unused_sensitive", "activity", "last_activity",
	"dormant_credentials", "wildcards", "trust", "sensitive_data", "resources", "suggestion", "suggestion_reason"}

// WriteCSV writes one row per principal. Counts that depend on unknown
// usage are "unknown", never 0.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csvcell.NewWriter(w) // the spreadsheet rule: no cell reads as a formula
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for i := range r.Principals {
		p := &r.Principals[i]
		perms, sens := StateUnknown, StateUnknown
		if p.EntitlementsKnown {
			perms, sens = fmt.Sprint(p.Permissions.Total), fmt.Sprint(p.Permissions.Sensitive)
		}
		sug := ""
		if p.Suggestion != nil {
			sug = p.Suggestion.Policy
		}
		row := []string{fmt.Sprint(i + 1), fmt.Sprintf("%.1f", p.Score), p.ID, p.Name, string(p.Kind), string(p.Cloud), p.Account,
			strings.Join(p.AttackPaths, ";"), p.AdminCell(), strings.Join(p.Admin.Path, " ; "), perms, sens,
			fmt.Sprint(p.Usage.Known), p.UnusedServicesCell(), p.UnusedSensitiveCell(), p.Activity.State, day(p.Activity.LastActivity),
			none(p.DormantCell()), none(p.WildcardCell()), none(p.TrustCell()), fmt.Sprint(len(p.SensitiveData)), fmt.Sprint(len(p.Resources)),
			sug, p.SuggestionReason}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// none turns the table's "-" into an empty cell.
func none(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
