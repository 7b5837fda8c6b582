// Package synthetic generates a deterministic multi-cloud estate (AWS
// accounts, Azure subscriptions and GCP projects of one organisation) with
// planted attack paths, decoy misconfigurations and a ground truth that says
// exactly which attack paths exist. It is what `breachpath demo` loads, the
// source of every scale test and benchmark, and the oracle the path engine is
// checked against. docs/synthetic-estate.md describes the shapes.
package synthetic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
)

// Limits on Options.Resources.
const (
	MinResources = 100
	MaxResources = 10_000_000
)

// Ground-truth search parameters: the invariant holds for these.
const (
	TruthThreshold = graph.SensitivityConfidential
	TruthMaxDepth  = 8
)

// DefaultCollectedAt is the collection time of every snapshot unless
// Options.CollectedAt says otherwise; fixed so that output is reproducible.
var DefaultCollectedAt = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// Options controls Generate.
type Options struct {
	// Seed makes the estate reproducible: equal options give equal estates.
	Seed int64
	// Resources is the total number of distinct nodes of the merged estate
	// (stubs of global nodes such as the Internet counted once).
	Resources int
	// Clouds to include; all three when empty. Resources are split roughly
	// 50/25/25 between AWS, Azure and GCP.
	Clouds []graph.Cloud
	// PlantedPaths is the number of planted attack paths; 0 means one per
	// 400 resources and at least 8 (fewer only below 1000 resources).
	PlantedPaths int
	// Decoys is the number of decoy misconfigurations; 0 means one per 500
	// resources and at least 6.
	Decoys int
	// CollectedAt stamps every snapshot; zero means DefaultCollectedAt.
	CollectedAt time.Time
	// Sensitivity classifies the generated snapshots, as a collect run's
	// rules do before anything is stored; nil means sensitivity.Default().
	// GroundTruth.Stores (and the path invariant, when rules add targets)
	// holds for the defaults.
	Sensitivity *sensitivity.Rules
	// NoStoreTruth leaves GroundTruth.Stores empty: a streamed estate that
	// nobody checks need not hold a record of every data store.
	NoStoreTruth bool
}

// Estate is a generated estate: one snapshot per scope and its ground truth.
// Node Tags maps are shared between nodes of the same owner, environment and
// classification to keep million-node estates small: treat them as read-only.
type Estate struct {
	Snapshots []*graph.Snapshot
	Truth     *GroundTruth
	// Sensitivity is what the sensitivity rules did to the data stores.
	Sensitivity sensitivity.Summary
}

// scopeSize is the resource count a scope aims for at scale.
const scopeSize = 2500

var cloudWeights = map[graph.Cloud]int{graph.CloudAWS: 2, graph.CloudAzure: 1, graph.CloudGCP: 1}

func (o *Options) normalize() error {
	if o.Resources < MinResources || o.Resources > MaxResources {
		return fmt.Errorf("synthetic: resources %d out of range [%d, %d]", o.Resources, MinResources, MaxResources)
	}
	if len(o.Clouds) == 0 {
		o.Clouds = []graph.Cloud{graph.CloudAWS, graph.CloudAzure, graph.CloudGCP}
	}
	seen := map[graph.Cloud]bool{}
	var clouds []graph.Cloud
	for _, c := range o.Clouds {
		if _, ok := cloudWeights[c]; !ok {
			return fmt.Errorf("synthetic: unknown cloud %q (want aws, azure or gcp)", c)
		}
		if !seen[c] {
			seen[c] = true
			clouds = append(clouds, c)
		}
	}
	// a fixed order keeps the estate independent of how the caller listed clouds
	slices.SortFunc(clouds, func(a, b graph.Cloud) int { return cloudOrder(a) - cloudOrder(b) })
	o.Clouds = clouds
	if o.PlantedPaths < 0 || o.Decoys < 0 {
		return fmt.Errorf("synthetic: negative planted paths (%d) or decoys (%d)", o.PlantedPaths, o.Decoys)
	}
	if o.PlantedPaths == 0 {
		o.PlantedPaths = max(8, o.Resources/400)
		if o.Resources < 1000 {
			o.PlantedPaths = max(3, o.Resources/125)
		}
	}
	if o.Decoys == 0 {
		o.Decoys = max(6, o.Resources/500)
		if o.Resources < 1000 {
			o.Decoys = max(3, o.Resources/150)
		}
	}
	// planted paths and decoys use at most ~8 nodes each; leave room for the skeletons
	if room := o.Resources / 2; 7*o.PlantedPaths+4*o.Decoys > room {
		return fmt.Errorf("synthetic: %d planted paths and %d decoys do not fit in %d resources", o.PlantedPaths, o.Decoys, o.Resources)
	}
	if o.CollectedAt.IsZero() {
		o.CollectedAt = DefaultCollectedAt
	}
	return nil
}

