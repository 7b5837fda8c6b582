// Package inventory holds the typed raw inventory of one Azure tenant: the
// ARM resources of its subscriptions (in the documented REST shape, which is
// also what Azure Resource Graph and `az ... list` return), RBAC role
// definitions and assignments, and Entra ID (Microsoft Graph) objects.
//
// Live collection (collector/azure/fetch) and offline import
// (collector/azure/offline) both fill an Inventory through Add and the Entra
// setters, so that the transform (collector/azure/transform) has one input
// whatever the source.
package inventory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Areas: the collector areas (graph.Node.Service) an Azure collection reads.
// A failed area keeps its previously stored rows, flagged stale.
const (
	AreaResources         = "resources" // subscriptions, resource groups, management groups
	AreaNetwork           = "network"
	AreaCompute           = "compute"
	AreaWeb               = "web"
	AreaStorage           = "storage"
	AreaKeyVault          = "keyvault"
	AreaSQL               = "sql"
	AreaDocumentDB        = "documentdb"
	AreaAutomation        = "automation"
	AreaLogic             = "logic" // Logic Apps (Consumption workflows)
	AreaContainerService  = "containerservice"
	AreaContainerRegistry = "containerregistry"
	AreaManagedIdentity   = "managedidentity"
	AreaAuthorization     = "authorization"
	// AreaPolicy is Azure Policy: assignments and the definitions they use.
	AreaPolicy = "policy"
	AreaEntra  = "entra"
)

// Areas lists every area in collection order.
var Areas = []string{
	AreaResources, AreaNetwork, AreaCompute, AreaWeb, AreaStorage, AreaKeyVault, AreaSQL, AreaDocumentDB,
	AreaAutomation, AreaLogic, AreaContainerService, AreaContainerRegistry, AreaManagedIdentity, AreaAuthorization, AreaPolicy, AreaEntra,
}

// AreaOf returns the area of an ARM resource type, or "" for types the
// collector does not model.
func AreaOf(resourceType string) string {
	t := strings.ToLower(resourceType)
	if strings.HasPrefix(t, "microsoft.authorization/policy") {
		return AreaPolicy
	}
	provider, _, _ := strings.Cut(t, "/")
	switch provider {
	case "microsoft.resources", "microsoft.management":
		return AreaResources
	case "microsoft.network":
		return AreaNetwork
	case "microsoft.compute":
		return AreaCompute
	case "microsoft.web":
		return AreaWeb
	case "microsoft.storage":
		return AreaStorage
	case "microsoft.keyvault":
		return AreaKeyVault
	case "microsoft.sql":
		return AreaSQL
	case "microsoft.documentdb":
		return AreaDocumentDB
	case "microsoft.automation":
		return AreaAutomation
	case "microsoft.logic":
		return AreaLogic
	case "microsoft.containerservice":
		return AreaContainerService
	case "microsoft.containerregistry":
		return AreaContainerRegistry
	case "microsoft.managedidentity":
		return AreaManagedIdentity
	case "microsoft.authorization":
		return AreaAuthorization
	}
	return ""
}

// Inventory is everything one collection read about one tenant.
type Inventory struct {
	TenantID    string    `json:"tenant_id"`
	CollectedAt time.Time `json:"collected_at"`
	// Subscriptions are the subscriptions collected (each becomes a snapshot).
	Subscriptions []Subscription `json:"subscriptions"`
	// ManagementGroups is the hierarchy above them, where readable.
	ManagementGroups []ManagementGroup `json:"management_groups,omitempty"`
	// Resources holds every ARM resource read, by lower-cased id.
	Resources map[string]*Resource `json:"resources"`
	// RBAC.
	RoleDefinitions []RoleDefinition `json:"role_definitions,omitempty"`
	RoleAssignments []RoleAssignment `json:"role_assignments,omitempty"`
	DenyAssignments []DenyAssignment `json:"deny_assignments,omitempty"`
	// Entra ID (Microsoft Graph).
	Entra Entra `json:"entra"`
	// PurviewAssets are the Microsoft Purview Data Map entities of the
	// storage and SQL types, with their classifications.
	PurviewAssets []PurviewAsset `json:"purview_assets,omitempty"`
	// Activity is the Activity Log read for the CIEM report; nil when it
	// was not read (offline imports), so usage is unknown.
	Activity *ActivityLog `json:"activity,omitempty"`
	// Coverage per subscription (subscription id -> areas read and failed);
	// the key "" holds tenant-wide areas (entra, management groups).
	Coverage map[string]*graph.Coverage `json:"coverage"`
	// Partial is set when the collection stopped early (cancelled): nothing
	// may be synced from it.
	Partial bool `json:"partial,omitempty"`
	// Stats of the run.
	Stats Stats `json:"stats"`
	// Warnings are non-fatal problems met while reading (unparsable records).
	Warnings []string `json:"warnings,omitempty"`
}

