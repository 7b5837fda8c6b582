// Package entitlements maps GCP IAM grants onto the cloud-neutral
// entitlement model the CIEM report reads (graph/entitlement): per
// principal, the permissions its role bindings grant (on the resource they
// are attached to and, by inheritance, everything below it), grouped by
// service and access level, where each comes from, basic-role grants
// flagged as wildcards, and service-account keys as credentials. It also
// writes least-privilege custom roles (PolicyWriter).
package entitlements

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/gcp/roles"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// WildcardBasicRole marks a grant of a basic role (roles/owner,
// roles/editor, roles/viewer): thousands of permissions in every service.
const WildcardBasicRole = "basic-role"

// MaxSourcesPerRole is how many bindings of one role a principal's
// document lists one by one; beyond it they are summarised in one source.
const MaxSourcesPerRole = 10

// Grant is one role binding naming a principal.
type Grant struct {
	Resource    string // full name of the resource the binding is attached to
	Role        string
	Condition   string // title or expression; "" when unconditional
	Conditional bool
}

// Key is a service-account key (metadata only).
type Key struct {
	ID       string
	Created  time.Time
	Disabled bool
	// UsageKnown is set when the key's project's Policy Analyzer activity
	// was read; LastUsed is then its last authentication (zero: none in
	// the observation period).
	UsageKnown bool
	LastUsed   time.Time
}

// Level classifies a GCP permission by its verb.
func Level(perm string) entitlement.AccessLevel {
	i := strings.LastIndexByte(perm, '.')
	if i < 0 {
		return entitlement.LevelUnknown
	}
	verb := perm[i+1:]
	switch {
	case verb == "list" || strings.HasPrefix(verb, "list") || verb == "search" || strings.HasPrefix(verb, "search"):
		return entitlement.LevelList
	case strings.Contains(verb, "IamPolicy") && strings.HasPrefix(verb, "set"), verb == "actAs", verb == "getAccessToken",
		verb == "signBlob", verb == "signJwt", verb == "implicitDelegation", verb == "getOpenIdToken":
		return entitlement.LevelPermissions
	case verb == "get" || strings.HasPrefix(verb, "get") || verb == "access" || verb == "consume" || verb == "read" ||
		verb == "export" || verb == "query" || verb == "download" || verb == "useToDecrypt":
		return entitlement.LevelRead
	case verb == "setLabels" || verb == "setTags" || strings.HasSuffix(verb, "Tags") || strings.HasSuffix(verb, "Labels"):
		return entitlement.LevelTagging
	}
	return entitlement.LevelWrite
}

// sensitiveReads are reads of data or secrets.
var sensitiveReads = map[string]bool{
	"secretmanager.versions.access": true, "storage.objects.get": true, "bigquery.tables.getData": true,
	"cloudkms.cryptoKeyVersions.useToDecrypt": true, "cloudsql.instances.export": true, "pubsub.subscriptions.consume": true,
	"datastore.entities.get": true, "spanner.databases.read": true, "bigtable.tables.readRows": true,
}

// Sensitive reports whether a permission writes, manages permissions or
// reads data or secrets.
func Sensitive(perm string) bool {
	switch Level(perm) {
	case entitlement.LevelWrite, entitlement.LevelPermissions:
		return true
	}
	return sensitiveReads[perm]
}

// Analyzer computes entitlements; it caches the service breakdown of each
// set of roles, since thousands of principals hold the same few roles.
type Analyzer struct {
	cat   *roles.Catalog
	cache map[string][]entitlement.ServiceEntitlement
	all   map[string]int // permissions per service in the largest role (roles/owner)
	svcs  map[string]map[string]bool
}

// roleServices returns the services a role grants permissions in.
func (a *Analyzer) roleServices(role string) map[string]bool {
	if s, ok := a.svcs[role]; ok {
		return s
	}
	s := map[string]bool{}
	if r, ok := a.cat.Lookup(role); ok {
		for _, p := range r.Permissions {
			s[service(p)] = true
		}
	}
	a.svcs[role] = s
	return s
}

// NewAnalyzer returns an analyzer over a role catalog.
func NewAnalyzer(cat *roles.Catalog) *Analyzer {
	a := &Analyzer{cat: cat, cache: map[string][]entitlement.ServiceEntitlement{}, all: map[string]int{}, svcs: map[string]map[string]bool{}}
	if r, ok := cat.Lookup(roles.Owner); ok {
		for _, p := range r.Permissions {
			a.all[service(p)]++
		}
	}
	return a
}

