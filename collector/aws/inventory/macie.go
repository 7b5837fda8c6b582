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
