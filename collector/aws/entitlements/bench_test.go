package entitlements_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// benchInventory is an account of n principals: a tenth administrators, a
// third ReadOnlyAccess, the rest small inline policies, all with service
// last-accessed data.
func benchInventory(n int) *inventory.Inventory {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	inv := &inventory.Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: now,
		IAM: inventory.IAMData{LastAccessed: map[string][]inventory.ServiceLastAccessed{}}}
	for i := 0; i < n; i++ {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i)
		r := inventory.Role{ARN: arn, Name: fmt.Sprintf("r%d", i), ID: fmt.Sprintf("AROA%016d", i), CreateDate: now.Add(-400 * 24 * time.Hour),
			TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}
		switch {
		case i%10 == 0:
			r.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Name: "AdministratorAccess"}}
		case i%3 == 0:
			r.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", Name: "ReadOnlyAccess"}}
		default:
			r.InlinePolicies = []inventory.InlinePolicy{{Name: "app", Document: fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","sqs:*"],"Resource":"arn:aws:s3:::b%d/*"}]}`, i)}}
		}
		inv.IAM.Roles = append(inv.IAM.Roles, r)
		inv.IAM.LastAccessed[arn] = []inventory.ServiceLastAccessed{{Namespace: "s3", LastAuthenticated: now.Add(-24 * time.Hour)}, {Namespace: "sqs"}}
	}
	return inv
}

func BenchmarkAnalyze1000(b *testing.B) {
	inv := benchInventory(1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := entitlements.Analyze(context.Background(), inv, entitlements.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Entitlements) != 1001 { // the roles and the root user
			b.Fatalf("%d entitlements", len(res.Entitlements))
		}
	}
}
