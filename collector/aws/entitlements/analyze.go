// Package entitlements is the AWS entitlement analysis: it turns an
// account's inventory (policies, credentials, last-accessed data) into the
// cloud-neutral entitlement.Entitlements and entitlement.UsageData of every
// user, group and role (graph/entitlement, the model the CIEM report reads
// from the stored graph), and writes least-privilege IAM policies
// (PolicyWriter).
//
// Effective permissions of users and roles come from collector/aws/identity
// (identity and group policies, boundary and SCPs applied by
// collector/aws/policy), so the report and the attack graph agree; this
// package adds what a CIEM report needs on top: where each permission comes
// from, which grants are wildcards, credentials and usage. It belongs to the
// collector: nothing here imports the report side (ciem).
package entitlements

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// UsageSource names the AWS last-accessed data in entitlement.UsageData.Source.
const UsageSource = "aws:iam:GetServiceLastAccessedDetails"

// TrackingDays is how far back AWS tracks service last-accessed data.
const TrackingDays = 400

// Options tune Analyze. The zero value is valid.
type Options struct {
	// Now is the reference time; zero means the inventory's CollectedAt.
	Now time.Time
	// Usage supplies last-accessed data per principal ARN (for example read
	// from a file); it takes precedence over the inventory's LastAccessed.
	Usage map[string]*entitlement.UsageData
	// Identity is the account's identity part when the caller has built it
	// already (the AWS transform has); nil means Analyze builds it.
	Identity *identity.Part
	// Logger receives warnings; nil means slog.Default.
	Logger *slog.Logger
}

// Result is what Analyze found, keyed by principal ARN (the graph node id).
type Result struct {
	Entitlements map[string]*entitlement.Entitlements
	// Usage holds the principals with last-accessed data; a principal
	// missing from it has unknown usage.
	Usage map[string]*entitlement.UsageData
	// Warnings are the analysis' own (policies it could not parse), in the
	// order met; the identity part's warnings stay in the part.
	Warnings []string
}

