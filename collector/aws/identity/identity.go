// Package identity turns the IAM part of an AWS inventory into graph nodes, fact edges, attacker-move
// edges and findings: who is who (users, groups, roles, policies, instance profiles, the account root,
// external and anonymous principals), who can read, write or administer which data, who can assume
// which role, and which privilege-escalation techniques move an attacker from one principal to
// another or to the account's administrator. Every permission decision is made by
// collector/aws/policy, so conditions it cannot resolve become Conditional edges rather than guesses.
//
// Node ids are ARNs as AWS reports them, with a few documented synthetic ids (see ids.go). The
// resource part of the AWS transform owns the data-resource and compute nodes; this package only
// emits edges to them.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
)

// Options tunes Build. The zero value is valid.
type Options struct {
	// Now is the reference time for credential ages; zero means inv.CollectedAt, then time.Now.
	Now time.Time
	// KnownAccounts lists accounts of the estate (scanned by breachpath) besides those of inv.Org.
	// Principals of these accounts become stubs of their own kind instead of external principals.
	KnownAccounts []string
	// KeyMaxAgeDays is the access-key rotation limit (CIS 1.14); 0 means 90.
	KeyMaxAgeDays int
	// UnusedCredentialDays is the unused-credential limit (CIS 1.12, 45 days in v3.0); 0 means 45.
	UnusedCredentialDays int
	// SampleLimit bounds the per-permission source samples of a PrincipalSummary; 0 means 8.
	SampleLimit int
	// Logger receives warnings (unparsable policies, incomplete organization data); nil means slog.Default.
	Logger *slog.Logger
	// EndpointRoutes are the workloads whose requests go through VPC endpoints (the resource
	// part's resources.Part.EndpointRoutes): access that only a request through an endpoint gets
	// is drawn from those workloads. Every other data access is decided for a caller outside any
	// endpoint.
	EndpointRoutes []resources.EndpointRoute
	// NFSMounts are the workloads reaching mount targets of EFS file systems whose policy decides
	// who mounts them (resources.Part.NFSMounts): their roles' elasticfilesystem:Client* access is
	// drawn from those workloads.
	NFSMounts []resources.NFSMount
}

// Part is the identity part of one account's snapshot, merged by the AWS transform with the
// resource/network part. Edges may point at data-resource nodes that the resource part creates.
type Part struct {
	Nodes      []graph.Node
	Edges      []graph.Edge
	Findings   []graph.Finding
	Principals []PrincipalSummary
	// Warnings lists inputs that were skipped (unparsable policy documents, ...), one line each.
	Warnings []string
}

// ErrInvalidInventory is wrapped by errors about unusable input.
var ErrInvalidInventory = errors.New("invalid inventory")

// Build computes the identity part of inv's snapshot. It returns an error for an unusable inventory
// (no account id) or a cancelled context; individual bad policy documents become Warnings.
func Build(ctx context.Context, inv *inventory.Inventory, opts Options) (*Part, error) {
	if inv == nil {
		return nil, fmt.Errorf("identity: %w: nil inventory", ErrInvalidInventory)
	}
	if !validAccountID(inv.AccountID) {
		return nil, fmt.Errorf("identity: %w: account id %q is not 12 digits", ErrInvalidInventory, inv.AccountID)
	}
	b := newBuilder(inv, opts)
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"facts", b.facts},
		{"policies", b.loadPolicies},
		{"principals", b.evaluatePrincipals},
		{"findings", b.postureFindings},
		{"trust", b.trust},
		{"data access", b.dataAccess},
		{"endpoint access", b.endpointAccess},
		{"EFS mounts", b.efsMounts},
		{"queue event sources", b.eventSourceMoves},
		{"privilege escalation", b.escalation},
		{"endpoint escalation", b.endpointEscalation},
		{"tag steps by assumers", b.assumerTagSteps},
		{"functions changing assumers", b.assumerInvokers},
		{"summaries", b.summaries},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("identity: account %s: %s: %w", inv.AccountID, s.name, err)
		}
		if err := s.fn(ctx); err != nil {
			return nil, fmt.Errorf("identity: account %s: %s: %w", inv.AccountID, s.name, err)
		}
	}
	return b.part(), nil
}

func validAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
