package catalog

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"
)

func TestDefaultLoadsEmbeddedCatalog(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	c := Default()
	elapsed := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("catalog load: %v, %d actions, retained heap ~%.1f MB, total allocated %.1f MB",
		elapsed, c.Len(), float64(after.HeapAlloc-before.HeapAlloc)/1e6, float64(after.TotalAlloc-before.TotalAlloc)/1e6)
	if c.Len() < 20000 {
		t.Fatalf("catalog has %d actions, want > 20000", c.Len())
	}
	if len(c.Services()) < 400 {
		t.Fatalf("catalog has %d services", len(c.Services()))
	}
	for i, a := range c.Actions() {
		if a.Index != int32(i) {
			t.Fatalf("action %s has index %d at position %d", a.Name, a.Index, i)
		}
	}
}

func TestLookupIsCaseInsensitiveAndReturnsCanonicalCase(t *testing.T) {
	c := Default()
	tests := []struct {
		in, name string
		level    AccessLevel
	}{
		{"s3:GetObject", "s3:GetObject", AccessRead},
		{"S3:GETOBJECT", "s3:GetObject", AccessRead},
		{"s3:listbucket", "s3:ListBucket", AccessList},
		{"iam:PutRolePolicy", "iam:PutRolePolicy", AccessPermissionsManagement},
		{"ec2:CreateTags", "ec2:CreateTags", AccessTagging},
		{"ec2:RunInstances", "ec2:RunInstances", AccessWrite},
	}
	for _, tt := range tests {
		a, ok := c.Lookup(tt.in)
		if !ok || a.Name != tt.name || a.AccessLevel != tt.level {
			t.Errorf("Lookup(%q) = %+v, %v; want %s %v", tt.in, a, ok, tt.name, tt.level)
		}
	}
	if _, ok := c.Lookup("s3:NoSuchAction"); ok {
		t.Error("unknown action was found")
	}
	a, _ := c.Lookup("s3:GetObject")
	if len(a.ResourceTypes) == 0 {
		t.Error("s3:GetObject has no resource types")
	}
	if arn, ok := c.ResourceTypeARN("s3", "object"); !ok || arn != "arn:${Partition}:s3:::${BucketName}/${ObjectName}" {
		t.Errorf("ResourceTypeARN(s3, object) = %q, %v", arn, ok)
	}
}

func TestExpandWildcards(t *testing.T) {
	c := Default()
	s3 := len(c.Expand("s3:*"))
	tests := []struct {
		pattern string
		check   func(names []string) bool
	}{
		{"*", func(n []string) bool { return len(n) == c.Len() }},
		{"s3:*", func(n []string) bool { return len(n) > 100 && allPrefix(n, "s3:") }},
		{"S3:*", func(n []string) bool { return len(n) == s3 }},
		{"s3:Get*", func(n []string) bool { return contains(n, "s3:GetObject") && !contains(n, "s3:PutObject") }},
		{"s3:get*", func(n []string) bool { return contains(n, "s3:GetObject") }},
		{"*:GetObject", func(n []string) bool { return contains(n, "s3:GetObject") && allSuffixFold(n, "getobject") }},
		{"iam:?etRole", func(n []string) bool { return contains(n, "iam:GetRole") && len(n) == 1 }},
		{"iam:PassRole", func(n []string) bool { return len(n) == 1 && n[0] == "iam:PassRole" }},
		{"nosuchservice:*", func(n []string) bool { return len(n) == 0 }},
		{"s3", func(n []string) bool { return len(n) == 0 }},
		{"s3:Get", func(n []string) bool { return len(n) == 0 }},
	}
	for _, tt := range tests {
		var names []string
		for _, i := range c.Expand(tt.pattern) {
			names = append(names, c.Action(i).Name)
		}
		if !tt.check(names) {
			t.Errorf("Expand(%q) = %d actions (first %v)", tt.pattern, len(names), first(names, 5))
		}
	}
}