// Analyze computes the entitlements and usage of every user, group and role
// of inv.
func Analyze(ctx context.Context, inv *inventory.Inventory, opts Options) (*Result, error) {
	if inv == nil {
		return nil, fmt.Errorf("aws entitlements: nil inventory")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	now := opts.Now
	if now.IsZero() {
		now = inv.CollectedAt
	}
	part := opts.Identity
	if part == nil {
		var err error
		if part, err = identity.Build(ctx, inv, identity.Options{Now: now, Logger: log}); err != nil {
			return nil, fmt.Errorf("aws entitlements: %w", err)
		}
	}
	a := &analyzer{cat: catalog.Default(), inv: inv, managed: map[string]*policy.Policy{}, stmtSets: map[*policy.Statement]catalog.ActionSet{},
		stmtSvcs: map[*policy.Statement]map[string]bool{},
		res:      &Result{Entitlements: map[string]*entitlement.Entitlements{}, Usage: map[string]*entitlement.UsageData{}}}
	a.serviceSize = map[string]int{}
	a.sensitive = a.cat.NewSet()
	for _, act := range a.cat.Actions() {
		a.serviceSize[act.Service]++
		if Sensitive(act) {
			a.sensitive.Set(act.Index)
		}
	}
	a.usage(opts.Usage)
	a.resGrants = a.resourceGrants()
	a.bases = map[string]*entBase{}
	// The import has neither the credential report nor the account summary;
	// without them a user's password and keys are unknown, not absent.
	a.liveCreds = inv.IAM.CredentialReport != nil || inv.IAM.Summary != nil
	summaries := map[string]*identity.PrincipalSummary{}
	for i := range part.Principals {
		summaries[part.Principals[i].ID] = &part.Principals[i]
	}
	iam := &inv.IAM
	groups := map[string]*inventory.Group{}
	for i := range iam.Groups {
		groups[iam.Groups[i].Name] = &iam.Groups[i]
	}
	for i := range iam.Users {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("aws entitlements: %w", err)
		}
		u := &iam.Users[i]
		s := summaries[u.ARN]
		if s == nil {
			continue
		}
		pols := a.own(u.ARN, u.AttachedPolicies, u.InlinePolicies, entitlement.SourceIdentity, "")
		for _, gn := range u.Groups {
			if g := groups[gn]; g != nil {
				pols = append(pols, a.own(g.ARN, g.AttachedPolicies, g.InlinePolicies, entitlement.SourceGroup, g.ARN)...)
			}
		}
		pols = append(pols, a.boundary(u.PermissionBoundary)...)
		allowed, cond, rp := a.withResourceGrants(u.ARN, s.Allowed, s.Conditional)
		e := a.entitlements(u.ARN, allowed, cond, append(pols, rp...))
		e.Credentials = a.userCredentials(u)
		e.CreatedAt = u.CreateDate
		if !a.liveCreds {
			e.Notes = append(e.Notes, "password and access keys not in the input (authorization-details import): credential use unknown")
		}
		a.res.Entitlements[u.ARN] = e
	}
	for i := range iam.Roles {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("aws entitlements: %w", err)
		}
		r := &iam.Roles[i]
		s := summaries[r.ARN]
		if s == nil {
			continue
		}
		pols := a.own(r.ARN, r.AttachedPolicies, r.InlinePolicies, entitlement.SourceIdentity, "")
		pols = append(pols, a.boundary(r.PermissionBoundary)...)
		allowed, cond, rp := a.withResourceGrants(r.ARN, s.Allowed, s.Conditional)
		e := a.entitlements(r.ARN, allowed, cond, append(pols, rp...))
		e.Credentials = []entitlement.Credential{{Kind: entitlement.CredentialSession, Active: true, UsageKnown: true, Created: r.CreateDate, LastUsed: r.LastUsedDate}}
		e.CreatedAt = r.CreateDate
		if r.ServiceLinked {
			e.Unmanaged = "service-linked role: AWS owns its permissions"
		}
		a.res.Entitlements[r.ARN] = e
	}
	a.root()
	for i := range iam.Groups {
		g := &iam.Groups[i]
		pols := a.own(g.ARN, g.AttachedPolicies, g.InlinePolicies, entitlement.SourceIdentity, "")
		set := policy.PolicySet{}
		for _, sp := range pols {
			set.Identity = append(set.Identity, sp.pol)
		}
		probe := policy.Principal{ARN: g.ARN, AccountID: inv.AccountID, Type: policy.TypeUser, Name: g.Name, Tags: map[string]string{}}
		allowed, cond := policy.EffectiveActions(probe, set, "")
		e := a.entitlements(g.ARN, allowed, cond, pols)
		e.CreatedAt = g.CreateDate
		e.Notes = append(e.Notes, "group permissions before each member's boundary and organisation policies")
		a.res.Entitlements[g.ARN] = e
	}
	return a.res, nil
}

type analyzer struct {
	cat         *catalog.Catalog
	inv         *inventory.Inventory
	managed     map[string]*policy.Policy
	stmtSets    map[*policy.Statement]catalog.ActionSet
	stmtSvcs    map[*policy.Statement]map[string]bool
	serviceSize map[string]int
	sensitive   catalog.ActionSet // Sensitive, precomputed per catalog index
	liveCreds   bool
	resGrants   map[string][]resourceGrant
	bases       map[string]*entBase
	keyBuf      []byte
	res         *Result
}

// sourcedPolicy is a parsed policy and how it reaches the principal.
type sourcedPolicy struct {
	pol  *policy.Policy
	name string
	kind string
	via  string
}

func (a *analyzer) warn(msg string) { a.res.Warnings = append(a.res.Warnings, msg) }

func (a *analyzer) parse(label, doc string) *policy.Policy {
	if strings.TrimSpace(doc) == "" {
		return nil
	}
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		a.warn(fmt.Sprintf("policy %s: %v", label, err))
		return nil
	}
	p.Label = label
	return p
}

func (a *analyzer) managedPolicy(arn string) *policy.Policy {
	if p, ok := a.managed[arn]; ok {
		return p
	}
	var p *policy.Policy
	for i := range a.inv.IAM.Policies {
		if a.inv.IAM.Policies[i].ARN == arn {
			p = a.parse(arn, a.inv.IAM.Policies[i].Document)
		}
	}
	if p == nil && strings.Contains(arn, ":iam::aws:policy/") {
		key := arn
		if part := a.inv.Partition; part != "" && part != "aws" {
			key = strings.Replace(arn, "arn:"+part+":", "arn:aws:", 1)
		}
		if doc, ok := catalog.ManagedPolicy(key); ok {
			p = a.parse(arn, string(doc))
		}
	}
	a.managed[arn] = p
	return p
}

