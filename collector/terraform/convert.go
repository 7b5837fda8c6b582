// Package terraform turns a Terraform plan (the JSON form `terraform show
// -json` writes, read with HashiCorp's terraform-json types) into the AWS
// collector's typed inventory, once for the state before the change and
// once for the planned state, so that the AWS transform — and nothing else —
// decides what the resources mean for attack paths.
//
// Identity reconciliation (docs/ci-gate.md): a resource's node id is its
// ARN when the plan knows it (prior state or a planned value); else the ARN
// is built from the known name exactly as AWS builds it (IAM roles and
// policies, instance profiles, S3 buckets, Lambda functions), so a planned
// resource meets the stored node that it will become; else it is a
// placeholder "tf:<address>" that can match no stored node. References
// whose value is unknown after apply are resolved through the
// configuration's expression references to the referenced resource's id.
package terraform

import (
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// Options tune Convert.
type Options struct {
	// AccountID and Region place resources whose ARN the plan does not
	// give. Empty AccountID: taken from the first ARN in the plan, else
	// "000000000000" (said in the assumptions).
	AccountID string
	Region    string
	Partition string
	// Stored is the stored estate the plan lands in (nil: the plan alone).
	Stored *Stored
}

// Conversion is a plan as two inventories plus what ties nodes back to
// Terraform.
type Conversion struct {
	Before, After *inventory.Inventory
	// Owners maps a node id (ARN) to the address of the Terraform resource
	// that defines it, on either side.
	Owners map[string]string
	// Via maps a node id to the addresses that change the moves onto or
	// from it without changing the node itself (a route that makes its
	// subnet public, a policy of a group it belongs to).
	Via map[string][]string
	// Changed maps the addresses of resources the plan creates, updates,
	// replaces or deletes to their actions ("create", "update", "delete",
	// "replace").
	Changed map[string]string
	// Deleted lists node ids present before and gone after.
	Deleted []string
	// Assumptions say where an unknown value was taken conservatively.
	Assumptions []string
	// Unsupported lists changed resource addresses whose type is not
	// modelled yet; they cannot open or close paths in this version.
	Unsupported []string
}

// Convert reads the AWS resources of plan.
func Convert(plan *tfjson.Plan, opts Options) (*Conversion, error) {
	if plan == nil {
		return nil, fmt.Errorf("terraform plan: nil plan")
	}
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	if opts.Region == "" {
		opts.Region = providerRegion(plan)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	c := &Conversion{Owners: map[string]string{}, Changed: map[string]string{}, Via: map[string][]string{}}
	if opts.AccountID == "" {
		opts.AccountID = accountFromPlan(plan)
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
		c.Assumptions = append(c.Assumptions, "no account id in the plan or --account: resources placed in account 000000000000")
	}
	refs := configRefs(plan)
	var before, after []resource
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode || !strings.HasPrefix(rc.Type, "aws_") {
			continue
		}
		a := rc.Change.Actions
		action := ""
		switch {
		case a.Replace():
			action = "replace"
		case a.Create():
			action = "create"
		case a.Update():
			action = "update"
		case a.Delete():
			action = "delete"
		}
		if action != "" {
			c.Changed[rc.Address] = action
			if !supported[rc.Type] {
				c.Unsupported = append(c.Unsupported, rc.Address)
			}
		}
		if rc.Change.Before != nil {
			before = append(before, resource{addr: rc.Address, typ: rc.Type, obj: newObject(rc.Change.Before, nil)})
		}
		if rc.Change.After != nil || !a.Delete() {
			if !a.Delete() || a.Replace() {
				after = append(after, resource{addr: rc.Address, typ: rc.Type, obj: newObject(rc.Change.After, rc.Change.AfterUnknown)})
			}
		}
	}
	sort.Strings(c.Unsupported)
	bb := newBuilder(opts, refs, false)
	c.Before = bb.build(before)
	ab := newBuilder(opts, refs, true)
	c.After = ab.build(after)
	for id, addr := range bb.owners {
		c.Owners[id] = addr
	}
	for id, addr := range ab.owners {
		c.Owners[id] = addr
	}
	for _, m := range []map[string][]string{bb.via, ab.via} {
		for id, addrs := range m {
			for _, a := range addrs {
				c.Via[id] = appendUnique(c.Via[id], a)
			}
		}
	}
	for id := range bb.owners {
		if _, ok := ab.owners[id]; !ok {
			c.Deleted = append(c.Deleted, id)
		}
	}
	sort.Strings(c.Deleted)
	c.Assumptions = append(c.Assumptions, ab.assumptions...)
	return c, nil
}

// supported lists the resource types Convert models.
var supported = map[string]bool{
	"aws_s3_bucket": true, "aws_s3_bucket_policy": true, "aws_s3_bucket_public_access_block": true, "aws_s3_bucket_acl": true,
	"aws_iam_role": true, "aws_iam_role_policy": true, "aws_iam_policy": true, "aws_iam_role_policy_attachment": true,
	"aws_iam_instance_profile": true, "aws_security_group": true, "aws_vpc_security_group_ingress_rule": true,
	"aws_security_group_rule": true, "aws_instance": true, "aws_lambda_function": true, "aws_lambda_permission": true,
	"aws_lambda_function_url": true,
	// IAM users and groups
	"aws_iam_user": true, "aws_iam_group": true, "aws_iam_user_group_membership": true, "aws_iam_group_membership": true,
	"aws_iam_user_policy": true, "aws_iam_group_policy": true, "aws_iam_user_policy_attachment": true,
	"aws_iam_group_policy_attachment": true, "aws_iam_policy_attachment": true, "aws_iam_access_key": true,
	"aws_iam_user_login_profile": true,
	// data stores and their policies
	"aws_db_instance": true, "aws_rds_cluster": true, "aws_rds_cluster_instance": true, "aws_db_subnet_group": true,
	"aws_db_snapshot": true, "aws_db_cluster_snapshot": true, "aws_secretsmanager_secret": true,
	"aws_secretsmanager_secret_policy": true, "aws_kms_key": true, "aws_kms_key_policy": true, "aws_kms_grant": true,
	"aws_sqs_queue": true, "aws_sqs_queue_policy": true, "aws_sns_topic": true, "aws_sns_topic_policy": true,
	// VPC routing
	"aws_vpc": true, "aws_subnet": true, "aws_internet_gateway": true, "aws_internet_gateway_attachment": true,
	"aws_nat_gateway": true, "aws_route_table": true, "aws_route": true, "aws_route_table_association": true,
	"aws_main_route_table_association": true,
}

// SupportedTypes returns the modelled resource types, sorted.
func SupportedTypes() []string {
	out := make([]string, 0, len(supported))
	for t := range supported {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

type resource struct {
	addr string
	typ  string
	obj  object
}

// configRefs maps "address\x00attribute" to the resource addresses its
// configuration expression references (module-local addresses are
// prefixed with the module path).
func configRefs(plan *tfjson.Plan) map[string][]string {
	out := map[string][]string{}
	if plan.Config == nil || plan.Config.RootModule == nil {
		return out
	}
	var walk func(prefix string, m *tfjson.ConfigModule)
	walk = func(prefix string, m *tfjson.ConfigModule) {
		for _, r := range m.Resources {
			if r == nil {
				continue
			}
			for attr, e := range r.Expressions {
				if e == nil || e.ExpressionData == nil {
					continue
				}
				for _, ref := range e.References {
					out[prefix+r.Address+"\x00"+attr] = append(out[prefix+r.Address+"\x00"+attr], prefix+ref)
				}
			}
		}
		for name, call := range m.ModuleCalls {
			if call != nil && call.Module != nil {
				walk(prefix+"module."+name+".", call.Module)
			}
		}
	}
	walk("", plan.Config.RootModule)
	return out
}

func providerRegion(plan *tfjson.Plan) string {
	if plan.Config == nil {
		return ""
	}
	for _, p := range plan.Config.ProviderConfigs {
		if p == nil || p.Name != "aws" || p.Alias != "" {
			continue
		}
		if e, ok := p.Expressions["region"]; ok && e != nil && e.ExpressionData != nil {
			if s, ok := e.ConstantValue.(string); ok {
				return s
			}
		}
	}
	return ""
}

// accountFromPlan takes the account of the first IAM or EC2 ARN a resource
// value carries.
func accountFromPlan(plan *tfjson.Plan) string {
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		for _, side := range []any{rc.Change.Before, rc.Change.After} {
			m, _ := side.(map[string]any)
			if arn, _ := m["arn"].(string); arn != "" {
				parts := strings.SplitN(arn, ":", 6)
				if len(parts) == 6 && len(parts[4]) == 12 {
					return parts[4]
				}
			}
		}
	}
	return ""
}

// PlanAccount returns the AWS account the plan's ARNs name, or "".
func PlanAccount(plan *tfjson.Plan) string {
	if plan == nil {
		return ""
	}
	return accountFromPlan(plan)
}
