package sensitivity

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/breachpath/breachpath/graph"
)

// Sources of a decision, in the order that breaks a tie between equal
// levels: the owner's explicit word first, then evidence from the data, then
// what the kind implies, then guesses from names, then what the collector
// derived from relationships (a snapshot inherits its source's level, a key
// protecting sensitive data is raised with it).
const (
	SourceTag        = "tag"
	SourceClassifier = "classifier"
	SourceKind       = "kind"
	SourceName       = "name"
	SourceCollector  = "collector"
)

// Node properties a decision writes. They are plain strings so every store
// keeps them and every output can show them.
const (
	PropLevel      = "sensitivity_level"      // the level decided, by name
	PropSource     = "sensitivity_source"     // one of the Source constants
	PropRule       = "sensitivity_rule"       // the rule: "tag DataClassification=confidential", "name word payments" ...
	PropOverridden = "sensitivity_overridden" // a higher guess an explicit tag overrode, with its rule
)

// Decision is the level a node gets and why.
type Decision struct {
	Level      graph.Sensitivity
	CrownJewel bool
	Source     string // "" when nothing classified the node
	Rule       string
	// Overridden is the name rule an explicit lower tag overrode ("" if none).
	Overridden string
}

type candidate struct {
	level  graph.Sensitivity
	source string
	rule   string
}

var sourceRank = map[string]int{SourceTag: 0, SourceClassifier: 1, SourceKind: 2, SourceName: 3, SourceCollector: 4}

// Decide classifies one node. base is the level the collector had already
// set before the rules ran (tags with its own defaults, classifier results,
// inheritance); it is never lowered.
//
// Precedence (docs/sensitivity.md): the highest level among tag, classifier,
// kind, name and collector wins, except that an explicit tag classification
// overrides a higher name guess (names are heuristics, the tag is the owner's
// word); classifiers and kind rules are never overridden, because they rest
// on the data itself or on what the resource is. The overridden guess is
// recorded.
func (r *Rules) Decide(n *graph.Node, base graph.Sensitivity) Decision {
	return r.decide(n, base, nil)
}

func (r *Rules) decide(n *graph.Node, base graph.Sensitivity, memo normMemo) Decision {
	var cands []candidate
	tag, hasTag := r.tagLevel(n.Tags, memo)
	if hasTag {
		cands = append(cands, tag)
	}
	for _, c := range r.classifiers {
		v, _ := n.Props[c.Property].(string)
		if v == "" {
			continue // most nodes: no classifier result (and no error text to build)
		}
		if lvl, err := level(v); err == nil {
			rule := c.Source + " (" + c.Property + "=" + v + ")"
			if since, _ := n.Props[c.Property+StaleSuffix].(string); since != "" {
				// KeepStale carried it over a failed read: say so.
				rule += ", stale: kept from the collection of " + since + " because the read failed"
			}
			cands = append(cands, candidate{lvl, SourceClassifier, rule})
		}
	}
	var d Decision
	if k, ok := r.kinds[n.Kind]; ok {
		d.CrownJewel = k.CrownJewel
		if lvl := r.kindLevel[n.Kind]; lvl > graph.SensitivityNone {
			cands = append(cands, candidate{lvl, SourceKind, "kind " + string(n.Kind)})
		} else if k.CrownJewel && !n.CrownJewel {
			d.Source, d.Rule = SourceKind, "kind "+string(n.Kind)+" (crown jewel)"
		}
	}
	var name candidate
	if n.Kind.IsDataStore() {
		name = r.nameLevel(n)
	}
	if name.level > graph.SensitivityNone {
		if hasTag && tag.level < name.level {
			d.Overridden = name.rule + " -> " + name.level.String()
		} else {
			cands = append(cands, name)
		}
	}
	if base > graph.SensitivityNone {
		cands = append(cands, candidate{base, SourceCollector, "set by the " + string(n.Cloud) + " collector"})
	}
	best := candidate{}
	for _, c := range cands {
		if c.level > best.level || (c.level == best.level && best.source != "" && sourceRank[c.source] < sourceRank[best.source]) {
			best = c
		}
	}
	if best.level > graph.SensitivityNone {
		d.Level, d.Source, d.Rule = best.level, best.source, best.rule
	}
	return d
}

// TagLevel returns the highest level the tags (AWS tags, Azure tags, GCP
// labels) name under these rules; collectors call it while building nodes.
func (r *Rules) TagLevel(tags map[string]string) graph.Sensitivity {
	c, _ := r.tagLevel(tags, nil)
	return c.level
}

// normMemo folds tag keys and values once per distinct string: an estate
// repeats a handful of keys and values on every node.
type normMemo map[string]string

func (m normMemo) norm(s string) string {
	if m == nil {
		return norm(s)
	}
	v, ok := m[s]
	if !ok {
		v = norm(s)
		m[s] = v
	}
	return v
}

// tagLevel returns the highest level the node's tags name and the tag that
// named it; ok is false when no tag classifies the node.
func (r *Rules) tagLevel(tags map[string]string, memo normMemo) (candidate, bool) {
	var best candidate
	found := false
	var buf [8]string
	keys := buf[:0]
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic rule text when two tags tie
	for _, k := range keys {
		v := tags[k]
		nk, nv := memo.norm(k), memo.norm(v)
		var lvl graph.Sensitivity
		if fl, ok := r.flags[nk]; ok {
			switch nv {
			case "true", "yes", "1", "y":
				lvl = fl
			}
		}
		if lvl == graph.SensitivityNone && r.keys[nk] {
			lvl = r.values[nv]
		}
		if lvl == graph.SensitivityNone {
			continue
		}
		if !found || lvl > best.level {
			best = candidate{lvl, SourceTag, fmt.Sprintf("tag %s=%s", k, v)}
			found = true
		}
	}
	return best, found
}

