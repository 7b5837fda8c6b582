// Package sensitivity decides how sensitive a cloud resource's data is, for
// every cloud alike: from the tags and labels people use, from resource,
// database and table names, from the node's kind and from cloud classifiers
// whose results a collector recorded (Amazon Macie, GCP Sensitive Data
// Protection, Microsoft Purview). Each decision records why (source and rule)
// on the node, so paths, the API and the coverage report can say it.
//
// The rules are data: an embedded default file (defaults.yaml) that a user's
// file extends (--sensitivity-rules). docs/sensitivity.md documents the
// format and the precedence.
package sensitivity

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"

	"go.yaml.in/yaml/v4"

	"github.com/breachpath/breachpath/graph"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// MaxRulesFile bounds a rules file: it is user input, read whole.
const MaxRulesFile = 1 << 20

// File is the rules file format (YAML; JSON is valid YAML).
type File struct {
	Tags        TagRules         `yaml:"tags"`
	Names       []NameRule       `yaml:"names"`
	Kinds       []KindRule       `yaml:"kinds"`
	Classifiers []ClassifierRule `yaml:"classifiers"`
}

// TagRules classify by tag (AWS), tag (Azure) or label (GCP).
type TagRules struct {
	// Keys are tag keys whose value names a level.
	Keys []string `yaml:"keys"`
	// Values maps a tag value to a level name.
	Values map[string]string `yaml:"values"`
	// Flags maps a yes/no tag key to the level a true value means.
	Flags map[string]string `yaml:"flags"`
}

// NameRule gives a level to data stores whose name holds one of Words.
type NameRule struct {
	Words []string `yaml:"words"`
	Level string   `yaml:"level"`
}

// KindRule gives every node of Kind a level and, optionally, crown-jewel
// status.
type KindRule struct {
	Kind       string `yaml:"kind"`
	Level      string `yaml:"level"`
	CrownJewel bool   `yaml:"crown_jewel"`
}

// ClassifierRule names a node property in which a collector records a cloud
// classifier's level, and the classifier's name for the reason.
type ClassifierRule struct {
	Property string `yaml:"property"`
	Source   string `yaml:"source"`
	// Area is the collection area (graph.Area.Service) whose read fills
	// Property. When a snapshot records that area failed, KeepStale carries
	// the previous collection's results forward, marked stale, instead of
	// letting classified stores fall back to unclassified.
	Area string `yaml:"area"`
	// Keep lists further properties of the same read (evidence, scores)
	// carried forward with Property.
	Keep []string `yaml:"keep"`
}

// Rules is a compiled, validated rule set. The zero value classifies nothing;
// use Default or Load.
type Rules struct {
	keys        map[string]bool
	values      map[string]graph.Sensitivity
	flags       map[string]graph.Sensitivity
	names       []compiledName
	kinds       map[graph.Kind]KindRule
	kindLevel   map[graph.Kind]graph.Sensitivity
	classifiers []ClassifierRule
}

type compiledName struct {
	words map[string]bool
	level graph.Sensitivity
	label string
}

// Default returns the embedded default rules, compiled once and shared:
// a Rules is never modified after compiling, so sharing is safe.
func Default() *Rules { return defaultRules() }

var defaultRules = sync.OnceValue(func() *Rules {
	r, err := compile(nil)
	if err != nil {
		// The embedded file is tested (TestDecideFollowsThePrecedence);
		// failing here is a build defect, not bad input.
		panic(fmt.Sprintf("sensitivity: embedded defaults: %v", err))
	}
	return r
})

// Load reads a rules file and returns the defaults extended by it. An empty
// path returns the defaults.
func Load(path string) (*Rules, error) {
	if path == "" {
		return Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sensitivity rules: %w", err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, MaxRulesFile+1))
	if err != nil {
		return nil, fmt.Errorf("sensitivity rules %s: %w", path, err)
	}
	if len(doc) > MaxRulesFile {
		return nil, fmt.Errorf("sensitivity rules %s: larger than %d bytes", path, MaxRulesFile)
	}
	r, err := Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("sensitivity rules %s: %w", path, err)
	}
	return r, nil
}

// Parse compiles the defaults extended by a rules document.
func Parse(doc []byte) (*Rules, error) {
	var f File
	if err := decode(doc, &f); err != nil {
		return nil, err
	}
	return compile(&f)
}

func decode(doc []byte, f *File) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	// An empty document (io.EOF) is a valid file that adds nothing.
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parse: %w", err)
	}
	return nil
}

func compile(user *File) (*Rules, error) {
	var def File
	if err := decode(defaultsYAML, &def); err != nil {
		return nil, err
	}
	r := &Rules{keys: map[string]bool{}, values: map[string]graph.Sensitivity{}, flags: map[string]graph.Sensitivity{},
		kinds: map[graph.Kind]KindRule{}, kindLevel: map[graph.Kind]graph.Sensitivity{}}
	for _, f := range []*File{&def, user} {
		if f == nil {
			continue
		}
		if err := r.add(f); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Rules) add(f *File) error {
	for _, k := range f.Tags.Keys {
		if norm(k) == "" {
			return fmt.Errorf("tags.keys: empty key")
		}
		r.keys[norm(k)] = true
	}
	for v, l := range f.Tags.Values {
		lvl, err := level(l)
		if err != nil {
			return fmt.Errorf("tags.values[%q]: %w", v, err)
		}
		r.values[norm(v)] = lvl
	}
	for k, l := range f.Tags.Flags {
		lvl, err := level(l)
		if err != nil {
			return fmt.Errorf("tags.flags[%q]: %w", k, err)
		}
		r.flags[norm(k)] = lvl
	}
	for i, n := range f.Names {
		lvl, err := level(n.Level)
		if err != nil {
			return fmt.Errorf("names[%d]: %w", i, err)
		}
		if len(n.Words) == 0 {
			return fmt.Errorf("names[%d]: no words", i)
		}
		c := compiledName{words: map[string]bool{}, level: lvl}
		for _, w := range n.Words {
			if norm(w) == "" {
				return fmt.Errorf("names[%d]: empty word", i)
			}
			c.words[norm(w)] = true
		}
		r.names = append(r.names, c)
	}
	for i, k := range f.Kinds {
		kind := graph.Kind(k.Kind)
		if !kind.Valid() {
			return fmt.Errorf("kinds[%d]: unknown node kind %q", i, k.Kind)
		}
		lvl := graph.SensitivityNone
		if k.Level != "" {
			var err error
			if lvl, err = level(k.Level); err != nil {
				return fmt.Errorf("kinds[%d]: %w", i, err)
			}
		}
		if lvl == graph.SensitivityNone && !k.CrownJewel {
			return fmt.Errorf("kinds[%d]: neither a level nor crown_jewel", i)
		}
		r.kinds[kind] = k
		r.kindLevel[kind] = lvl
	}
	for i, c := range f.Classifiers {
		if c.Property == "" || c.Source == "" {
			return fmt.Errorf("classifiers[%d]: property and source are required", i)
		}
		r.classifiers = append(r.classifiers, c)
	}
	return nil
}

// level parses a level name.
func level(s string) (graph.Sensitivity, error) {
	lvl, err := graph.ParseSensitivity(strings.ToLower(strings.TrimSpace(s)))
	if err != nil || lvl == graph.SensitivityNone {
		return 0, fmt.Errorf("level %q: want public, internal, confidential or restricted", s)
	}
	return lvl, nil
}

// norm folds a key or value for matching: lower case, without the
// separators different conventions put between words.
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch r {
		case '-', '_', '.', ':', ' ', '/':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