// Stats counts what a collection did.
type Stats struct {
	APICalls int           `json:"api_calls"`
	Retries  int           `json:"retries"`
	Duration time.Duration `json:"duration_ns"`
}

// New returns an empty inventory.
func New(tenantID string, at time.Time) *Inventory {
	return &Inventory{TenantID: strings.ToLower(tenantID), CollectedAt: at, Resources: map[string]*Resource{},
		Coverage: map[string]*graph.Coverage{}}
}

// Subscription is one Azure subscription.
type Subscription struct {
	ID          string `json:"subscriptionId"`
	DisplayName string `json:"displayName,omitempty"`
	TenantID    string `json:"tenantId,omitempty"`
	State       string `json:"state,omitempty"`
	// Ancestors are the management group names from the direct parent up
	// to the tenant root group.
	Ancestors []string `json:"ancestors,omitempty"`
}

// ManagementGroup is one management group.
type ManagementGroup struct {
	// Name is the group id (the last segment of its resource id).
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	// Parent is the parent group's name; empty for the tenant root group.
	Parent string `json:"parent,omitempty"`
}

// ManagementGroupID returns the lower-cased resource id of a management group.
func ManagementGroupID(name string) string {
	return "/providers/microsoft.management/managementgroups/" + strings.ToLower(name)
}

// Coverage returns the coverage record of a subscription ("" for the
// tenant), creating it.
func (inv *Inventory) CoverageOf(sub string) *graph.Coverage {
	sub = strings.ToLower(sub)
	c := inv.Coverage[sub]
	if c == nil {
		c = &graph.Coverage{}
		inv.Coverage[sub] = c
	}
	return c
}

// MarkRead records a successfully read area of a subscription.
func (inv *Inventory) MarkRead(sub, area string) {
	c := inv.CoverageOf(sub)
	for _, a := range c.Read {
		if a.Service == area {
			return
		}
	}
	c.Read = append(c.Read, graph.Area{Service: area})
}

// MarkFailed records an area of a subscription that could not be read. A
// failed area is never also read: its rows must be kept, not replaced.
func (inv *Inventory) MarkFailed(sub, area string, err error) {
	c := inv.CoverageOf(sub)
	for _, f := range c.Failed {
		if f.Service == area {
			return
		}
	}
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	c.Failed = append(c.Failed, graph.Failure{Area: graph.Area{Service: area}, Error: msg})
	kept := c.Read[:0]
	for _, a := range c.Read {
		if a.Service != area {
			kept = append(kept, a)
		}
	}
	c.Read = kept
}

// Failed reports whether an area of a subscription failed.
func (inv *Inventory) Failed(sub, area string) bool {
	c := inv.Coverage[strings.ToLower(sub)]
	return c != nil && c.FailedFor(area, "")
}

