package terraform

import (
	"encoding/json"
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
	p := planOf(t, map[string]map[string]any{"aws_db_instance.main": {"identifier": "db"}}, nil, nil)
	c, err := Convert(p, Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Unsupported, []string{"aws_db_instance.main"}) {
		t.Errorf("unsupported %q", c.Unsupported)
	}
}
