package entitlements

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph/entitlement"
)

const rg = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/app"

func TestAnalyzeReportsScopesGroupsWildcardsAndCredentials(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	inv := inventory.New("tenant", now)
	inv.AddSubscription(inventory.Subscription{ID: "00000000-0000-0000-0000-0000000000aa"})
	inv.Entra.Groups = []inventory.Group{{ID: "g-ops", Members: []string{"u-alice"}}}
	inv.Entra.Users = []inventory.User{{ID: "u-alice", LastSignIn: now.Add(-200 * 24 * time.Hour)}}
	inv.Entra.SignInRead = true
	inv.Entra.ServicePrincipals = []inventory.ServicePrincipal{{ID: "sp-ci", AppID: "app-ci",
		Credentials: []inventory.Credential{{KeyID: "0123456789", Kind: "password", Start: now.Add(-400 * 24 * time.Hour), End: now.Add(24 * time.Hour)}}}}
	inv.RoleAssignments = []inventory.RoleAssignment{
		{ID: "ra-owner", Scope: "/subscriptions/00000000-0000-0000-0000-0000000000aa", RoleDefinitionID: "/x/" + rbac.RoleOwner, PrincipalID: "sp-ci"},
		{ID: "ra-contrib", Scope: rg, RoleDefinitionID: "/x/" + rbac.RoleContributor, PrincipalID: "g-ops"},
		{ID: "ra-kv", Scope: rg, RoleDefinitionID: "/x/" + rbac.RoleKeyVaultSecretsUser, PrincipalID: "u-alice", Condition: "@Resource[...] StringEquals 'x'"},
	}
	node := func(oid string) string { return "/tenants/tenant/x/" + oid }
	ents, _, err := Analyze(inv, node, now)
	if err != nil {
		t.Fatal(err)
	}
	sp := ents[node("sp-ci")]
	if sp == nil || len(sp.Wildcards) != 1 || !strings.Contains(strings.Join(sp.Wildcards[0].Kinds, ","), entitlement.WildcardAllActions) ||
		!strings.Contains(strings.Join(sp.Wildcards[0].Kinds, ","), entitlement.WildcardResource) {
		t.Fatalf("owner at subscription: wildcards %+v", sp)
	}
	if len(sp.Credentials) != 1 || sp.Credentials[0].Kind != entitlement.CredentialAccessKey || !sp.Credentials[0].Active || sp.Credentials[0].ID != "…6789" {
		t.Fatalf("service principal credentials %+v", sp.Credentials)
	}
	alice := ents[node("u-alice")]
	if alice == nil {
		t.Fatal("group member without entitlements")
	}
	var viaGroup, conditional bool
	for _, s := range alice.Sources {
		viaGroup = viaGroup || (s.Kind == entitlement.SourceGroup && s.Via == "g-ops" && s.PolicyName == "Contributor")
		conditional = conditional || (s.PolicyName == "Key Vault Secrets User" && s.Conditional)
	}
	if !viaGroup || !conditional {
		t.Fatalf("alice sources %+v", alice.Sources)
	}
	var data *entitlement.ServiceEntitlement
	for i := range alice.Services {
		if alice.Services[i].Service == "Microsoft.KeyVault"+DataSuffix {
			data = &alice.Services[i]
		}
	}
	if data == nil || data.Conditional == 0 || data.Total != 0 {
		t.Fatalf("conditional data grant: %+v", alice.Services)
	}
	if c := alice.Credentials; len(c) != 1 || !c[0].UsageKnown || !c[0].LastUsed.Equal(now.Add(-200*24*time.Hour)) {
		t.Fatalf("alice credentials %+v", c)
	}
}

func TestPolicyWriterWritesACustomRoleWithExactlyTheKeptPatterns(t *testing.T) {
	s, err := PolicyWriter{}.LeastPrivilege([]entitlement.Keep{
		{Service: "Microsoft.Storage", Actions: []string{"Microsoft.Storage/storageAccounts/read"}},
		{Service: "Microsoft.Storage" + DataSuffix, Actions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}},
		{Service: "Microsoft.Web", All: true, Except: []string{"Microsoft.Web/sites/delete"}},
	}, 40)
	if err != nil {
		t.Fatal(err)
	}
	var doc roleDoc
	if err := json.Unmarshal([]byte(s.Policy), &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Join(doc.Actions, ",") != "Microsoft.Storage/storageAccounts/read,Microsoft.Web/*" ||
		strings.Join(doc.DataActions, ",") != "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read" ||
		strings.Join(doc.NotActions, ",") != "Microsoft.Web/sites/delete" || !doc.IsCustom || s.Removed != 40 {
		t.Fatalf("role = %+v", doc)
	}
	for _, bad := range [][]entitlement.Keep{
		{{Service: "*", All: true}},
		{{Service: "Microsoft.Storage", Actions: []string{"Microsoft.Compute/virtualMachines/read"}}},
	} {
		if _, err := (PolicyWriter{}).LeastPrivilege(bad, 0); err == nil {
			t.Errorf("LeastPrivilege(%+v) granted what was not asked for", bad)
		}
	}
}
