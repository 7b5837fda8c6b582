package inventory

import "time"

// Macie session states in MacieData.Status.
const (
	MacieEnabled    = "ENABLED"
	MaciePaused     = "PAUSED"
	MacieNotEnabled = "NOT_ENABLED"
)

// MacieData is Amazon Macie's state in one region and its sensitive-data
// (classification) findings summarized per S3 bucket. Only categories,
// detection types, counts and severities are kept: never sample values,
// occurrence locations or object keys.
type MacieData struct {
	// Status is ENABLED, PAUSED (findings stay readable) or NOT_ENABLED.
	Status string `json:"status"`
	// Findings counts the unarchived classification findings read;
	// SampleFindings the sample findings skipped (they are not real data).
	Findings       int                  `json:"findings"`
	SampleFindings int                  `json:"sample_findings,omitempty"`
	Buckets        []MacieBucketSummary `json:"buckets,omitempty"`
	// Discovery is what automated sensitive data discovery says per bucket;
	// nil when it was not read (an older snapshot, or Macie not enabled).
	Discovery *MacieDiscovery `json:"discovery,omitempty"`
}

// Automated sensitive data discovery states. Unavailable means the endpoint
// does not offer the operation (a region or emulator without it); scores
// are then not read.
const (
	MacieDiscoveryEnabled     = "ENABLED"
	MacieDiscoveryDisabled    = "DISABLED"
	MacieDiscoveryUnavailable = "UNAVAILABLE"
)

// MacieDiscovery is Macie's automated sensitive data discovery state in a
// region and, when it runs, each bucket's sensitivity score.
type MacieDiscovery struct {
	// Status is ENABLED, DISABLED or UNAVAILABLE. Scores are read only when
	// ENABLED: with discovery off Macie reports placeholder scores (1 for an
	// empty bucket, 50 for one excluded from analysis) that say nothing.
	Status  string             `json:"status"`
	Buckets []MacieBucketScore `json:"buckets,omitempty"`
}

// MacieBucketScore is one bucket's automated-discovery statistics
// (DescribeBuckets): counts and a score, never object keys or samples.
type MacieBucketScore struct {
	Bucket  string `json:"bucket"`
	ARN     string `json:"arn,omitempty"`
	Account string `json:"account,omitempty"`
	// Score ranges from -1 (classification error) to 100; Macie labels
	// 50-100 "Sensitive" and 1-49 "Not sensitive".
	Score int32 `json:"score"`
	// Monitored says automated discovery includes the bucket.
	Monitored bool `json:"monitored"`
	// ClassifiableObjects is how many objects Macie can analyse.
	ClassifiableObjects int64 `json:"classifiable_objects"`
}

// MacieBucketSummary aggregates one bucket's classification findings.
type MacieBucketSummary struct {
	Bucket  string `json:"bucket"` // bucket name
	ARN     string `json:"arn,omitempty"`
	Account string `json:"account,omitempty"` // owning account (a Macie administrator sees members' buckets)
	// Findings is the number of findings (one per affected object).
	Findings int `json:"findings"`
	// HighestSeverity is Low, Medium or High.
	HighestSeverity string `json:"highest_severity"`
	// Categories maps a sensitive data category (PERSONAL_INFORMATION,
	// FINANCIAL_INFORMATION, CREDENTIALS, CUSTOM_IDENTIFIER) to the
	// occurrences detected.
	Categories map[string]int64 `json:"categories"`
	// Types maps a managed data identifier type (AWS_CREDENTIALS,
	// CREDIT_CARD_NUMBER, ...) or "custom:<identifier name>" to the
	// occurrences detected.
	Types       map[string]int64 `json:"types,omitempty"`
	LastUpdated time.Time        `json:"last_updated,omitzero"`
}