func (a *analyzer) own(owner string, attached []inventory.AttachedPolicy, inline []inventory.InlinePolicy, kind, via string) []sourcedPolicy {
	var out []sourcedPolicy
	for _, ap := range attached {
		if p := a.managedPolicy(ap.ARN); p != nil {
			out = append(out, sourcedPolicy{pol: p, name: ap.Name, kind: kind, via: via})
		}
	}
	for _, ip := range inline {
		if p := a.parse(identity.InlinePolicyID(owner, ip.Name), ip.Document); p != nil {
			out = append(out, sourcedPolicy{pol: p, name: ip.Name, kind: kind, via: via})
		}
	}
	return out
}

func (a *analyzer) boundary(arn string) []sourcedPolicy {
	if arn == "" {
		return nil
	}
	if p := a.managedPolicy(arn); p != nil {
		return []sourcedPolicy{{pol: p, name: lastSegment(arn), kind: entitlement.SourceBoundary}}
	}
	return nil
}

// statementSet is the set of catalog actions a statement names (NotAction
// complemented), cached per statement.
func (a *analyzer) statementSet(st *policy.Statement) catalog.ActionSet {
	if s, ok := a.stmtSets[st]; ok {
		return s
	}
	s := a.cat.NewSet()
	for _, p := range st.Actions {
		a.cat.ExpandInto(s, p)
	}
	if st.NotActions {
		full := a.cat.FullSet()
		full.Minus(s)
		s = full
	}
	a.stmtSets[st] = s
	return s
}

var serviceWildcard = regexp.MustCompile(`^[A-Za-z0-9-]+:\*$`)

func stmtRef(st *policy.Statement) string {
	if st.Sid != "" {
		return st.Sid
	}
	return fmt.Sprintf("#%d", st.Index)
}

// entBase is the usage-independent part of a principal's entitlements,
// shared by every principal with the same action sets and policies.
type entBase struct {
	services  []entitlement.ServiceEntitlement // Actions and SensitiveActions complete and sorted
	sources   []entitlement.Source
	wildcards []entitlement.Wildcard
	// unused is the stored services of a principal without usage data,
	// computed once and shared (read-only) by every such principal, so that
	// entitlement.Annotate stores it once too.
	unused []entitlement.ServiceEntitlement
}

// entitlements aggregates allowed actions per service, attributes them to
// the statements that grant them, and keeps the action names the principal's
// usage makes necessary.
func (a *analyzer) entitlements(arn string, allowed, conditional catalog.ActionSet, pols []sourcedPolicy) *entitlement.Entitlements {
	base := a.base(allowed, conditional, pols)
	e := &entitlement.Entitlements{Version: entitlement.Version, Sources: base.sources, Wildcards: base.wildcards}
	usage := a.res.Usage[arn]
	if usage == nil && base.unused != nil {
		e.Services = base.unused
		return e
	}
	accessed := map[string]bool{}
	tracked := map[string]bool{}
	if usage != nil {
		for _, s := range usage.Services {
			accessed[s.Service] = !s.LastAccessed.IsZero()
			for _, t := range s.Actions {
				tracked[strings.ToLower(t.Action)] = true
			}
		}
	}
	for _, s := range base.services {
		// Keep what a least-privilege policy and the unused-sensitive count
		// need for accessed services; elsewhere only small partial grants,
		// since these lists are stored on every principal node. A service
		// held whole needs no names (the policy writer expands it), only its
		// sensitive actions that usage tracks.
		switch {
		case accessed[s.Service] && s.All:
			var sens []string
			for _, n := range s.SensitiveActions {
				if tracked[strings.ToLower(n)] {
					sens = append(sens, n)
				}
			}
			s.Actions, s.SensitiveActions, s.SensitiveTruncated = nil, sens, len(sens) < s.Sensitive
		case accessed[s.Service]:
		case s.All:
			s.Actions, s.SensitiveActions, s.SensitiveTruncated = nil, nil, s.Sensitive > 0
		default:
			if s.Total+s.Conditional > entitlement.MaxListedActions {
				s.Actions = nil
			}
			if len(s.SensitiveActions) > entitlement.MaxListedActions {
				s.SensitiveActions, s.SensitiveTruncated = s.SensitiveActions[:entitlement.MaxListedActions:entitlement.MaxListedActions], true
			}
		}
		e.Services = append(e.Services, s)
	}
	if usage == nil {
		base.unused = e.Services
	}
	return e
}

