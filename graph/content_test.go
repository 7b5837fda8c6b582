package graph

import (
	"reflect"
	"testing"
	"time"
)

func contentSample() *Snapshot {
	return &Snapshot{
		Scope: Scope{Cloud: CloudAWS, ID: "111122223333"},
		Nodes: []Node{
			{ID: "a", Kind: KindCompute, Cloud: CloudAWS, Name: "web", Tags: map[string]string{"owner": "x", "env": "prod"}, Props: Props{"port": int64(22), "public": true}},
			{ID: "b", Kind: KindBucket, Cloud: CloudAWS, Sensitivity: SensitivityConfidential},
		},
		Edges: []Edge{
			{From: "a", To: "b", Kind: EdgeReads, Technique: "t", Evidence: []string{"e1", "e2"}, Findings: []string{"f"}},
			{From: "a", To: "b", Kind: EdgeContains},
		},
		Findings: []Finding{{ID: "f", RuleID: "r", Resource: "a", Severity: SeverityHigh, Title: "open", Controls: []string{"c"}}},
	}
}

func TestContentHashIgnoresOrderAndEmptiness(t *testing.T) {
	base := ContentHash(contentSample())
	tests := []struct {
		name   string
		change func(s *Snapshot)
	}{
		{"rows in another order", func(s *Snapshot) {
			s.Nodes[0], s.Nodes[1] = s.Nodes[1], s.Nodes[0]
			s.Edges[0], s.Edges[1] = s.Edges[1], s.Edges[0]
		}},
		{"empty maps and lists instead of nil", func(s *Snapshot) {
			s.Nodes[1].Tags, s.Nodes[1].Props = map[string]string{}, Props{}
			s.Edges[1].Evidence, s.Edges[1].Findings, s.Edges[1].Props = []string{}, []string{}, Props{}
		}},
		{"store flags and lifecycle times set", func(s *Snapshot) {
			at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			s.Nodes[0].Stale, s.Nodes[0].StaleSince = true, at
			s.Edges[0].Stale = true
			s.Findings[0].FirstSeen, s.Findings[0].LastSeen, s.Findings[0].ResolvedAt, s.Findings[0].Stale = at, at, at, true
		}},
		{"collection metadata", func(s *Snapshot) {
			s.CollectedAt, s.Collector = time.Now(), "other"
			s.Coverage.Read = []Area{{Service: "ec2"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := contentSample()
			tt.change(s)
			if got := ContentHash(s); got != base {
				t.Errorf("hash changed: %x, want %x", got, base)
			}
		})
	}
}

func TestContentHashChangesWithEveryStoredField(t *testing.T) {
	// every field of a row but the store's own flags and times: a field
	// added to the model later fails here until ContentHash covers it
	skip := map[string]bool{"Stale": true, "StaleSince": true, "FirstSeen": true, "LastSeen": true, "ResolvedAt": true}
	base := ContentHash(contentSample())
	rows := []struct {
		name string
		row  func(s *Snapshot) reflect.Value
	}{
		{"node", func(s *Snapshot) reflect.Value { return reflect.ValueOf(&s.Nodes[1]).Elem() }},
		{"edge", func(s *Snapshot) reflect.Value { return reflect.ValueOf(&s.Edges[1]).Elem() }},
		{"finding", func(s *Snapshot) reflect.Value { return reflect.ValueOf(&s.Findings[0]).Elem() }},
	}
	for _, r := range rows {
		typ := r.row(contentSample()).Type()
		for i := range typ.NumField() {
			f := typ.Field(i)
			if skip[f.Name] {
				continue
			}
			t.Run(r.name+"."+f.Name, func(t *testing.T) {
				s := contentSample()
				v := r.row(s).Field(i)
				if !setOther(v) {
					t.Fatalf("field %s of type %s: teach this test (and ContentHash) about it", f.Name, f.Type)
				}
				if ContentHash(s) == base {
					t.Errorf("changing %s.%s left the hash unchanged", r.name, f.Name)
				}
			})
		}
	}
}

// setOther gives v a value other than the sample's.
func setOther(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "-changed")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 0.5)
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.ValueOf("added")))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		var val reflect.Value
		if v.Type().Elem().Kind() == reflect.String {
			val = reflect.ValueOf("added")
		} else {
			val = reflect.ValueOf(any(int64(1)))
		}
		m.SetMapIndex(reflect.ValueOf("added"), val)
		v.Set(m)
	default:
		return false
	}
	return true
}

func TestContentHashTellsValuesApart(t *testing.T) {
	prop := func(v any) uint64 {
		s := contentSample()
		s.Nodes[1].Props = Props{"k": v}
		return ContentHash(s)
	}
	seen := map[uint64]string{}
	for name, v := range map[string]any{
		"int64 1": int64(1), "float64 1": float64(1), "string 1": "1", "true": true, "list [1]": []string{"1"},
		"empty list": []string{}, "empty string": "", "false": false, "int64 0": int64(0),
	} {
		h := prop(v)
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s hash alike", name, other)
		}
		seen[h] = name
	}
	// field boundaries: moving a byte from one string to the next changes the hash
	a, b := contentSample(), contentSample()
	a.Edges[0].Evidence = []string{"ab", "c"}
	b.Edges[0].Evidence = []string{"a", "bc"}
	if ContentHash(a) == ContentHash(b) {
		t.Error(`evidence ["ab","c"] and ["a","bc"] hash alike`)
	}
	// a row moved to the other table, or duplicated, changes the hash
	c := contentSample()
	c.Nodes = append(c.Nodes, c.Nodes[0])
	if ContentHash(c) == ContentHash(contentSample()) {
		t.Error("a duplicated node left the hash unchanged")
	}
}
