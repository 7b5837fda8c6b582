// Package inventory holds the raw, typed AWS inventory that the live collector
// (collector/aws/fetch) and the offline import (collector/aws/authdetails)
// produce, and that the transform turns into a graph.Snapshot.
//
// The types stay close to the AWS APIs (cloud-native names, ARNs as ids) and
// carry no analysis. Policy documents are kept as decoded JSON text, ready for
// collector/aws/policy.Parse. Secret values, environment variable values and
// credentials are never part of an inventory: only names and metadata.
package inventory

import (
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Inventory is everything one collection read from one AWS account.
type Inventory struct {
	AccountID   string    `json:"account_id"`
	Partition   string    `json:"partition"` // "aws", "aws-cn", "aws-us-gov"
	CollectedAt time.Time `json:"collected_at"`
	// Regions lists the regions the collection covered (read or failed).
	Regions []string `json:"regions"`
	IAM     IAMData  `json:"iam"`
	// Org is set when the account could read AWS Organizations (normally the
	// management account or a delegated administrator).
	Org *OrgData `json:"org,omitempty"`
	// Regional holds per-region resources keyed by region name.
	Regional map[string]*RegionData `json:"regional"`
	// S3 is global: each bucket carries its own region.
	S3 []Bucket `json:"s3"`
	// S3AccountPublicAccessBlock is the account-level S3 Block Public Access
	// setting; nil when none is configured.
	S3AccountPublicAccessBlock *PublicAccessBlock `json:"s3_account_public_access_block,omitempty"`
	// Coverage says which areas were read and which failed. Services are
	// "iam", "org", "s3", "ec2", "lambda", ...; Region "" means global.
	// A failed area means "unknown", never "no resources".
	Coverage graph.Coverage `json:"coverage"`
	// NotEnabled lists the areas whose service is not enabled, not
	// subscribed or not offered in the region (Macie never enabled, a
	// service answering SubscriptionRequired), with AWS's answer. They are
	// also in Coverage.Read: they hold no resources, and they are not failures.
	NotEnabled []graph.Failure `json:"not_enabled,omitempty"`
	// Partial is set when the collection stopped early (cancellation) and
	// the inventory holds only what was read before.
	Partial bool  `json:"partial,omitempty"`
	Stats   Stats `json:"stats"`
}

// Stats measures a collection.
type Stats struct {
	APICalls int `json:"api_calls"` // every attempt sent, retries included
	// Retries counts attempts beyond the first (throttling, 5xx, timeouts).
	Retries int `json:"retries"`
	// APICallsByService counts attempts per SDK service id ("IAM", "EC2", ...).
	APICallsByService map[string]int `json:"api_calls_by_service,omitempty"`
	// Resources counts every collected item (principals, policies, resources).
	Resources int           `json:"resources"`
	Duration  time.Duration `json:"duration_ns"`
}

// Tags is a resource's tag set.
type Tags map[string]string

// Region returns the region's data, creating it on first use.
func (inv *Inventory) Region(name string) *RegionData {
	if inv.Regional == nil {
		inv.Regional = make(map[string]*RegionData)
	}
	r, ok := inv.Regional[name]
	if !ok {
		r = &RegionData{Region: name}
		inv.Regional[name] = r
	}
	return r
}

// CountResources returns the number of collected items: IAM principals,
// policies and instance profiles, organization entities, buckets and every
// regional resource.
func (inv *Inventory) CountResources() int {
	n := len(inv.IAM.Users) + len(inv.IAM.Groups) + len(inv.IAM.Roles) + len(inv.IAM.Policies) +
		len(inv.IAM.InstanceProfiles) + len(inv.S3)
	if inv.Org != nil {
		n += len(inv.Org.Accounts) + len(inv.Org.OrganizationalUnits) + len(inv.Org.Policies)
	}
	for _, r := range inv.Regional {
		n += r.Count()
	}
	return n
}
