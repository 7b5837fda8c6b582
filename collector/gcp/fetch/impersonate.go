package fetch

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"
)

// OAuth scopes of an impersonated collection.
const (
	// ReadOnlyScope is what every read asks for: the APIs that accept it
	// then refuse a write whatever the roles say.
	ReadOnlyScope = "https://www.googleapis.com/auth/cloud-platform.read-only"
	// CloudPlatformScope is the only scope some APIs accept.
	CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
)

// FullScopeAPIs are the APIs that accept no scope narrower than
// CloudPlatformScope: the Sensitive Data Protection (DLP) API's discovery
// document lists only it, and a cloud-platform.read-only token gets 403
// ACCESS_TOKEN_SCOPE_INSUFFICIENT on every data profile listing. Their
// reads stay read-only through IAM: the collector holds
// roles/dlp.dataProfilesReader and calls list methods only.
var FullScopeAPIs = []string{APIDLP}

// Impersonation is the token sources of a collection that impersonates a
// service account: read-only for every API, the full scope for
// FullScopeAPIs.
type Impersonation struct {
	ReadOnly, Full oauth2.TokenSource
}

// Impersonate builds the token sources that impersonate target (an email)
// on top of Application Default Credentials; iamOpts reach the IAM
// Credentials client (tests give it a local server's HTTP client).
func Impersonate(ctx context.Context, target string, iamOpts ...option.ClientOption) (*Impersonation, error) {
	ro, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{TargetPrincipal: target,
		Scopes: []string{ReadOnlyScope}}, iamOpts...)
	if err != nil {
		return nil, fmt.Errorf("impersonate %s: %w", target, err)
	}
	full, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{TargetPrincipal: target,
		Scopes: []string{CloudPlatformScope}}, iamOpts...)
	if err != nil {
		return nil, fmt.Errorf("impersonate %s: %w", target, err)
	}
	return &Impersonation{ReadOnly: ro, Full: full}, nil
}

// Apply gives every client the read-only token and FullScopeAPIs the full
// one, put before the API's endpoint options so that an endpoint override
// still applies.
func (i *Impersonation) Apply(o *Options) {
	o.ClientOptions = append(o.ClientOptions, option.WithTokenSource(i.ReadOnly))
	if o.ServiceOptions == nil {
		o.ServiceOptions = map[string][]option.ClientOption{}
	}
	for _, api := range FullScopeAPIs {
		o.ServiceOptions[api] = append([]option.ClientOption{option.WithTokenSource(i.Full)}, o.ServiceOptions[api]...)
	}
}
