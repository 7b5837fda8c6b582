// Package inventory is the typed raw GCP inventory: Cloud Asset Inventory
// assets (resource data, IAM policies, organisation policies) merged by
// asset name, plus typed views of the resource types the transform reads.
//
// Every source produces the same Asset shape: the live collector turns
// ListAssets results into it (collector/gcp/fetch), the offline importer
// reads `gcloud asset export` NDJSON and `gcloud asset
// search-all-iam-policies` JSON into it (collector/gcp/cai). So the live
// and the offline collection of one organisation go through one transform.
package inventory

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/breachpath/breachpath/collector/credscan"
	"github.com/breachpath/breachpath/collector/strictjson"
	"github.com/breachpath/breachpath/graph"
)

// Asset is one Cloud Asset Inventory asset.
type Asset struct {
	// Name is the full resource name ("//compute.googleapis.com/projects/p/zones/z/instances/i").
	Name      string `json:"name"`
	AssetType string `json:"assetType"`
	// Ancestors lists the hierarchy from the nearest up:
	// ["projects/123", "folders/45", "organizations/6"].
	Ancestors []string    `json:"ancestors,omitempty"`
	Resource  *Resource   `json:"resource,omitempty"`
	IAMPolicy *Policy     `json:"iamPolicy,omitempty"`
	OrgPolicy []OrgPolicy `json:"orgPolicy,omitempty"`
}

