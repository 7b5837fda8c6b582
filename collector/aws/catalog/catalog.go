// Package catalog is the offline AWS IAM action catalog: every known action of every service with its
// access level and resource types, wildcard expansion, dense action indices and bitsets over them, and
// the documents of AWS managed policies. The data is embedded (see data/SOURCE.md) so that effective
// permissions can be computed without calling AWS.
package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/breachpath/breachpath/internal/wildcard"
)

//go:embed data/iam-actions.json.gz
var actionsGz []byte

// AccessLevel is the classic IAM access level of an action.
type AccessLevel uint8

// Access levels, in the order the IAM console lists them.
const (
	AccessUnknown AccessLevel = iota
	AccessList
	AccessRead
	AccessWrite
	AccessPermissionsManagement
	AccessTagging
)

// String returns the level's name as the Service Authorization Reference writes it.
func (l AccessLevel) String() string {
	switch l {
	case AccessList:
		return "List"
	case AccessRead:
		return "Read"
	case AccessWrite:
		return "Write"
	case AccessPermissionsManagement:
		return "Permissions management"
	case AccessTagging:
		return "Tagging"
	}
	return "Unknown"
}

// parseAccessLevel keeps the first component: upstream writes "Tagging, Write" because AWS also
// counts tagging and permission-management actions as writes, but the first one is the IAM level.
func parseAccessLevel(s string) AccessLevel {
	first, _, _ := strings.Cut(s, ",")
	switch strings.TrimSpace(first) {
	case "List":
		return AccessList
	case "Read":
		return AccessRead
	case "Write":
		return AccessWrite
	case "Permissions management":
		return AccessPermissionsManagement
	case "Tagging":
		return AccessTagging
	}
	return AccessUnknown
}

// Action is one IAM action of the catalog.
type Action struct {
	// Index is dense (0..Len()-1) and stable for one catalog build; it addresses ActionSet bits.
	Index int32
	// Service is the service prefix, e.g. "s3".
	Service string
	// Name is "service:Action" in AWS's canonical case, e.g. "s3:GetObject".
	Name        string
	AccessLevel AccessLevel
	// ResourceTypes names the resource types the action accepts (keys of ResourceTypeARN).
	ResourceTypes []string
	// RequestTags: the request may carry tags (aws:RequestTag/<key> is a condition key of the
	// action or of one of its resource types): the caller chooses them.
	RequestTags bool
}

// serviceRange is the contiguous index range of one service's actions (actions are sorted by service).
type serviceRange struct {
	name       string
	start, end int32
	arns       map[string]string
}

// Catalog is an immutable, loaded action catalog. It is safe for concurrent use.
type Catalog struct {
	actions  []Action
	lower    []string // lower-cased Name per index, for case-insensitive matching
	byName   map[string]int32
	services map[string]*serviceRange
	prefixes []string
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// Default returns the catalog built from the embedded data. It is decompressed and parsed once, on first
// use (about 0.1-0.2 s and 20 MB of garbage; the retained catalog is a few MB).
func Default() *Catalog {
	defaultOnce.Do(func() {
		c, err := Load(bytes.NewReader(actionsGz))
		if err != nil {
			// The embedded file is checked by tests; failing here means a broken build.
			panic(fmt.Sprintf("catalog: embedded action catalog is invalid: %v", err))
		}
		defaultCat = c
	})
	return defaultCat
}

// requestTagKey is how the catalogue names the request-tag condition key.
const requestTagKey = "aws:RequestTag/${TagKey}"

type rawCatalog struct {
	Services map[string]struct {
		Name    string `json:"name"`
		Actions map[string]struct {
			Name          string   `json:"name"`
			AccessLevel   string   `json:"accessLevel"`
			ConditionKeys []string `json:"conditionKeys"`
			ResourceTypes []struct {
				Name          string   `json:"name"`
				ConditionKeys []string `json:"conditionKeys"`
			} `json:"resourceTypes"`
		} `json:"actions"`
		ResourceTypes map[string]struct {
			Key string `json:"key"`
			ARN string `json:"arn"`
		} `json:"resourceTypes"`
	} `json:"services"`
}

// Load builds a catalog from a gzip-compressed merged iam-data document (the format of
// data/iam-actions.json.gz).
func Load(r io.Reader) (*Catalog, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("open action catalog gzip: %w", err)
	}
	defer zr.Close()
	var raw rawCatalog
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode action catalog: %w", err)
	}
	if len(raw.Services) == 0 {
		return nil, fmt.Errorf("decode action catalog: no services")
	}
	c := &Catalog{byName: make(map[string]int32, 22000), services: make(map[string]*serviceRange, len(raw.Services))}
	for p := range raw.Services {
		c.prefixes = append(c.prefixes, strings.ToLower(p))
	}
	sort.Strings(c.prefixes)
	for _, prefix := range c.prefixes {
		svc := raw.Services[prefix]
		keys := make([]string, 0, len(svc.Actions))
		for k := range svc.Actions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sr := &serviceRange{name: svc.Name, start: int32(len(c.actions)), arns: make(map[string]string, len(svc.ResourceTypes))}
		for k, rt := range svc.ResourceTypes {
			sr.arns[strings.ToLower(k)] = rt.ARN
		}
		for _, k := range keys {
			a := svc.Actions[k]
			name := a.Name
			if name == "" {
				name = k
			}
			full := prefix + ":" + name
			lower := strings.ToLower(full)
			if _, dup := c.byName[lower]; dup {
				continue
			}
			act := Action{Index: int32(len(c.actions)), Service: prefix, Name: full, AccessLevel: parseAccessLevel(a.AccessLevel)}
			act.RequestTags = slices.Contains(a.ConditionKeys, requestTagKey)
			for _, rt := range a.ResourceTypes {
				act.ResourceTypes = append(act.ResourceTypes, rt.Name)
				act.RequestTags = act.RequestTags || slices.Contains(rt.ConditionKeys, requestTagKey)
			}
			c.byName[lower] = act.Index
			c.actions = append(c.actions, act)
			c.lower = append(c.lower, lower)
		}
		sr.end = int32(len(c.actions))
		c.services[prefix] = sr
	}
	return c, nil
}