func service(perm string) string {
	s, _, _ := strings.Cut(perm, ".")
	return s
}

// Entitlements builds one principal's document from its grants and keys.
func (a *Analyzer) Entitlements(grants []Grant, keys []Key) *entitlement.Entitlements {
	e := &entitlement.Entitlements{Version: entitlement.Version}
	slices.SortFunc(grants, func(x, y Grant) int {
		return cmp.Or(cmp.Compare(x.Resource, y.Resource), cmp.Compare(x.Role, y.Role), cmp.Compare(x.Condition, y.Condition))
	})
	grants = slices.Compact(grants)
	// A role bound on many resources (a group granted the same role in
	// every project) is one source, not one per resource: the document
	// must stay within the node property limit.
	perRole := map[string]int{}
	for _, g := range grants {
		perRole[g.Role]++
	}
	var uncond, cond []string
	srcOf := map[string][]int{} // role -> source indexes
	wide := map[string]bool{}
	for _, g := range grants {
		if perRole[g.Role] > MaxSourcesPerRole {
			if wide[g.Role] {
				if g.Conditional {
					cond = append(cond, g.Role)
				} else {
					uncond = append(uncond, g.Role)
				}
				continue
			}
			wide[g.Role] = true
			srcOf[g.Role] = append(srcOf[g.Role], len(e.Sources))
			e.Sources = append(e.Sources, entitlement.Source{Kind: entitlement.SourceIdentity,
				Policy: fmt.Sprintf("%d resources (first: %s)", perRole[g.Role], g.Resource), PolicyName: g.Role, Statement: "bindings"})
			if g.Conditional {
				cond = append(cond, g.Role)
			} else {
				uncond = append(uncond, g.Role)
			}
			continue
		}
		idx := len(e.Sources)
		e.Sources = append(e.Sources, entitlement.Source{Kind: entitlement.SourceIdentity, Policy: g.Resource, PolicyName: g.Role,
			Statement: cmp.Or(g.Condition, "binding"), Conditional: g.Conditional})
		srcOf[g.Role] = append(srcOf[g.Role], idx)
		if g.Conditional {
			cond = append(cond, g.Role)
		} else {
			uncond = append(uncond, g.Role)
		}
		if roles.IsBasic(g.Role) && len(e.Wildcards) < MaxSourcesPerRole {
			n := 0
			if r, ok := a.cat.Lookup(g.Role); ok {
				for _, p := range r.Permissions {
					if Sensitive(p) {
						n++
					}
				}
			}
			e.Wildcards = append(e.Wildcards, entitlement.Wildcard{Kinds: []string{WildcardBasicRole}, Policy: g.Resource, PolicyName: g.Role,
				Statement: cmp.Or(g.Condition, "binding"), Patterns: []string{g.Role}, Sensitive: n, Conditional: g.Conditional})
		}
		if _, ok := a.cat.Lookup(g.Role); !ok {
			e.Notes = append(e.Notes, "role "+g.Role+" is unknown (neither predefined nor a collected custom role)")
		}
	}
	e.Services = a.services(uncond, cond)
	for i := range e.Services {
		s := &e.Services[i]
		for role, idx := range srcOf {
			if a.roleServices(role)[s.Service] {
				s.Sources = append(s.Sources, idx...)
			}
		}
		slices.Sort(s.Sources)
		s.Sources = slices.Compact(s.Sources)
	}
	for _, k := range keys {
		e.Credentials = append(e.Credentials, entitlement.Credential{Kind: entitlement.CredentialAccessKey, ID: mask(k.ID),
			Active: !k.Disabled, UsageKnown: k.UsageKnown, LastUsed: k.LastUsed, Created: k.Created})
	}
	return e
}

