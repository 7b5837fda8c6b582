package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// InternetID is the id of the single node that stands for the public Internet.
// Every snapshot that has exposure edges includes it as a stub.
const InternetID = "internet"

// Scope identifies the unit a collection covers and a sync replaces atomically:
// an AWS account, an Azure subscription or a GCP project.
type Scope struct {
	Cloud Cloud  `json:"cloud"`
	ID    string `json:"id"` // account id, subscription id, project id
}

// String renders the scope as "cloud:id", the key stores use.
func (s Scope) String() string { return string(s.Cloud) + ":" + s.ID }

// ParseScope parses "cloud:id".
func ParseScope(v string) (Scope, error) {
	c, id, ok := strings.Cut(v, ":")
	if !ok || id == "" {
		return Scope{}, fmt.Errorf("scope %q: want cloud:id, for example aws:123456789012", v)
	}
	s := Scope{Cloud: Cloud(c), ID: id}
	if s.Cloud == CloudNone || !s.Cloud.Valid() {
		return Scope{}, fmt.Errorf("scope %q: unknown cloud %q", v, c)
	}
	return s, nil
}

// Props holds typed node and edge properties. Values are restricted to string,
// bool, int64, float64 and []string so that every store can keep them
// losslessly; Validate rejects anything else.
type Props map[string]any

// Node is a normalized resource, principal or policy.
type Node struct {
	ID          string            `json:"id"` // ARN, lower-cased Azure resource id, GCP full resource name
	Kind        Kind              `json:"kind"`
	Cloud       Cloud             `json:"cloud,omitempty"`
	NativeType  string            `json:"native_type,omitempty"`
	Name        string            `json:"name,omitempty"`
	Account     string            `json:"account,omitempty"` // owning account / subscription / project
	Region      string            `json:"region,omitempty"`
	Service     string            `json:"service,omitempty"` // collector area ("ec2", "iam", ...), used by the stale rule
	Sensitivity Sensitivity       `json:"sensitivity"`
	CrownJewel  bool              `json:"crown_jewel,omitempty"` // a target whatever its sensitivity (secrets, admin identities ...)
	Tags        map[string]string `json:"tags,omitempty"`
	Props       Props             `json:"props,omitempty"`
	// Stub marks a reference to a node that another scope (or nobody) owns:
	// the Internet, an external account, a role in another account. A stub
	// never overwrites the owning scope's node when the graph is loaded.
	Stub bool `json:"stub,omitempty"`
	// Stale is set by the store when a failed collection could not refresh the
	// node; StaleSince says since when. Collectors never set them.
	Stale      bool      `json:"stale,omitempty"`
	StaleSince time.Time `json:"stale_since,omitzero"`
}

// Edge is a relationship: a fact or an attacker move.
type Edge struct {
	From string   `json:"from"`
	To   string   `json:"to"`
	Kind EdgeKind `json:"kind"`
	// Technique names the attacker technique of a move edge
	// ("aws.iam.create-policy-version", "net.internet-exposure", ...). docs/techniques.md lists them.
	Technique string `json:"technique,omitempty"`
	// Likelihood in (0,1] that an attacker holding From achieves To. Zero means
	// "use the technique's default" (see paths.DefaultLikelihood).
	Likelihood float64 `json:"likelihood,omitempty"`
	// Evidence lists the facts that prove a move: fact edge keys, policy ids
	// with statement ids, rule descriptions. Human-readable, never secret values.
	Evidence []string `json:"evidence,omitempty"`
	// Findings lists the ids of the findings whose misconfiguration enables the move.
	Findings []string `json:"findings,omitempty"`
	// Conditional marks a move that holds only if request-time conditions hold
	// (IAM conditions the graph cannot resolve).
	Conditional bool  `json:"conditional,omitempty"`
	Props       Props `json:"props,omitempty"`
	Stale       bool  `json:"stale,omitempty"`
}

// PropTagStep is the edge property (string) a collector sets on a move that needs a tag change
// first (ABAC): "<tag action> on <resource> sets <key>=<value>, ...". The change is a step of
// the move with its own evidence (the edge's first evidence lines) and its own finding (cited
// with the move's), so fixing the tag permission removes the move; outputs show it as the hop's
// first step.
const PropTagStep = "tag_step"

