package terraform

import (
	"context"

	"encoding/json"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// planOf builds a plan of created resources; refs maps "address.attr" to
// the configuration references of that attribute.
func planOf(t *testing.T, after map[string]map[string]any, unknown map[string]map[string]any, refs map[string][]string) *tfjson.Plan {
	t.Helper()
	p := &tfjson.Plan{FormatVersion: "1.2", Config: &tfjson.Config{RootModule: &tfjson.ConfigModule{}}}
	for addr, vals := range after {
		typ, name, _ := strings.Cut(addr, ".")
		var u any = map[string]any{}
		if unknown[addr] != nil {
			u = unknown[addr]
		}
		p.ResourceChanges = append(p.ResourceChanges, &tfjson.ResourceChange{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Name: name,
			Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionCreate}, After: vals, AfterUnknown: u}})
		cr := &tfjson.ConfigResource{Address: addr, Mode: tfjson.ManagedResourceMode, Type: typ, Name: name, Expressions: map[string]*tfjson.Expression{}}
		for k, v := range refs {
			if a, attr, ok := strings.Cut(k, "|"); ok && a == addr {
				cr.Expressions[attr] = &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{References: v}}
			}
		}
		p.Config.RootModule.Resources = append(p.Config.RootModule.Resources, cr)
	}
	// through JSON, as a real plan arrives
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out tfjson.Plan
	if err := out.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestIdsComeFromThePlanThenTheNameThenAPlaceholder(t *testing.T) {
	p := planOf(t, map[string]map[string]any{
		"aws_iam_role.known":     {"name": "known", "arn": "arn:aws:iam::123456789012:role/svc/known", "assume_role_policy": "{}"},
		"aws_iam_role.named":     {"name": "named", "path": "/team/", "assume_role_policy": "{}"},
		"aws_iam_role.nameless":  {"assume_role_policy": "{}"},
		"aws_security_group.new": {"name": "web", "ingress": []any{}},
	}, map[string]map[string]any{"aws_iam_role.named": {"arn": true, "id": true}, "aws_security_group.new": {"id": true}}, nil)
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	for id, addr := range map[string]string{
		"arn:aws:iam::123456789012:role/svc/known":                                    "aws_iam_role.known",
		"arn:aws:iam::123456789012:role/team/named":                                   "aws_iam_role.named",
		"tf:aws_iam_role.nameless":                                                    "aws_iam_role.nameless",
		"arn:aws:ec2:us-east-1:123456789012:security-group/tf:aws_security_group.new": "aws_security_group.new",
	} {
		if c.Owners[id] != addr {
			t.Errorf("owner of %s = %q, want %s", id, c.Owners[id], addr)
		}
	}
}

func TestUnknownReferencesResolveThroughTheConfiguration(t *testing.T) {
	p := planOf(t, map[string]map[string]any{
		"aws_iam_role.app":                      {"name": "app", "assume_role_policy": "{}"},
		"aws_iam_policy.read":                   {"name": "read", "policy": `{"Statement":[]}`},
		"aws_iam_role_policy_attachment.attach": {"role": "app"},
	}, map[string]map[string]any{"aws_iam_policy.read": {"arn": true}, "aws_iam_role_policy_attachment.attach": {"policy_arn": true}},
		map[string][]string{"aws_iam_role_policy_attachment.attach|policy_arn": {"aws_iam_policy.read.arn", "aws_iam_policy.read"}})
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.After.IAM.Roles) != 1 || len(c.After.IAM.Roles[0].AttachedPolicies) != 1 {
		t.Fatalf("roles %+v", c.After.IAM.Roles)
	}
	if got := c.After.IAM.Roles[0].AttachedPolicies[0].ARN; got != "arn:aws:iam::123456789012:policy/read" {
		t.Errorf("attached %s, want the planned policy's ARN", got)
	}
	for _, a := range c.Assumptions {
		if strings.Contains(a, "AdministratorAccess") {
			t.Errorf("a resolvable reference was assumed: %s", a)
		}
	}
}