// services groups the permissions of the roles by service, cached per role set.
func (a *Analyzer) services(uncond, cond []string) []entitlement.ServiceEntitlement {
	slices.Sort(uncond)
	uncond = slices.Compact(uncond)
	slices.Sort(cond)
	cond = slices.Compact(cond)
	key := strings.Join(uncond, ",") + "|" + strings.Join(cond, ",")
	if s, ok := a.cache[key]; ok {
		return cloneServices(s)
	}
	perms := map[string]bool{}
	for _, r := range uncond {
		if role, ok := a.cat.Lookup(r); ok {
			for _, p := range role.Permissions {
				perms[p] = true
			}
		}
	}
	condPerms := map[string]bool{}
	for _, r := range cond {
		if role, ok := a.cat.Lookup(r); ok {
			for _, p := range role.Permissions {
				if !perms[p] {
					condPerms[p] = true
				}
			}
		}
	}
	by := map[string]*entitlement.ServiceEntitlement{}
	get := func(svc string) *entitlement.ServiceEntitlement {
		s := by[svc]
		if s == nil {
			s = &entitlement.ServiceEntitlement{Service: svc, Levels: map[entitlement.AccessLevel]int{}}
			by[svc] = s
		}
		return s
	}
	sorted := make([]string, 0, len(perms))
	for p := range perms {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	for _, p := range sorted {
		s := get(service(p))
		s.Levels[Level(p)]++
		s.Total++
		s.Actions = append(s.Actions, p)
		if Sensitive(p) {
			s.Sensitive++
			s.SensitiveActions = append(s.SensitiveActions, p)
		}
	}
	for p := range condPerms {
		get(service(p)).Conditional++
	}
	out := make([]entitlement.ServiceEntitlement, 0, len(by))
	for _, s := range by {
		s.All = a.all[s.Service] > 0 && s.Total >= a.all[s.Service]
		if len(s.Actions) > entitlement.MaxListedActions {
			s.Actions = nil // not kept: usage is unknown, and basic roles hold thousands
		}
		if len(s.SensitiveActions) > entitlement.MaxListedActions {
			s.SensitiveActions, s.SensitiveTruncated = s.SensitiveActions[:entitlement.MaxListedActions], true
		}
		if s.All {
			s.SensitiveActions, s.SensitiveTruncated = nil, false
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(x, y entitlement.ServiceEntitlement) int { return cmp.Compare(x.Service, y.Service) })
	a.cache[key] = out
	return cloneServices(out)
}

func cloneServices(s []entitlement.ServiceEntitlement) []entitlement.ServiceEntitlement {
	out := make([]entitlement.ServiceEntitlement, len(s))
	for i, v := range s {
		v.Sources = nil
		out[i] = v
	}
	return out
}

// mask keeps the first and last four characters of a key id.
func mask(id string) string {
	if len(id) <= 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

// PolicyWriter writes least-privilege GCP custom roles.
type PolicyWriter struct {
	// Catalog resolves "all permissions of a service" for Keep.All; nil
	// loads the embedded predefined roles when first needed.
	Catalog *roles.Catalog
}

// LeastPrivilege returns a custom role definition (the JSON `gcloud iam
// roles create --file` accepts) that grants exactly what keep lists.
func (w PolicyWriter) LeastPrivilege(keep []entitlement.Keep, removed int) (*entitlement.Suggestion, error) {
	var perms []string
	var notes []string
	for _, k := range keep {
		if !k.All {
			perms = append(perms, k.Actions...)
			continue
		}
		cat := w.Catalog
		if cat == nil {
			var err error
			if cat, err = roles.NewCatalog(); err != nil {
				return nil, fmt.Errorf("gcp policy writer: %w", err)
			}
		}
		owner, ok := cat.Lookup(roles.Owner)
		if !ok {
			return nil, fmt.Errorf("gcp policy writer: roles/owner not in the catalog")
		}
		for _, p := range owner.Permissions {
			if service(p) == k.Service && !slices.Contains(k.Except, p) {
				perms = append(perms, p)
			}
		}
		notes = append(notes, "every "+k.Service+" permission is kept: the principal holds and uses the whole service")
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	if len(perms) == 0 {
		return nil, fmt.Errorf("gcp policy writer: nothing to keep")
	}
	doc := struct {
		Title               string   `json:"title"`
		Description         string   `json:"description"`
		Stage               string   `json:"stage"`
		IncludedPermissions []string `json:"includedPermissions"`
	}{"breachpath least privilege", "Permissions the principal used; generated by breachpath ciem", "GA", perms}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("gcp policy writer: %w", err)
	}
	sug := &entitlement.Suggestion{Policy: string(b), Actions: perms, Removed: removed, Notes: notes}
	// Never hand out a role that grants other than what is kept.
	if err := Verify(sug, perms); err != nil {
		return nil, fmt.Errorf("gcp policy writer: %w", err)
	}
	return sug, nil
}

// DefaultPolicyWriter is a PolicyWriter over the embedded predefined
// roles, loaded on first use (the CLI builds the writers for every report).
func DefaultPolicyWriter() PolicyWriter { return PolicyWriter{} }
