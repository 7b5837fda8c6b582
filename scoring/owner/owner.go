// Package owner decides who owns a resource, so that a finding can be routed
// to the people who fix it. One Resolver answers for every output that names
// an owner: the risk queue and its exports, the API's findings, the change
// ledger and the notifications sent after a sync.
//
// An owner comes, in this order, from the resource's own tags (configurable
// keys, first match wins), from a resource-id pattern in the mapping file,
// from the default of the resource's account / subscription / project, and
// finally from a catch-all default. The resource's own tag comes first
// because it travels with the resource and is kept by the team that runs it;
// the mapping file fills the gaps the tags leave.
package owner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/breachpath/breachpath/internal/wildcard"

	yaml "go.yaml.in/yaml/v4"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/opsconfig"
)

// DefaultTagKeys are the tag keys read, in order, when the configuration
// names none.
var DefaultTagKeys = []string{"owner", "Owner", "team", "contact"}

// MaxFile bounds a mapping file read from disk.
const MaxFile = 4 << 20

// Config is the owner mapping: the configuration file's owners: section
// (opsconfig.Owners), or a mapping file of its own with the same keys.
type Config = opsconfig.Owners

// ResourceRule maps resources whose id matches a pattern to an owner.
type ResourceRule = opsconfig.OwnerRule

// Where an owner came from (Owner.Source).
const (
	SourceTag      = "tag"
	SourceMapping  = "mapping"
	SourceScope    = "scope"
	SourceDefault  = "default"
	SourceNotFound = ""
)

// Owner is a resolved owner and where it came from.
type Owner struct {
	Name string `json:"name"`
	// Source is SourceTag, SourceMapping, SourceScope or SourceDefault.
	Source string `json:"source"`
	// Detail names the tag key, the pattern or the scope that decided.
	Detail string `json:"detail,omitempty"`
}

// Resolver resolves owners. The zero value and nil both read DefaultTagKeys
// only. A Resolver is immutable once built, so it is safe for concurrent use.
type Resolver struct {
	tagKeys   []string
	resources []ResourceRule
	scopes    map[string]string
	def       string
}

// New builds a resolver from a configuration, reading c.File when set.
func New(c Config) (*Resolver, error) {
	if c.File != "" {
		fc, err := readFile(c.File)
		if err != nil {
			return nil, err
		}
		c = merge(c, fc)
	}
	r := &Resolver{tagKeys: DefaultTagKeys, scopes: map[string]string{}, def: strings.TrimSpace(c.Default)}
	if len(c.TagKeys) > 0 {
		r.tagKeys = nil
		for _, k := range c.TagKeys {
			if strings.TrimSpace(k) == "" {
				return nil, errors.New("owners: tag_keys: empty key")
			}
			r.tagKeys = append(r.tagKeys, k)
		}
	}
	for i, rule := range c.Resources {
		if strings.TrimSpace(rule.Match) == "" || strings.TrimSpace(rule.Owner) == "" {
			return nil, fmt.Errorf("owners: resources[%d]: want both match and owner", i)
		}
		r.resources = append(r.resources, ResourceRule{Match: rule.Match, Owner: strings.TrimSpace(rule.Owner)})
	}
	for k, v := range c.Scopes {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("owners: scopes: %q: want a scope and an owner", k)
		}
		r.scopes[k] = strings.TrimSpace(v)
	}
	return r, nil
}

// Load builds a resolver from a mapping file ("" = the defaults).
func Load(path string) (*Resolver, error) {
	if path == "" {
		return New(Config{})
	}
	return New(Config{File: path})
}

// merge appends the file's rules after the inline ones; inline values win
// where only one can stand (tag keys, scope defaults, the default).
func merge(inline, file Config) Config {
	out := inline
	out.File = ""
	if len(out.TagKeys) == 0 {
		out.TagKeys = file.TagKeys
	}
	out.Resources = append(append([]ResourceRule(nil), inline.Resources...), file.Resources...)
	out.Scopes = map[string]string{}
	for k, v := range file.Scopes {
		out.Scopes[k] = v
	}
	for k, v := range inline.Scopes {
		out.Scopes[k] = v
	}
	if out.Default == "" {
		out.Default = file.Default
	}
	return out
}

func readFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("owner mapping: %w", err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return Config{}, fmt.Errorf("owner mapping %s: %w", path, err)
	}
	if len(doc) > MaxFile {
		return Config{}, fmt.Errorf("owner mapping %s: larger than %d bytes", path, MaxFile)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	// An empty file is a valid mapping that adds nothing.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("owner mapping %s: %w", path, err)
	}
	if c.File != "" {
		return Config{}, fmt.Errorf("owner mapping %s: file: a mapping file cannot name another", path)
	}
	return c, nil
}

// TagKeys returns the tag keys the resolver reads, in order.
func (r *Resolver) TagKeys() []string {
	if r == nil || len(r.tagKeys) == 0 {
		return DefaultTagKeys
	}
	return r.tagKeys
}

// Resolve returns the owner of n; Name is "" when nothing names one.
func (r *Resolver) Resolve(n *graph.Node) Owner {
	if n == nil {
		return r.fallback()
	}
	return r.Of(n.ID, n)
}

// Of returns the owner of the resource id, whose node n may be nil (a
// finding whose resource is not in the loaded graph): then only the
// mapping file's patterns and the default can name one.
func (r *Resolver) Of(id string, n *graph.Node) Owner {
	if n == nil {
		if o := r.ByID(id); o.Name != "" {
			return o
		}
		return r.fallback()
	}
	for _, k := range r.TagKeys() {
		if v := strings.TrimSpace(n.Tags[k]); v != "" {
			return Owner{Name: v, Source: SourceTag, Detail: k}
		}
	}
	if o := r.ByID(id); o.Name != "" {
		return o
	}
	if r != nil && n.Account != "" {
		if n.Cloud != graph.CloudNone {
			s := string(n.Cloud) + ":" + n.Account
			if v := r.scopes[s]; v != "" {
				return Owner{Name: v, Source: SourceScope, Detail: s}
			}
		}
		if v := r.scopes[n.Account]; v != "" {
			return Owner{Name: v, Source: SourceScope, Detail: n.Account}
		}
	}
	return r.fallback()
}

// ByID returns the owner the mapping file's resource patterns give the id,
// or no owner.
func (r *Resolver) ByID(id string) Owner {
	if r == nil {
		return Owner{}
	}
	for _, rule := range r.resources {
		if Match(rule.Match, id) {
			return Owner{Name: rule.Owner, Source: SourceMapping, Detail: rule.Match}
		}
	}
	return Owner{}
}

func (r *Resolver) fallback() Owner {
	if r == nil || r.def == "" {
		return Owner{}
	}
	return Owner{Name: r.def, Source: SourceDefault}
}

// Name is Resolve(n).Name: the owner shown in outputs.
func (r *Resolver) Name(n *graph.Node) string { return r.Resolve(n).Name }

// Match reports whether id matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one. Unlike path.Match, '*'
// crosses '/' and ':' because resource ids (ARNs, Azure ids) are full of
// them.
func Match(pattern, id string) bool { return wildcard.Match(pattern, id) }
