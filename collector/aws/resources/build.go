// Package resources turns the non-IAM part of an AWS inventory into graph
// rows: resource nodes (network, compute, data stores), the fact edges that
// describe their configuration, the attacker moves that configuration
// enables (internet exposure, lateral network reach, workload -> identity,
// anonymous access to buckets) and the findings (CIS AWS Foundations and
// AWS FSBP controls) that make those moves possible.
//
// IAM principals, policies and instance profiles belong to the identity part
// (collector/aws/identity). Where a resource points at a role or instance
// profile, this package emits a stub node with the same ARN so that the part
// validates on its own; the transform drops the stub in favour of the owned
// node. docs/aws-transform.md lists every rule.
package resources

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Part is what Build produced: rows ready to merge into a snapshot.
type Part struct {
	Nodes    []graph.Node
	Edges    []graph.Edge
	Findings []graph.Finding
	// EndpointRoutes are the workloads whose requests go through VPC
	// endpoints, for the identity part (identity.Options.EndpointRoutes).
	EndpointRoutes []EndpointRoute
	// NFSMounts are the workloads reaching mount targets of EFS file systems
	// whose policy decides who mounts them, for the identity part
	// (identity.Options.NFSMounts).
	NFSMounts []NFSMount
}

// Options tune the transform. The zero value uses the defaults.
type Options struct {
	// SensitivityKeys are the tag keys read for a data classification
	// (case-insensitive). When neither this nor SensitivityValues is set,
	// the shared rules of collector/sensitivity read the tags; otherwise
	// DefaultSensitivityKeys stand in for an empty list.
	SensitivityKeys []string
	// SensitivityValues maps lower-case tag values to levels. Entries here
	// override DefaultSensitivityValues; the defaults stay in force otherwise.
	SensitivityValues map[string]graph.Sensitivity
	// BroadPrefixV4 and BroadPrefixV6: a public source CIDR in a security
	// group counts as "the Internet" when its prefix is shorter than this
	// (defaults 8 and 16). Narrower public ranges (an office /24) are
	// deliberate allow-lists, not internet exposure.
	BroadPrefixV4 int
	BroadPrefixV6 int
	// MaxReachPairs bounds the REACHES edges one security-group rule may
	// create between individual resources. Above it, the rule is expressed
	// through the target security group as a hub (sources -> group ->
	// members), which keeps paths intact with |S|+|T| edges instead of |S|*|T|.
	// Default 2000.
	MaxReachPairs int
	// Logger receives debug notes about skipped input; slog.Default when nil.
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.BroadPrefixV4 <= 0 {
		o.BroadPrefixV4 = 8
	}
	if o.BroadPrefixV6 <= 0 {
		o.BroadPrefixV6 = 16
	}
	if o.MaxReachPairs <= 0 {
		o.MaxReachPairs = 2000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// builder accumulates the rows of one Build call.
type builder struct {
	ctx       context.Context
	inv       *inventory.Inventory
	opts      Options
	account   string
	partition string
	log       *slog.Logger

	nodes    map[string]*graph.Node
	order    []string
	edges    map[graph.EdgeKey]*graph.Edge
	eorder   []graph.EdgeKey
	findings map[string]*graph.Finding

	regions []*regionIndex
	keys    *keyIndex

	sgFindings   map[string][]sgFinding // security-group node id -> its port findings
	naclFindings map[string]string      // network ACL id -> admin-port finding id
	members      []member               // network members for REACHES, filled by compute and data
	memberIndex  map[string]int         // member id -> index, built on first lookup
	subnetMember map[string]bool        // "member|subnet" REACHES edges already added
	lbs          []lbInfo
	// hostPorts maps "instance node id|port" to the task definitions whose
	// bridge- or host-mode containers answer on that host port.
	hostPorts map[string][]string
	// podIPs maps "region|pod IP" to the EKS workload answering there (an
	// ip-mode target); kubeExposures are the Services and Ingresses whose
	// Internet moves reachability adds.
	podIPs        map[string]podTarget
	kubeExposures []kubeExposure
	// podPolicies are the EKS workloads NetworkPolicies isolate for ingress.
	podPolicies map[string]*podPolicy
	// pendingSecretRefs are task definitions whose injected secrets are
	// linked after the secret nodes exist.
	pendingSecretRefs []secretRef
	// routes are the endpoint routes found by endpointAccess.
	routes []EndpointRoute
	// logins are, per instance node id, the local-account passwords its own
	// user data sets; reachability draws the logins its exposure allows.
	logins map[string][]loginCredential
	// efs are the EFS file systems by ARN; nfsMounts the workloads reaching
	// a policy-gated one (fileSystemMoves).
	efs       map[string]*efsInfo
	nfsMounts []NFSMount
}

// Build turns the inventory's resources into a Part. It never reads IAM
// principals (the identity part does) and never fails on odd input: an
// unresolvable reference is skipped and logged at debug level. It returns an
// error only for a missing account id or a cancelled context.
func Build(ctx context.Context, inv *inventory.Inventory, opts Options) (*Part, error) {
	if inv == nil {
		return nil, fmt.Errorf("resources: nil inventory")
	}
	if inv.AccountID == "" {
		return nil, fmt.Errorf("resources: inventory has no account id")
	}
	opts.defaults()
	b := &builder{
		ctx: ctx, inv: inv, opts: opts, account: inv.AccountID, partition: inv.Partition, log: opts.Logger,
		nodes: map[string]*graph.Node{}, edges: map[graph.EdgeKey]*graph.Edge{}, findings: map[string]*graph.Finding{},
	}
	if b.partition == "" {
		b.partition = "aws"
	}
	b.accountNode()
	b.keys = newKeyIndex(b)
	for _, name := range sortedRegions(inv) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("resources: %w", err)
		}
		b.regions = append(b.regions, b.indexRegion(inv.Regional[name]))
	}
	steps := []func(){b.network, b.compute, b.data, b.cognito, b.credentials, b.buckets, b.macie, b.reachability, b.fileSystemMoves, b.endpointAccess, b.sensitivityRules}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("resources: %w", err)
		}
		step()
	}
	return b.part(), nil
}