// base computes (or reuses) the usage-independent entitlements.
func (a *analyzer) base(allowed, conditional catalog.ActionSet, pols []sourcedPolicy) *entBase {
	// The key is built in one reused buffer: it is made for every
	// principal, and an administrator's action sets are some 20,000 bits.
	key := a.keyBuf[:0]
	for _, w := range allowed {
		key = strconv.AppendUint(append(key, ','), uint64(w), 16)
	}
	key = append(key, '|')
	for _, w := range conditional {
		key = strconv.AppendUint(append(key, ','), uint64(w), 16)
	}
	for _, sp := range pols {
		key = append(append(append(append(append(append(append(append(key, '|'), sp.kind...), '|'), sp.via...), '|'), sp.name...), '|'), sp.pol.Label...)
		if sp.kind == entitlement.SourceResource {
			key = fmt.Appendf(key, "#%p", sp.pol.Statements[0])
		}
	}
	a.keyBuf = key
	if b, ok := a.bases[string(key)]; ok {
		return b
	}
	b := &entBase{}
	by := map[string]*entitlement.ServiceEntitlement{}
	get := func(svc string) *entitlement.ServiceEntitlement {
		s := by[svc]
		if s == nil {
			s = &entitlement.ServiceEntitlement{Service: svc, Levels: map[entitlement.AccessLevel]int{}}
			by[svc] = s
		}
		return s
	}
	allowed.Each(func(i int32) bool {
		act := a.cat.Action(i)
		s := get(act.Service)
		s.Levels[level(act.AccessLevel)]++
		s.Total++
		s.Actions = append(s.Actions, act.Name)
		if a.sensitive.Has(i) {
			s.Sensitive++
			s.SensitiveActions = append(s.SensitiveActions, act.Name)
		}
		return true
	})
	cond := conditional.Clone()
	cond.Minus(allowed)
	cond.Each(func(i int32) bool {
		act := a.cat.Action(i)
		s := get(act.Service)
		s.Conditional++
		s.Actions = append(s.Actions, act.Name)
		return true
	})
	services := slices.Sorted(maps.Keys(by))
	// Sources: every statement naming an action of a service the principal holds.
	for _, sp := range pols {
		for _, st := range sp.pol.Statements {
			if st.Effect != policy.Allow {
				continue
			}
			svcs := a.statementServices(st)
			idx := -1
			for _, svc := range services {
				if !svcs[svc] {
					continue
				}
				if idx < 0 {
					b.sources = append(b.sources, entitlement.Source{Kind: sp.kind, Policy: sp.pol.Label, PolicyName: sp.name,
						Statement: stmtRef(st), Via: sp.via, Conditional: len(st.Conditions) > 0})
					idx = len(b.sources) - 1
				}
				by[svc].Sources = append(by[svc].Sources, idx)
			}
			// Boundaries cap rather than grant, and a resource policy's "*" is its own resource.
			if sp.kind != entitlement.SourceBoundary && sp.kind != entitlement.SourceResource {
				if w, ok := a.wildcard(st, a.statementSet(st), allowed, sp); ok {
					b.wildcards = append(b.wildcards, w)
				}
			}
		}
	}
	for _, svc := range services {
		s := by[svc]
		s.All = s.Total == a.serviceSize[svc]
		slices.Sort(s.Actions)
		slices.Sort(s.SensitiveActions)
		b.services = append(b.services, *s)
	}
	a.bases[string(key)] = b
	return b
}

// statementServices is the set of services a statement names, cached per statement.
func (a *analyzer) statementServices(st *policy.Statement) map[string]bool {
	if m, ok := a.stmtSvcs[st]; ok {
		return m
	}
	m := map[string]bool{}
	a.statementSet(st).Each(func(i int32) bool {
		m[a.cat.Action(i).Service] = true
		return true
	})
	a.stmtSvcs[st] = m
	return m
}

