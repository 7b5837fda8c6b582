// Package trend computes remediation metrics: mean and median time to
// remediate per severity, per account and per owner tag, open findings by
// age, and the attack-path count over time.
//
// Time to remediate comes from the store's finding lifecycle (first seen,
// resolved at), which every sync keeps; the path count over time comes from
// the change ledger (scoring/drift), because the store keeps only the
// current graph. A stale finding (its area failed to collect) is counted as
// open: nobody has seen it fixed.
package trend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/scoring/owner"
)

// NoOwner is the owner group of resources nobody owns; RemovedOwner that
// of findings whose resource is no longer in the store and whose owner the
// change ledger did not record either.
const (
	NoOwner      = "(none)"
	RemovedOwner = "(resource removed)"
)

// Options tune the report.
type Options struct {
	// Since bounds the window: findings resolved and observations taken
	// at or after it (zero: everything).
	Since time.Time
	// Now is the report's time (ages are measured to it).
	Now time.Time
	// Owners names each resource's owner (tags, mapping file, scope
	// defaults: scoring/owner); nil reads the default owner tags.
	Owners *owner.Resolver
}

// Report is the remediation metrics of one window.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Since       time.Time `json:"since,omitzero"`
	// Remediation is the time from first seen to resolved of the findings
	// resolved in the window, grouped three ways.
	Remediation Remediation `json:"remediation"`
	// OpenByAge counts open (and stale) findings by how long ago they
	// were first seen.
	OpenByAge []AgeBucket `json:"open_by_age"`
	// Paths is the attack-path count of every observation in the window,
	// oldest first.
	Paths []PathPoint `json:"paths"`
}

// Remediation groups time-to-remediate statistics.
type Remediation struct {
	Overall    Stat   `json:"overall"`
	BySeverity []Stat `json:"by_severity"`
	ByAccount  []Stat `json:"by_account"`
	ByOwner    []Stat `json:"by_owner"`
}

// Stat is the time to remediate of one group, in hours.
type Stat struct {
	Key         string  `json:"key"`
	Resolved    int     `json:"resolved"`
	MeanHours   float64 `json:"mean_hours"`
	MedianHours float64 `json:"median_hours"`
	// Open is how many findings of the group are still open (stale included).
	Open int `json:"open"`
}

// AgeBucket counts open findings first seen within [MinDays, MaxDays).
type AgeBucket struct {
	Label   string `json:"label"`
	MinDays int    `json:"min_days"`
	MaxDays int    `json:"max_days,omitempty"` // 0: no upper bound
	Count   int    `json:"count"`
	// BySeverity counts per severity name (info .. critical).
	BySeverity map[string]int `json:"by_severity"`
}

// PathPoint is one observation's attack-path count.
type PathPoint struct {
	At     time.Time `json:"at"`
	SyncID int64     `json:"sync_id"`
	Paths  int       `json:"paths"`
	// BySeverity counts paths by the highest severity of the findings that
	// enable them (info when none does).
	BySeverity   map[string]int `json:"by_severity"`
	OpenFindings int            `json:"open_findings"`
	// Truncated: the search was bounded, so Paths is a lower bound.
	Truncated bool `json:"truncated,omitempty"`
}

// ageBuckets are the buckets of OpenByAge.
var ageBuckets = []AgeBucket{
	{Label: "< 1 day", MinDays: 0, MaxDays: 1},
	{Label: "1-7 days", MinDays: 1, MaxDays: 7},
	{Label: "7-30 days", MinDays: 7, MaxDays: 30},
	{Label: "30-90 days", MinDays: 30, MaxDays: 90},
	{Label: "90+ days", MinDays: 90},
}