// EdgeKey is the stable identity of an edge: two edges with the same
// endpoints, kind and technique are the same edge. It is comparable, so it
// serves as a map key as it is; being a struct, it stays unambiguous when an
// id contains the separator String prints.
type EdgeKey struct {
	From      string
	Kind      EdgeKind
	To        string
	Technique string
}

// Key returns the edge's identity.
func (e *Edge) Key() EdgeKey {
	return EdgeKey{From: e.From, Kind: e.Kind, To: e.To, Technique: e.Technique}
}

// Compare orders keys by source, kind, target and technique: the order in
// which Assemble and the stores keep edges.
func (k EdgeKey) Compare(o EdgeKey) int {
	if c := strings.Compare(k.From, o.From); c != 0 {
		return c
	}
	if c := strings.Compare(string(k.Kind), string(o.Kind)); c != 0 {
		return c
	}
	if c := strings.Compare(k.To, o.To); c != 0 {
		return c
	}
	return strings.Compare(k.Technique, o.Technique)
}

// String renders the key for people, logs and path ids as
// "from|kind|to|technique". It is not parsed back, and two keys whose ids
// contain '|' may print alike: compare keys, not their strings.
func (k EdgeKey) String() string {
	return k.From + "|" + string(k.Kind) + "|" + k.To + "|" + k.Technique
}

// Finding is a misconfiguration on one resource.
type Finding struct {
	ID          string   `json:"id"` // stable across syncs; FindingID builds one
	RuleID      string   `json:"rule_id"`
	Resource    string   `json:"resource"` // node id
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Evidence    string   `json:"evidence,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Controls    []string `json:"controls,omitempty"` // framework control ids, e.g. "CIS-AWS-3.0:2.1.4", "AWS-FSBP:S3.8"
	// FixEffort is the relative cost of fixing it (1 = a one-line change),
	// the weight of the choke-point cut. Zero means 1.
	FixEffort float64 `json:"fix_effort,omitempty"`
	// Lifecycle, kept by the store across syncs.
	FirstSeen  time.Time `json:"first_seen,omitzero"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	Stale      bool      `json:"stale,omitempty"`
}

// FindingID builds the stable id of a finding from its rule and resource.
func FindingID(ruleID, resource string) string {
	sum := sha256.Sum256([]byte(ruleID + "\x00" + resource))
	return ruleID + ":" + hex.EncodeToString(sum[:8])
}

// Area is one unit of collection: a service in a region. An empty region is
// a global service (IAM) or "every region" in a failure.
type Area struct {
	Service string `json:"service"`
	Region  string `json:"region,omitempty"`
}

// Failure records an area a collection could not read, and why.
type Failure struct {
	Area
	Error string `json:"error"`
}

// Coverage says what a collection read and what failed.
type Coverage struct {
	Read   []Area    `json:"read,omitempty"`
	Failed []Failure `json:"failed,omitempty"`
}

// FailedFor reports whether the collection failed for the area of a node
// with the given service and region. A failure with an empty or "*" service
// or region matches every service or region.
func (c *Coverage) FailedFor(service, region string) bool {
	for _, f := range c.Failed {
		if (f.Service == "" || f.Service == "*" || f.Service == service) &&
			(f.Region == "" || f.Region == "*" || f.Region == region) {
			return true
		}
	}
	return false
}

// Snapshot is everything one collection produced for one scope.
type Snapshot struct {
	Scope       Scope     `json:"scope"`
	CollectedAt time.Time `json:"collected_at"`
	Collector   string    `json:"collector,omitempty"` // "aws", "synthetic", "aws-file", ...
	Nodes       []Node    `json:"nodes"`
	Edges       []Edge    `json:"edges"`
	Findings    []Finding `json:"findings"`
	Coverage    Coverage  `json:"coverage"`
}

// IsExposureSource reports whether an attacker starts at this node without
// any foothold: the Internet, anonymous / all-users principals and principals
// outside the estate (external accounts trusted by a role).
func (n *Node) IsExposureSource() bool {
	return n.Kind == KindInternet || n.Kind == KindExternalPrincipal
}

// IsTarget reports whether the node is an attack-path target at the given
// sensitivity threshold: sensitive data, or a crown jewel of any level.
func (n *Node) IsTarget(threshold Sensitivity) bool {
	return n.CrownJewel || (threshold > SensitivityNone && n.Sensitivity >= threshold)
}
