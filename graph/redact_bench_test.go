package graph_test

import (
	"context"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
)

// BenchmarkRedactSecrets is the ingest cost of secret redaction on the
// 100,000-resource synthetic estate (docs/security.md).
func BenchmarkRedactSecrets(b *testing.B) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 1, Resources: 100000})
	if err != nil {
		b.Fatal(err)
	}
	est.Snapshots[0].RedactSecrets() // build the rule set outside the timing
	b.ResetTimer()
	for range b.N {
		for _, s := range est.Snapshots {
			s.RedactSecrets()
		}
	}
}
