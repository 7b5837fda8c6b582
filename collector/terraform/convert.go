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
	azinv "github.com/breachpath/breachpath/collector/azure/inventory"
	gcpinv "github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
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
	// AzureSubscription and AzureTenant place azurerm resources whose ids
	// the plan does not give; GCPProject places google resources.
	AzureSubscription string
	AzureTenant       string
	GCPProject        string
}

// Conversion is a plan as two inventories plus what ties nodes back to
// Terraform.
type Conversion struct {
	Before, After *inventory.Inventory
	// AzureBefore/AzureAfter and GCPBefore/GCPAfter are the azurerm and
	// google resources' inventories (nil when the plan has none).
	AzureBefore, AzureAfter *azinv.Inventory
	GCPBefore, GCPAfter     *gcpinv.Inventory
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
		if HasAWS(plan) {
			c.Assumptions = append(c.Assumptions, "no account id in the plan or --account: resources placed in account 000000000000")
		}
	}
	refs := configRefs(plan)
	// per provider: "aws", "azurerm", "google"
	before, after := map[string][]resource{}, map[string][]resource{}
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		provider, _, _ := strings.Cut(rc.Type, "_")
		if provider != "aws" && provider != "azurerm" && provider != "google" {
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
			before[provider] = append(before[provider], resource{addr: rc.Address, typ: rc.Type, obj: newObject(rc.Change.Before, nil)})
		}
		if rc.Change.After != nil || !a.Delete() {
			if !a.Delete() || a.Replace() {
				after[provider] = append(after[provider], resource{addr: rc.Address, typ: rc.Type, obj: newObject(rc.Change.After, rc.Change.AfterUnknown)})
			}
		}
	}
	sort.Strings(c.Unsupported)
	bb := newBuilder(opts, refs, false)
	c.Before = bb.build(before["aws"])
	ab := newBuilder(opts, refs, true)
	c.After = ab.build(after["aws"])
	c.absorb(bb.owners, ab.owners, bb.via, ab.via, ab.assumptions)
	if len(before["azurerm"])+len(after["azurerm"]) > 0 {
		sub, tenant := azureScope(plan, opts, c)
		bz := newAzBuilder(opts, refs, false, sub, tenant)
		az := newAzBuilder(opts, refs, true, sub, tenant)
		var err error
		if c.AzureBefore, err = bz.build(before["azurerm"]); err != nil {
			return nil, err
		}
		if c.AzureAfter, err = az.build(after["azurerm"]); err != nil {
			return nil, err
		}
		c.absorb(bz.owners, az.owners, bz.via, az.via, az.assumptions)
	}
	if len(before["google"])+len(after["google"]) > 0 {
		project := gcpProject(plan, opts, c)
		bg := newGCPBuilder(opts, refs, false, project)
		ag := newGCPBuilder(opts, refs, true, project)
		c.GCPBefore = bg.build(before["google"])
		c.GCPAfter = ag.build(after["google"])
		c.absorb(bg.owners, ag.owners, bg.via, ag.via, ag.assumptions)
	}
	sort.Strings(c.Deleted)
	return c, nil
}

// Scopes returns the stored scopes a plan lands in: the AWS account (when
// the plan has aws resources), the Azure subscription (azurerm) and the GCP
// project (google), placed as Convert places them.
func Scopes(plan *tfjson.Plan, opts Options) []graph.Scope {
	if plan == nil {
		return nil
	}
	var out []graph.Scope
	seen := map[string]bool{}
	for _, rc := range plan.ResourceChanges {
		if rc != nil {
			p, _, _ := strings.Cut(rc.Type, "_")
			seen[p] = true
		}
	}
	scratch := &Conversion{}
	if seen["aws"] {
		account := opts.AccountID
		if account == "" {
			account = accountFromPlan(plan)
		}
		if account != "" {
			out = append(out, graph.Scope{Cloud: graph.CloudAWS, ID: account})
		}
	}
	if seen["azurerm"] {
		sub, _ := azureScope(plan, opts, scratch)
		out = append(out, graph.Scope{Cloud: graph.CloudAzure, ID: sub})
	}
	if seen["google"] {
		out = append(out, graph.Scope{Cloud: graph.CloudGCP, ID: gcpProject(plan, opts, scratch)})
	}
	return out
}

// HasAWS says the plan changes or holds aws resources.
func HasAWS(plan *tfjson.Plan) bool {
	for _, rc := range plan.ResourceChanges {
		if rc != nil && strings.HasPrefix(rc.Type, "aws_") {
			return true
		}
	}
	return false
}

