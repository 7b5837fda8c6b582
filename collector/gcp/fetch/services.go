package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Service detail: after the asset inventory, each area's own API is read
// (google.golang.org/api REST discovery clients) for what the inventory
// lacks or may hold stale — instance-group members, load balancer proxies
// and URL maps, getIamPolicy of secrets, functions, Cloud Run services and
// KMS keys, BigQuery dataset ACLs from datasets.get. What a service returns
// replaces the inventory's record of the same name (inventory.Detail): the
// service is read later and answers from the source of truth, while the
// inventory is eventually consistent.
//
// Each family is one area: a family that fails (after retries) marks its
// area failed, so the store keeps that area's earlier rows flagged stale,
// and the other families stand.

// family is one service family: its coverage area, the API (endpoint
// override name) and the reader.
type family struct {
	area string
	api  string
	read func(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error)
}

// families are read in this order, after the asset inventory.
var families = []family{
	{AreaCompute, APICompute, readCompute},
	{AreaBigQuery, APIBigQuery, readBigQuery},
	{AreaSecrets, APISecretManager, readSecrets},
	{AreaSQL, APISQL, readSQL},
	{AreaFunctions, APIFunctions, readFunctions},
	{AreaRun, APIRun, readRun},
	{AreaGKE, APIContainer, readGKE},
	{AreaKMS, APIKMS, readKMS},
}

// projectRef is a collected project.
type projectRef struct {
	ID, Number string
	Name       string   // //cloudresourcemanager.googleapis.com/projects/<number>
	Ancestors  []string // projects/<number>, folders/..., organizations/...
}

func (c *collector) projects() []projectRef {
	var out []projectRef
	for _, p := range c.inv.ByType(inventory.TypeProject) {
		var d inventory.Project
		if err := p.Decode(&d); err != nil || d.ProjectID == "" {
			continue
		}
		anc := slices.Clone(p.Ancestors)
		if len(anc) == 0 {
			anc = []string{strings.TrimPrefix(p.Name, "//cloudresourcemanager.googleapis.com/")}
		}
		out = append(out, projectRef{ID: d.ProjectID, Number: d.ProjectNumber, Name: p.Name, Ancestors: anc})
	}
	slices.SortFunc(out, func(a, b projectRef) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// services reads every family whose area the asset inventory read.
func (c *collector) services(ctx context.Context) {
	projects := c.projects()
	for _, f := range families {
		if ctx.Err() != nil {
			return
		}
		if c.inv.Coverage.FailedFor(f.area, "") {
			continue // already stale: its earlier rows are kept whatever the service says
		}
		got, err := f.read(ctx, c, projects)
		if err != nil {
			if ctx.Err() == nil {
				c.areaFailed(f.area, f.api+" API", err)
			}
			continue
		}
		for _, a := range got {
			a.Name = c.canonicalName(a.Name, projects)
			if err := c.inv.Detail(a); err != nil {
				c.opts.Logger.Warn("gcp service detail skipped", "area", f.area, "error", err)
				continue
			}
			c.assetsIn.Add(1)
		}
	}
}

// canonicalName returns the name the inventory already uses for the same
// resource: APIs spell the project by id or by number, and GKE clusters by
// zones/ or locations/, so a service name is matched against both forms
// before it is added as new (no duplicate of an inventory record).
func (c *collector) canonicalName(name string, projects []projectRef) string {
	if _, ok := c.inv.Assets[name]; ok {
		return name
	}
	var alts []string
	for _, p := range projects {
		if p.Number == "" {
			continue
		}
		for _, pair := range [][2]string{{p.ID, p.Number}, {p.Number, p.ID}} {
			if strings.Contains(name, "/projects/"+pair[0]+"/") {
				alts = append(alts, strings.Replace(name, "/projects/"+pair[0]+"/", "/projects/"+pair[1]+"/", 1))
			}
		}
	}
	for _, n := range slices.Clone(alts) {
		alts = append(alts, strings.Replace(n, "/zones/", "/locations/", 1), strings.Replace(n, "/locations/", "/zones/", 1))
	}
	alts = append(alts, strings.Replace(name, "/zones/", "/locations/", 1), strings.Replace(name, "/locations/", "/zones/", 1))
	for _, n := range alts {
		if _, ok := c.inv.Assets[n]; ok {
			return n
		}
	}
	return name
}

// areaFailed records a failed area; its earlier rows are kept stale.
func (c *collector) areaFailed(area, what string, err error) {
	c.opts.Logger.Warn("gcp area failed", "area", area, "source", what, "error", err)
	c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: area}, Error: area + " (" + what + "): " + err.Error()})
	c.inv.Coverage.Read = slices.DeleteFunc(c.inv.Coverage.Read, func(a graph.Area) bool { return a.Service == area })
}

// newAsset builds a service-detail asset of a project from a REST
// representation (the same JSON the asset inventory's resource data holds).
func newAsset(name, assetType string, p projectRef, location string, data any) (*inventory.Asset, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return &inventory.Asset{Name: name, AssetType: assetType, Ancestors: slices.Clone(p.Ancestors),
		Resource: &inventory.Resource{Parent: p.Name, Location: location, Data: b}}, nil
}

// recode converts a client type to the inventory type of the same JSON shape.
func recode(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return fmt.Errorf("encode %T: %w", from, err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		return fmt.Errorf("decode %T: %w", to, err)
	}
	return nil
}

// toPolicy converts any getIamPolicy answer (each API has its own Go type
// of the same JSON shape) to the inventory's policy.
func toPolicy(v any) (*inventory.Policy, error) {
	var p inventory.Policy
	if err := recode(v, &p); err != nil {
		return nil, err
	}
	if p.Bindings == nil {
		p.Bindings = []inventory.Binding{} // read and empty: nobody is granted
	}
	return &p, nil
}

// call runs one API call with the retry policy and counts it.
func (c *collector) call(ctx context.Context, f func() error) error {
	return c.withRetry(ctx, func() error {
		c.calls.Add(1)
		return f()
	})
}
