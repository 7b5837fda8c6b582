package sensitivity

import (
	"time"

	"github.com/breachpath/breachpath/graph"
)

// StaleSuffix, appended to a classifier's property, names the property that
// says since when its value is kept from an earlier collection (RFC 3339):
// the classifier's read failed since.
const StaleSuffix = "_stale_since"

// FailedClassifiers returns the classifier rules whose area the snapshot
// records as failed: their results are unknown for this collection.
func (r *Rules) FailedClassifiers(s *graph.Snapshot) []ClassifierRule {
	var out []ClassifierRule
	for _, c := range r.classifiers {
		if c.Area == "" {
			continue
		}
		for _, f := range s.Coverage.Failed {
			if f.Service == c.Area {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// KeepStale carries classifier results across a failed read, as the store
// keeps a failed area's rows: for every classifier whose area the snapshot
// records failed, each owned node that lacks the classifier's property gets
// the value (and the Keep properties) prev holds for the same node, with
// Property+StaleSuffix set to since, or to the time prev already carried.
// prev is the graph stored for the snapshot's scope before this collection;
// since is when it was collected. It returns the number of nodes kept. A
// classified store so stays classified, and says its reason is stale
// (Decide), instead of turning unclassified because a read failed.
func (r *Rules) KeepStale(s *graph.Snapshot, prev *graph.Graph, since time.Time) int {
	failed := r.FailedClassifiers(s)
	if len(failed) == 0 || prev == nil {
		return 0
	}
	kept := 0
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Stub {
			continue
		}
		old := prev.Node(n.ID)
		if old == nil || old.Stub {
			continue
		}
		touched := false
		for _, c := range failed {
			v, ok := old.Props[c.Property]
			if !ok {
				continue
			}
			if _, has := n.Props[c.Property]; has {
				continue // read after all (another area's copy): the fresh value stands
			}
			if n.Props == nil {
				n.Props = graph.Props{}
			}
			n.Props[c.Property] = v
			for _, k := range c.Keep {
				if kv, ok := old.Props[k]; ok {
					n.Props[k] = kv
				}
			}
			stamp := since.UTC().Format(time.RFC3339)
			if prevStamp, ok := old.Props[c.Property+StaleSuffix].(string); ok && prevStamp != "" {
				stamp = prevStamp // stale since the first failed read, not the last
			}
			n.Props[c.Property+StaleSuffix] = stamp
			touched = true
		}
		if touched {
			kept++
		}
	}
	return kept
}