// nameLevel returns the highest name rule matching the node's name or its
// id's last segment.
func (r *Rules) nameLevel(n *graph.Node) candidate {
	var best candidate
	seg := lastSegment(n.ID)
	for i, s := range []string{n.Name, seg} {
		if i == 1 && seg == n.Name {
			break // the same words again
		}
		eachWord(s, func(w string) {
			for _, rule := range r.names {
				if rule.level > best.level && (rule.words[w] || rule.words[strings.TrimSuffix(w, "s")]) {
					best = candidate{rule.level, SourceName, fmt.Sprintf("name word %q in %q", w, s)}
				}
			}
		})
	}
	return best
}

func lastSegment(id string) string {
	if i := strings.LastIndexAny(id, "/:"); i >= 0 {
		return id[i+1:]
	}
	return id
}

// eachWord calls f with each lower-case word of a name, split at
// punctuation, digits and camelCase boundaries: "prodCustomerPII_2024" ->
// prod, customer, pii. It slices the name rather than copying it, so a
// lower-case name costs no allocation (names are read for every data store
// of an estate).
func eachWord(s string, f func(w string)) {
	start := -1 // byte offset of the current word, -1 outside one
	flush := func(end int) {
		if start >= 0 {
			f(strings.ToLower(s[start:end]))
			start = -1
		}
	}
	var prev rune
	for i, c := range s {
		switch {
		case unicode.IsLetter(c):
			if start >= 0 && unicode.IsUpper(c) {
				next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(c):])
				if unicode.IsLower(prev) || (unicode.IsUpper(prev) && unicode.IsLower(next)) {
					flush(i)
				}
			}
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
		prev = c
	}
	flush(len(s))
}

// Apply classifies every owned node of the snapshots in place, writes the
// decision's properties and returns what it did. The level is only ever
// raised above what the collector set, and crown-jewel status only added.
func (r *Rules) Apply(snaps []*graph.Snapshot) Summary {
	sum := Summary{ByRule: map[string]int{}, BySource: map[string]int{}}
	memo := normMemo{}
	for _, s := range snaps {
		for i := range s.Nodes {
			n := &s.Nodes[i]
			if n.Stub {
				continue
			}
			d := r.decide(n, n.Sensitivity, memo)
			r.record(n, d)
			if !n.Kind.IsDataStore() {
				continue
			}
			sum.DataStores++
			if d.Source == "" {
				sum.Unclassified++
				continue
			}
			sum.BySource[d.Source]++
			sum.ByRule[ruleKey(d)]++
			if d.Overridden != "" {
				sum.Overridden++
			}
		}
	}
	return sum
}

// record writes a decision onto the node.
func (r *Rules) record(n *graph.Node, d Decision) {
	if d.Source == "" {
		return
	}
	if n.Props == nil {
		n.Props = graph.Props{}
	}
	n.Sensitivity = max(n.Sensitivity, d.Level)
	n.CrownJewel = n.CrownJewel || d.CrownJewel
	n.Props[PropLevel] = n.Sensitivity.String()
	n.Props[PropSource] = d.Source
	n.Props[PropRule] = d.Rule
	if d.Overridden != "" {
		n.Props[PropOverridden] = d.Overridden
	} else {
		delete(n.Props, PropOverridden)
	}
}

// ruleKey groups decisions for the summary without the node-specific part
// of the rule text: "tag DataClassification", "name word payments".
func ruleKey(d Decision) string {
	switch d.Source {
	case SourceTag:
		if i := strings.IndexByte(d.Rule, '='); i > 0 {
			return d.Rule[:i]
		}
	case SourceName:
		if i := strings.Index(d.Rule, " in "); i > 0 {
			return d.Rule[:i]
		}
	case SourceClassifier:
		if i := strings.Index(d.Rule, " ("); i > 0 {
			return d.Rule[:i]
		}
	case SourceCollector:
		return "the collector"
	}
	return d.Rule
}

// Summary counts what Apply did over data stores (graph.Kind.IsDataStore).
type Summary struct {
	DataStores   int
	Unclassified int
	Overridden   int            // name guesses an explicit tag overrode
	BySource     map[string]int // classified data stores per source
	ByRule       map[string]int // classified data stores per rule
}

// Add counts another summary's data stores into this one (whose maps must
// be set).
func (s *Summary) Add(o Summary) {
	s.DataStores += o.DataStores
	s.Unclassified += o.Unclassified
	s.Overridden += o.Overridden
	for k, v := range o.BySource {
		s.BySource[k] += v
	}
	for k, v := range o.ByRule {
		s.ByRule[k] += v
	}
}

// Clone returns a copy that shares no map with s.
func (s Summary) Clone() Summary {
	c := s
	c.BySource, c.ByRule = maps.Clone(s.BySource), maps.Clone(s.ByRule)
	return c
}

// Lines renders the summary for a collect run, most used rule first.
func (s Summary) Lines() []string {
	out := []string{fmt.Sprintf("sensitivity: %d data stores, %d classified, %d unclassified", s.DataStores, s.DataStores-s.Unclassified, s.Unclassified)}
	type kv struct {
		k string
		v int
	}
	var rules []kv
	for k, v := range s.ByRule {
		rules = append(rules, kv{k, v})
	}
	slices.SortFunc(rules, func(a, b kv) int {
		if a.v != b.v {
			return b.v - a.v
		}
		return strings.Compare(a.k, b.k)
	})
	for _, r := range rules {
		out = append(out, fmt.Sprintf("  %5d by %s", r.v, r.k))
	}
	if s.Overridden > 0 {
		out = append(out, fmt.Sprintf("  %5d name guesses overridden by an explicit lower tag", s.Overridden))
	}
	return out
}