func cloudOrder(c graph.Cloud) int {
	switch c {
	case graph.CloudAWS:
		return 0
	case graph.CloudAzure:
		return 1
	}
	return 2
}

// gen is the state of one Generate call.
type gen struct {
	opts    Options
	org     *org
	rng     *rand.Rand
	scopes  []*scope
	byCloud map[graph.Cloud][]*scope
	globals map[string]bool // ids of stubs nobody owns (Internet, anonymous, external accounts)
	reach   map[string]int  // fewest moves from an exposure source to the stores one reaches
	truth   *GroundTruth
	next    map[graph.Cloud]int // round-robin scope choice per cloud
	current string              // pattern being planted
}

// Generate builds a synthetic estate. It is deterministic in opts and honours
// ctx cancellation between scopes. It holds the whole estate in memory;
// NewStream produces the same snapshots one scope at a time.
func Generate(ctx context.Context, opts Options) (*Estate, error) {
	st, err := NewStream(ctx, opts)
	if err != nil {
		return nil, err
	}
	est := &Estate{Truth: st.Truth, Snapshots: make([]*graph.Snapshot, st.Len())}
	if err := parallel(ctx, st.Len(), func(i int) { est.Snapshots[i] = st.Snapshot(i) }); err != nil {
		return nil, fmt.Errorf("synthetic background: %w", err)
	}
	est.Sensitivity = st.Sensitivity()
	edges := 0
	for _, snap := range est.Snapshots {
		edges += len(snap.Edges)
	}
	slog.Debug("synthetic estate generated", "seed", opts.Seed, "resources", opts.Resources,
		"scopes", st.Len(), "edges", edges, "planted", len(st.Truth.Planted),
		"decoys", len(st.Truth.Decoys), "elapsed", time.Since(st.start))
	return est, nil
}

// Stream is an estate generated scope by scope: NewStream lays out every
// scope and plants the paths and decoys that span scopes (a few nodes per
// scope), and Snapshot fills one scope with its background resources and
// hands its snapshot over. The snapshots are exactly Generate's, in any
// order of calls, so a caller that syncs each one and lets it go holds the
// scopes under way, not the estate: how `breachpath demo` reaches sizes
// whose whole estate would not fit in memory.
type Stream struct {
	// Truth is the estate's ground truth, complete from the start.
	Truth *GroundTruth
	// Scopes lists the scopes in snapshot order.
	Scopes []graph.Scope

	g     *gen
	start time.Time
	rules *sensitivity.Rules
	mu    sync.Mutex
	taken []bool
	left  int                 // scopes not taken yet
	sum   sensitivity.Summary // of the scopes taken
	// stores holds each taken scope's store records until the last scope
	// completes GroundTruth.Stores.
	stores [][]StoreTruth
}

