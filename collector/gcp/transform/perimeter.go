package transform

import (
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// perimeterServices maps a data resource type to the API a VPC Service
// Controls perimeter restricts.
var perimeterServices = map[string]string{
	inventory.TypeBucket:       "storage.googleapis.com",
	inventory.TypeDataset:      "bigquery.googleapis.com",
	inventory.TypeSecret:       "secretmanager.googleapis.com",
	inventory.TypeCryptoKey:    "cloudkms.googleapis.com",
	inventory.TypeSQLInstance:  "sqladmin.googleapis.com",
	inventory.TypeTopic:        "pubsub.googleapis.com",
	inventory.TypeSubscription: "pubsub.googleapis.com",
}

// insideKinds are the nodes whose requests come from their project's
// network: service accounts (and their scoped tokens) and workloads. A
// user, a group or the synthetic project-owner node may act from anywhere.
var insideKinds = map[graph.Kind]bool{graph.KindServiceAccount: true, graph.KindCompute: true, graph.KindFunction: true,
	graph.KindCluster: true}

// perimeterGuard is the perimeter that restricts access to a resource.
type perimeterGuard struct {
	p       *inventory.Perimeter
	service string
}

// guardOf returns the regular perimeter restricting the target's API
// around its project, or nil (memoised per target).
func (b *builder) guardOf(target string) *perimeterGuard {
	if len(b.inv.Perimeters) == 0 {
		return nil
	}
	if g, ok := b.guards[target]; ok {
		return g
	}
	var g *perimeterGuard
	if a := b.inv.Assets[target]; a != nil {
		if svc := perimeterServices[a.AssetType]; svc != "" {
			if p := b.h.projectOf(a); p != nil {
				for i := range b.inv.Perimeters {
					if b.inv.Perimeters[i].Restricts(p.Number, svc) {
						g = &perimeterGuard{p: &b.inv.Perimeters[i], service: svc}
						break
					}
				}
			}
		}
	}
	if b.guards == nil {
		b.guards = map[string]*perimeterGuard{}
	}
	b.guards[target] = g
	return g
}

// perimeterCheck applies VPC Service Controls to a data move: a request to
// a restricted API of a project inside a perimeter succeeds only from
// inside it (or through an access level or ingress rule, which the graph
// cannot evaluate). A move from a principal of a project inside the same
// perimeter stays as it is — its workloads run there, so its stolen token
// is used from inside; any other move (users, groups, the Internet,
// accounts of projects outside) becomes conditional, with the perimeter
// named in the evidence.
func (b *builder) perimeterCheck(e *graph.Edge) {
	switch e.Kind {
	case graph.EdgeReads, graph.EdgeWrites, graph.EdgeAdministers, graph.EdgeDecrypts, graph.EdgeExposedTo:
	default:
		return
	}
	g := b.guardOf(e.To)
	if g == nil {
		return
	}
	if from := b.nodes[e.From]; from != nil && from.Account != "" && insideKinds[from.Kind] {
		if p := b.h.byID[from.Account]; p != nil && g.p.Contains(p.Number) {
			return
		}
	}
	e.Conditional = true
	e.Evidence = append(e.Evidence, "VPC Service Controls perimeter "+orDefault(g.p.Title, g.p.Name)+" restricts "+g.service+
		": the request must come from inside the perimeter, an access level or an ingress rule")
}