func TestActionSetOperations(t *testing.T) {
	c := Default()
	a := c.NewSet()
	c.ExpandInto(a, "s3:*")
	b := c.NewSet()
	c.ExpandInto(b, "s3:Get*")
	if a.Len() != len(c.Expand("s3:*")) {
		t.Fatal("Len differs from Expand")
	}
	diff := a.Clone()
	diff.Minus(b)
	if diff.Len() != a.Len()-b.Len() {
		t.Fatalf("Minus: %d != %d-%d", diff.Len(), a.Len(), b.Len())
	}
	u := diff.Clone()
	u.Union(b)
	if u.Len() != a.Len() {
		t.Fatal("Union did not restore the set")
	}
	in := a.Clone()
	in.Intersect(b)
	if in.Len() != b.Len() {
		t.Fatal("Intersect")
	}
	get, _ := c.Lookup("s3:GetObject")
	if !b.Has(get.Index) || diff.Has(get.Index) {
		t.Fatal("Has")
	}
	n := 0
	b.Each(func(i int32) bool {
		if !c.Action(i).isPrefixFold("s3:get") {
			t.Errorf("Each yielded %s", c.Action(i).Name)
		}
		n++
		return true
	})
	if n != b.Len() || len(b.Indices()) != n {
		t.Fatal("Each/Indices count")
	}
	full := c.FullSet()
	if full.Len() != c.Len() {
		t.Fatalf("FullSet has %d, want %d", full.Len(), c.Len())
	}
	full.Minus(c.FullSet())
	if !full.Empty() {
		t.Fatal("full minus full not empty")
	}
}

func TestMatchBacktracksWithoutBlowUp(t *testing.T) {
	p := "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"
	s := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	start := time.Now()
	if Match(p, s) {
		t.Fatal("matched")
	}
	if time.Since(start) > time.Second {
		t.Fatal("matcher is exponential")
	}
	if !Match("s3:*Object*", "S3:GetObjectAcl") || Match("s3:?", "s3:ab") || !Match("s3:??", "s3:ab") {
		t.Fatal("basic matches")
	}
}

func TestManagedPolicyByARN(t *testing.T) {
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
	} {
		doc, ok := ManagedPolicy(arn)
		if !ok {
			t.Errorf("%s not found", arn)
			continue
		}
		var v struct{ Statement json.RawMessage }
		if err := json.Unmarshal(doc, &v); err != nil || len(v.Statement) == 0 {
			t.Errorf("%s: bad document: %v", arn, err)
		}
	}
	if _, ok := ManagedPolicy("arn:aws:iam::aws:policy/NoSuchPolicy"); ok {
		t.Error("unknown policy found")
	}
	arns, err := ManagedPolicyARNs()
	if err != nil || len(arns) < 1000 {
		t.Fatalf("ManagedPolicyARNs: %d, %v", len(arns), err)
	}
}

func (a Action) isPrefixFold(p string) bool { return Match(p+"*", a.Name) }

func contains(n []string, s string) bool {
	for _, x := range n {
		if x == s {
			return true
		}
	}
	return false
}

func allPrefix(n []string, p string) bool {
	for _, x := range n {
		if len(x) < len(p) || x[:len(p)] != p {
			return false
		}
	}
	return true
}

func allSuffixFold(n []string, suf string) bool {
	for _, x := range n {
		if !Match("*:"+suf, x) {
			return false
		}
	}
	return true
}

func first(n []string, k int) []string {
	if len(n) < k {
		return n
	}
	return n[:k]
}

func BenchmarkDefaultLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Load(bytesReader(actionsGz)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRequestTagsMarksActionsWhoseRequestCarriesTags(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		action string
		want   bool
	}{
		{"lambda:CreateFunction", true}, // on the action
		{"ec2:RunInstances", true},      // on its instance resource type
		{"ec2:CreateTags", true},        // a tag action
		{"iam:TagRole", true},           // a tag action
		{"iam:CreateAccessKey", false},  // no tags in the request
		{"s3:GetObject", false},         // a read
		{"iam:AttachUserPolicy", false}, // a permissions change without tags
		{"secretsmanager:TagResource", true},
	} {
		a, ok := c.Lookup(tt.action)
		if !ok {
			t.Fatalf("%s not in the catalogue", tt.action)
		}
		if a.RequestTags != tt.want {
			t.Errorf("%s RequestTags = %v, want %v", tt.action, a.RequestTags, tt.want)
		}
	}
}
