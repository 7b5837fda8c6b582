// Package compliance reports an estate against compliance frameworks: every
// control of a framework's catalogue as pass, fail or not evaluated, with
// the findings that fail it, controls whose failures sit on attack paths
// first. Which finding rules evidence which controls is data
// (mappings/*.yaml, one file per framework naming its source); the rules
// themselves come from the collectors' registry (collector.Rules), passed
// in, so the package knows no cloud.
package compliance

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"

	"github.com/breachpath/breachpath/graph"
)

//go:embed mappings/*.yaml
var mappingFiles embed.FS

// Framework is one compliance framework: where its text comes from, its
// controls and the rules that evidence each.
type Framework struct {
	ID      string `yaml:"framework" json:"id"`
	Title   string `yaml:"title" json:"title"`
	Version string `yaml:"version" json:"version"`
	// Source names the document the control ids and titles come from.
	Source string `yaml:"source" json:"source"`
	URL    string `yaml:"url" json:"url"`
	// CitePrefix is the prefix a finding's Controls use for the framework
	// ("CIS-AWS-3.0" in "CIS-AWS-3.0:5.2").
	CitePrefix string `yaml:"cite_prefix" json:"cite_prefix"`
	// Catalogue is "complete" when every control of the framework is
	// listed, "partial" when only some are (CatalogueNote says which).
	Catalogue     string    `yaml:"catalogue" json:"catalogue"`
	CatalogueNote string    `yaml:"catalogue_note,omitempty" json:"catalogue_note,omitempty"`
	Controls      []Control `yaml:"controls" json:"-"`
}

// Control is one control of a framework's catalogue.
type Control struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
	// Rules evidence the control: a finding of any of them fails it. An
	// entry ending in '*' names every rule whose id starts with the rest.
	Rules []string `yaml:"rules,omitempty" json:"rules,omitempty"`
	// RulesIfCited evidence the control only through findings whose own
	// Controls cite it (CitePrefix:ID): the rule covers several controls
	// and each finding says which it breaks (the IPv4 or IPv6 variant, port
	// 22 or 3389).
	RulesIfCited []string `yaml:"rules_if_cited,omitempty" json:"rules_if_cited,omitempty"`
}

// Catalogue values.
const (
	CatalogueComplete = "complete"
	CataloguePartial  = "partial"
)

var loadOnce = sync.OnceValues(func() ([]*Framework, error) { return loadFrameworks(mappingFiles) })

// Frameworks returns the embedded frameworks, sorted by id.
func Frameworks() ([]*Framework, error) { return loadOnce() }

// Lookup returns the embedded framework with the id.
func Lookup(id string) (*Framework, error) {
	fws, err := Frameworks()
	if err != nil {
		return nil, err
	}
	for _, fw := range fws {
		if fw.ID == id {
			return fw, nil
		}
	}
	ids := make([]string, len(fws))
	for i, fw := range fws {
		ids[i] = fw.ID
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownFramework, id, strings.Join(ids, ", "))
}

// ErrUnknownFramework is returned by Lookup for an id no file defines.
var ErrUnknownFramework = errors.New("unknown framework")

func loadFrameworks(fsys fs.FS) ([]*Framework, error) {
	names, err := fs.Glob(fsys, "mappings/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list mapping files: %w", err)
	}
	var out []*Framework
	for _, name := range names {
		doc, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		fw, err := ParseFramework(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); fw.ID != want {
			return nil, fmt.Errorf("%s: framework id %q differs from the file name", name, fw.ID)
		}
		out = append(out, fw)
	}
	slices.SortFunc(out, func(a, b *Framework) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ParseFramework parses and checks one mapping file: the header fields
// are present, control ids are unique and every control has a title.
// Unknown fields are errors, so a misspelt key cannot drop a mapping.
func ParseFramework(doc []byte) (*Framework, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	var fw Framework
	if err := dec.Decode(&fw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty mapping file")
		}
		return nil, fmt.Errorf("parse: %w", err)
	}
	switch {
	case fw.ID == "" || fw.Title == "" || fw.Version == "":
		return nil, errors.New("framework, title and version are required")
	case fw.Source == "" || fw.URL == "":
		return nil, fmt.Errorf("framework %s: source and url are required (name the document the controls come from)", fw.ID)
	case fw.CitePrefix == "":
		return nil, fmt.Errorf("framework %s: cite_prefix is required", fw.ID)
	case fw.Catalogue != CatalogueComplete && fw.Catalogue != CataloguePartial:
		return nil, fmt.Errorf("framework %s: catalogue %q: want complete or partial", fw.ID, fw.Catalogue)
	case fw.Catalogue == CataloguePartial && fw.CatalogueNote == "":
		return nil, fmt.Errorf("framework %s: a partial catalogue needs a catalogue_note saying what it lists", fw.ID)
	case len(fw.Controls) == 0:
		return nil, fmt.Errorf("framework %s lists no controls", fw.ID)
	}
	seen := map[string]bool{}
	for _, c := range fw.Controls {
		if c.ID == "" || c.Title == "" {
			return nil, fmt.Errorf("framework %s: a control without id or title (%q)", fw.ID, c.ID)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("framework %s: control %s listed twice", fw.ID, c.ID)
		}
		seen[c.ID] = true
	}
	return &fw, nil
}

// matches reports whether a mapping entry (an id or a prefix ending in
// '*') names the rule.
func matches(entry, ruleID string) bool {
	if p, ok := strings.CutSuffix(entry, "*"); ok {
		return strings.HasPrefix(ruleID, p)
	}
	return entry == ruleID
}

// ruleSet expands the control's entries over the registry.
func (c *Control) ruleSet(rules []graph.Rule, entries []string) []string {
	var out []string
	for _, r := range rules {
		for _, e := range entries {
			if matches(e, r.ID) {
				out = append(out, r.ID)
				break
			}
		}
	}
	return out
}

// Mapped returns the controls of every framework the rule evidences, as
// "framework:control".
func Mapped(fws []*Framework, ruleID string) []string {
	var out []string
	for _, fw := range fws {
		for _, c := range fw.Controls {
			for _, e := range slices.Concat(c.Rules, c.RulesIfCited) {
				if matches(e, ruleID) {
					out = append(out, fw.ID+":"+c.ID)
					break
				}
			}
		}
	}
	return out
}

// Check verifies the frameworks against the rule registry: every rule is
// mapped to at least one control of some framework, and every mapping entry
// names at least one known rule. It returns every problem found.
func Check(fws []*Framework, rules []graph.Rule) error {
	var errs []error
	for _, r := range rules {
		if len(Mapped(fws, r.ID)) == 0 {
			errs = append(errs, fmt.Errorf("rule %s (%s) is mapped to no control of any framework", r.ID, r.Source))
		}
	}
	for _, fw := range fws {
		for _, c := range fw.Controls {
			for _, e := range slices.Concat(c.Rules, c.RulesIfCited) {
				known := false
				for _, r := range rules {
					if matches(e, r.ID) {
						known = true
						break
					}
				}
				if !known {
					errs = append(errs, fmt.Errorf("framework %s control %s names unknown rule %q", fw.ID, c.ID, e))
				}
			}
		}
	}
	return errors.Join(errs...)
}
