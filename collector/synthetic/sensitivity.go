package synthetic

import (
	"strings"

	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
)

// The sensitivity ground truth: for every data store the generator records
// the level and source the cloud-neutral sensitivity rules
// (collector/sensitivity, docs/sensitivity.md) must arrive at, from what it
// planted: the tag and its convention, the words it put into the name, the
// kind, a classifier result, a level the collector derived. It never calls
// the rules: this record is what they are checked against.

// StoreTruth is one data store's planted classification.
type StoreTruth struct {
	ID      string      `json:"id"`
	Cloud   graph.Cloud `json:"cloud"`
	Account string      `json:"account"`
	// Level the rules must give the store (SensitivityNone: unclassified).
	Level graph.Sensitivity `json:"level"`
	// CrownJewel is true when the store must be a crown jewel.
	CrownJewel bool `json:"crown_jewel,omitempty"`
	// Source that decides ("" when nothing classifies the store) and Cause,
	// the part of the rule that names what was planted: the tag
	// "key=value", the name word, "kind Secret", the classifier property,
	// "set by the <cloud> collector".
	Source string `json:"source,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// Overridden is the name word an explicit lower tag overrides.
	Overridden string `json:"overridden,omitempty"`
	// Hops is the fewest attacker moves from an exposure source to the
	// store (0: no exposure source reaches it).
	Hops int `json:"hops,omitempty"`
}

// Unclassified reports whether nothing gives the store a level.
func (s StoreTruth) Unclassified() bool { return s.Level == graph.SensitivityNone && !s.CrownJewel }

// nameWords is what the words the generator puts into data-store names
// mean: the levels it plants them at (the default name rules of
// docs/sensitivity.md). Words not listed (team and environment names other
// than "payments", "events", "uploads", ...) mean nothing; the generator's
// names hold no other letters (unique suffixes are decimal).
var nameWords = map[string]graph.Sensitivity{
	// restricted
	"pii": graph.SensitivityRestricted, "payments": graph.SensitivityRestricted, "payroll": graph.SensitivityRestricted,
	"billing": graph.SensitivityRestricted, "ledger": graph.SensitivityRestricted, "card": graph.SensitivityRestricted,
	// confidential
	"customer": graph.SensitivityConfidential, "customers": graph.SensitivityConfidential, "orders": graph.SensitivityConfidential,
	"invoices": graph.SensitivityConfidential, "exports": graph.SensitivityConfidential, "export": graph.SensitivityConfidential,
	"backups": graph.SensitivityConfidential,
}

// plantedName returns the highest-level word of a name and its level, the
// first such word when several tie.
func plantedName(name string) (string, graph.Sensitivity) {
	word, lvl := "", graph.SensitivityNone
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '/' || r == '.' }) {
		if l := nameWords[w]; l > lvl {
			word, lvl = w, l
		}
	}
	return word, lvl
}

// plantedStore records the classification a new data store must get.
// Precedence (docs/sensitivity.md): the highest of tag, classifier, kind,
// name and the collector's level wins, earlier in that list on a tie,
// except that an explicit tag overrides a higher name.
func (s *scope) plantedStore(id string, kind graph.Kind, name string, o nodeOpts) StoreTruth {
	st := StoreTruth{ID: id, Cloud: s.cloud, Account: s.acct}
	type cand struct {
		lvl           graph.Sensitivity
		source, cause string
	}
	var cands []cand
	tag, tagCause := o.class, ""
	switch {
	case o.tags != nil:
		tag, tagCause = o.tagLevel, o.tagCause
	case o.inherited:
		tag = graph.SensitivityNone
	case tag != graph.SensitivityNone:
		tagCause = "data-classification=" + classNames[tag]
	}
	if tag != graph.SensitivityNone {
		cands = append(cands, cand{tag, sensitivity.SourceTag, tagCause})
	}
	if o.classifier != graph.SensitivityNone {
		cands = append(cands, cand{o.classifier, sensitivity.SourceClassifier, o.classifierProp})
	}
	if kind == graph.KindSecret {
		st.CrownJewel = true
		cands = append(cands, cand{graph.SensitivityRestricted, sensitivity.SourceKind, "kind Secret"})
	}
	if word, lvl := plantedName(name); lvl != graph.SensitivityNone {
		if tag != graph.SensitivityNone && tag < lvl {
			st.Overridden = word
		} else {
			cands = append(cands, cand{lvl, sensitivity.SourceName, word})
		}
	}
	if o.class != graph.SensitivityNone {
		cands = append(cands, cand{o.class, sensitivity.SourceCollector, "set by the " + string(s.cloud) + " collector"})
	}
	for _, c := range cands {
		if c.lvl > st.Level {
			st.Level, st.Source, st.Cause = c.lvl, c.source, c.cause
		}
	}
	st.CrownJewel = st.CrownJewel || o.crown
	return st
}

// Exhibits: from this size on, every estate holds, per cloud, data stores
// that exercise each sensitivity rule and source: unlabelled stores that
// only their name, kind or a classifier makes sensitive (some at the end of
// attack paths, some not), tags of each cloud's conventions, a tag that
// overrides a higher name guess, a level the collector derived, and
// unlabelled, neutrally named stores an attacker reaches ("classify these").
const exhibitsFrom = 1000

// SensitivityPatterns lists the patterns of the planted paths that end at
// stores only a sensitivity rule (name, kind) makes targets.
func SensitivityPatterns() []string {
	return []string{"aws-anonymous-unlabelled-export", "aws-external-unlabelled-secret",
		"azure-anonymous-unlabelled-container", "gcp-allusers-unlabelled-export"}
}

func (g *gen) plantSensitivity() {
	if g.opts.Resources < exhibitsFrom {
		return
	}
	for _, c := range g.opts.Clouds {
		s := g.scopeOf(c)
		switch c {
		case graph.CloudAWS:
			g.exhibitsAWS(s)
		case graph.CloudAzure:
			g.exhibitsAzure(s)
		case graph.CloudGCP:
			g.exhibitsGCP(s)
		}
	}
}

// tagged returns options for a store tagged in another convention.
func tagged(lvl graph.Sensitivity, k, v string) nodeOpts {
	n := o()
	n.class = lvl
	n.tags, n.tagLevel, n.tagCause = map[string]string{k: v}, lvl, k+"="+v
	return n
}

// classified returns options for a store a cloud classifier rated.
func classified(n nodeOpts, prop string, lvl graph.Sensitivity) nodeOpts {
	n.classifier, n.classifierProp = lvl, prop
	n.props = graph.Props{prop: classNames[lvl]}
	return n
}

// publicRead plants anonymous read access to a bucket, with its finding, and
// returns the path so far.
func (g *gen) publicRead(s *scope, b string) *pathRec {
	rule := map[graph.Cloud]string{graph.CloudAWS: "aws.s3.bucket-public", graph.CloudAzure: "azure.storage.container-public-access", graph.CloudGCP: "gcp.storage.bucket-public"}[s.cloud]
	tech := map[graph.Cloud]string{graph.CloudAWS: "aws.s3.public-read", graph.CloudAzure: "azure.storage.anonymous-blob-read", graph.CloudGCP: "gcp.storage.all-users-read"}[s.cloud]
	f := s.finding(rule, b, "anonymous read access on "+short(b))
	return from(g.anonymous(s)).hop(s, b, mv{kind: graph.EdgeReads, technique: tech, likelihood: g.lk(1),
		evidence: ev("anonymous read access on " + short(b)), findings: fids(f)})
}

// reached records how far an exposure source is from a store no planted
// path ends at (record does it for the targets of planted paths).
func (g *gen) reached(id string, hops int) { g.reach[id] = hops }

// exhibit is one planted data store: its type, name and options; public
// stores are readable by the cloud's anonymous principal, and pattern names
// the planted path when the store is a target.
type exhibit struct {
	t       rtype
	name    string
	opts    nodeOpts
	public  bool
	pattern string
	desc    string
}

// plantExhibits plants the stores, their public reads and planted paths.
func (g *gen) plantExhibits(s *scope, n *netInfo, list []exhibit) {
	for _, e := range list {
		id := s.storeOpts(e.t, n, e.name, e.opts, true)
		if !e.public {
			continue
		}
		p := g.publicRead(s, id)
		if e.pattern != "" {
			g.record(p, e.pattern, s.cloud, e.desc)
		} else {
			g.reached(id, 1)
		}
	}
}

func inherited(lvl graph.Sensitivity) nodeOpts {
	n := o().classed(lvl)
	n.inherited = true
	return n
}

func (g *gen) exhibitsAWS(s *scope) {
	n := s.net()
	g.plantExhibits(s, n, []exhibit{
		// unlabelled, sensitive by name, publicly readable: an attack path
		// only the name rule reveals
		{t: tBucket, name: "customers-export", opts: o(), public: true, pattern: "aws-anonymous-unlabelled-export",
			desc: "anonymous principal -> public bucket, unlabelled, named customers-export"},
		// unlabelled, neutrally named, publicly readable: classify these
		{t: tBucket, name: "uploads", opts: o(), public: true},
		// unreachable: names, tag conventions, a tag over a name,
		// classifiers, an inherited level
		{t: tTable, name: "card_numbers", opts: o()},
		{t: tDatabase, name: "payments", opts: o()},
		{t: tBucket, name: "analytics-raw", opts: tagged(graph.SensitivityConfidential, "DataClassification", "Confidential")},
		{t: tBucket, name: "claims-intake", opts: tagged(graph.SensitivityRestricted, "PCI", "true")},
		{t: tBucket, name: "payroll-reports", opts: tagged(graph.SensitivityInternal, "data-classification", "internal")},
		{t: tBucket, name: "media-archive", opts: classified(o(), "macie_sensitivity", graph.SensitivityRestricted)},
		{t: tBucket, name: "shared-drop", opts: classified(tagged(graph.SensitivityInternal, "data-classification", "internal"),
			"macie_discovery_sensitivity", graph.SensitivityConfidential)},
		{t: tSnapshot, name: "nightly", opts: inherited(graph.SensitivityConfidential)},
	})
	// a vendor reaches an unlabelled secret (kind rule) and an unlabelled
	// queue (classify these, two moves away)
	ext, vname := g.vendor(s)
	role := s.add(tRole, s.name(vname, "partner-integration"), o())
	s.fact(role, graph.EdgeTrusts, ext)
	f := s.finding("aws.iam.role-trusts-external-without-external-id", role, "trust policy allows sts:AssumeRole for "+ext+" with no sts:ExternalId condition")
	sec := s.store(tSecret, n, "partner-api-token", graph.SensitivityNone, false)
	q := s.store(tQueue, n, "partner-sync", graph.SensitivityNone, false)
	p := from(ext).hop(s, role, mv{kind: graph.EdgeAssumes, technique: "aws.sts.assume-role-no-external-id", likelihood: g.lk(0.5),
		evidence: ev("trust policy of " + short(role) + " names " + ext + " without sts:ExternalId"), findings: fids(f)})
	s.access(role, q, tQueue, false)
	g.reached(q, 2)
	p.hop(s, sec, mv{kind: graph.EdgeReads, technique: "aws.secretsmanager.get-secret-value", likelihood: g.lk(0.95),
		evidence: ev("role policy allows secretsmanager:GetSecretValue on " + short(sec))})
	g.record(p, "aws-external-unlabelled-secret", s.cloud, "external vendor account -> role trusted without external id -> unlabelled secret (a crown jewel by kind)")
}

func (g *gen) exhibitsAzure(s *scope) {
	g.plantExhibits(s, s.net(), []exhibit{
		{t: tBucket, name: "payments", opts: o(), public: true, pattern: "azure-anonymous-unlabelled-container",
			desc: "anonymous blob access -> unlabelled container named payments"},
		{t: tBucket, name: "shared-files", opts: o(), public: true},
		{t: tDatabase, name: "customers", opts: o()},
		{t: tSecret, name: "webhook-signing", opts: o()},
		{t: tBucket, name: "contracts", opts: tagged(graph.SensitivityRestricted, "Data Classification", "Highly Confidential")},
		{t: tTable, name: "telemetry", opts: tagged(graph.SensitivityInternal, "Confidentiality", "Internal")},
		{t: tBucket, name: "archive", opts: classified(o(), "purview_sensitivity", graph.SensitivityRestricted)},
	})
}

func (g *gen) exhibitsGCP(s *scope) {
	g.plantExhibits(s, s.net(), []exhibit{
		{t: tBucket, name: "customers-export", opts: o(), public: true, pattern: "gcp-allusers-unlabelled-export",
			desc: "allUsers -> unlabelled bucket named customers-export"},
		{t: tBucket, name: "dropbox", opts: o(), public: true},
		{t: tTable, name: "card_numbers", opts: o()},
		{t: tSecret, name: "oauth-client", opts: o()},
		{t: tTable, name: "events_raw", opts: tagged(graph.SensitivityRestricted, "data_classification", "restricted")},
		{t: tBucket, name: "signup-forms", opts: tagged(graph.SensitivityConfidential, "contains-pii", "true")},
		{t: tTable, name: "warehouse", opts: classified(o(), "dlp_sensitivity", graph.SensitivityConfidential)},
	})
}