// NewStream starts a streamed estate (see Stream). It is deterministic in
// opts and honours ctx cancellation between scopes.
func NewStream(ctx context.Context, opts Options) (*Stream, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	start := time.Now()
	g := &gen{
		opts:    opts,
		rng:     rand.New(rand.NewPCG(uint64(opts.Seed), 0x706c616e74)),
		byCloud: map[graph.Cloud][]*scope{},
		globals: map[string]bool{},
		reach:   map[string]int{},
		next:    map[graph.Cloud]int{},
		truth: &GroundTruth{Seed: opts.Seed, Resources: opts.Resources, Threshold: TruthThreshold,
			MaxDepth: TruthMaxDepth, Planted: []PlantedPath{}, Decoys: []Decoy{}},
	}
	g.newOrg()
	g.planScopes()
	if err := parallel(ctx, len(g.scopes), func(i int) { g.scopes[i].skeleton() }); err != nil {
		return nil, fmt.Errorf("synthetic skeleton: %w", err)
	}
	if err := g.plantAll(ctx); err != nil {
		return nil, err
	}
	if err := g.decoyAll(ctx); err != nil {
		return nil, err
	}
	g.plantSensitivity()
	if err := g.allocateFill(); err != nil {
		return nil, err
	}
	g.byCloud = nil // planting is over: only g.scopes holds a scope until Snapshot takes it
	rules := opts.Sensitivity
	if rules == nil {
		rules = sensitivity.Default()
	}
	st := &Stream{Truth: g.truth, g: g, start: start, rules: rules, taken: make([]bool, len(g.scopes)), left: len(g.scopes),
		sum: sensitivity.Summary{ByRule: map[string]int{}, BySource: map[string]int{}}, stores: make([][]StoreTruth, len(g.scopes))}
	for _, s := range g.scopes {
		st.Scopes = append(st.Scopes, s.snap.Scope)
	}
	return st, nil
}

// Len is the number of scopes (snapshots) of the estate.
func (st *Stream) Len() int { return len(st.taken) }

// Snapshot fills scope i, classifies its data stores with the sensitivity
// rules (as a collect run does before storing) and returns its snapshot,
// which the caller then owns; the stream keeps nothing of it but the
// scope's part of the sensitivity ground truth. Calls for different scopes
// may run at once; each scope can be taken once (a second call returns nil).
func (st *Stream) Snapshot(i int) *graph.Snapshot {
	st.mu.Lock()
	if i < 0 || i >= len(st.taken) || st.taken[i] {
		st.mu.Unlock()
		return nil
	}
	st.taken[i] = true
	s := st.g.scopes[i]
	st.g.scopes[i] = nil // the scope's generator state goes with its snapshot
	st.mu.Unlock()

	n := s.budget - s.owned
	s.snap.Nodes = slices.Grow(s.snap.Nodes, n+n/50+8)
	s.snap.Edges = slices.Grow(s.snap.Edges, n*5+n/4)
	s.fill(n)
	// The same cloud-neutral rules a collect run applies: names, kinds,
	// every tag convention and the classifier results become levels with
	// their reasons recorded. They read one node at a time, so a scope can
	// be classified on its own.
	sum := st.rules.Apply([]*graph.Snapshot{s.snap})

	st.mu.Lock()
	defer st.mu.Unlock()
	st.sum.Add(sum)
	if s.stores != nil {
		for j := range s.stores {
			s.stores[j].Hops = st.g.reach[s.stores[j].ID]
		}
		st.stores[i] = s.stores
	}
	st.left--
	if st.left == 0 && !st.g.opts.NoStoreTruth {
		// every scope taken: the store record is complete, in scope order
		total := 0
		for _, part := range st.stores {
			total += len(part)
		}
		st.Truth.Stores = make([]StoreTruth, 0, total)
		for _, part := range st.stores {
			st.Truth.Stores = append(st.Truth.Stores, part...)
		}
		st.stores = nil
	}
	return s.snap
}

// Sensitivity is what the sensitivity rules did to the data stores of the
// snapshots taken so far.
func (st *Stream) Sensitivity() sensitivity.Summary {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sum.Clone()
}

func (g *gen) newOrg() {
	seed := uint64(g.opts.Seed)
	r := rand.New(rand.NewPCG(seed, 0x6f7267))
	g.org = &org{
		seed:        g.opts.Seed,
		mgmtAccount: awsAccountID(seed, 0),
		awsOrgID:    "o-" + strconv.FormatUint(r.Uint64()%(1<<50), 36),
		tenantID:    uuid(r.Uint64()),
		gcpOrgNum:   strconv.FormatUint(100000000000+r.Uint64()%800000000000, 10),
		base:        g.opts.CollectedAt,

		noStoreTruth: g.opts.NoStoreTruth,
	}
}

