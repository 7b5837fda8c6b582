package identity

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/graph"
)

// PrincipalSummary is a compact CIEM view of one principal's effective permissions.
type PrincipalSummary struct {
	ID   string
	Kind graph.Kind
	Name string
	// Allowed holds the actions allowed unconditionally on at least one resource, Conditional those
	// allowed only under unresolved conditions (identity, boundary and SCPs applied). The sets are
	// shared between principals with identical policies: treat them as read-only.
	Allowed     catalog.ActionSet
	Conditional catalog.ActionSet
	// Services counts allowed actions per service and access level, services sorted.
	Services []ServiceAccess
	// Sources samples where permissions come from: at most Options.SampleLimit entries.
	Sources  []PermissionSource
	Groups   []string
	Boundary string
	// Admin marks admin-equivalence; CanBecomeAdmin that neither boundary nor SCPs cap a
	// self-escalation to admin.
	Admin          bool
	CanBecomeAdmin bool
	// Escalations lists "technique -> target" of the principal's ESCALATES_TO edges, and
	// "via <policy>: technique -> target" for those it has through a shared policy it holds; at
	// most 32 entries.
	Escalations []string
}

// ServiceAccess counts a service's allowed actions by access level.
type ServiceAccess struct {
	Service string
	Levels  map[catalog.AccessLevel]int
	Total   int
}

// PermissionSource names a policy statement that grants permissions to the principal.
type PermissionSource struct {
	Policy    string // policy label: managed policy ARN or inline policy id
	Statement string
	Via       string // "" (own), the group ARN, or "boundary"
}

