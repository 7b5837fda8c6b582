package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// NotContent names the fields of graph.Node, graph.Edge and graph.Finding
// that are not a row's collected content, and why: a key is the row's
// identity (changing it makes another row), a store field is set by the
// store, never by a collector. Every other field is content: a re-sync that
// changes it must store the change, so a store's content hash must cover
// it. FieldChanges changes each content field in turn, found by
// reflection, so a field added to the model is tested without being listed.
var NotContent = map[string]string{
	"Node.ID":            "key",
	"Node.Stale":         "store",
	"Node.StaleSince":    "store",
	"Edge.From":          "key",
	"Edge.To":            "key",
	"Edge.Kind":          "key",
	"Edge.Technique":     "key",
	"Edge.Stale":         "store",
	"Finding.ID":         "key",
	"Finding.FirstSeen":  "store",
	"Finding.LastSeen":   "store",
	"Finding.ResolvedAt": "store",
	"Finding.Stale":      "store",
}

// FieldChange is a snapshot that differs from its base in one field of one row.
type FieldChange struct {
	// Field is "Node.Name", "Edge.Likelihood", "Finding.Severity", ...
	Field string
	// Row is the index of the changed row in its list (Nodes, Edges or Findings).
	Row      int
	Snapshot *graph.Snapshot
}

// FieldChanges returns one change per content field of graph.Node,
// graph.Edge and graph.Finding, each on a copy of base (a RichSnapshot),
// changed to another valid value. It fails on a field whose type it does
// not know how to change: teach changeValue the new type rather than
// leaving the field untested.
func FieldChanges(base *graph.Snapshot) ([]FieldChange, error) {
	node := slices.IndexFunc(base.Nodes, func(n graph.Node) bool { return len(n.Tags) > 0 && len(n.Props) > 0 && !n.Stub })
	stub := slices.IndexFunc(base.Nodes, func(n graph.Node) bool { return n.Stub && n.Kind != graph.KindInternet })
	edge := slices.IndexFunc(base.Edges, func(e graph.Edge) bool {
		return len(e.Evidence) > 0 && len(e.Findings) > 0 && len(e.Props) > 0 && e.Likelihood > 0
	})
	finding := slices.IndexFunc(base.Findings, func(f graph.Finding) bool { return len(f.Controls) > 0 && f.Evidence != "" && f.FixEffort > 0 })
	if node < 0 || stub < 0 || edge < 0 || finding < 0 {
		return nil, fmt.Errorf("base snapshot lacks a fully populated node, stub, edge or finding")
	}
	var out []FieldChange
	for _, list := range []struct {
		typ  string
		rows func(s *graph.Snapshot) reflect.Value
		row  int
	}{
		{"Node", func(s *graph.Snapshot) reflect.Value { return reflect.ValueOf(s.Nodes) }, node},
		{"Edge", func(s *graph.Snapshot) reflect.Value { return reflect.ValueOf(s.Edges) }, edge},
		{"Finding", func(s *graph.Snapshot) reflect.Value { return reflect.ValueOf(s.Findings) }, finding},
	} {
		st := list.rows(base).Type().Elem()
		for i := range st.NumField() {
			f := st.Field(i)
			name := list.typ + "." + f.Name
			if _, skip := NotContent[name]; skip || !f.IsExported() {
				continue
			}
			next := copySnapshot(base)
			row := list.row
			if name == "Node.Cloud" {
				// an owned node must be of the scope's cloud; a stub may be of any
				row = stub
			}
			v := list.rows(next).Index(row).Field(i)
			if err := changeValue(name, v, base); err != nil {
				return nil, err
			}
			if err := next.Validate(); err != nil {
				return nil, fmt.Errorf("changing %s: %w", name, err)
			}
			out = append(out, FieldChange{Field: name, Row: row, Snapshot: next})
		}
	}
	return out, nil
}

// changeValue sets v (the field name of a row of a copy of base) to another valid value.
func changeValue(name string, v reflect.Value, base *graph.Snapshot) error {
	switch name {
	case "Finding.Resource":
		// another node of the snapshot: findings sit on known resources
		for _, n := range base.Nodes {
			if n.ID != v.String() && !n.Stub {
				v.SetString(n.ID)
				return nil
			}
		}
	case "Edge.Findings":
		// one more finding of the snapshot: edges cite known findings
		have := v.Interface().([]string)
		for _, f := range base.Findings {
			if !slices.Contains(have, f.ID) {
				v.Set(reflect.ValueOf(append(slices.Clone(have), f.ID)))
				return nil
			}
		}
	}
	switch x := v.Addr().Interface().(type) {
	case *graph.Kind:
		*x = pick(*x, graph.KindCompute, graph.KindFunction)
	case *graph.Cloud:
		*x = pick(*x, graph.CloudAWS, graph.CloudGCP)
	case *graph.Sensitivity:
		*x = pick(*x, graph.SensitivityInternal, graph.SensitivityConfidential)
	case *graph.Severity:
		*x = pick(*x, graph.SeverityMedium, graph.SeverityLow)
	case *string:
		*x += "-changed"
	case *bool:
		*x = !*x
	case *float64:
		*x = *x/2 + 0.125
	case *[]string:
		*x = append(slices.Clone(*x), "changed")
	case *map[string]string:
		m := map[string]string{"changed": "yes"}
		for k, val := range *x {
			m[k] = val
		}
		*x = m
	case *graph.Props:
		p := graph.Props{"changed": "yes"}
		for k, val := range *x {
			p[k] = val
		}
		*x = p
	default:
		return fmt.Errorf("storetest: field %s of type %s: FieldChanges does not know how to change it; add a case to changeValue", name, v.Type())
	}
	return nil
}

// pick returns a if v is not a, else b.
func pick[T comparable](v, a, b T) T {
	if v != a {
		return a
	}
	return b
}

// copySnapshot copies the row lists (rows share their slices and maps:
// changeValue replaces, never modifies, them).
func copySnapshot(s *graph.Snapshot) *graph.Snapshot {
	c := *s
	c.Nodes, c.Edges, c.Findings = slices.Clone(s.Nodes), slices.Clone(s.Edges), slices.Clone(s.Findings)
	return &c
}

func testEveryFieldChangeIsStored(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	base := RichSnapshot(scopeA, at(0))
	changes, err := FieldChanges(base)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range changes {
		// every change against the base: sync the base, then the change
		b := copySnapshot(base)
		b.CollectedAt = at(2*i + 1)
		mustSync(t, s, b)
		next := ch.Snapshot
		next.CollectedAt = at(2*i + 2)
		res := mustSync(t, s, next)
		g := mustLoad(t, s, only(scopeA))
		if err := sameContent(next, g); err != nil {
			t.Errorf("a re-sync that changes only %s did not store it: %v", ch.Field, err)
		}
		if res.Removed != (graph.Counts{}) || res.Stale != (graph.Counts{}) || res.Resolved != 0 {
			t.Errorf("changing %s: removed %+v stale %+v resolved %d, want none", ch.Field, res.Removed, res.Stale, res.Resolved)
		}
	}
	if len(changes) < 20 {
		t.Errorf("only %d fields changed; the model has more", len(changes))
	}
}
