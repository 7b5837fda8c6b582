package neo4j

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/syncplan"
)

// Rows are stored as native Neo4j properties so that analysts can filter
// on them in Cypher: tags flattened to tag_<key>, typed properties to
// prop_<key>, sensitivity and severity as an integer level plus a name.
// The store-owned properties (scope, sync_from, sync_to, hash, stale and
// lifecycle fields) are set by the sync and are never part of the content
// hash.
const (
	tagPrefix  = "tag_"
	propPrefix = "prop_"
)

// nodeProps returns the stored properties of a node version, without the
// identity (scope, id, sync_from) that the write statement sets.
func nodeProps(n *graph.Node, h int64, staleSince time.Time) map[string]any {
	p := make(map[string]any, 16+len(n.Tags)+len(n.Props))
	p["kind"] = string(n.Kind)
	p["cloud"] = string(n.Cloud)
	p["native_type"] = n.NativeType
	p["name"] = n.Name
	p["account"] = n.Account
	p["region"] = n.Region
	p["service"] = n.Service
	p["sensitivity"] = int64(n.Sensitivity)
	p["sensitivity_name"] = n.Sensitivity.String()
	p["crown_jewel"] = n.CrownJewel
	p["stub"] = n.Stub
	p["stale"] = !staleSince.IsZero()
	if !staleSince.IsZero() {
		p["stale_since"] = staleSince
	}
	p["hash"] = h
	for k, v := range n.Tags {
		p[tagPrefix+k] = v
	}
	for k, v := range n.Props {
		if keepProp(v) {
			p[propPrefix+k] = v
		}
	}
	return p
}

// keepProp reports whether a collector property is stored. An empty list
// is stored as no property, on nodes and edges alike: neo4j-admin's
// importer cannot write an empty list (WriteImport), and a synced graph
// must read back the same as an imported one. Readers treat a missing list
// as empty; the content hash still covers the value, so a list that
// becomes empty is a change.
func keepProp(v any) bool {
	ss, ok := v.([]string)
	return !ok || len(ss) > 0
}

// decodeNode reads a node version's properties; store-owned properties
// other than the stale flag are ignored.
func decodeNode(m map[string]any) (graph.Node, error) {
	var n graph.Node
	var err error
	d := decoder{m: m, err: &err}
	n.ID = d.str("id")
	n.Kind = graph.Kind(d.str("kind"))
	n.Cloud = graph.Cloud(d.str("cloud"))
	n.NativeType = d.str("native_type")
	n.Name = d.str("name")
	n.Account = d.str("account")
	n.Region = d.str("region")
	n.Service = d.str("service")
	n.Sensitivity = graph.Sensitivity(d.int("sensitivity"))
	n.CrownJewel = d.bool("crown_jewel")
	n.Stub = d.bool("stub")
	n.StaleSince = d.time("stale_since")
	n.Stale = !n.StaleSince.IsZero()
	n.Tags, n.Props = d.extras()
	if err != nil {
		return n, fmt.Errorf("node %q: %w", n.ID, err)
	}
	return n, nil
}

// edgeProps are the stored properties of a relationship besides sync_to.
// Every property costs the server a property block at commit, and on 2
// cores property writes are most of a cold sync (docs/benchmarks-neo4j.md),
// so values that equal their default are left out: technique empty,
// likelihood 0, conditional and stale false, no evidence or findings. The
// scope is the start node's, and change detection needs no hash on the
// relationship: the digest of a node's outgoing edges is on the node
// (out_digest), and the edges of a node whose digest differs are compared
// by their properties.
func edgeProps(e *graph.Edge, stale bool, staleSince time.Time) map[string]any {
	p := make(map[string]any, 4+len(e.Props))
	if e.Technique != "" {
		p["technique"] = e.Technique
	}
	if e.Likelihood != 0 {
		p["likelihood"] = e.Likelihood
	}
	if len(e.Evidence) > 0 {
		p["evidence"] = e.Evidence
	}
	if len(e.Findings) > 0 {
		p["findings"] = e.Findings
	}
	if e.Conditional {
		p["conditional"] = true
	}
	if stale {
		p["stale"] = true
		if !staleSince.IsZero() {
			p["stale_since"] = staleSince
		}
	}
	for k, v := range e.Props {
		if keepProp(v) {
			p[propPrefix+k] = v
		}
	}
	return p
}

// decodeEdge fills an edge from its relationship properties; the caller
// sets From, To and Kind from the pattern.
func decodeEdge(m map[string]any, e *graph.Edge) error {
	var err error
	d := decoder{m: m, err: &err}
	e.Technique = d.str("technique")
	e.Likelihood = d.float("likelihood")
	e.Evidence = d.strs("evidence")
	e.Findings = d.strs("findings")
	e.Conditional = d.bool("conditional")
	e.Stale = d.bool("stale")
	_, e.Props = d.extras()
	if err != nil {
		return fmt.Errorf("edge %s: %w", e.Key(), err)
	}
	return nil
}

