package transform

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of public data access and internet-facing data endpoints.
const (
	TechAnonymousBlob   = "azure.storage.anonymous-blob-read"
	TechAnonymousACR    = "azure.acr.anonymous-pull"
	TechSQLFirewallOpen = "azure.sql.firewall-open"
	TechSQLAzureAccess  = "azure.sql.allow-azure-services"
)

// storageInfo is what RBAC moves need about a storage account.
type storageInfo struct {
	id         string
	sharedKey  bool // shared key (account key, SAS) authorization allowed
	containers []string
	net        *paasNet
}

// vaultInfo is what RBAC moves need about a Key Vault.
type vaultInfo struct {
	id       string
	rbacMode bool
	policies []inventory.AccessPolicy
	secrets  []string
	keys     []string
}

// data adds storage accounts and containers, Key Vaults with their secrets
// and keys (metadata only), SQL servers and databases, Cosmos DB accounts
// and container registries, and their findings.
func (b *builder) data() {
	b.storage = map[string]*storageInfo{}
	b.vaults = map[string]*vaultInfo{}
	b.sqlServers = map[string][]string{}
	for _, r := range b.inv.OfType(inventory.TypeStorageAccount) {
		b.storageAccount(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeBlobContainer) {
		b.blobContainer(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeKeyVault) {
		b.keyVault(r)
	}
	for _, t := range []string{inventory.TypeKeyVaultSecret, inventory.TypeKeyVaultKey} {
		for _, r := range b.inv.OfType(t) {
			b.vaultItem(r)
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeSQLServer) {
		b.sqlServer(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeSQLDatabase) {
		srv := inventory.Parent(r.ID)
		if _, ok := b.nodes[srv]; !ok || strings.HasSuffix(r.ID, "/databases/master") {
			continue
		}
		if n := b.resource(r, graph.KindDatabase, "Microsoft.Sql/servers/databases", srv); n != nil {
			b.sqlServers[srv] = append(b.sqlServers[srv], r.ID)
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeSQLFirewallRule) {
		b.sqlFirewallRule(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeCosmosAccount) {
		var p inventory.CosmosProps
		_ = r.Decode(&p)
		n := b.resource(r, graph.KindDatabase, "Microsoft.DocumentDB/databaseAccounts", "")
		if n == nil {
			continue
		}
		n.Props["local_auth"] = p.DisableLocalAuth == nil || !*p.DisableLocalAuth
		if !strings.EqualFold(p.PublicNetworkAccess, "Disabled") && len(p.IPRules) == 0 && !p.IsVirtualNetworkFilterEnabled {
			b.finding("azure.cosmosdb.public-network", r.ID, "publicNetworkAccess enabled with no IP or virtual network rules")
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeACR) {
		var p inventory.ACRProps
		_ = r.Decode(&p)
		n := b.resource(r, graph.KindRegistry, "Microsoft.ContainerRegistry/registries", "")
		if n == nil {
			continue
		}
		n.Props["admin_user_enabled"] = p.AdminUserEnabled
		if p.AdminUserEnabled {
			b.finding("azure.acr.admin-user-enabled", r.ID, "adminUserEnabled is true")
		}
		if p.AnonymousPullEnabled {
			f := b.finding("azure.acr.anonymous-pull", r.ID, "anonymousPullEnabled is true")
			if net := acrNet(r.ID, &p); !net.disabled {
				ev := []string{"registry " + r.Name + " allows anonymous (unauthenticated) pull"}
				lk := 0.95
				if !net.public {
					ev = append(ev, "network rules restrict the registry ("+net.why+"): only the allowed networks reach it")
					lk = 0.5
				}
				b.move(graph.Edge{From: b.anonymous(), To: r.ID, Kind: graph.EdgeReads, Technique: TechAnonymousACR, Likelihood: lk,
					Evidence: ev, Findings: []string{f}, Conditional: !net.public})
			}
		}
	}
}

// anonymous returns the id of the anonymous principal, adding its stub.
func (b *builder) anonymous() string {
	b.stub(graph.Node{ID: AnonymousID, Kind: graph.KindExternalPrincipal, Name: "anonymous", Region: "global", Service: "external",
		Props: graph.Props{graph.PropAnonymous: true}})
	return AnonymousID
}

func (b *builder) storageAccount(r *inventory.Resource) {
	var p inventory.StorageAccountProps
	if err := r.Decode(&p); err != nil {
		b.warn("storage account %s: %v", r.ID, err)
		return
	}
	n := b.resource(r, graph.KindBucket, "Microsoft.Storage/storageAccounts", "")
	if n == nil {
		return
	}
	si := &storageInfo{id: r.ID, sharedKey: p.AllowSharedKeyAccess == nil || *p.AllowSharedKeyAccess, net: storageNet(r.ID, &p)}
	b.storage[r.ID] = si
	n.Props["shared_key_access"] = si.sharedKey
	// allowBlobPublicAccess absent means the pre-2023 default: allowed.
	publicAllowed := p.AllowBlobPublicAccess == nil || *p.AllowBlobPublicAccess
	n.Props["allow_blob_public_access"] = publicAllowed
	n.Props["public_network"] = si.net.public
	if publicAllowed {
		b.finding("azure.storage.blob-public-access-allowed", r.ID, "allowBlobPublicAccess is not false")
	}
	if si.sharedKey {
		b.finding("azure.storage.shared-key-access", r.ID, "allowSharedKeyAccess is not false: account keys and SAS tokens authorize every request")
	}
	if si.sharedKey {
		b.sasAndKeyPolicy(r.ID, &p)
	}
	if p.SupportsHTTPSTrafficOnly != nil && !*p.SupportsHTTPSTrafficOnly {
		b.finding("azure.storage.secure-transfer-disabled", r.ID, "supportsHttpsTrafficOnly is false")
	}
	if si.net.public {
		b.finding("azure.storage.network-default-allow", r.ID, si.net.why)
	}
}

// sasAndKeyPolicy checks the expiry policies of an account that accepts
// shared keys (without shared key access neither keys nor account SAS work,
// so neither policy matters). CIS 3.6 asks SAS tokens to expire within an
// hour, CIS 3.3/3.4 for key rotation reminders and regeneration every 90 days.
func (b *builder) sasAndKeyPolicy(id string, p *inventory.StorageAccountProps) {
	switch {
	case p.SASPolicy == nil || p.SASPolicy.SASExpirationPeriod == "":
		b.finding("azure.storage.no-sas-expiration-policy", id, "no sasPolicy: SAS tokens can be issued with any lifetime")
	default:
		if d, ok := sasPeriod(p.SASPolicy.SASExpirationPeriod); !ok || d > time.Hour {
			b.finding("azure.storage.sas-expiration-long", id, "sasPolicy.sasExpirationPeriod is "+p.SASPolicy.SASExpirationPeriod+" (action "+firstNonEmpty(p.SASPolicy.ExpirationAction, "Log")+")")
		}
	}
	switch {
	case p.KeyPolicy == nil || p.KeyPolicy.KeyExpirationPeriodInDays <= 0:
		b.finding("azure.storage.no-key-expiration-policy", id, "no keyPolicy: account keys have no rotation reminder and never expire")
	case p.KeyPolicy.KeyExpirationPeriodInDays > 90:
		b.finding("azure.storage.key-expiration-long", id, fmt.Sprintf("keyPolicy.keyExpirationPeriodInDays is %d", p.KeyPolicy.KeyExpirationPeriodInDays))
	}
}

// sasPeriod parses a sasExpirationPeriod ("DD.HH:MM:SS", the days part
// optional).
func sasPeriod(v string) (time.Duration, bool) {
	days := 0
	if i := strings.Index(v, "."); i >= 0 {
		n, err := strconv.Atoi(v[:i])
		if err != nil || n < 0 {
			return 0, false
		}
		days, v = n, v[i+1:]
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return 0, false
	}
	var hms [3]int
	for i, x := range parts {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			return 0, false
		}
		hms[i] = n
	}
	return time.Duration(days)*24*time.Hour + time.Duration(hms[0])*time.Hour + time.Duration(hms[1])*time.Minute + time.Duration(hms[2])*time.Second, true
}

func (b *builder) blobContainer(r *inventory.Resource) {
	var p inventory.ContainerProps
	_ = r.Decode(&p)
	acctID := strings.ToLower(r.ID[:max(0, strings.Index(r.ID, "/blobservices/"))])
	si := b.storage[acctID]
	acct := b.nodes[acctID]
	if si == nil || acct == nil {
		return
	}
	n := b.resource(r, graph.KindBucket, "Microsoft.Storage/storageAccounts/blobServices/containers", acctID)
	if n == nil {
		return
	}
	n.Tags = acct.Tags
	n.Sensitivity = max(n.Sensitivity, acct.Sensitivity)
	access := strings.ToLower(firstNonEmpty(p.PublicAccess, "none"))
	n.Props["public_access"] = access
	si.containers = append(si.containers, r.ID)
	if access == "none" || acct.Props["allow_blob_public_access"] != true {
		return
	}
	if si.net.disabled {
		// Anonymous requests would have to come through a private
		// endpoint: nobody on the Internet reaches the container.
		n.Props["anonymous_from_internet"] = false
		return
	}
	what := "anonymous read of blobs by URL"
	if access == "container" {
		what = "anonymous listing and read of every blob"
	}
	f := b.finding("azure.storage.container-public-access", r.ID, "public access level '"+access+"': "+what)
	fa := b.finding("azure.storage.blob-public-access-allowed", acctID, "")
	lk := 0.95
	if access == "blob" {
		lk = 0.6 // blob names must be known or guessed
	}
	ev := []string{"container " + r.Name + " public access level is '" + access + "' and account " + acct.Name + " allows blob public access"}
	conditional := false
	if !si.net.public {
		ev = append(ev, "network rules restrict the account ("+si.net.why+"): only the allowed networks reach it")
		lk *= 0.5
		conditional = true
	}
	if v := r.AnonymousListVerified; v != nil {
		n.Props["anonymous_list_verified"] = *v
		if *v {
			ev = append(ev, "verified: an anonymous List Blobs request on the container answered")
			lk = 1
		} else {
			ev = append(ev, "an anonymous List Blobs request on the container was refused when verified")
			lk = min(lk, 0.3)
		}
	}
	b.move(graph.Edge{From: b.anonymous(), To: r.ID, Kind: graph.EdgeReads, Technique: TechAnonymousBlob, Likelihood: lk,
		Evidence: ev, Findings: []string{f, fa}, Conditional: conditional})
}

func (b *builder) keyVault(r *inventory.Resource) {
	var p inventory.KeyVaultProps
	if err := r.Decode(&p); err != nil {
		b.warn("key vault %s: %v", r.ID, err)
		return
	}
	n := b.resource(r, graph.KindKey, "Microsoft.KeyVault/vaults", "")
	if n == nil {
		return
	}
	vi := &vaultInfo{id: r.ID, rbacMode: p.EnableRBACAuthorization, policies: p.AccessPolicies}
	b.vaults[r.ID] = vi
	n.Props["rbac_authorization"] = p.EnableRBACAuthorization
	n.Props["access_policies"] = int64(len(p.AccessPolicies))
	if !p.EnableRBACAuthorization {
		b.finding("azure.keyvault.rbac-disabled", r.ID, "enableRbacAuthorization is false: access policies authorize data access")
	}
	if p.EnablePurgeProtection == nil || !*p.EnablePurgeProtection {
		b.finding("azure.keyvault.purge-protection-disabled", r.ID, "enablePurgeProtection is not true")
	}
	if !strings.EqualFold(p.PublicNetworkAccess, "Disabled") && (p.NetworkACLs == nil || !strings.EqualFold(p.NetworkACLs.DefaultAction, "Deny")) {
		b.finding("azure.keyvault.public-network", r.ID, "public network access enabled with networkAcls.defaultAction Allow")
	}
}

func (b *builder) vaultItem(r *inventory.Resource) {
	vault := inventory.Parent(r.ID)
	vi := b.vaults[vault]
	if vi == nil {
		return
	}
	var p inventory.SecretProps
	_ = r.Decode(&p)
	secret := r.Type == inventory.TypeKeyVaultSecret
	kind, native := graph.KindKey, "Microsoft.KeyVault/vaults/keys"
	if secret {
		kind, native = graph.KindSecret, "Microsoft.KeyVault/vaults/secrets"
	}
	n := b.resource(r, kind, native, vault)
	if n == nil {
		return
	}
	if p.Attributes.Enabled != nil {
		n.Props["enabled"] = *p.Attributes.Enabled
	}
	if secret {
		// Metadata only: the inventory never holds a secret value.
		n.CrownJewel = true
		n.Sensitivity = max(n.Sensitivity, graph.SensitivityConfidential)
		vi.secrets = append(vi.secrets, r.ID)
	} else {
		vi.keys = append(vi.keys, r.ID)
	}
	if p.Attributes.Expires == nil {
		rule := "azure.keyvault.secret-no-expiry"
		if !secret {
			rule = "azure.keyvault.key-no-expiry"
		}
		b.finding(rule, r.ID, "attributes.exp is not set")
	} else if time.Unix(*p.Attributes.Expires, 0).Before(b.opts.Now) {
		n.Props["expired"] = true
	}
}

func (b *builder) sqlServer(r *inventory.Resource) {
	var p inventory.SQLServerProps
	_ = r.Decode(&p)
	n := b.resource(r, graph.KindDatabase, "Microsoft.Sql/servers", "")
	if n == nil {
		return
	}
	n.Props["fqdn"] = p.FQDN
	n.Props["public_network"] = !strings.EqualFold(p.PublicNetworkAccess, "Disabled")
	b.sqlServers[r.ID] = nil
}

// sqlFirewallRule draws Internet exposure of a SQL server whose firewall
// admits the whole Internet (or a very wide range), and the "Allow Azure
// services" rule (0.0.0.0-0.0.0.0), which admits any Azure tenant's code.
func (b *builder) sqlFirewallRule(r *inventory.Resource) {
	srv := inventory.Parent(r.ID)
	n, ok := b.nodes[srv]
	if !ok || n.Stub || n.Props["public_network"] != true {
		return
	}
	var p inventory.SQLFirewallRuleProps
	_ = r.Decode(&p)
	start, err1 := netip.ParseAddr(p.StartIPAddress)
	end, err2 := netip.ParseAddr(p.EndIPAddress)
	if err1 != nil || err2 != nil {
		return
	}
	props := graph.Props{"ports": []string{"tcp/1433"}}
	if start.IsUnspecified() && end.IsUnspecified() {
		b.internet()
		f := b.finding("azure.sql.allow-azure-services", srv, "firewall rule "+r.Name+" 0.0.0.0-0.0.0.0 admits every Azure service, any tenant's included")
		for _, to := range b.netTargets(srv) {
			b.move(graph.Edge{From: graph.InternetID, To: to, Kind: graph.EdgeExposedTo, Technique: TechSQLAzureAccess, Likelihood: 0.4, Props: props,
				Evidence: []string{"firewall rule " + r.Name + " allows Azure services: code in any Azure subscription reaches " + n.Name + " on 1433"}, Findings: []string{f}})
		}
		return
	}
	if rangeSize(start, end) < 1<<24 { // narrower than a /8: a named network, not the Internet
		return
	}
	f := b.finding("azure.sql.firewall-open-internet", srv, "firewall rule "+r.Name+" admits "+p.StartIPAddress+"-"+p.EndIPAddress)
	b.internet()
	for _, to := range b.netTargets(srv) {
		b.move(graph.Edge{From: graph.InternetID, To: to, Kind: graph.EdgeExposedTo, Technique: TechSQLFirewallOpen, Likelihood: 0.7, Props: props,
			Evidence: []string{"firewall rule " + r.Name + " admits " + p.StartIPAddress + "-" + p.EndIPAddress + " to " + n.Name + " on 1433"}, Findings: []string{f}})
	}
}

// rangeSize returns the number of IPv4 addresses in [a, c] (capped).
func rangeSize(a, c netip.Addr) uint64 {
	if !a.Is4() || !c.Is4() {
		return 0
	}
	x, y := a.As4(), c.As4()
	av := uint64(x[0])<<24 | uint64(x[1])<<16 | uint64(x[2])<<8 | uint64(x[3])
	cv := uint64(y[0])<<24 | uint64(y[1])<<16 | uint64(y[2])<<8 | uint64(y[3])
	if cv < av {
		return 0
	}
	return cv - av + 1
}

// internet adds the Internet stub.
func (b *builder) internet() string {
	b.stub(graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Region: "global", Service: "internet"})
	return graph.InternetID
}

// TechStorageConnectionString is a storage connection string with the
// account key (or a SAS) in an app's settings: whoever reads the setting
// reads and writes the account's data.
const TechStorageConnectionString = "azure.storage.connection-string"

// connectionStrings draws, from each app setting holding a storage
// connection string with a key, READS and WRITES to the containers of the
// account it names, when the account accepts shared keys.
func (b *builder) connectionStrings() {
	byName := map[string]*storageInfo{}
	for id, si := range b.storage {
		byName[id[strings.LastIndex(id, "/")+1:]] = si
	}
	for _, r := range b.inv.OfType(inventory.TypeWebSite) {
		for _, name := range sortedKeys(r.AppSettingStorageAccounts) {
			si := byName[r.AppSettingStorageAccounts[name]]
			sid := r.ID + "/config/appsettings/" + strings.ToLower(name)
			if si == nil || !si.sharedKey || b.nodes[sid] == nil {
				continue
			}
			targets := si.containers
			if len(targets) == 0 {
				targets = []string{si.id}
			}
			fs := []string{graph.FindingID("azure.appservice.secret-in-app-settings", r.ID), graph.FindingID("azure.storage.shared-key-access", si.id)}
			ev := []string{"setting " + name + " of " + r.Name + " is a connection string with the key of storage account " + short(si.id) + " (the value is never stored)"}
			for _, c := range targets {
				b.move(graph.Edge{From: sid, To: c, Kind: graph.EdgeReads, Technique: TechStorageConnectionString, Likelihood: 0.9, Evidence: ev, Findings: fs})
				b.move(graph.Edge{From: sid, To: c, Kind: graph.EdgeWrites, Technique: TechStorageConnectionString, Likelihood: 0.85, Evidence: ev, Findings: fs})
			}
		}
	}
}
