package owner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func node(id string, cloud graph.Cloud, account string, tags map[string]string) *graph.Node {
	return &graph.Node{ID: id, Kind: graph.KindBucket, Cloud: cloud, Account: account, Tags: tags}
}

func TestResolveOrderTagThenMappingThenScopeThenDefault(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "owners.yaml")
	if err := os.WriteFile(file, []byte(`
tag_keys: [CostOwner]
resources:
  - match: "arn:aws:s3:::payments-*"
    owner: payments
  - match: "*/resourcegroups/data-rg/*"
    owner: data-platform
scopes:
  aws:111111111111: team-a
  "222222222222": team-b
default: secops
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{File: file, TagKeys: []string{"owner", "team"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		n    *graph.Node
		want Owner
	}{
		{"first configured tag key wins", node("arn:aws:s3:::payments-x", graph.CloudAWS, "111111111111", map[string]string{"team": "t", "owner": "o"}),
			Owner{Name: "o", Source: SourceTag, Detail: "owner"}},
		{"inline tag keys replace the file's", node("x", graph.CloudAWS, "1", map[string]string{"CostOwner": "c"}),
			Owner{Name: "secops", Source: SourceDefault}},
		{"blank tag value is no owner", node("arn:aws:s3:::payments-y", graph.CloudAWS, "1", map[string]string{"owner": "  "}),
			Owner{Name: "payments", Source: SourceMapping, Detail: "arn:aws:s3:::payments-*"}},
		{"pattern star crosses slashes", node("/subscriptions/s/resourcegroups/data-rg/providers/x/y", graph.CloudAzure, "s", nil),
			Owner{Name: "data-platform", Source: SourceMapping, Detail: "*/resourcegroups/data-rg/*"}},
		{"scope with cloud", node("arn:aws:s3:::other", graph.CloudAWS, "111111111111", nil),
			Owner{Name: "team-a", Source: SourceScope, Detail: "aws:111111111111"}},
		{"scope by bare id", node("arn:aws:s3:::other", graph.CloudAWS, "222222222222", nil),
			Owner{Name: "team-b", Source: SourceScope, Detail: "222222222222"}},
		{"cloud-qualified scope does not match another cloud", node("projects/p", graph.CloudGCP, "111111111111", nil),
			Owner{Name: "secops", Source: SourceDefault}},
		{"nil node gets the default", nil, Owner{Name: "secops", Source: SourceDefault}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Resolve(tc.n); got != tc.want {
				t.Fatalf("Resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNilResolverReadsTheDefaultTagKeys(t *testing.T) {
	var r *Resolver
	for _, k := range DefaultTagKeys {
		if got := r.Name(node("x", graph.CloudAWS, "1", map[string]string{k: "v-" + k})); got != "v-"+k {
			t.Errorf("tag %s: got %q", k, got)
		}
	}
	if got := r.Name(node("x", graph.CloudAWS, "1", map[string]string{"Team": "v"})); got != "" {
		t.Errorf("an unlisted key named an owner: %q", got)
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, id string
		want        bool
	}{
		{"*", "", true},
		{"arn:aws:s3:::*", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::*", "arn:aws:iam::1:role/x", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*x*y*z", "aaxbbyczz", true},
		{"*x*y*z", "aaxbbycz1", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 200), false},
	}
	for _, tc := range cases {
		if got := Match(tc.pattern, tc.id); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.id, got, tc.want)
		}
	}
}

func TestBadMappingIsRejected(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"unknown key":        "owner: x\n",
		"rule with no owner": "resources:\n  - match: a\n",
		"empty tag key":      "tag_keys: ['']\n",
		"nested file":        "file: other.yaml\n",
		"scope no owner":     "scopes:\n  aws:1: ''\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(p); err == nil {
				t.Fatalf("mapping %q accepted", doc)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("a missing mapping file was accepted")
	}
}