// awsAccountID returns a 12-digit account id, unique per scope index.
func awsAccountID(seed uint64, idx int) string {
	return fmt.Sprintf("%012d", 100000000000+uint64(idx)*2147483+seed%2147483)
}

// planScopes splits the resource budget between clouds and scopes.
func (g *gen) planScopes() {
	total := 0
	for _, c := range g.opts.Clouds {
		total += cloudWeights[c]
	}
	idx := 0
	assigned := 0
	for ci, c := range g.opts.Clouds {
		budget := g.opts.Resources * cloudWeights[c] / total
		if ci == len(g.opts.Clouds)-1 {
			budget = g.opts.Resources - assigned
		}
		assigned += budget
		n := max(1, (budget+scopeSize/2)/scopeSize)
		if c == graph.CloudAWS && n < 2 && budget >= 400 {
			n = 2 // the cross-account pattern needs two accounts
		}
		for i := range n {
			b := budget / n
			if i < budget%n {
				b++
			}
			t := (idx*7 + i) % len(teams)
			env := envs[[]int{0, 0, 1, 2}[(idx+i)%4]]
			s := newScope(g.org, idx, c, t, env, b)
			s.owner = i == 0
			s.regions = g.regionsFor(c, idx, b)
			switch c {
			case graph.CloudAWS:
				s.acct = awsAccountID(uint64(g.opts.Seed), idx)
				if s.owner {
					s.acct = g.org.mgmtAccount
				}
			case graph.CloudAzure:
				s.acct = uuid(mix64(uint64(g.opts.Seed)<<20 ^ uint64(idx)))
			case graph.CloudGCP:
				s.acct = s.label + "-" + strconv.FormatUint(mix64(uint64(g.opts.Seed)^uint64(idx))%(36*36*36), 36) + strconv.Itoa(idx)
			}
			s.snap.Scope.ID = s.acct
			g.scopes = append(g.scopes, s)
			g.byCloud[c] = append(g.byCloud[c], s)
			idx++
		}
	}
}

func (g *gen) regionsFor(c graph.Cloud, idx, budget int) []string {
	all := regionsOf[c]
	n := 1
	if budget >= 1500 {
		n = 2
	}
	if budget >= 4000 {
		n = 3
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, all[(idx+i)%len(all)])
	}
	return out
}

// parallel runs f on every index 0..n-1 on GOMAXPROCS workers. Each scope
// has its own random source, so the result does not depend on scheduling.
func parallel(ctx context.Context, n int, f func(i int)) error {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f(i)
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		case work <- i:
		}
	}
	close(work)
	wg.Wait()
	return err
}

// allocateFill sets every scope's final budget so that owned nodes plus the
// global stubs add up to exactly opts.Resources.
func (g *gen) allocateFill() error {
	owned := 0
	for _, s := range g.scopes {
		owned += s.owned
	}
	need := g.opts.Resources - len(g.globals) - owned
	if need < 0 {
		return errors.New("synthetic: planted paths and decoys exceed the resource budget; raise Resources or lower PlantedPaths/Decoys")
	}
	fills := make([]int, len(g.scopes))
	sum := 0
	for i, s := range g.scopes {
		fills[i] = max(0, s.budget-s.owned)
		sum += fills[i]
	}
	// spread the difference over the scopes, never below zero
	for diff := need - sum; diff != 0; {
		moved := false
		for i := range fills {
			if diff == 0 {
				break
			}
			if diff > 0 {
				fills[i]++
				diff--
				moved = true
			} else if fills[i] > 0 {
				fills[i]--
				diff++
				moved = true
			}
		}
		if !moved {
			return errors.New("synthetic: cannot balance the resource budget")
		}
	}
	for i, s := range g.scopes {
		s.budget = s.owned + fills[i]
	}
	return nil
}
