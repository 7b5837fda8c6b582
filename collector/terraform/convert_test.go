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

func TestAzurermResourcesBecomeARMRecordsTheAzureCollectorReads(t *testing.T) {
	const rg = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/app"
	p := planOf(t, map[string]map[string]any{
		"azurerm_key_vault.kv": {"name": "kv", "resource_group_name": "app", "location": "westeurope", "enable_rbac_authorization": false,
			"access_policy": []any{map[string]any{"object_id": "00000000-0000-0000-0000-0000000000aa", "secret_permissions": []any{"Get"}}}},
		"azurerm_key_vault_secret.db":          {"name": "db-password", "key_vault_id": rg + "/providers/Microsoft.KeyVault/vaults/kv"},
		"azurerm_linux_virtual_machine.vm":     {"name": "vm", "resource_group_name": "app", "identity": []any{map[string]any{"type": "SystemAssigned"}}},
		"azurerm_key_vault_access_policy.vm":   {"key_vault_id": rg + "/providers/Microsoft.KeyVault/vaults/kv", "secret_permissions": []any{"Get", "List"}},
		"azurerm_role_definition.reader":       {"name": "blob reader", "scope": "/subscriptions/11111111-2222-3333-4444-555555555555", "permissions": []any{map[string]any{"data_actions": []any{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}}}},
		"azurerm_role_assignment.vm_reader":    {"scope": "/subscriptions/11111111-2222-3333-4444-555555555555"},
		"azurerm_user_assigned_identity.spare": {"name": "spare", "resource_group_name": "app"},
	}, map[string]map[string]any{
		"azurerm_linux_virtual_machine.vm":     {"id": true, "identity": []any{map[string]any{"principal_id": true}}},
		"azurerm_key_vault_access_policy.vm":   {"object_id": true},
		"azurerm_role_assignment.vm_reader":    {"principal_id": true, "role_definition_id": true},
		"azurerm_role_definition.reader":       {"role_definition_id": true},
		"azurerm_user_assigned_identity.spare": {"principal_id": true},
	}, map[string][]string{
		"azurerm_key_vault_access_policy.vm|object_id":         {"azurerm_linux_virtual_machine.vm.identity[0].principal_id", "azurerm_linux_virtual_machine.vm"},
		"azurerm_role_assignment.vm_reader|principal_id":       {"azurerm_linux_virtual_machine.vm.identity[0].principal_id", "azurerm_linux_virtual_machine.vm"},
		"azurerm_role_assignment.vm_reader|role_definition_id": {"azurerm_role_definition.reader.role_definition_resource_id", "azurerm_role_definition.reader"},
	})
	c, err := Convert(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv := c.AzureAfter
	if inv == nil {
		t.Fatal("no Azure inventory")
	}
	vmPrincipal := "tf-azurerm-linux-virtual-machine-vm"
	kv := inv.Resources[strings.ToLower(rg+"/providers/Microsoft.KeyVault/vaults/kv")]
	if kv == nil || !strings.Contains(string(kv.Properties), `"objectId":"`+vmPrincipal+`"`) || !strings.Contains(string(kv.Properties), "0000000000aa") {
		t.Errorf("vault %+v: want both access policies, the VM's by its identity", kv)
	}
	if inv.Resources[strings.ToLower(rg+"/providers/Microsoft.KeyVault/vaults/kv/secrets/db-password")] == nil {
		t.Error("the secret is not under its vault")
	}
	vm := inv.Resources[strings.ToLower(rg+"/providers/Microsoft.Compute/virtualMachines/vm")]
	if vm == nil || vm.Identity == nil || vm.Identity.PrincipalID != vmPrincipal {
		t.Errorf("vm %+v: want a system identity with the placeholder principal", vm)
	}
	if len(inv.RoleAssignments) != 1 || inv.RoleAssignments[0].PrincipalID != vmPrincipal ||
		inv.RoleAssignments[0].RoleDefinitionID != "/providers/microsoft.authorization/roledefinitions/tf-azurerm-role-definition-reader" {
		t.Errorf("assignments %+v: want the VM identity assigned the planned custom role", inv.RoleAssignments)
	}
	if len(inv.RoleDefinitions) != 1 || inv.RoleDefinitions[0].RoleName != "blob reader" {
		t.Errorf("role definitions %+v", inv.RoleDefinitions)
	}
	if c.Owners[strings.ToLower(rg+"/providers/Microsoft.Compute/virtualMachines/vm")] != "azurerm_linux_virtual_machine.vm" {
		t.Errorf("owners %v", c.Owners)
	}
}

func TestGoogleResourcesBecomeAssetsTheGCPCollectorReads(t *testing.T) {
	p := planOf(t, map[string]map[string]any{
		"google_service_account.ci":           {"account_id": "ci", "project": "acme"},
		"google_project_iam_member.ci_editor": {"project": "acme", "role": "roles/editor"},
		"google_folder_iam_binding.admins":    {"folder": "folders/42", "role": "roles/owner", "members": []any{"group:admins@acme.example"}},
		"google_service_account_iam_member.x": {"service_account_id": "projects/acme/serviceAccounts/ci@acme.iam.gserviceaccount.com", "role": "roles/iam.serviceAccountTokenCreator", "member": "allUsers"},
		"google_compute_network.vpc":          {"name": "vpc", "project": "acme", "auto_create_subnetworks": false},
		"google_compute_firewall.ssh": {"name": "ssh", "project": "acme", "allow": []any{map[string]any{"protocol": "tcp", "ports": []any{"22"}}},
			"target_tags": []any{"ssh"}},
	}, map[string]map[string]any{
		"google_service_account.ci":           {"email": true},
		"google_project_iam_member.ci_editor": {"member": true},
		"google_compute_firewall.ssh":         {"source_ranges": true, "network": true},
	}, map[string][]string{
		"google_project_iam_member.ci_editor|member": {"google_service_account.ci.email", "google_service_account.ci"},
		"google_compute_firewall.ssh|network":        {"google_compute_network.vpc.name", "google_compute_network.vpc"},
	})
	c, err := Convert(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv := c.GCPAfter
	if inv == nil {
		t.Fatal("no GCP inventory")
	}
	proj := inv.Assets["//cloudresourcemanager.googleapis.com/projects/acme"]
	if proj == nil || proj.IAMPolicy == nil || !slices.Equal(proj.IAMPolicy.Bindings[0].Members, []string{"serviceAccount:ci@acme.iam.gserviceaccount.com"}) {
		t.Fatalf("project %+v: want the editor binding of the planned service account", proj)
	}
	if !slices.Contains(proj.Ancestors, "folders/42") {
		t.Errorf("project ancestors %q: a folder the plan grants on is assumed above the project", proj.Ancestors)
	}
	if sa := inv.Assets["//iam.googleapis.com/projects/acme/serviceAccounts/ci@acme.iam.gserviceaccount.com"]; sa == nil || sa.IAMPolicy == nil {
		t.Errorf("service account %+v: want its resource and its IAM policy in one asset", sa)
	}
	fw := inv.Assets["//compute.googleapis.com/projects/acme/global/firewalls/ssh"]
	if fw == nil || !strings.Contains(string(fw.Resource.Data), `"sourceRanges":["0.0.0.0/0"]`) || !strings.Contains(string(fw.Resource.Data), "/global/networks/vpc") {
		t.Errorf("firewall %s: want the unknown source assumed open and the planned network", fw.Resource.Data)
	}
	for _, want := range []string{"google_compute_firewall.ssh source_ranges is unknown until apply: assumed 0.0.0.0/0", "google_folder_iam_binding.admins: the plan does not say where project acme sits; it is assumed under folders/42"} {
		if !slices.Contains(c.Assumptions, want) {
			t.Errorf("assumptions %q lack %q", c.Assumptions, want)
		}
	}
}