// Add records one ARM resource given as JSON in the documented REST shape
// (an Azure Resource Graph row, an SDK model marshalled to JSON, or an
// element of `az resource list`). Role definitions, role and deny
// assignments, subscriptions, resource groups and management groups are
// routed to their typed lists. Unknown types are kept as generic resources.
func (inv *Inventory) Add(raw json.RawMessage) error {
	var r Resource
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("azure resource: %w", err)
	}
	if r.ID == "" {
		return fmt.Errorf("azure resource without an id")
	}
	r.normalise()
	switch r.Type {
	case TypeRoleDefinition:
		var d RoleDefinition
		if err := d.FromResource(&r); err != nil {
			return err
		}
		inv.RoleDefinitions = append(inv.RoleDefinitions, d)
		return nil
	case TypeRoleAssignment, TypeRoleEligibility:
		var a RoleAssignment
		if err := a.FromResource(&r); err != nil {
			return err
		}
		inv.RoleAssignments = append(inv.RoleAssignments, a)
		return nil
	case TypeDenyAssignment:
		var d DenyAssignment
		if err := d.FromResource(&r); err != nil {
			return err
		}
		inv.DenyAssignments = append(inv.DenyAssignments, d)
		return nil
	case TypeSubscription:
		var p struct {
			DisplayName string `json:"displayName"`
			State       string `json:"state"`
			Ancestors   []struct {
				Name string `json:"name"`
			} `json:"managementGroupAncestorsChain"`
		}
		_ = json.Unmarshal(r.Properties, &p)
		s := Subscription{ID: r.SubscriptionID, DisplayName: firstNonEmpty(p.DisplayName, r.Name), TenantID: r.TenantID, State: p.State}
		for _, a := range p.Ancestors {
			s.Ancestors = append(s.Ancestors, a.Name)
		}
		inv.AddSubscription(s)
		return nil
	case TypeManagementGroup:
		var p struct {
			DisplayName string `json:"displayName"`
			Details     struct {
				Parent struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"parent"`
			} `json:"details"`
		}
		_ = json.Unmarshal(r.Properties, &p)
		parent := p.Details.Parent.Name
		if parent == "" && p.Details.Parent.ID != "" {
			parent = lastSegment(p.Details.Parent.ID)
		}
		inv.ManagementGroups = append(inv.ManagementGroups, ManagementGroup{Name: r.Name, DisplayName: p.DisplayName, Parent: strings.ToLower(parent)})
		return nil
	}
	if old, ok := inv.Resources[r.ID]; ok {
		// The same resource read twice (Resource Graph, then a provider's
		// detail call): the later read adds detail, keep what it lacks.
		r.mergeFrom(old)
	}
	inv.Resources[r.ID] = &r
	return nil
}

// AddSubscription records a subscription once (later calls fill blanks).
func (inv *Inventory) AddSubscription(s Subscription) {
	s.ID = strings.ToLower(s.ID)
	s.TenantID = strings.ToLower(s.TenantID)
	for i := range inv.Subscriptions {
		o := &inv.Subscriptions[i]
		if o.ID == s.ID {
			o.DisplayName = firstNonEmpty(o.DisplayName, s.DisplayName)
			o.TenantID = firstNonEmpty(o.TenantID, s.TenantID)
			o.State = firstNonEmpty(o.State, s.State)
			if len(o.Ancestors) == 0 {
				o.Ancestors = s.Ancestors
			}
			return
		}
	}
	inv.Subscriptions = append(inv.Subscriptions, s)
	sort.Slice(inv.Subscriptions, func(i, j int) bool { return inv.Subscriptions[i].ID < inv.Subscriptions[j].ID })
}

// Subscription returns the subscription with the id, or nil.
func (inv *Inventory) Subscription(id string) *Subscription {
	id = strings.ToLower(id)
	for i := range inv.Subscriptions {
		if inv.Subscriptions[i].ID == id {
			return &inv.Subscriptions[i]
		}
	}
	return nil
}

// OfType returns the resources of an ARM type (lower-case), sorted by id.
func (inv *Inventory) OfType(t string) []*Resource {
	var out []*Resource
	for _, r := range inv.Resources {
		if r.Type == t {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns the resource with the id (any case), or nil.
func (inv *Inventory) Get(id string) *Resource { return inv.Resources[strings.ToLower(id)] }

// Warn records a non-fatal problem.
func (inv *Inventory) Warn(format string, args ...any) {
	inv.Warnings = append(inv.Warnings, fmt.Sprintf(format, args...))
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
