package transform

import (
	"regexp"
	"sort"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/secrets"
)

// Techniques of workload identity moves.
const (
	TechVMIdentity         = "azure.compute.imds-managed-identity-token"
	TechAppServiceIdentity = "azure.appservice.managed-identity-token"
	TechAutomationIdentity = "azure.automation.managed-identity-token"
	TechLogicAppIdentity   = "azure.logic.managed-identity-token"
	TechAKSKubeletIdentity = "azure.aks.kubelet-identity-token"
	TechWorkloadSetting    = "azure.appservice.app-setting-secret"
	TechAutomationVariable = "azure.automation.variable-read"
	TechWorkloadIdentity   = "azure.managedidentity.workload-token"
)

// workloadTech maps a workload's ARM type to the technique by which code on
// it obtains its managed identity's tokens.
var workloadTech = map[string]string{
	inventory.TypeVM:                TechVMIdentity,
	inventory.TypeVMSS:              TechVMIdentity,
	inventory.TypeWebSite:           TechAppServiceIdentity,
	inventory.TypeAutomationAccount: TechAutomationIdentity,
	inventory.TypeLogicApp:          TechLogicAppIdentity,
}

// compute adds managed identities, virtual machines and scale sets, App
// Service and Function apps, Automation accounts and AKS clusters, with the
// identities they run as.
func (b *builder) compute() {
	b.principalIDs = map[string]string{}
	for _, r := range b.inv.OfType(inventory.TypeUserAssignedID) {
		var p inventory.UserAssignedIDProps
		_ = r.Decode(&p)
		n := b.resource(r, graph.KindServiceAccount, "Microsoft.ManagedIdentity/userAssignedIdentities", "")
		if n == nil {
			continue
		}
		n.Props["principal_id"] = strings.ToLower(p.PrincipalID)
		n.Props["client_id"] = strings.ToLower(p.ClientID)
		if p.PrincipalID != "" {
			b.principalIDs[strings.ToLower(p.PrincipalID)] = r.ID
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeFederatedCredential) {
		var p inventory.FederatedCredentialProps
		_ = r.Decode(&p)
		mi := inventory.Parent(r.ID)
		if n, ok := b.nodes[mi]; ok && !n.Stub {
			n.Props["federated_issuers"] = union(stringList(n.Props["federated_issuers"]), []string{p.Issuer})
			n.Props["federated_subjects"] = union(stringList(n.Props["federated_subjects"]), []string{p.Subject})
		}
	}
	exts := map[string][]string{}
	for _, r := range b.inv.OfType(inventory.TypeVMExtension) {
		var p inventory.ExtensionProps
		_ = r.Decode(&p)
		vm := inventory.Parent(r.ID)
		exts[vm] = append(exts[vm], p.Publisher+"."+p.Type)
	}
	for _, r := range b.inv.OfType(inventory.TypeVM) {
		var p inventory.VMProps
		if err := r.Decode(&p); err != nil {
			b.warn("virtual machine %s: %v", r.ID, err)
			continue
		}
		n := b.resource(r, graph.KindCompute, "Microsoft.Compute/virtualMachines", "")
		if n == nil {
			continue
		}
		os := strings.ToLower(p.StorageProfile.OSDisk.OSType)
		if os == "" && p.OSProfile.LinuxConfiguration != nil {
			os = "linux"
		}
		n.Props["os"] = os
		if e := exts[r.ID]; len(e) > 0 {
			sort.Strings(e)
			n.Props["extensions"] = e
		}
		if lc := p.OSProfile.LinuxConfiguration; lc != nil && !lc.DisablePasswordAuthentication {
			n.Props["password_auth"] = true
			b.finding("azure.compute.vm-password-auth", r.ID, "osProfile.linuxConfiguration.disablePasswordAuthentication is false")
		}
		for _, nic := range p.NetworkProfile.NetworkInterfaces {
			id := nic.LID()
			b.vmNICs[r.ID] = append(b.vmNICs[r.ID], id)
			b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeHasInterface, id})
		}
		b.workloadIdentities(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeVMSS) {
		if n := b.resource(r, graph.KindCompute, "Microsoft.Compute/virtualMachineScaleSets", ""); n != nil {
			n.Props["scale_set"] = true
			b.workloadIdentities(r)
			b.scaleSetNetwork(r)
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeWebSite) {
		b.webSite(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeAutomationAccount) {
		n := b.resource(r, graph.KindFunction, "Microsoft.Automation/automationAccounts", "")
		if n == nil {
			continue
		}
		b.workloadIdentities(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeLogicApp) {
		if n := b.resource(r, graph.KindFunction, "Microsoft.Logic/workflows", ""); n != nil {
			b.workloadIdentities(r)
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeRunbook) {
		var p inventory.RunbookProps
		_ = r.Decode(&p)
		if n, ok := b.nodes[inventory.Parent(r.ID)]; ok && !n.Stub {
			n.Props["runbooks"] = union(stringList(n.Props["runbooks"]), []string{r.Name})
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeAutomationVariable) {
		b.automationVariable(r)
	}
	for _, r := range b.inv.OfType(inventory.TypeAKS) {
		var p inventory.AKSProps
		_ = r.Decode(&p)
		n := b.resource(r, graph.KindCluster, "Microsoft.ContainerService/managedClusters", "")
		if n == nil {
			continue
		}
		b.workloadIdentities(r)
		if k, ok := p.IdentityProfile["kubeletidentity"]; ok && k.ResourceID != "" {
			mi := b.userIdentity(k.ResourceID, k.ObjectID)
			b.fact(r.ID, graph.EdgeRunsAs, mi)
			b.move(graph.Edge{From: r.ID, To: mi, Kind: graph.EdgeUsesIdentity, Technique: TechAKSKubeletIdentity, Likelihood: 0.8,
				Evidence: []string{"kubelet identity " + short(mi) + " of " + r.Name + ": any pod with host network access can request its token from IMDS"}})
		}
		b.aks[r.ID] = &p
	}
	b.flushFacts()
}

// scaleSetNetwork records the network profile of a scale set as one
// NIC-like entry (its instances share it): subnet, NSG and whether
// instances get public IPs. Load balancer pools name instance IP
// configurations under the scale set's id; backendVM maps them here.
func (b *builder) scaleSetNetwork(r *inventory.Resource) {
	var p inventory.VMSSProps
	if err := r.Decode(&p); err != nil {
		b.warn("scale set %s: %v", r.ID, err)
		return
	}
	for _, nc := range p.VirtualMachineProfile.NetworkProfile.NetworkInterfaceConfigurations {
		ni := &nicInfo{id: r.ID + "/networkinterfaces/" + strings.ToLower(nc.Name), nsg: nc.Properties.NetworkSecurityGroup.LID(), vm: r.ID}
		for _, ipc := range nc.Properties.IPConfigurations {
			if s := ipc.Properties.Subnet.LID(); s != "" && ni.subnet == "" {
				ni.subnet = s
			}
			if ipc.Properties.PublicIPAddressConfiguration != nil {
				// Per-instance public IPs are Standard SKU: closed unless an NSG admits.
				ni.publicIPs = append(ni.publicIPs, r.ID+"/publicipaddresses/"+strings.ToLower(ipc.Name))
			}
		}
		b.scaleSets[r.ID] = append(b.scaleSets[r.ID], ni)
	}
}

// workloadIdentities adds the resource's system-assigned identity and its
// user-assigned ones, with RUNS_AS facts and USES_IDENTITY moves.
func (b *builder) workloadIdentities(r *inventory.Resource) {
	if r.Identity == nil {
		return
	}
	tech := workloadTech[r.Type]
	if tech == "" {
		tech = TechWorkloadIdentity
	}
	var ids []string
	if r.Identity.SystemAssigned() {
		id := inventory.SystemIdentityID(r.ID)
		key := b.scopeKey(r.ID)
		n := b.own(key, graph.Node{ID: id, Kind: graph.KindServiceAccount, NativeType: nativeSystemIdentity,
			Name: r.Name + " (system-assigned identity)", Account: key, Region: firstNonEmpty(r.Location, "global"),
			Service: inventory.AreaOf(r.Type), Props: graph.Props{"principal_id": strings.ToLower(r.Identity.PrincipalID)}})
		_ = n
		b.principalIDs[strings.ToLower(r.Identity.PrincipalID)] = id
		ids = append(ids, id)
	}
	uids := make([]string, 0, len(r.Identity.UserIDs))
	for uid := range r.Identity.UserIDs {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	for _, uid := range uids {
		ids = append(ids, b.userIdentity(uid, r.Identity.UserIDs[uid].PrincipalID))
	}
	for _, id := range ids {
		b.fact(r.ID, graph.EdgeRunsAs, id)
		b.move(graph.Edge{From: r.ID, To: id, Kind: graph.EdgeUsesIdentity, Technique: tech, Likelihood: 0.85,
			Evidence: []string{"managed identity " + short(strings.TrimSuffix(id, "/providers/microsoft.managedidentity/identities/default")) +
				" attached to " + r.Name + "; code on it gets tokens from the managed identity endpoint"}})
	}
	b.identitiesOf[r.ID] = ids
}

// userIdentity returns the node id of a user-assigned identity, adding a
// stub when the identity was not read (another subscription).
func (b *builder) userIdentity(id, principalID string) string {
	id = strings.ToLower(id)
	if _, ok := b.nodes[id]; !ok {
		b.stub(graph.Node{ID: id, Kind: graph.KindServiceAccount, NativeType: "Microsoft.ManagedIdentity/userAssignedIdentities",
			Name: short(id), Account: inventory.SubscriptionOf(id), Service: inventory.AreaManagedIdentity})
	}
	if principalID != "" {
		if _, ok := b.principalIDs[strings.ToLower(principalID)]; !ok {
			b.principalIDs[strings.ToLower(principalID)] = id
		}
	}
	return id
}

// webSite adds an App Service or Function app with its identities and the
// secret-looking names among its settings.
func (b *builder) webSite(r *inventory.Resource) {
	var p inventory.WebSiteProps
	_ = r.Decode(&p)
	n := b.resource(r, graph.KindFunction, "Microsoft.Web/sites", "")
	if n == nil {
		return
	}
	n.Props["kind"] = r.Kind
	n.Props["default_host_name"] = p.DefaultHostName
	n.Props["https_only"] = p.HTTPSOnly
	if r.AuthEnabled != nil {
		n.Props["auth_enabled"] = *r.AuthEnabled
	}
	b.workloadIdentities(r)
	if !p.HTTPSOnly {
		b.finding("azure.appservice.https-only-disabled", r.ID, "httpsOnly is false")
	}
	var flagged []string
	for _, name := range r.AppSettingNames {
		// A storage connection string with a key is a secret whatever
		// its name (AzureWebJobsStorage is every Function app's).
		if !SecretLikeName(name) && r.AppSettingStorageAccounts[name] == "" {
			continue
		}
		flagged = append(flagged, name)
		sid := r.ID + "/config/appsettings/" + strings.ToLower(name)
		s := b.own(b.scopeKey(r.ID), graph.Node{ID: sid, Kind: graph.KindSecret, NativeType: "Microsoft.Web/sites/config/appsettings",
			Name: r.Name + "/" + name, Account: n.Account, Region: n.Region, Service: inventory.AreaWeb,
			Sensitivity: graph.SensitivityConfidential, Props: graph.Props{"setting": name}})
		_ = s
		b.fact(r.ID, graph.EdgeContains, sid)
		b.secretSettings[r.ID] = append(b.secretSettings[r.ID], sid)
	}
	if len(flagged) > 0 {
		f := b.finding("azure.appservice.secret-in-app-settings", r.ID, "application settings with secret-looking names: "+strings.Join(flagged, ", ")+" (values never read)")
		for _, sid := range b.secretSettings[r.ID] {
			b.move(graph.Edge{From: r.ID, To: sid, Kind: graph.EdgeReads, Technique: TechWorkloadSetting, Likelihood: 0.9,
				Evidence: []string{"setting " + short(sid) + " is in the environment of code running on " + r.Name}, Findings: []string{f}})
		}
	}
}

// automationVariable adds a secret-looking Automation variable as a Secret
// its account's runbooks read; unencrypted ones are also a finding.
func (b *builder) automationVariable(r *inventory.Resource) {
	var p inventory.AutomationVariableProps
	_ = r.Decode(&p)
	acct := inventory.Parent(r.ID)
	a, ok := b.nodes[acct]
	if !ok || a.Stub || !SecretLikeName(r.Name) {
		return
	}
	s := b.own(b.scopeKey(r.ID), graph.Node{ID: r.ID, Kind: graph.KindSecret, NativeType: "Microsoft.Automation/automationAccounts/variables",
		Name: r.Name, Account: a.Account, Region: a.Region, Service: inventory.AreaAutomation, Sensitivity: graph.SensitivityConfidential,
		Props: graph.Props{"encrypted": p.IsEncrypted}})
	_ = s
	b.fact(acct, graph.EdgeContains, r.ID)
	var fs []string
	if !p.IsEncrypted {
		fs = append(fs, b.finding("azure.automation.variable-not-encrypted", r.ID, "variable "+r.Name+" is stored unencrypted"))
	}
	b.move(graph.Edge{From: acct, To: r.ID, Kind: graph.EdgeReads, Technique: TechAutomationVariable, Likelihood: 0.9,
		Evidence: []string{"runbooks of " + a.Name + " read variable " + r.Name + " with Get-AutomationVariable"}, Findings: fs})
}

// secretName adds to graph/secrets.KeyKind the abbreviations Azure
// settings use that it does not take for secrets ("CON_STR",
// "AZ_DB_PRIMARYKEY", "SAS_URL"). Names only: values are never read.
var secretName = regexp.MustCompile(`(?i)(secret|passw|pwd|token|api[_-]?key|apikey|access[_-]?key|accountkey|private[_-]?key|primary[_-]?key|primarykey|connection[_-]?string|connstr|con[_-]?str|credential|client[_-]?secret|sas[_-]?(url|token|key)|jwt)`)

// notSecretNames are platform settings whose names look like secrets but
// hold identifiers.
var notSecretNames = map[string]bool{
	"appinsights_instrumentationkey":        true,
	"applicationinsights_connection_string": true,
	"website_auth_aad_allowed_tenants":      true,
}

// platformSecretNames are platform settings that hold a storage key.
var platformSecretNames = map[string]bool{
	"azurewebjobsstorage":                      true,
	"website_contentazurefileconnectionstring": true,
	"azurewebjobsdashboard":                    true,
}

// SecretLikeName reports whether a setting or variable name looks like it
// holds a credential.
func SecretLikeName(name string) bool {
	l := strings.ToLower(name)
	if notSecretNames[l] {
		return false
	}
	if platformSecretNames[l] {
		return true
	}
	if _, ok := secrets.KeyKind(name); ok {
		return true
	}
	return secretName.MatchString(name)
}