// Len is the number of actions.
func (c *Catalog) Len() int { return len(c.actions) }

// Actions returns all actions ordered by index. The slice is shared: do not modify it.
func (c *Catalog) Actions() []Action { return c.actions }

// Action returns the action with the given index.
func (c *Catalog) Action(i int32) Action { return c.actions[i] }

// Services returns the lower-case service prefixes, sorted.
func (c *Catalog) Services() []string { return c.prefixes }

// ServiceName returns the service's display name ("Amazon S3") and whether the prefix is known.
func (c *Catalog) ServiceName(prefix string) (string, bool) {
	s, ok := c.services[strings.ToLower(prefix)]
	if !ok {
		return "", false
	}
	return s.name, true
}

// ResourceTypeARN returns the ARN format of a service's resource type, e.g. ("s3", "object") ->
// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
func (c *Catalog) ResourceTypeARN(service, resourceType string) (string, bool) {
	s, ok := c.services[strings.ToLower(service)]
	if !ok {
		return "", false
	}
	arn, ok := s.arns[strings.ToLower(resourceType)]
	return arn, ok
}

// Lookup finds an action by its "service:Action" name, case-insensitively as IAM does.
func (c *Catalog) Lookup(action string) (Action, bool) {
	i, ok := c.byName[strings.ToLower(action)]
	if !ok {
		return Action{}, false
	}
	return c.actions[i], true
}

// HasService reports whether the service prefix is in the catalog.
func (c *Catalog) HasService(prefix string) bool {
	_, ok := c.services[strings.ToLower(prefix)]
	return ok
}

// Expand returns the indices (ascending) of all actions matching an IAM action pattern with `*` and `?`
// wildcards, case-insensitively: "*", "s3:*", "s3:Get*", "*:Get*", "iam:?etRole". A pattern naming an
// unknown service or action yields nothing; callers keep the literal for exact-match evaluation.
func (c *Catalog) Expand(pattern string) []int32 {
	var out []int32
	c.expand(pattern, func(i int32) { out = append(out, i) })
	return out
}

// ExpandInto sets the bits of all actions matching pattern in s and reports whether any matched.
func (c *Catalog) ExpandInto(s ActionSet, pattern string) bool {
	any := false
	c.expand(pattern, func(i int32) { s.Set(i); any = true })
	return any
}

func (c *Catalog) expand(pattern string, emit func(int32)) {
	p := strings.ToLower(pattern)
	if p == "*" {
		for i := range c.actions {
			emit(int32(i))
		}
		return
	}
	svc, _, found := strings.Cut(p, ":")
	if !found {
		return
	}
	lo, hi := int32(0), int32(len(c.actions))
	if !strings.ContainsAny(svc, "*?") {
		r, ok := c.services[svc]
		if !ok {
			return
		}
		lo, hi = r.start, r.end
	}
	if !strings.ContainsAny(p, "*?") {
		if i, ok := c.byName[p]; ok {
			emit(i)
		}
		return
	}
	for i := lo; i < hi; i++ {
		if Match(p, c.lower[i]) {
			emit(i)
		}
	}
}

// Match reports whether name matches an IAM action pattern (`*` any run, `?` one character),
// ignoring case as IAM does for action names.
func Match(pattern, name string) bool {
	return wildcard.MatchFold(pattern, name)
}