func findingProps(f *graph.Finding, h int64, life syncplan.Life) map[string]any {
	p := make(map[string]any, 18)
	p["rule_id"] = f.RuleID
	p["resource"] = f.Resource
	p["severity"] = int64(f.Severity)
	p["severity_name"] = f.Severity.String()
	p["title"] = f.Title
	p["evidence"] = f.Evidence
	p["remediation"] = f.Remediation
	if len(f.Controls) > 0 {
		p["controls"] = f.Controls
	}
	p["fix_effort"] = f.FixEffort
	p["first_seen"] = life.FirstSeen
	// last_seen absent means "seen by the scope's active sync", so that an
	// unchanged finding costs no write on a re-sync.
	if !life.LastSeen.IsZero() {
		p["last_seen"] = life.LastSeen
	}
	p["resolved"] = !life.ResolvedAt.IsZero()
	if !life.ResolvedAt.IsZero() {
		p["resolved_at"] = life.ResolvedAt
	}
	p["stale"] = !life.StaleSince.IsZero()
	if !life.StaleSince.IsZero() {
		p["stale_since"] = life.StaleSince
	}
	p["hash"] = h
	return p
}

func decodeFinding(m map[string]any) (graph.Finding, syncplan.Life, error) {
	var f graph.Finding
	var life syncplan.Life
	var err error
	d := decoder{m: m, err: &err}
	f.ID = d.str("id")
	f.RuleID = d.str("rule_id")
	f.Resource = d.str("resource")
	f.Severity = graph.Severity(d.int("severity"))
	f.Title = d.str("title")
	f.Evidence = d.str("evidence")
	f.Remediation = d.str("remediation")
	f.Controls = d.strs("controls")
	f.FixEffort = d.float("fix_effort")
	life.FirstSeen = d.time("first_seen")
	life.LastSeen = d.time("last_seen")
	life.ResolvedAt = d.time("resolved_at")
	life.StaleSince = d.time("stale_since")
	if err != nil {
		return f, life, fmt.Errorf("finding %q: %w", f.ID, err)
	}
	f.FirstSeen, f.LastSeen, f.ResolvedAt, f.Stale = life.FirstSeen, life.LastSeen, life.ResolvedAt, !life.StaleSince.IsZero()
	return f, life, nil
}

// decoder reads typed properties and records the first type mismatch, which
// means someone wrote to breachpath's rows by hand: graph.ErrCorrupt.
type decoder struct {
	m   map[string]any
	err *error
}

func (d decoder) bad(k string, v any, want string) {
	if *d.err == nil {
		*d.err = fmt.Errorf("%w: property %s is %T, want %s", graph.ErrCorrupt, k, v, want)
	}
}

func (d decoder) str(k string) string {
	v, ok := d.m[k]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.bad(k, v, "string")
	}
	return s
}

func (d decoder) int(k string) int64 {
	v, ok := d.m[k]
	if !ok || v == nil {
		return 0
	}
	i, ok := v.(int64)
	if !ok {
		d.bad(k, v, "integer")
	}
	return i
}

func (d decoder) float(k string) float64 {
	switch v := d.m[k].(type) {
	case nil:
		return 0
	case float64:
		return v
	case int64:
		return float64(v)
	default:
		d.bad(k, v, "float")
		return 0
	}
}

func (d decoder) bool(k string) bool {
	v, ok := d.m[k]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		d.bad(k, v, "boolean")
	}
	return b
}

func (d decoder) time(k string) time.Time {
	v, ok := d.m[k]
	if !ok || v == nil {
		return time.Time{}
	}
	t, ok := v.(time.Time)
	if !ok {
		d.bad(k, v, "datetime")
	}
	return t.UTC()
}

