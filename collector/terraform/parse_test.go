package terraform

import (
	"encoding/json"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// seedPlan is a small plan in the `terraform show -json` format: a public
// bucket and a role with an attached policy.
func seedPlan(tb testing.TB) []byte {
	tb.Helper()
	p := &tfjson.Plan{FormatVersion: "1.2", Config: &tfjson.Config{RootModule: &tfjson.ConfigModule{}}}
	for addr, after := range map[string]map[string]any{
		"aws_s3_bucket.data":          {"bucket": "data", "tags": map[string]any{"Owner": "a", "owner": "b"}},
		"aws_s3_bucket_policy.public": {"bucket": "data", "policy": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`},
		"aws_iam_role.app":            {"name": "app", "assume_role_policy": `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	} {
		typ, name, _ := strings.Cut(addr, ".")
		p.ResourceChanges = append(p.ResourceChanges, &tfjson.ResourceChange{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Name: name,
			Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionCreate}, After: after, AfterUnknown: map[string]any{}}})
	}
	data, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestParsePlanRefusesDuplicateKeys(t *testing.T) {
	plan := string(seedPlan(t))
	if _, err := ParsePlan([]byte(plan)); err != nil {
		t.Fatalf("the seed plan (tag keys Owner and owner are two keys): %v", err)
	}
	for name, in := range map[string]string{
		"plain":            `{"a":1,"a":2}`,
		"resource changes": strings.Replace(plan, `"resource_changes":`, `"resource_changes":[],"resource_changes":`, 1),
		"bucket policy":    strings.Replace(plan, `"policy":`, `"policy":"{}","policy":`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePlan([]byte(in)); err == nil || !strings.Contains(err.Error(), "duplicate key") {
				t.Fatalf("err = %v, want a duplicate key error", err)
			}
		})
	}
}
