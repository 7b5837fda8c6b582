// Package collector lists what each cloud's collector contributes beyond
// snapshots: the least-privilege policy writers the CIEM report calls (one
// per cloud that has one) and how far back the clouds track usage. The API
// and the CLI take both from here, so a new cloud is plugged in once.
package collector

import (
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	azentitlements "github.com/breachpath/breachpath/collector/azure/entitlements"
	gcpentitlements "github.com/breachpath/breachpath/collector/gcp/entitlements"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// PolicyWriters returns the least-privilege policy writer of every cloud
// that has one.
func PolicyWriters() map[graph.Cloud]entitlement.PolicyWriter {
	return map[graph.Cloud]entitlement.PolicyWriter{
		graph.CloudAWS:   entitlements.PolicyWriter{},
		graph.CloudAzure: azentitlements.PolicyWriter{},
		graph.CloudGCP:   gcpentitlements.DefaultPolicyWriter(),
	}
}

// MaxTrackingDays is the longest usage history any cloud keeps (AWS's
// service last-accessed data: 400 days); a longer last-accessed window
// could only call permissions unused that no cloud can say were.
const MaxTrackingDays = entitlements.TrackingDays