func TestUnknownPoliciesAndCIDRsAreAssumedOpenAndSaid(t *testing.T) {
	p := planOf(t, map[string]map[string]any{
		"aws_iam_role.app":        {"name": "app"},
		"aws_security_group.web":  {"id": "sg-1", "name": "web", "ingress": []any{map[string]any{"from_port": 22.0, "to_port": 22.0, "protocol": "tcp"}}},
		"aws_iam_role_policy.any": {"role": "app", "name": "p"},
	}, map[string]map[string]any{
		"aws_iam_role.app":        {"assume_role_policy": true},
		"aws_security_group.web":  {"ingress": []any{map[string]any{"cidr_blocks": true}}},
		"aws_iam_role_policy.any": {"policy": true},
	}, nil)
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	sg := c.After.Regional["us-east-1"].SecurityGroups[0]
	if !slices.Equal(sg.Ingress[0].CIDRs, []string{"0.0.0.0/0"}) {
		t.Errorf("unknown CIDR became %v", sg.Ingress[0].CIDRs)
	}
	role := c.After.IAM.Roles[0]
	if role.TrustPolicy != openTrust || role.InlinePolicies[0].Document != openIdentityPolicy {
		t.Errorf("unknown policies became %q / %q", role.TrustPolicy, role.InlinePolicies[0].Document)
	}
	if len(c.Assumptions) != 3 {
		t.Errorf("assumptions %q, want one per unknown value", c.Assumptions)
	}
}

func TestChangedTypesNotModelledAreListed(t *testing.T) {
	p := planOf(t, map[string]map[string]any{"aws_route53_record.www": {"name": "www"}}, nil, nil)
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Unsupported, []string{"aws_route53_record.www"}) {
		t.Errorf("unsupported %q", c.Unsupported)
	}
}