func (d decoder) strs(k string) []string {
	v, ok := d.m[k]
	if !ok || v == nil {
		return nil
	}
	out, ok := toStrings(v)
	if !ok {
		d.bad(k, v, "list of strings")
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func toStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return x, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// extras collects the tag_ and prop_ properties.
func (d decoder) extras() (map[string]string, graph.Props) {
	var tags map[string]string
	var props graph.Props
	for k, v := range d.m {
		switch {
		case strings.HasPrefix(k, tagPrefix):
			s, ok := v.(string)
			if !ok {
				d.bad(k, v, "string")
				continue
			}
			if tags == nil {
				tags = map[string]string{}
			}
			tags[k[len(tagPrefix):]] = s
		case strings.HasPrefix(k, propPrefix):
			if props == nil {
				props = graph.Props{}
			}
			switch x := v.(type) {
			case string, bool, int64, float64:
				props[k[len(propPrefix):]] = x
			default:
				ss, ok := toStrings(v)
				if !ok {
					d.bad(k, v, "string, boolean, integer, float or list of strings")
					continue
				}
				props[k[len(propPrefix):]] = ss
			}
		}
	}
	return tags, props
}

// hasher builds the content hash that lets a re-sync skip unchanged rows:
// FNV-1a over every field, each written with its length or a type byte so
// that no two different rows encode the same. It hashes strings in place
// (hash/fnv through the hash.Hash interface copied every string to a byte
// slice first, which was most of a re-sync's planning time).
type hasher struct{ h *uint64 }

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

func newHasher() hasher {
	h := uint64(fnvOffset64)
	return hasher{&h}
}

func (h hasher) str(s string) {
	h.u64(uint64(len(s)))
	x := *h.h
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= fnvPrime64
	}
	*h.h = x
}

func (h hasher) u64(v uint64) {
	x := *h.h
	for i := 0; i < 8; i++ {
		x ^= v & 0xff
		x *= fnvPrime64
		v >>= 8
	}
	*h.h = x
}

func (h hasher) boolean(v bool) {
	if v {
		h.u64(1)
	} else {
		h.u64(0)
	}
}

func (h hasher) strs(ss []string) {
	h.u64(uint64(len(ss)))
	for _, s := range ss {
		h.str(s)
	}
}

func (h hasher) tags(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h.u64(uint64(len(keys)))
	for _, k := range keys {
		h.str(k)
		h.str(m[k])
	}
}

func (h hasher) props(p graph.Props) {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h.u64(uint64(len(keys)))
	for _, k := range keys {
		h.str(k)
		switch v := p[k].(type) {
		case string:
			h.u64(1)
			h.str(v)
		case bool:
			h.u64(2)
			h.boolean(v)
		case int64:
			h.u64(3)
			h.u64(uint64(v))
		case float64:
			h.u64(4)
			h.u64(math.Float64bits(v))
		case []string:
			h.u64(5)
			h.strs(v)
		default:
			h.u64(6)
			h.str(fmt.Sprint(v))
		}
	}
}

func (h hasher) sum() int64 { return int64(*h.h) }

func hashNode(n *graph.Node) int64 {
	h := newHasher()
	for _, s := range []string{string(n.Kind), string(n.Cloud), n.NativeType, n.Name, n.Account, n.Region, n.Service} {
		h.str(s)
	}
	h.u64(uint64(n.Sensitivity))
	h.boolean(n.CrownJewel)
	h.boolean(n.Stub)
	h.tags(n.Tags)
	h.props(n.Props)
	return h.sum()
}

func hashEdge(e *graph.Edge) int64 {
	h := newHasher()
	h.u64(math.Float64bits(e.Likelihood))
	h.strs(e.Evidence)
	h.strs(e.Findings)
	h.boolean(e.Conditional)
	h.props(e.Props)
	return h.sum()
}

func hashFinding(f *graph.Finding) int64 {
	h := newHasher()
	for _, s := range []string{f.RuleID, f.Resource, f.Title, f.Evidence, f.Remediation} {
		h.str(s)
	}
	h.u64(uint64(f.Severity))
	h.strs(f.Controls)
	h.u64(math.Float64bits(f.FixEffort))
	return h.sum()
}

// edgeKeyHash identifies an edge version: its key, its content hash and its
// stale flag. Digests of a node's outgoing edges (edgeDigest) are sums of
// these keys, so that two edge sets compare without sorting.
func edgeKeyHash(e *graph.Edge, content int64, stale bool) int64 {
	h := newHasher()
	h.str(string(e.Kind))
	h.str(e.To)
	h.str(e.Technique)
	h.u64(uint64(content))
	h.boolean(stale)
	return h.sum()
}

// Two primes below 2^31 for the edge digest: sums of remainders of 64-bit
// keys cannot overflow for any realistic number of edges per node.
const (
	p1 = 2147483647
	p2 = 2147483629
)

// edgeDigest summarises a set of edge versions: how many and two sums of
// their keys modulo different primes, independent of order. Two different
// sets have the same folded digest with probability about 2^-64, the same
// order as two different rows having the same 64-bit content hash, which
// the store already relies on to skip unchanged rows.
type edgeDigest struct{ n, d1, d2 int64 }

func (d *edgeDigest) add(key int64) {
	d.n++
	d.d1 += key % p1
	d.d2 += key % p2
}

// fold is the digest as the one integer stored on the node (out_digest).
func (d edgeDigest) fold() int64 {
	h := newHasher()
	h.u64(uint64(d.n))
	h.u64(uint64(d.d1))
	h.u64(uint64(d.d2))
	return h.sum()
}
