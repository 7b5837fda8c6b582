package identity

import (
	"cmp"
	"context"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// builder accumulates one Build's output.
type builder struct {
	inv       *inventory.Inventory
	opts      Options
	log       *slog.Logger
	partition string
	account   string
	now       time.Time
	cat       *catalog.Catalog
	adminNode string // adminID(account), asked for on every escalation edge
	// actions caches catalog lookups of the fixed action names the builder asks about (technique
	// and data-access actions): Catalog.Lookup lower-cases its argument, which allocates. Filled
	// in newBuilder and read-only afterwards.
	actions map[string]actionRef

	nodes    []graph.Node
	nodeIdx  map[string]int
	edges    []graph.Edge
	edgeIdx  map[graph.EdgeKey]int
	findings []graph.Finding
	findIdx  map[string]int
	warnings []string

	// loaded by loadPolicies
	managed map[string]*policy.Policy // managed policy ARN -> parsed default version
	// versions holds the stored non-default versions of customer-managed policies, parsed and
	// labelled "<arn>?versionId=<id>" (iam:SetDefaultPolicyVersion can put any of them in force).
	versions map[string][]policyVersion
	// instanceTags holds the collected tags of each inventoried EC2 instance (empty: none), so
	// ABAC conditions on aws:ResourceTag/* are decided for the techniques acting on instances.
	// Filled with the escalation targets, before any worker starts; read-only afterwards.
	instanceTags map[string]map[string]string
	// dataTags holds the tags of each data resource whose tags decide ABAC (see dataResource.tags).
	// Filled by collectResources, before the escalation step; read-only afterwards.
	dataTags map[string]map[string]string
	// tagConditions: some identity policy or boundary of the account has a condition on resource
	// tags, so a tag step may open a move (set before the trust step's workers start).
	tagConditions bool
	groups        map[string]*groupInfo // group name -> group
	principals    []*principal          // users then roles, inventory order
	byARN         map[string]*principal
	users         map[string]*principal // user name -> user principal
	scps          [][]*policy.Policy
	rcps          [][]*policy.Policy
	// vpcKeyCache: whether a policy tests a VPC source key (endpointAccess).
	vpcKeyCache map[*policy.Policy]bool
	mgmt        bool // the account is the organization's management account
	orgID       string
	orgAccts    map[string]bool // accounts of the estate (organization members and KnownAccounts)
	classes     map[string]*class
	resources   []*dataResource
	profiles    map[string][]string // role ARN -> instance profile ARNs
	// launch templates' instance profiles (indexLaunchTemplates), read-only once built
	ltKnown    bool
	ltProfiles map[string]bool
	adminProbe []int32
	assumeIdx  int32
	trusts     []*roleTrust

	summaryList []PrincipalSummary
	ctxCache    map[string]map[string][]string // region -> shared request context
	pols        map[*policy.Policy]*polInfo
	covers      map[[2]*policy.Policy]bool // boundary, policy -> the boundary allows all the policy grants
	decisions   map[decisionKey]*decisionEntry
	denyParts   map[*policy.Policy]*policy.Policy
	evidence    map[evidenceKey][]string // see cachedEvidence
	polNodes    map[*policy.Policy]bool  // see policyNode
	// orgDependent: an SCP or RCP depends on who the caller is.
	orgDependent bool

	// sink, when set, records edges and findings instead of adding them: escalation workers
	// compute principals in parallel and the results are added in principal order (see
	// escalation), so the output does not depend on scheduling.
	sink *sink
	// mu guards the caches shared between escalation workers (class.grants).
	mu *sync.Mutex
	// ev evaluates this builder's requests with reused scratch space; each parallel worker's
	// view has its own.
	ev *policy.Evaluator
}

// sink holds one work item's nodes, edges and findings, in the order they were produced.
type sink struct {
	nodes    []graph.Node
	edges    []graph.Edge
	findings []graph.Finding
}

// replay adds what s recorded, in order. Only the order among equal ids and keys matters (the
// part is sorted at the end), and that order is the recording order.
func (b *builder) replay(s *sink) {
	for _, n := range s.nodes {
		b.addNode(n)
	}
	for _, f := range s.findings {
		b.addFinding(f)
	}
	for i := range s.edges {
		b.addEdge(s.edges[i])
	}
}

func newBuilder(inv *inventory.Inventory, opts Options) *builder {
	b := &builder{
		inv: inv, opts: opts, log: opts.Logger, partition: inv.Partition, account: inv.AccountID,
		cat: catalog.Default(), nodeIdx: map[string]int{}, edgeIdx: map[graph.EdgeKey]int{}, findIdx: map[string]int{},
		managed: map[string]*policy.Policy{}, versions: map[string][]policyVersion{}, instanceTags: map[string]map[string]string{}, groups: map[string]*groupInfo{}, byARN: map[string]*principal{},
		users: map[string]*principal{}, orgAccts: map[string]bool{}, classes: map[string]*class{},
		profiles: map[string][]string{}, mu: &sync.Mutex{}, ev: &policy.Evaluator{Absent: vpcSourceKeys},
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.partition == "" {
		b.partition = "aws"
	}
	b.now = opts.Now
	if b.now.IsZero() {
		b.now = inv.CollectedAt
	}
	if b.now.IsZero() {
		b.now = time.Now()
	}
	if b.opts.KeyMaxAgeDays <= 0 {
		b.opts.KeyMaxAgeDays = 90
	}
	if b.opts.UnusedCredentialDays <= 0 {
		b.opts.UnusedCredentialDays = 45
	}
	if b.opts.SampleLimit <= 0 {
		b.opts.SampleLimit = 8
	}
	b.adminNode = b.adminID(b.account)
	b.actions = map[string]actionRef{}
	names := append([]string{"sts:AssumeRole", passRole.Action}, dataActions()...)
	names = append(names, adminProbeActions...)
	for _, t := range Techniques {
		for _, pm := range t.Perms {
			names = append(names, pm.Action)
		}
	}
	for _, n := range names {
		a, ok := b.cat.Lookup(n)
		b.actions[n] = actionRef{index: a.Index, ok: ok}
	}
	for _, a := range opts.KnownAccounts {
		b.orgAccts[a] = true
	}
	if inv.Org != nil {
		b.orgID = inv.Org.ID
		for _, a := range inv.Org.Accounts {
			b.orgAccts[a.ID] = true
		}
	}
	return b
}

// actionRef is a cached catalog lookup.
type actionRef struct {
	index int32
	ok    bool
}

// lookup is cat.Lookup's index and presence, from the cache when the name is a known one.
func (b *builder) lookup(action string) (int32, bool) {
	if r, ok := b.actions[action]; ok {
		return r.index, r.ok
	}
	a, ok := b.cat.Lookup(action)
	return a.Index, ok
}

func (b *builder) warn(msg string, args ...any) {
	// Returned, not logged as a warning: the caller reports the part's
	// warnings once (the collect summary), and logging them here too
	// printed each twice.
	b.log.Debug(msg, append([]any{"account", b.account}, args...)...)
	line := msg
	for i := 0; i+1 < len(args); i += 2 {
		line += " " + toString(args[i]) + "=" + toString(args[i+1])
	}
	b.warnings = append(b.warnings, line)
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case error:
		return x.Error()
	}
	return slog.AnyValue(v).String()
}

// addNode adds n unless a node with its id exists; an owned node replaces an earlier stub.
func (b *builder) addNode(n graph.Node) *graph.Node {
	if b.sink != nil {
		b.sink.nodes = append(b.sink.nodes, n)
		return &b.sink.nodes[len(b.sink.nodes)-1]
	}
	if i, ok := b.nodeIdx[n.ID]; ok {
		if b.nodes[i].Stub && !n.Stub {
			b.nodes[i] = n
		}
		return &b.nodes[i]
	}
	if n.Cloud == graph.CloudNone {
		n.Cloud = graph.CloudAWS
	}
	b.nodeIdx[n.ID] = len(b.nodes)
	b.nodes = append(b.nodes, n)
	return &b.nodes[len(b.nodes)-1]
}

func (b *builder) node(id string) *graph.Node {
	if i, ok := b.nodeIdx[id]; ok {
		return &b.nodes[i]
	}
	return nil
}

// maxEvidence bounds the evidence merged into one edge.
const maxEvidence = 24

// addEdge adds e, merging evidence and findings into an existing edge with the same key. A merged
// edge is conditional only if every contribution is.
func (b *builder) addEdge(e graph.Edge) {
	if b.sink != nil {
		b.sink.edges = append(b.sink.edges, e)
		return
	}
	k := e.Key()
	if i, ok := b.edgeIdx[k]; ok {
		p := &b.edges[i]
		// Evidence is a sample: past maxEvidence entries more of it explains nothing new and
		// merging would grow quadratically.
		if len(p.Evidence) < maxEvidence && !slices.Equal(p.Evidence, e.Evidence) {
			p.Evidence = unionSorted(p.Evidence, e.Evidence)
		}
		if !slices.Equal(p.Findings, e.Findings) {
			p.Findings = unionSorted(p.Findings, e.Findings)
		}
		p.Conditional = p.Conditional && e.Conditional
		p.Likelihood = max(p.Likelihood, e.Likelihood)
		return
	}
	b.edgeIdx[k] = len(b.edges)
	if len(b.edges) == cap(b.edges) {
		// Double: append grows large slices by a quarter, which for 1.5M edges copies the
		// array many times over (1.3 GB allocated at 10k principals instead of 0.4 GB).
		b.edges = slices.Grow(b.edges, max(len(b.edges), 1024))
	}
	b.edges = append(b.edges, e)
}

func (b *builder) fact(from, to string, kind graph.EdgeKind, props graph.Props) {
	b.addEdge(graph.Edge{From: from, To: to, Kind: kind, Props: props})
}

// addFinding adds f with its stable id and returns the id.
func (b *builder) addFinding(f graph.Finding) string {
	f.ID = graph.FindingID(f.RuleID, f.Resource)
	if b.sink != nil {
		b.sink.findings = append(b.sink.findings, f)
		return f.ID
	}
	if i, ok := b.findIdx[f.ID]; ok {
		if f.Severity > b.findings[i].Severity {
			b.findings[i].Severity = f.Severity
		}
		return f.ID
	}
	if f.FixEffort == 0 {
		f.FixEffort = 1
	}
	b.findIdx[f.ID] = len(b.findings)
	b.findings = append(b.findings, f)
	return f.ID
}

func (b *builder) part() *Part {
	p := &Part{Nodes: b.nodes, Edges: b.edges, Findings: b.findings, Warnings: b.warnings}
	slices.SortFunc(p.Nodes, func(x, y graph.Node) int { return cmp.Compare(x.ID, y.ID) })
	sortEdges(p.Edges)
	slices.SortFunc(p.Findings, func(x, y graph.Finding) int { return cmp.Compare(x.ID, y.ID) })
	p.Principals = b.summaryList
	return p
}

// view returns a builder for one parallel worker: it shares the builder's read-only state, has
// its own decision and evidence caches, and records into the sink ordered sets (never into the
// builder's nodes, edges and findings). Shared lazily filled caches must be complete before
// workers start (see escalator.prepareShared).
func (b *builder) view() *builder {
	wb := *b
	wb.decisions = map[decisionKey]*decisionEntry{}
	wb.evidence = map[evidenceKey][]string{}
	wb.denyParts = map[*policy.Policy]*policy.Policy{}
	wb.sink = nil
	wb.ev = &policy.Evaluator{Absent: vpcSourceKeys}
	return &wb
}

// workers is the number of parallel workers for n items.
func workers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// ordered runs fn(w, i) for the items 0..n-1 on len(views) workers, worker w recording through
// views[w] into item i's sink, then replays the sinks in item order: the output is the
// sequential one whatever the scheduling. Batches bound the memory the sinks hold.
//
// With overlap, a batch is replayed while the workers compute the next one, so that no core
// idles during replays; fn must then not read the builder's nodes, edges or findings, which
// the replay writes.
func (b *builder) ordered(ctx context.Context, n int, views []*builder, overlap bool, fn func(w, i int)) error {
	const batch = 256
	buf := [2][]sink{make([]sink, min(batch, n)), make([]sink, min(batch, n))}
	start := func(from int, sinks []sink) *sync.WaitGroup {
		to := min(from+batch, n)
		// Replayed sinks are reused: their arrays were copied into the builder, and keeping the
		// capacity saves regrowing them for every batch.
		for i := range sinks {
			s := &sinks[i]
			s.nodes, s.edges, s.findings = s.nodes[:0], s.edges[:0], s.findings[:0]
		}
		var next atomic.Int64
		wg := &sync.WaitGroup{}
		for w, v := range views {
			wg.Go(func() {
				for {
					i := from + int(next.Add(1)-1)
					if i >= to {
						return
					}
					v.sink = &sinks[i-from]
					fn(w, i)
				}
			})
		}
		return wg
	}
	if n == 0 {
		return nil
	}
	running := start(0, buf[0])
	for k, from := 0, 0; from < n; k, from = k+1, from+batch {
		running.Wait()
		cur := buf[k%2][:min(batch, n-from)]
		var nextBatch *sync.WaitGroup
		if from+batch < n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if overlap {
				nextBatch = start(from+batch, buf[(k+1)%2])
			}
		}
		for i := range cur {
			b.replay(&cur[i])
		}
		if from+batch < n && !overlap {
			nextBatch = start(from+batch, buf[(k+1)%2])
		}
		running = nextBatch
	}
	return nil
}

