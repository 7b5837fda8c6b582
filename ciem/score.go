package ciem

import (
	"cmp"
	"math"
	"slices"

	"github.com/breachpath/breachpath/graph"
)

// Score weights; docs/ciem.md explains the formula.
const (
	baseFactor        = 8.0
	baseCap           = 60.0
	unknownUsageShare = 0.5
	dataStep          = 0.25
	escDirect         = 1.6
	escPath           = 1.4
	escMoves          = 1.15
	escDirectPoints   = 20.0
	escPathPoints     = 12.0
	escMovesPoints    = 4.0
	wildcardPoints    = 4.0
	wildcardCap       = 12.0
	dormantPoints     = 5.0
	dormantCap        = 10.0
	inactivePoints    = 8.0
	trustPoints       = 5.0
	publicTrustPoints = 10.0
	trustCap          = 10.0
)

// score computes the over-privilege score: unused sensitive permissions,
// weighted by the sensitivity of the data the principal reaches and by its
// escalation potential, plus fixed points for wildcard grants, dormant
// credentials, inactivity and outside trust.
func score(p *Principal, g *graph.Graph, entKnown, usageKnown bool) {
	var u float64
	switch {
	case entKnown && usageKnown:
		u = float64(p.Usage.UnusedSensitive)
	case entKnown:
		u = unknownUsageShare * float64(p.Permissions.Sensitive)
	}
	base := math.Min(baseCap, baseFactor*math.Log2(1+u))
	level := 0
	for _, r := range p.Resources {
		l := max(int(r.Sensitivity)-int(graph.SensitivityPublic), 0)
		if r.CrownJewel {
			l = int(graph.SensitivityRestricted) - int(graph.SensitivityPublic)
		}
		level = max(level, l)
	}
	data := 1 + dataStep*float64(level)
	// Escalation potential multiplies the unused grants and also counts on
	// its own, so an administrator ranks high even when its permissions
	// were not recorded.
	esc, extras := 1.0, 0.0
	switch {
	case p.Admin.Direct:
		esc, extras = escDirect, escDirectPoints
	case p.Admin.ViaEscalation:
		esc, extras = escPath, escPathPoints
	case len(p.Admin.Escalations) > 0:
		esc, extras = escMoves, escMovesPoints
	}
	extras += math.Min(wildcardCap, wildcardPoints*float64(len(p.Wildcards)))
	extras += math.Min(dormantCap, dormantPoints*float64(len(p.Dormant)))
	if p.Activity.State == StateUnused && p.Permissions.Total > 0 {
		extras += inactivePoints
	}
	trust := 0.0
	for _, t := range p.Trust {
		if t.Kind == TrustPublic {
			trust += publicTrustPoints
		} else {
			trust += trustPoints
		}
	}
	extras += math.Min(trustCap, trust)
	total := math.Min(100, base*data*esc+extras)
	p.Score = math.Round(total*10) / 10
	p.ScoreParts = ScoreBreakdown{UnusedSensitive: u, Base: round2(base), DataWeight: data, EscalationWeight: esc, Extras: extras}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func summarize(ps []Principal) []AccountSummary {
	by := map[string]*AccountSummary{}
	for i := range ps {
		p := &ps[i]
		key := string(p.Cloud) + ":" + p.Account
		a := by[key]
		if a == nil {
			a = &AccountSummary{Cloud: p.Cloud, Account: p.Account}
			by[key] = a
		}
		a.Principals++
		if len(p.AttackPaths) > 0 {
			a.OnAttackPath++
		}
		if p.Admin.Direct {
			a.Admin++
		} else if p.Admin.ViaEscalation {
			a.CanEscalate++
		}
		if p.Activity.State == StateUnused {
			a.Inactive++
		}
		a.Dormant += len(p.Dormant)
		if len(p.Wildcards) > 0 {
			a.Wildcards++
		}
		if len(p.Trust) > 0 {
			a.ExternalTrust++
		}
		if p.Usage.Known {
			a.UsageKnown++
		}
		a.UnusedSensitive += p.Usage.UnusedSensitive
		a.ScoreBands[min(int(p.Score/20), 4)]++
		a.MaxScore = max(a.MaxScore, p.Score)
	}
	out := make([]AccountSummary, 0, len(by))
	for _, a := range by {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(x, y AccountSummary) int {
		if c := cmp.Compare(x.Cloud, y.Cloud); c != 0 {
			return c
		}
		return cmp.Compare(x.Account, y.Account)
	})
	return out
}