func TestUsersGroupsAndTheirPoliciesMapToTheIAMInventory(t *testing.T) {
	read := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ledger/*"}]}`
	p := planOf(t, map[string]map[string]any{
		"aws_s3_bucket.ledger":                      {"bucket": "ledger", "tags": map[string]any{"data-classification": "confidential"}},
		"aws_iam_user.ci":                           {"name": "ci"},
		"aws_iam_group.readers":                     {"name": "readers"},
		"aws_iam_user_group_membership.ci":          {"user": "ci", "groups": []any{"readers"}},
		"aws_iam_group_policy.read":                 {"group": "readers", "name": "read", "policy": read},
		"aws_iam_user_policy_attachment.ci_admin":   {"user": "ci", "policy_arn": "arn:aws:iam::123456789012:policy/deploy"},
		"aws_iam_access_key.ci":                     {"user": "ci"},
		"aws_iam_policy_attachment.legacy":          {"name": "legacy", "users": []any{"ci"}, "groups": []any{"readers"}, "policy_arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		"aws_iam_group_policy_attachment.s3_ro":     {"group": "readers", "policy_arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		"aws_iam_user_login_profile.ci":             {"user": "ci"},
		"aws_iam_group_membership.readers_explicit": {"name": "m", "group": "readers", "users": []any{"ci"}},
	}, map[string]map[string]any{"aws_iam_access_key.ci": {"id": true, "secret": true}}, nil)
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.After.IAM.Users) != 1 || len(c.After.IAM.Groups) != 1 {
		t.Fatalf("users %+v groups %+v", c.After.IAM.Users, c.After.IAM.Groups)
	}
	u, g := c.After.IAM.Users[0], c.After.IAM.Groups[0]
	if u.ARN != "arn:aws:iam::123456789012:user/ci" || !slices.Equal(u.Groups, []string{"readers"}) || !u.LoginProfile {
		t.Errorf("user %+v", u)
	}
	if len(u.AccessKeys) != 1 || u.AccessKeys[0].Status != "Active" || !strings.HasPrefix(u.AccessKeys[0].ID, "tf:") {
		t.Errorf("access keys %+v: want one active key, its id a placeholder (never a plan value)", u.AccessKeys)
	}
	if len(u.AttachedPolicies) != 2 || len(g.InlinePolicies) != 1 || len(g.AttachedPolicies) != 2 {
		t.Errorf("user policies %+v, group inline %+v attached %+v", u.AttachedPolicies, g.InlinePolicies, g.AttachedPolicies)
	}
	ch, err := Analyse(context.Background(), p, Options{AccountID: "123456789012"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// the group's policy change is attributed to its member, whose moves it changes
	for _, want := range []string{"aws_iam_group_policy.read", "aws_iam_user_group_membership.ci", "aws_iam_user.ci"} {
		if !slices.Contains(ch.NodeCauses[u.ARN], want) {
			t.Errorf("causes of the user %q lack %s", ch.NodeCauses[u.ARN], want)
		}
	}
	reads := false
	for _, e := range ch.Delta.AddEdges {
		// the identity part draws the user's move onto the policy it
		// holds through the group, and the policy's move onto the bucket
		if e.From == u.ARN && e.To == g.ARN+"#inline/read" {
			reads = true
		}
	}
	if !reads {
		t.Error("the change adds no move from the user to the policy its group holds")
	}
}

func TestDataStoresAndTheirPoliciesMapToTheInventory(t *testing.T) {
	p := planOf(t, map[string]map[string]any{
		"aws_db_instance.main":        {"identifier": "main", "engine": "postgres", "storage_encrypted": false},
		"aws_rds_cluster.aurora":      {"cluster_identifier": "aurora", "engine": "aurora-postgresql", "storage_encrypted": true},
		"aws_rds_cluster_instance.a1": {"identifier": "a1", "cluster_identifier": "aurora", "publicly_accessible": false},
		"aws_db_snapshot.shared":      {"db_snapshot_identifier": "snap", "db_instance_identifier": "main", "shared_accounts": []any{"all", "111122223333"}},
		"aws_kms_key.data":            {"key_id": "k-1", "description": "data"},
		"aws_kms_grant.app":           {"key_id": "k-1", "grantee_principal": "arn:aws:iam::123456789012:role/app", "operations": []any{"Decrypt"}},
		"aws_sns_topic.alerts":        {"name": "alerts"},
		"aws_sns_topic_policy.alerts": {"arn": "arn:aws:sns:us-east-1:123456789012:alerts", "policy": `{"Version":"2012-10-17","Statement":[]}`},
	}, map[string]map[string]any{"aws_db_instance.main": {"publicly_accessible": true}}, nil)
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	reg := c.After.Regional["us-east-1"]
	var db inventory.DBInstance
	for _, d := range reg.DBInstances {
		if d.ID == "main" {
			db = d
		}
	}
	if !db.PubliclyAccessible || db.StorageEncrypted {
		t.Errorf("db %+v: an unknown public flag is assumed public", db)
	}
	if !slices.ContainsFunc(c.Assumptions, func(a string) bool { return strings.Contains(a, "aws_db_instance.main public accessibility") }) {
		t.Errorf("assumptions %q do not say the public flag was assumed", c.Assumptions)
	}
	if len(reg.DBClusters) != 1 || !slices.Equal(reg.DBClusters[0].Members, []string{"a1"}) {
		t.Errorf("clusters %+v", reg.DBClusters)
	}
	if len(reg.DBSnapshots) != 1 || !reg.DBSnapshots[0].Public || reg.DBSnapshots[0].Source != "main" || !slices.Equal(reg.DBSnapshots[0].SharedWith, []string{"111122223333"}) {
		t.Errorf("snapshots %+v", reg.DBSnapshots)
	}
	if len(reg.KMSKeys) != 1 || !strings.Contains(reg.KMSKeys[0].Policy, `"Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":["kms:Decrypt"]`) {
		t.Errorf("keys %+v: the grant is not a key-policy statement", reg.KMSKeys)
	}
	if len(reg.Topics) != 1 || reg.Topics[0].Policy == "" {
		t.Errorf("topics %+v", reg.Topics)
	}
}