func sortedRegions(inv *inventory.Inventory) []string {
	names := make([]string, 0, len(inv.Regional))
	for name, r := range inv.Regional {
		if r != nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// part returns the rows in insertion order (deterministic: regions sorted,
// inventory order within a region).
func (b *builder) part() *Part {
	p := &Part{Nodes: make([]graph.Node, 0, len(b.order)), Edges: make([]graph.Edge, 0, len(b.eorder)), EndpointRoutes: b.routes, NFSMounts: b.nfsMounts}
	for _, id := range b.order {
		p.Nodes = append(p.Nodes, *b.nodes[id])
	}
	for _, k := range b.eorder {
		e := b.edges[k]
		slices.Sort(e.Evidence)
		e.Evidence = slices.Compact(e.Evidence)
		slices.Sort(e.Findings)
		e.Findings = slices.Compact(e.Findings)
		p.Edges = append(p.Edges, *e)
	}
	for _, f := range b.findings {
		p.Findings = append(p.Findings, *f)
	}
	slices.SortFunc(p.Findings, func(a, c graph.Finding) int { return strings.Compare(a.ID, c.ID) })
	return p
}

// node adds (or returns the existing) node with the given id. An owned node
// replaces a stub added earlier.
func (b *builder) node(n graph.Node) *graph.Node {
	if old, ok := b.nodes[n.ID]; ok {
		if old.Stub && !n.Stub {
			*old = n
		}
		return old
	}
	if n.Cloud == graph.CloudNone && n.Kind != graph.KindInternet {
		n.Cloud = graph.CloudAWS
	}
	if n.Account == "" && !n.Stub {
		n.Account = b.account
	}
	if n.Props == nil {
		n.Props = graph.Props{}
	}
	b.nodes[n.ID] = &n
	b.order = append(b.order, n.ID)
	return &n
}

// resource adds an owned node of this account from the common fields.
func (b *builder) resource(id string, kind graph.Kind, native, service, region, name string, tags inventory.Tags) *graph.Node {
	n := b.node(graph.Node{
		ID: id, Kind: kind, NativeType: native, Service: service, Region: region,
		Name: nameFrom(tags, name), Tags: copyTags(tags),
	})
	n.Sensitivity = max(n.Sensitivity, b.tagSensitivity(tags))
	b.edge(graph.Edge{From: b.accountID(), To: id, Kind: graph.EdgeContains})
	return n
}

// stub adds a reference to a node another part owns (roles, instance
// profiles) so that the part's edges never dangle.
func (b *builder) stub(id string, kind graph.Kind, native, service string) {
	if _, ok := b.nodes[id]; ok {
		return
	}
	b.node(graph.Node{ID: id, Kind: kind, NativeType: native, Service: service, Name: arnName(id), Stub: true,
		Account: arnAccount(id)})
}

// edge adds an edge, merging evidence, findings and ports into an existing
// edge with the same key.
func (b *builder) edge(e graph.Edge) *graph.Edge {
	k := e.Key()
	if old, ok := b.edges[k]; ok {
		old.Evidence = append(old.Evidence, e.Evidence...)
		old.Findings = append(old.Findings, e.Findings...)
		old.Likelihood = max(old.Likelihood, e.Likelihood)
		if p, ok := e.Props["ports"].([]string); ok {
			if old.Props == nil {
				old.Props = graph.Props{}
			}
			prev, _ := old.Props["ports"].([]string)
			merged := append(slices.Clone(prev), p...)
			slices.Sort(merged)
			old.Props["ports"] = slices.Compact(merged)
		}
		return old
	}
	b.edges[k] = &e
	b.eorder = append(b.eorder, k)
	return &e
}

// finding records a finding and returns its id.
func (b *builder) finding(f graph.Finding) string {
	f.ID = graph.FindingID(f.RuleID, f.Resource)
	if old, ok := b.findings[f.ID]; ok {
		// Same rule on the same resource seen twice (e.g. two open ports):
		// keep one finding and join the evidence.
		if f.Evidence != "" && !strings.Contains(old.Evidence, f.Evidence) {
			old.Evidence += "; " + f.Evidence
		}
		old.Severity = max(old.Severity, f.Severity)
		old.Controls = unionSorted(old.Controls, f.Controls)
		return f.ID
	}
	slices.Sort(f.Controls)
	b.findings[f.ID] = &f
	return f.ID
}

func (b *builder) accountID() string { return accountNodeID(b.partition, b.account) }

func (b *builder) accountNode() {
	b.node(graph.Node{
		ID: b.accountID(), Kind: graph.KindAccount, NativeType: "AWS::Organizations::Account",
		Name: b.account, Service: ServiceAccount, Account: b.account,
	})
}

// ServiceAccount is the Service of the account node: the account exists
// whenever anything was collected, so no failed area ever keeps it stale.
const ServiceAccount = "account"

func nameFrom(tags inventory.Tags, fallback string) string {
	if v := tags["Name"]; v != "" {
		return v
	}
	return fallback
}

func copyTags(t inventory.Tags) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

func unionSorted(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