// Resource is the resource part of an asset: the service's own REST
// representation in Data.
type Resource struct {
	Parent   string          `json:"parent,omitempty"`
	Location string          `json:"location,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// Policy is an IAM allow policy.
type Policy struct {
	Bindings []Binding `json:"bindings,omitempty"`
}

// Binding grants a role to members, optionally under a condition.
type Binding struct {
	Role      string   `json:"role"`
	Members   []string `json:"members"`
	Condition *Expr    `json:"condition,omitempty"`
}

// Expr is an IAM condition.
type Expr struct {
	Title      string `json:"title,omitempty"`
	Expression string `json:"expression,omitempty"`
}

// OrgPolicy is a (v1) organisation policy as Cloud Asset Inventory reports it.
type OrgPolicy struct {
	Constraint     string         `json:"constraint"`
	BooleanPolicy  *BooleanPolicy `json:"booleanPolicy,omitempty"`
	ListPolicy     *ListPolicy    `json:"listPolicy,omitempty"`
	RestoreDefault *struct{}      `json:"restoreDefault,omitempty"`
}

// BooleanPolicy enforces or relaxes a boolean constraint.
type BooleanPolicy struct {
	Enforced bool `json:"enforced"`
}

// ListPolicy allows or denies values of a list constraint.
type ListPolicy struct {
	AllowedValues     []string `json:"allowedValues,omitempty"`
	DeniedValues      []string `json:"deniedValues,omitempty"`
	AllValues         string   `json:"allValues,omitempty"` // ALLOW or DENY
	InheritFromParent bool     `json:"inheritFromParent,omitempty"`
}

// Stats counts what a collection did.
type Stats struct {
	Assets   int           `json:"assets"`
	APICalls int           `json:"api_calls"`
	Retries  int           `json:"retries"`
	Duration time.Duration `json:"duration_ns"`
}

// Inventory is everything one collection read: assets merged by name.
type Inventory struct {
	Assets      map[string]*Asset
	CollectedAt time.Time
	// Coverage says which areas (services) were read and which failed.
	Coverage graph.Coverage
	Stats    Stats
	// Partial is set when the collection was cut short (cancelled): the
	// inventory must not be synced.
	Partial bool
	// KeyLastUsed holds, per service-account key full name, when the key
	// last authenticated (Policy Analyzer activity
	// serviceAccountKeyLastAuthentication). KeyActivityProjects lists the
	// projects (ids or numbers) whose activity was read: their keys absent
	// from KeyLastUsed did not authenticate in the observation period.
	KeyLastUsed         map[string]time.Time
	KeyActivityProjects map[string]bool
	// GroupMembers holds, per instance group full name, the full names of
	// its instances (Compute Engine instanceGroups.listInstances: the
	// asset inventory does not carry members).
	GroupMembers map[string][]string
	// DenyPolicies are the IAM deny policies read (live: IAM v2
	// policies.get per organisation, folder and project; offline: gcloud
	// iam policies get output).
	DenyPolicies []DenyPolicy
	// Perimeters are the VPC Service Controls perimeters of the
	// organisation (Access Context Manager).
	Perimeters []Perimeter
	// Insights are the IAM recommender's policy insights (permission use
	// per role binding); InsightProjects lists the projects (ids and
	// numbers) whose insights were read.
	Insights        []PolicyInsight
	InsightProjects map[string]bool
	// DataProfiles are Sensitive Data Protection discovery data profiles
	// (live: projects.locations.*DataProfiles.list; offline: their list
	// output as a JSON array or NDJSON).
	DataProfiles []DataProfile
	profileNames map[string]bool
	// ObjectScans holds, per bucket full name, what the opt-in object scan
	// (fetch.Options.ScanConfigObjects) found in its objects.
	ObjectScans map[string]*credscan.Scan
}

// Activity is one Policy Analyzer activity record (the shape of
// activities:query and `gcloud policy-intelligence query-activity`).
type Activity struct {
	ActivityType     string `json:"activityType"`
	FullResourceName string `json:"fullResourceName"`
	Activity         struct {
		LastAuthenticatedTime string `json:"lastAuthenticatedTime"`
	} `json:"activity"`
}

// AddKeyActivity records a serviceAccountKeyLastAuthentication record.
func (inv *Inventory) AddKeyActivity(a Activity) error {
	if a.ActivityType != "serviceAccountKeyLastAuthentication" {
		return nil // other activity types carry nothing the transform reads
	}
	if !strings.HasPrefix(a.FullResourceName, "//iam.googleapis.com/") || !strings.Contains(a.FullResourceName, "/keys/") {
		return fmt.Errorf("activity for %q: not a service-account key", a.FullResourceName)
	}
	t, err := time.Parse(time.RFC3339, a.Activity.LastAuthenticatedTime)
	if err != nil {
		return fmt.Errorf("activity for %s: last authenticated time: %w", a.FullResourceName, err)
	}
	if inv.KeyLastUsed == nil {
		inv.KeyLastUsed = map[string]time.Time{}
	}
	if old := inv.KeyLastUsed[a.FullResourceName]; t.After(old) {
		inv.KeyLastUsed[a.FullResourceName] = t
	}
	// .../projects/<p>/serviceAccounts/...: the project's activity was read.
	if rest, ok := strings.CutPrefix(a.FullResourceName, "//iam.googleapis.com/projects/"); ok {
		p, _, _ := strings.Cut(rest, "/")
		if inv.KeyActivityProjects == nil {
			inv.KeyActivityProjects = map[string]bool{}
		}
		inv.KeyActivityProjects[p] = true
	}
	return nil
}

// New returns an empty inventory.
func New(at time.Time) *Inventory {
	return &Inventory{Assets: map[string]*Asset{}, CollectedAt: at.UTC()}
}

// Add merges an asset into the inventory: resource, IAM policy and
// organisation policies of one name arrive in separate records (one per
// content type) and are united here.
func (inv *Inventory) Add(a *Asset) error { return inv.merge(a, false) }

// Detail merges what a service's own API returned for an asset the asset
// inventory may also hold: the service's answer is the newer one, so its
// resource data replaces the inventory's and its IAM policy (from the
// service's getIamPolicy) replaces the listed one instead of adding to it;
// a record of one name never appears twice. Ancestors and type stay the
// inventory's when it knew the asset.
func (inv *Inventory) Detail(a *Asset) error { return inv.merge(a, true) }

func (inv *Inventory) merge(a *Asset, detail bool) error {
	if a == nil || a.Name == "" {
		return fmt.Errorf("asset without a name")
	}
	if !strings.HasPrefix(a.Name, "//") {
		return fmt.Errorf("asset %q: not a full resource name", a.Name)
	}
	old, ok := inv.Assets[a.Name]
	if !ok {
		inv.Assets[a.Name] = a
		return nil
	}
	if old.AssetType == "" {
		old.AssetType = a.AssetType
	}
	if len(old.Ancestors) == 0 {
		old.Ancestors = a.Ancestors
	}
	if a.Resource != nil {
		if detail && old.Resource != nil {
			a.Resource.Location = cmp.Or(a.Resource.Location, old.Resource.Location)
			a.Resource.Parent = cmp.Or(a.Resource.Parent, old.Resource.Parent)
		}
		old.Resource = a.Resource
	}
	switch {
	case a.IAMPolicy == nil:
	case old.IAMPolicy == nil || detail:
		old.IAMPolicy = a.IAMPolicy
	default:
		old.IAMPolicy.Bindings = append(old.IAMPolicy.Bindings, a.IAMPolicy.Bindings...)
	}
	if len(a.OrgPolicy) > 0 {
		old.OrgPolicy = append(old.OrgPolicy, a.OrgPolicy...)
	}
	return nil
}

// ByType returns the assets of one type.
func (inv *Inventory) ByType(assetType string) []*Asset {
	var out []*Asset
	for _, a := range inv.Assets {
		if a.AssetType == assetType {
			out = append(out, a)
		}
	}
	return out
}

// MaxAssetBytes bounds one asset record (untrusted input).
const MaxAssetBytes = 16 << 20

// ParseAsset decodes one asset record. It accepts both spellings Cloud
// Asset Inventory uses: camelCase (ListAssets, `gcloud asset list`,
// protojson) and snake_case (`gcloud asset export` files). Keys inside
// resource.data are the service's own and are left as they are.
//
// A record that names one key twice is refused (collector/strictjson):
// encoding/json would keep the last, so a binding could say one role to a
// reader and another to breachpath. Keys compare exactly everywhere, and
// outside resource.data also after spelling and case are normalised
// (`asset_type` and `assetType`, `role` and `Role` are one key to the struct
// decoder); inside resource.data a service may use keys that differ only in
// case (environment variables, annotations).
func ParseAsset(b []byte) (*Asset, error) {
	if len(b) > MaxAssetBytes {
		return nil, fmt.Errorf("asset record of %d bytes exceeds %d", len(b), MaxAssetBytes)
	}
	if err := strictjson.Check(b, false); err != nil {
		return nil, fmt.Errorf("decode asset: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode asset: %w", err)
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("asset record is not an object")
	}
	norm, err := camelKeys(m, true)
	if err != nil {
		return nil, fmt.Errorf("decode asset: %w", err)
	}
	out, err := json.Marshal(norm)
	if err != nil {
		return nil, fmt.Errorf("re-encode asset: %w", err)
	}
	var a Asset
	if err := json.Unmarshal(out, &a); err != nil {
		return nil, fmt.Errorf("decode asset: %w", err)
	}
	if a.Name == "" {
		return nil, fmt.Errorf("asset record without a name")
	}
	return &a, nil
}

// camelKeys rewrites snake_case keys to camelCase, except below
// resource.data (top says whether m is the asset object itself). Two keys
// of one object that become the same key, ignoring case, are an error.
func camelKeys(v any, top bool) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		seen := make(map[string]string, len(t))
		put := func(orig, ck string, val any) error {
			lk := strings.ToLower(ck)
			if prev, dup := seen[lk]; dup {
				return fmt.Errorf("duplicate key %q (also spelt %q)", orig, prev)
			}
			seen[lk] = orig
			out[ck] = val
			return nil
		}
		for k, val := range t {
			ck := camel(k)
			if ck == "resource" && top {
				if rm, ok := val.(map[string]any); ok {
					data, hasData := rm["data"]
					delete(rm, "data")
					res, err := camelKeys(rm, false)
					if err != nil {
						return nil, err
					}
					if hasData {
						for rk := range res.(map[string]any) {
							if strings.EqualFold(rk, "data") {
								return nil, fmt.Errorf("duplicate key %q (also spelt %q)", rk, "data")
							}
						}
						res.(map[string]any)["data"] = data // the service's own keys
					}
					if err := put(k, ck, res); err != nil {
						return nil, err
					}
					continue
				}
			}
			cv, err := camelKeys(val, false)
			if err != nil {
				return nil, err
			}
			if err := put(k, ck, cv); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		for i := range t {
			cv, err := camelKeys(t[i], false)
			if err != nil {
				return nil, err
			}
			t[i] = cv
		}
		return t, nil
	}
	return v, nil
}

func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