// parallelFor runs fn(i) for the items 0..n-1 on GOMAXPROCS workers; fn must only write to
// item i's own output.
func parallelFor(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers(n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// compareEdges orders edges field by field: the order of Edge.Key without building key strings.
func compareEdges(x, y graph.Edge) int {
	if c := cmp.Compare(x.From, y.From); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Kind, y.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(x.To, y.To); c != 0 {
		return c
	}
	return cmp.Compare(x.Technique, y.Technique)
}

// sortEdges sorts by compareEdges. Large lists are split around a pivot and the two sides
// sorted on two cores; keys are unique, so the order is the same as one sort's.
func sortEdges(es []graph.Edge) {
	if len(es) < 1<<15 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(es, compareEdges)
		return
	}
	// Median of nine evenly spaced edges keeps the sides balanced.
	sample := make([]graph.Edge, 9)
	for i := range sample {
		sample[i] = es[i*(len(es)-1)/8]
	}
	slices.SortFunc(sample, compareEdges)
	pivot := sample[4]
	lo := 0
	for i := range es {
		if compareEdges(es[i], pivot) < 0 {
			es[lo], es[i] = es[i], es[lo]
			lo++
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(es[:lo], compareEdges) })
	slices.SortFunc(es[lo:], compareEdges)
	wg.Wait()
}

func unionSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