func (b *builder) summaries(ctx context.Context) error {
	esc := map[string][]string{}
	for i := range b.edges {
		e := &b.edges[i]
		if e.Kind == graph.EdgeEscalatesTo {
			esc[e.From] = append(esc[e.From], e.Technique+" -> "+e.To)
		}
	}
	// Sorted once: escalations takes the smallest entries of each list (order is irrelevant
	// to its output otherwise, which it sorts). Lists with repeated entries are remembered:
	// the shortcut needs distinct entries.
	repeats := map[string]bool{}
	for id, list := range esc {
		slices.Sort(list)
		if len(slices.Compact(slices.Clone(list))) != len(list) {
			repeats[id] = true
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Summaries only read the builder: classes, then principals, are summarized in parallel
	// into their own slots.
	var classes []*class
	perClass := map[*class][]ServiceAccess{}
	for _, p := range b.principals {
		if _, ok := perClass[p.class]; !ok {
			perClass[p.class] = nil
			classes = append(classes, p.class)
		}
	}
	services := make([][]ServiceAccess, len(classes))
	parallelFor(len(classes), func(i int) { services[i] = b.serviceAccess(classes[i].anyYes) })
	for i, c := range classes {
		perClass[c] = services[i]
	}
	if len(b.principals) == 0 {
		return nil
	}
	b.summaryList = make([]PrincipalSummary, len(b.principals))
	parallelFor(len(b.principals), func(i int) {
		p := b.principals[i]
		svc := perClass[p.class]
		s := PrincipalSummary{ID: p.id, Kind: p.kind, Name: p.name, Allowed: p.class.anyYes, Conditional: p.class.anyMay,
			Services: svc, Admin: p.admin, CanBecomeAdmin: p.maxAdmin, Escalations: b.escalations(p.id, esc, repeats)}
		for _, g := range p.groups {
			s.Groups = append(s.Groups, g.arn)
		}
		if p.set.Boundary != nil {
			s.Boundary = p.set.Boundary.Label
		}
		s.Sources = b.sources(p)
		b.summaryList[i] = s
	})
	return nil
}

// maxEscalations bounds PrincipalSummary.Escalations.
const maxEscalations = 32

// escalations lists a principal's escalation moves, including those it has through the shared
// policies it holds ("via <policy>: technique -> target"), bounded by maxEscalations.
//
// esc holds each node's sorted escalation entries; repeats the nodes whose list repeats one.
func (b *builder) escalations(id string, esc map[string][]string, repeats map[string]bool) []string {
	if out, ok := b.escalationsBounded(id, esc, repeats); ok {
		return out
	}
	var out []string
	for _, e := range esc[id] {
		tech, target, _ := strings.Cut(e, " -> ")
		if tech != TechHoldsPolicy {
			out = append(out, e)
			continue
		}
		for _, via := range esc[target] {
			out = append(out, "via "+target+": "+via)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxEscalations {
		out = append(out[:maxEscalations:maxEscalations], fmt.Sprintf("... and %d more", len(out)-maxEscalations))
	}
	return out
}

// escalationsBounded is escalations without building every entry: a holder of a policy with
// thousands of escalations would otherwise build them all to keep 32. The smallest
// maxEscalations entries of the union are among the smallest maxEscalations of each sorted
// list, and the count is the sum of the lists' lengths when no entry repeats: within a list
// (repeats) or across lists, which needs a policy id with ": " in it ("via a: b" = "via a: b"
// only for the same policy otherwise; direct entries start with a technique id, never "via ").
// ok is false when that does not hold or the list is short: escalations then does it in full.
func (b *builder) escalationsBounded(id string, esc map[string][]string, repeats map[string]bool) ([]string, bool) {
	own := esc[id]
	if repeats[id] {
		return nil, false
	}
	total, direct := 0, 0
	var cand []string
	for _, e := range own {
		tech, target, _ := strings.Cut(e, " -> ")
		if tech != TechHoldsPolicy {
			total++
			if direct++; direct <= maxEscalations {
				cand = append(cand, e)
			}
			continue
		}
		if repeats[target] || strings.Contains(target, ": ") {
			return nil, false
		}
		via := esc[target]
		total += len(via)
		for _, v := range via[:min(len(via), maxEscalations)] {
			cand = append(cand, "via "+target+": "+v)
		}
	}
	if total <= maxEscalations {
		return nil, false
	}
	// Direct entries are unique (edge keys) and sorted, so the first maxEscalations of them are
	// their smallest; likewise for each policy's list.
	slices.Sort(cand)
	if len(slices.Compact(slices.Clone(cand))) != len(cand) {
		return nil, false
	}
	return append(cand[:maxEscalations:maxEscalations], fmt.Sprintf("... and %d more", total-maxEscalations)), true
}

// levelIndex lets serviceAccess count a set's actions per service and access level with bit
// operations: each service's actions are one index range of the catalog, and masks[l] holds
// the actions of access level levels[l].
type levelIndex struct {
	ranges []svcRange // sorted by service
	levels []catalog.AccessLevel
	masks  []catalog.ActionSet
}

type svcRange struct {
	service string
	lo, hi  int32 // actions [lo, hi)
}

// levelIndexes caches one levelIndex per catalog (nil when the catalog's services are not
// contiguous index ranges: serviceAccess then counts action by action).
var levelIndexes sync.Map // *catalog.Catalog -> *levelIndex

func levelIndexOf(c *catalog.Catalog) *levelIndex {
	if li, ok := levelIndexes.Load(c); ok {
		return li.(*levelIndex)
	}
	li := &levelIndex{}
	seen := map[string]bool{}
	slot := map[catalog.AccessLevel]int{}
	for _, a := range c.Actions() {
		if n := len(li.ranges); n > 0 && li.ranges[n-1].service == a.Service {
			li.ranges[n-1].hi = a.Index + 1
		} else {
			if seen[a.Service] || (n > 0 && li.ranges[n-1].hi != a.Index) {
				li = nil
				break
			}
			seen[a.Service] = true
			li.ranges = append(li.ranges, svcRange{service: a.Service, lo: a.Index, hi: a.Index + 1})
		}
		s, ok := slot[a.AccessLevel]
		if !ok {
			s = len(li.levels)
			slot[a.AccessLevel] = s
			li.levels = append(li.levels, a.AccessLevel)
			li.masks = append(li.masks, c.NewSet())
		}
		li.masks[s].Set(a.Index)
	}
	if li != nil {
		slices.SortFunc(li.ranges, func(x, y svcRange) int { return strings.Compare(x.service, y.service) })
	}
	v, _ := levelIndexes.LoadOrStore(c, li)
	return v.(*levelIndex)
}

func (b *builder) serviceAccess(set catalog.ActionSet) []ServiceAccess {
	if li := levelIndexOf(b.cat); li != nil {
		return li.count(set)
	}
	by := map[string]*ServiceAccess{}
	set.Each(func(i int32) bool {
		a := b.cat.Action(i)
		sa := by[a.Service]
		if sa == nil {
			sa = &ServiceAccess{Service: a.Service, Levels: map[catalog.AccessLevel]int{}}
			by[a.Service] = sa
		}
		sa.Levels[a.AccessLevel]++
		sa.Total++
		return true
	})
	out := make([]ServiceAccess, 0, len(by))
	for _, sa := range by {
		out = append(out, *sa)
	}
	slices.SortFunc(out, func(x, y ServiceAccess) int {
		if x.Service < y.Service {
			return -1
		}
		if x.Service > y.Service {
			return 1
		}
		return 0
	})
	return out
}

// count is serviceAccess by bit counting: services with at least one action of set, sorted,
// with a level entry for each level that has one.
func (li *levelIndex) count(set catalog.ActionSet) []ServiceAccess {
	var out []ServiceAccess
	for _, r := range li.ranges {
		var sa *ServiceAccess
		for wi := int(r.lo >> 6); wi <= int((r.hi-1)>>6) && wi < len(set); wi++ {
			w := set[wi] & rangeMask(wi, r.lo, r.hi)
			if w == 0 {
				continue
			}
			if sa == nil {
				out = append(out, ServiceAccess{Service: r.service, Levels: map[catalog.AccessLevel]int{}})
				sa = &out[len(out)-1]
			}
			for l, m := range li.masks {
				if n := bits.OnesCount64(w & m[wi]); n > 0 {
					sa.Levels[li.levels[l]] += n
					sa.Total += n
				}
			}
		}
	}
	if out == nil {
		return []ServiceAccess{}
	}
	return out
}

// rangeMask is the bits of word wi that fall in [lo, hi).
func rangeMask(wi int, lo, hi int32) uint64 {
	start, end := int32(wi*64), int32(wi*64+64)
	m := ^uint64(0)
	if lo > start {
		m &= ^uint64(0) << uint(lo-start)
	}
	if hi < end {
		m &= ^uint64(0) >> uint(end-hi)
	}
	return m
}

// sources samples the Allow statements of the principal's policies, own first, then groups, then
// the boundary, up to SampleLimit.
func (b *builder) sources(p *principal) []PermissionSource {
	limit := b.opts.SampleLimit
	var out []PermissionSource
	via := map[string]string{}
	for _, g := range p.groups {
		for _, pol := range g.policies {
			via[pol.Label] = g.arn
		}
	}
	add := func(label, stmt, v string) bool {
		if len(out) >= limit {
			return false
		}
		out = append(out, PermissionSource{Policy: label, Statement: stmt, Via: v})
		return true
	}
	for _, pol := range p.set.Identity {
		for _, st := range pol.Statements {
			if st.Effect.String() == "Allow" && !add(pol.Label, stmtRef(st.Sid, st.Index), via[pol.Label]) {
				return out
			}
		}
	}
	if bd := p.set.Boundary; bd != nil {
		for _, st := range bd.Statements {
			if st.Effect.String() == "Allow" && !add(bd.Label, stmtRef(st.Sid, st.Index), "boundary") {
				return out
			}
		}
	}
	return out
}