// Severities lists the severity names from the most to the least severe.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Build computes the report from the graph (loaded with
// graph.Filter.IncludeResolved, so that resolved findings are there) and
// the ledger (nil: no path series).
func Build(ctx context.Context, g *graph.Graph, l *drift.Ledger, o Options) (*Report, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	r := &Report{GeneratedAt: o.Now.UTC(), Since: o.Since.UTC(), Paths: []PathPoint{}, Remediation: Remediation{BySeverity: []Stat{}}}
	r.OpenByAge = make([]AgeBucket, len(ageBuckets))
	for i, b := range ageBuckets {
		b.BySeverity = map[string]int{}
		r.OpenByAge[i] = b
	}

	// The ledger is read first: it knows the account and owner of a finding
	// whose resource has since been deleted (a common fix).
	lastAccount, lastOwner := map[string]string{}, map[string]string{}
	if l != nil {
		err := l.Each(ctx, time.Time{}, func(ob *drift.Observation) error {
			for _, f := range ob.Findings {
				if f.Account != "" {
					lastAccount[f.ID] = f.Account
				}
				if f.Owner != "" {
					lastOwner[f.ID] = f.Owner
				}
			}
			if !ob.At.Before(o.Since) {
				r.Paths = append(r.Paths, point(ob))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("trend: %w", err)
		}
	}

	type sample struct{ sev, account, owner string }
	var ( // hours to remediate and open counts, per group
		overall                    []float64
		bySev, byAccount, byOwner  = map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
		openSev, openAcct, openOwn = map[string]int{}, map[string]int{}, map[string]int{}
		overallOpen                int
	)
	for i := range g.Findings {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("trend: %w", ctx.Err())
		}
		f := &g.Findings[i]
		s := sample{sev: f.Severity.String(), account: "(unknown)", owner: NoOwner}
		n := g.Node(f.Resource)
		if name := o.Owners.Of(f.Resource, n).Name; name != "" {
			s.owner = name
		}
		if n != nil {
			if n.Account != "" {
				s.account = n.Account
			}
		} else {
			if a := lastAccount[f.ID]; a != "" {
				s.account = a
			}
			if s.owner == NoOwner {
				s.owner = RemovedOwner
				if w := lastOwner[f.ID]; w != "" {
					s.owner = w
				}
			}
		}
		if f.ResolvedAt.IsZero() {
			overallOpen++
			openSev[s.sev]++
			openAcct[s.account]++
			openOwn[s.owner]++
			if !f.FirstSeen.IsZero() {
				age := o.Now.Sub(f.FirstSeen)
				for j := range r.OpenByAge {
					b := &r.OpenByAge[j]
					if age >= time.Duration(b.MinDays)*24*time.Hour && (b.MaxDays == 0 || age < time.Duration(b.MaxDays)*24*time.Hour) {
						b.Count++
						b.BySeverity[s.sev]++
						break
					}
				}
			}
			continue
		}
		if f.ResolvedAt.Before(o.Since) || f.FirstSeen.IsZero() || f.ResolvedAt.Before(f.FirstSeen) {
			continue
		}
		h := f.ResolvedAt.Sub(f.FirstSeen).Hours()
		overall = append(overall, h)
		bySev[s.sev] = append(bySev[s.sev], h)
		byAccount[s.account] = append(byAccount[s.account], h)
		byOwner[s.owner] = append(byOwner[s.owner], h)
	}
	r.Remediation.Overall = stat("all", overall, overallOpen)
	for _, sev := range Severities {
		if len(bySev[sev]) > 0 || openSev[sev] > 0 {
			r.Remediation.BySeverity = append(r.Remediation.BySeverity, stat(sev, bySev[sev], openSev[sev]))
		}
	}
	r.Remediation.ByAccount = groups(byAccount, openAcct)
	r.Remediation.ByOwner = groups(byOwner, openOwn)
	return r, nil
}

func stat(key string, hours []float64, open int) Stat {
	s := Stat{Key: key, Resolved: len(hours), Open: open}
	if len(hours) == 0 {
		return s
	}
	sorted := slices.Clone(hours)
	slices.Sort(sorted)
	sum := 0.0
	for _, h := range sorted {
		sum += h
	}
	s.MeanHours = round(sum / float64(len(sorted)))
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		s.MedianHours = round(sorted[mid])
	} else {
		s.MedianHours = round((sorted[mid-1] + sorted[mid]) / 2)
	}
	return s
}

// groups returns one Stat per key, most resolved first, then by name.
func groups(resolved map[string][]float64, open map[string]int) []Stat {
	keys := map[string]bool{}
	for k := range resolved {
		keys[k] = true
	}
	for k := range open {
		keys[k] = true
	}
	out := make([]Stat, 0, len(keys))
	for k := range keys {
		out = append(out, stat(k, resolved[k], open[k]))
	}
	slices.SortFunc(out, func(a, b Stat) int {
		if c := cmp.Compare(b.Resolved, a.Resolved); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Open, a.Open); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

func round(h float64) float64 { return float64(int64(h*100+0.5)) / 100 }

// point summarises one observation.
func point(o *drift.Observation) PathPoint {
	sev := make(map[string]graph.Severity, len(o.Findings))
	p := PathPoint{At: o.At, SyncID: o.SyncID, Paths: len(o.Paths), BySeverity: map[string]int{}, Truncated: o.Truncated}
	for _, f := range o.Findings {
		sev[f.ID] = f.Severity
		if f.State != drift.Resolved {
			p.OpenFindings++
		}
	}
	for _, pr := range o.Paths {
		p.BySeverity[PathSeverity(pr.Findings, func(id string) graph.Severity { return sev[id] }).String()]++
	}
	return p
}

// PathSeverity is the severity of an attack path: the highest severity of
// the findings that enable its moves (info when none does). The trend and
// the Prometheus gauge of open paths both count paths by it.
func PathSeverity(findings []string, severity func(id string) graph.Severity) graph.Severity {
	top := graph.SeverityInfo
	for _, id := range findings {
		top = max(top, severity(id))
	}
	return top
}

// ParseWindow reads a window length: a Go duration ("72h", "90m") or a
// number of days ("30d").
func ParseWindow(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("window %q: want a number of days such as 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("window %q: want a duration such as 30d, 24h or 90m", s)
	}
	return v, nil
}
