package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Native types of nodes that are not ARM resources.
const (
	nativeTenant          = "Microsoft.Graph/organization"
	nativeSubscription    = "Microsoft.Resources/subscriptions"
	nativeResourceGroup   = "Microsoft.Resources/resourceGroups"
	nativeManagementGroup = "Microsoft.Management/managementGroups"
	nativeSystemIdentity  = "Microsoft.ManagedIdentity/systemAssignedIdentities"
	nativeAdministrator   = "Microsoft.Authorization/scopeAdministrator"
)

// hierarchy adds the tenant, management groups, subscriptions and
// resource groups, and records which subscriptions were collected.
func (b *builder) hierarchy() {
	b.subsIn = map[string]bool{}
	for _, s := range b.inv.Subscriptions {
		b.subsIn[s.ID] = true
	}
	tid := TenantNodeID(b.tenant)
	b.own(tenantKey, graph.Node{ID: tid, Kind: graph.KindOrganization, NativeType: nativeTenant, Name: "tenant " + b.tenant,
		Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaEntra})
	for _, mg := range b.inv.ManagementGroups {
		id := inventory.ManagementGroupID(mg.Name)
		b.own(tenantKey, graph.Node{ID: id, Kind: graph.KindOrgUnit, NativeType: nativeManagementGroup,
			Name: firstNonEmpty(mg.DisplayName, mg.Name), Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaResources})
	}
	for _, mg := range b.inv.ManagementGroups {
		id := inventory.ManagementGroupID(mg.Name)
		if mg.Parent != "" {
			b.fact(inventory.ManagementGroupID(mg.Parent), graph.EdgeContains, id)
		} else {
			b.fact(tid, graph.EdgeContains, id)
		}
	}
	for _, s := range b.inv.Subscriptions {
		id := "/subscriptions/" + s.ID
		b.own(s.ID, graph.Node{ID: id, Kind: graph.KindAccount, NativeType: nativeSubscription, Name: firstNonEmpty(s.DisplayName, s.ID),
			Account: s.ID, Region: "global", Service: inventory.AreaResources, Props: graph.Props{"state": s.State}})
		parent := tid
		if len(s.Ancestors) > 0 {
			parent = inventory.ManagementGroupID(s.Ancestors[0])
			b.stub(graph.Node{ID: parent, Kind: graph.KindOrgUnit, NativeType: nativeManagementGroup, Name: s.Ancestors[0],
				Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaResources})
		} else {
			b.stub(graph.Node{ID: tid, Kind: graph.KindOrganization, NativeType: nativeTenant, Name: "tenant " + b.tenant,
				Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaEntra})
		}
		b.edge(s.ID, graph.Edge{From: parent, To: id, Kind: graph.EdgeContains})
	}
	for _, r := range b.inv.OfType(inventory.TypeResourceGroup) {
		b.resourceGroup(r.ID, r)
	}
}

// resourceGroup adds a resource group node (once) and returns its id.
func (b *builder) resourceGroup(id string, r *inventory.Resource) string {
	id = strings.ToLower(id)
	if id == "" {
		return ""
	}
	if _, ok := b.nodes[id]; ok {
		return id
	}
	sub := inventory.SubscriptionOf(id)
	if !b.subsIn[sub] {
		return ""
	}
	n := graph.Node{ID: id, Kind: graph.KindResourceGroup, NativeType: nativeResourceGroup, Name: inventory.ResourceGroupOf(id),
		Account: sub, Region: "global", Service: inventory.AreaResources}
	if r != nil {
		n.Region = firstNonEmpty(r.Location, "global")
		n.Tags = r.Tags
	}
	b.own(sub, n)
	b.fact("/subscriptions/"+sub, graph.EdgeContains, id)
	return id
}

// resource adds an owned node for an ARM resource, contained by its parent
// resource (when given) or its resource group.
func (b *builder) resource(r *inventory.Resource, kind graph.Kind, native, parent string) *graph.Node {
	key := b.scopeKey(r.ID)
	if key == tenantKey {
		return nil
	}
	area := inventory.AreaOf(r.Type)
	n := b.own(key, graph.Node{ID: r.ID, Kind: kind, NativeType: native, Name: r.Name, Account: key,
		Region: firstNonEmpty(r.Location, "global"), Service: area, Tags: r.Tags})
	n.Sensitivity = max(n.Sensitivity, b.tagSensitivity(r.Tags))
	if parent != "" {
		b.fact(parent, graph.EdgeContains, r.ID)
	} else if rg := b.resourceGroup(inventory.ResourceGroupID(r.ID), nil); rg != "" {
		b.fact(rg, graph.EdgeContains, r.ID)
	}
	return n
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// short returns the last segment of an id, for evidence.
func short(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