// absorb merges one provider's two sides into the conversion.
func (c *Conversion) absorb(before, after map[string]string, beforeVia, afterVia map[string][]string, assumptions []string) {
	for id, addr := range before {
		c.Owners[id] = addr
	}
	for id, addr := range after {
		c.Owners[id] = addr
	}
	for _, m := range []map[string][]string{beforeVia, afterVia} {
		for id, addrs := range m {
			for _, a := range addrs {
				c.Via[id] = appendUnique(c.Via[id], a)
			}
		}
	}
	for id := range before {
		if _, ok := after[id]; !ok {
			c.Deleted = append(c.Deleted, id)
		}
	}
	c.Assumptions = append(c.Assumptions, assumptions...)
}

// azureScope returns the subscription and tenant azurerm resources are
// placed in: the options', else the first subscription an id in the plan
// names (tenant: the provider's tenant_id), else placeholders, said.
func azureScope(plan *tfjson.Plan, opts Options, c *Conversion) (sub, tenant string) {
	sub, tenant = strings.ToLower(opts.AzureSubscription), strings.ToLower(opts.AzureTenant)
	if sub == "" {
		sub = subscriptionFromPlan(plan)
	}
	if sub == "" {
		sub = "00000000-0000-0000-0000-000000000000"
		c.Assumptions = append(c.Assumptions, "no subscription id in the plan or --azure-subscription: azurerm resources placed in subscription "+sub)
	}
	if tenant == "" {
		tenant = providerConstant(plan, "azurerm", "tenant_id")
	}
	if tenant == "" {
		tenant = "tenant"
	}
	return sub, strings.ToLower(tenant)
}

// subscriptionFromPlan takes the subscription of the first ARM id a
// resource value carries.
func subscriptionFromPlan(plan *tfjson.Plan) string {
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil || !strings.HasPrefix(rc.Type, "azurerm_") {
			continue
		}
		for _, side := range []any{rc.Change.Before, rc.Change.After} {
			m, _ := side.(map[string]any)
			for _, k := range []string{"id", "scope", "resource_group_id"} {
				if v, _ := m[k].(string); strings.HasPrefix(strings.ToLower(v), "/subscriptions/") {
					rest := v[len("/subscriptions/"):]
					sub, _, _ := strings.Cut(rest, "/")
					return strings.ToLower(sub)
				}
			}
		}
	}
	return providerConstant(plan, "azurerm", "subscription_id")
}

// providerConstant returns a constant attribute of a provider's default
// configuration.
func providerConstant(plan *tfjson.Plan, name, attr string) string {
	if plan.Config == nil {
		return ""
	}
	for _, p := range plan.Config.ProviderConfigs {
		if p == nil || p.Name != name || p.Alias != "" {
			continue
		}
		if e, ok := p.Expressions[attr]; ok && e != nil && e.ExpressionData != nil {
			if s, ok := e.ConstantValue.(string); ok {
				return s
			}
		}
	}
	return ""
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
	// azurerm
	"azurerm_network_security_group": true, "azurerm_network_security_rule": true, "azurerm_public_ip": true,
	"azurerm_network_interface": true, "azurerm_network_interface_security_group_association": true,
	"azurerm_linux_virtual_machine": true, "azurerm_windows_virtual_machine": true, "azurerm_user_assigned_identity": true,
	"azurerm_role_assignment": true, "azurerm_role_definition": true, "azurerm_storage_account": true,
	"azurerm_storage_container": true, "azurerm_key_vault": true, "azurerm_key_vault_access_policy": true,
	"azurerm_key_vault_secret": true,
	// google
	"google_project_iam_member": true, "google_project_iam_binding": true, "google_project_iam_policy": true,
	"google_folder_iam_member": true, "google_folder_iam_binding": true, "google_organization_iam_member": true,
	"google_organization_iam_binding": true, "google_service_account": true, "google_service_account_iam_member": true,
	"google_service_account_iam_binding": true, "google_compute_instance": true, "google_compute_firewall": true,
	"google_compute_network": true, "google_storage_bucket": true, "google_storage_bucket_iam_member": true,
	"google_storage_bucket_iam_binding": true, "google_secret_manager_secret": true,
	"google_secret_manager_secret_iam_member": true, "google_secret_manager_secret_iam_binding": true,
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
				key := prefix + r.Address + "\x00" + attr
				for _, ref := range expressionRefs(e, 0) {
					out[key] = append(out[key], prefix+ref)
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

// expressionRefs returns an expression's references, those of its nested
// blocks (a route, an identity, an ip_configuration block) included.
func expressionRefs(e *tfjson.Expression, depth int) []string {
	if e == nil || e.ExpressionData == nil || depth > 8 {
		return nil
	}
	out := append([]string(nil), e.References...)
	for _, block := range e.NestedBlocks {
		for _, inner := range block {
			out = append(out, expressionRefs(inner, depth+1)...)
		}
	}
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
