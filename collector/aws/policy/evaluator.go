package policy

import "strings"

// Evaluator decides requests exactly like Evaluate and CanAssume, but keeps its scratch space
// (the request-context maps, lower-cased names, derived single values) between calls. Building
// that context was most of Evaluate's allocations, which dominate when one caller evaluates
// millions of requests (the identity graph of a large account). The zero value is ready to use.
// An Evaluator is not safe for concurrent use: give each goroutine its own.
type Evaluator struct {
	// Absent names condition keys every request lacks unless its Context names them: what
	// Request.AbsentKeys says for one request, said once for all of them. The identity graph
	// decides every request as made from outside any VPC endpoint (no aws:SourceVpce), and
	// names the keys in Context when deciding one made through an endpoint.
	Absent []string
	// Through holds, per service prefix ("iam", "sts"), condition keys every request to that
	// service carries whatever its Context says: the caller's requests to the service pass a VPC
	// endpoint (aws:SourceVpce and the rest), its requests to other services do not.
	Through map[string]map[string][]string

	e          evalCtx
	req        Request
	set        PolicySet
	unresolved map[string]bool
	s          scratch
}

// scratch is the reusable storage of an Evaluator.
type scratch struct {
	lowered map[string]string // name -> strings.ToLower(name)
	tags    map[string]string // tag key -> "aws:principaltag/" + lower-case key
	// singles holds derived one-value slices; each is a capacity-1 window, so appending to one
	// never writes into another.
	singles map[string][]string
}

// scratchLimit bounds each cache of a scratch: past it the caches are dropped, so a long-lived
// Evaluator fed unbounded distinct names does not grow without limit.
const scratchLimit = 1 << 16

func (s *scratch) lower(name string) string {
	if l, ok := s.lowered[name]; ok {
		return l
	}
	if s.lowered == nil || len(s.lowered) >= scratchLimit {
		s.lowered = map[string]string{}
	}
	l := strings.ToLower(name)
	s.lowered[name] = l
	return l
}

func (s *scratch) tagKey(k string) string {
	if t, ok := s.tags[k]; ok {
		return t
	}
	if s.tags == nil || len(s.tags) >= scratchLimit {
		s.tags = map[string]string{}
	}
	t := "aws:principaltag/" + strings.ToLower(k)
	s.tags[k] = t
	return t
}

// single returns []string{v}, shared between requests deriving the same value. Evaluation only
// reads context values, and results never reference them.
func (s *scratch) single(v string) []string {
	if one, ok := s.singles[v]; ok {
		return one
	}
	if s.singles == nil || len(s.singles) >= scratchLimit {
		s.singles = map[string][]string{}
	}
	one := []string{v}
	s.singles[v] = one
	return one
}

// Evaluate is the package's Evaluate with reused scratch space; the Result is the caller's.
func (ev *Evaluator) Evaluate(req Request, set PolicySet) Result {
	ev.req, ev.set = req, set
	e := &ev.e
	if e.vals == nil {
		e.vals, e.absent, ev.unresolved = map[string][]string{}, map[string]bool{}, map[string]bool{}
	}
	clear(e.vals)
	clear(e.absent)
	clear(ev.unresolved)
	e.fill(&ev.req, &ev.set, &ev.s)
	for _, k := range ev.Absent {
		lk := ev.s.lower(k)
		if _, named := e.vals[lk]; !named {
			e.absent[lk] = true
		}
	}
	if len(ev.Through) > 0 {
		if svc, _, ok := strings.Cut(ev.s.lower(req.Action), ":"); ok {
			for k, v := range ev.Through[svc] {
				lk := ev.s.lower(k)
				e.vals[lk] = v
				delete(e.absent, lk)
			}
		}
	}
	r := evaluate(e, ev.unresolved, ev.s.lower(req.Action))
	// Drop the references to the caller's request so the Evaluator does not keep it alive.
	ev.req, ev.set = Request{}, PolicySet{}
	return r
}

// CanAssume is the package's CanAssume with reused scratch space.
func (ev *Evaluator) CanAssume(caller Principal, callerSet PolicySet, roleTrust *Policy, roleARN string, ctx map[string][]string) Result {
	req, set := assumeRequest(caller, callerSet, roleTrust, roleARN, ctx)
	return ev.Evaluate(req, set)
}