// wildcard classifies an Allow statement from its parsed elements.
func (a *analyzer) wildcard(st *policy.Statement, set, allowed catalog.ActionSet, sp sourcedPolicy) (entitlement.Wildcard, bool) {
	w := entitlement.Wildcard{Policy: sp.pol.Label, PolicyName: sp.name, Statement: stmtRef(st), Via: sp.via, Conditional: len(st.Conditions) > 0}
	if st.NotActions {
		w.Kinds = append(w.Kinds, entitlement.WildcardNotAction)
		w.Patterns = append(w.Patterns, st.Actions...)
	} else {
		for _, p := range st.Actions {
			switch {
			case p == "*":
				w.Kinds = appendOnce(w.Kinds, entitlement.WildcardAllActions)
				w.Patterns = append(w.Patterns, p)
			case serviceWildcard.MatchString(p):
				w.Kinds = appendOnce(w.Kinds, entitlement.WildcardService)
				w.Patterns = append(w.Patterns, p)
			}
		}
	}
	if st.NotResources || slices.Contains(st.Resources, "*") {
		eff := set.Clone()
		eff.Intersect(allowed)
		eff.Intersect(a.sensitive)
		w.Sensitive = eff.Len()
		if w.Sensitive > 0 {
			w.Kinds = append(w.Kinds, entitlement.WildcardResource)
		}
	}
	return w, len(w.Kinds) > 0
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func level(l catalog.AccessLevel) entitlement.AccessLevel {
	switch l {
	case catalog.AccessList:
		return entitlement.LevelList
	case catalog.AccessRead:
		return entitlement.LevelRead
	case catalog.AccessWrite:
		return entitlement.LevelWrite
	case catalog.AccessPermissionsManagement:
		return entitlement.LevelPermissions
	case catalog.AccessTagging:
		return entitlement.LevelTagging
	}
	return entitlement.LevelUnknown
}

// sensitiveReads are Read-level actions that disclose data or credentials.
var sensitiveReads = map[string]bool{
	"s3:getobject": true, "s3:getobjectversion": true, "secretsmanager:getsecretvalue": true,
	"ssm:getparameter": true, "ssm:getparameters": true, "ssm:getparametersbypath": true, "kms:decrypt": true,
	"dynamodb:getitem": true, "dynamodb:batchgetitem": true, "dynamodb:query": true, "dynamodb:scan": true,
	"sqs:receivemessage": true, "lambda:getfunction": true, "ec2:getpassworddata": true,
	"ecr:getdownloadurlforlayer": true, "ecr:batchgetimage": true, "rds:downloaddblogfileportion": true,
	"iam:getcredentialreport": true, "sts:getfederationtoken": true, "cognito-identity:getcredentialsforidentity": true,
}

// Sensitive reports whether an action changes state or permissions, or reads
// data or secrets: what an unused grant costs when the principal is abused.
func Sensitive(act catalog.Action) bool {
	switch act.AccessLevel {
	case catalog.AccessWrite, catalog.AccessPermissionsManagement:
		return true
	}
	return sensitiveReads[strings.ToLower(act.Name)]
}

func (a *analyzer) userCredentials(u *inventory.User) []entitlement.Credential {
	var out []entitlement.Credential
	var row *inventory.CredentialReportRow
	for i := range a.inv.IAM.CredentialReport {
		if a.inv.IAM.CredentialReport[i].ARN == u.ARN {
			row = &a.inv.IAM.CredentialReport[i]
		}
	}
	if u.LoginProfile || (row != nil && row.PasswordEnabled) {
		c := entitlement.Credential{Kind: entitlement.CredentialPassword, Active: true, UsageKnown: a.liveCreds, LastUsed: u.PasswordLastUsed, Created: u.CreateDate}
		if c.LastUsed.IsZero() && row != nil {
			c.LastUsed = row.PasswordLastUsed
		}
		out = append(out, c)
	}
	for _, k := range u.AccessKeys {
		out = append(out, entitlement.Credential{Kind: entitlement.CredentialAccessKey, ID: identity.MaskKey(k.ID), Active: k.Status == "Active",
			UsageKnown: a.liveCreds, Created: k.CreateDate, LastUsed: k.LastUsedDate})
	}
	if len(u.AccessKeys) == 0 && row != nil {
		slots := []struct {
			active        bool
			rotated, used time.Time
		}{{row.AccessKey1Active, row.AccessKey1LastRotated, row.AccessKey1LastUsedDate}, {row.AccessKey2Active, row.AccessKey2LastRotated, row.AccessKey2LastUsedDate}}
		for i, s := range slots {
			if s.active || !s.rotated.IsZero() {
				out = append(out, entitlement.Credential{Kind: entitlement.CredentialAccessKey, ID: fmt.Sprintf("key%d", i+1), Active: s.active,
					UsageKnown: true, Created: s.rotated, LastUsed: s.used})
			}
		}
	}
	return out
}

// root records the account root user: every action, credentials from the
// credential report's <root_account> row. No policy narrows it.
func (a *analyzer) root() {
	part := a.inv.Partition
	if part == "" {
		part = "aws"
	}
	id := "arn:" + part + ":iam::" + a.inv.AccountID + ":root"
	e := a.entitlements(id, a.cat.FullSet(), a.cat.NewSet(), nil)
	e.Unmanaged = "the root user cannot be narrowed by IAM policies: lock its credentials away and use roles"
	for _, row := range a.inv.IAM.CredentialReport {
		if row.User != "<root_account>" {
			continue
		}
		e.CreatedAt = row.UserCreationTime
		if row.PasswordEnabled {
			e.Credentials = append(e.Credentials, entitlement.Credential{Kind: entitlement.CredentialPassword, Active: true, UsageKnown: true,
				Created: row.UserCreationTime, LastUsed: row.PasswordLastUsed})
		}
		for i, k := range []struct {
			active     bool
			rotated, u time.Time
		}{{row.AccessKey1Active, row.AccessKey1LastRotated, row.AccessKey1LastUsedDate}, {row.AccessKey2Active, row.AccessKey2LastRotated, row.AccessKey2LastUsedDate}} {
			if k.active {
				e.Credentials = append(e.Credentials, entitlement.Credential{Kind: entitlement.CredentialAccessKey, ID: fmt.Sprintf("root key%d", i+1), Active: true,
					UsageKnown: true, Created: k.rotated, LastUsed: k.u})
			}
		}
	}
	a.res.Entitlements[id] = e
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// usage converts the inventory's last-accessed data, then applies overrides.
func (a *analyzer) usage(over map[string]*entitlement.UsageData) {
	for arn, svcs := range a.inv.IAM.LastAccessed {
		a.res.Usage[arn] = FromLastAccessed(svcs, a.inv.CollectedAt)
	}
	for arn, u := range over {
		if u != nil {
			a.res.Usage[arn] = u
		}
	}
}

// FromLastAccessed converts AWS service last-accessed data to entitlement.UsageData.
// Action names are qualified with the service namespace.
func FromLastAccessed(svcs []inventory.ServiceLastAccessed, collected time.Time) *entitlement.UsageData {
	u := &entitlement.UsageData{Version: entitlement.Version, Source: UsageSource, CollectedAt: collected, TrackingDays: TrackingDays,
		Services: []entitlement.ServiceUsage{}}
	for _, s := range svcs {
		if s.LastAuthenticated.IsZero() && len(s.TrackedActions) == 0 {
			continue // absent from UsageData means never used: no need to store it
		}
		su := entitlement.ServiceUsage{Service: strings.ToLower(s.Namespace), LastAccessed: s.LastAuthenticated, ActionLevel: s.TrackedActions != nil}
		for _, t := range s.TrackedActions {
			name := t.Action
			if !strings.Contains(name, ":") {
				name = su.Service + ":" + name
			}
			if act, ok := catalog.Default().Lookup(name); ok {
				name = act.Name // canonical case
			}
			su.Actions = append(su.Actions, entitlement.ActionUsage{Action: name, LastAccessed: t.LastAccessed})
		}
		u.Services = append(u.Services, su)
	}
	slices.SortFunc(u.Services, func(x, y entitlement.ServiceUsage) int { return strings.Compare(x.Service, y.Service) })
	return u
}

// Annotate runs Analyze and records the results on the snapshot's principal
// nodes (entitlement.PropEntitlements, entitlement.PropLastAccessed), so that
// the stored graph carries what the CIEM report needs. The AWS transform
// calls it last.
func Annotate(ctx context.Context, snap *graph.Snapshot, inv *inventory.Inventory, opts Options) (*Result, error) {
	res, err := Analyze(ctx, inv, opts)
	if err != nil {
		return nil, err
	}
	if err := entitlement.Annotate(snap.Nodes, res.Entitlements, res.Usage); err != nil {
		return nil, err
	}
	return res, nil
}
