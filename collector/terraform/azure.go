package terraform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	azinv "github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
)

// The azurerm provider's resources as ARM resources in their documented
// REST shape (what the Azure collector reads), so that the unchanged Azure
// transform decides what they mean. Ids are the ARM ids Azure gives (built
// from subscription, resource group and name, which the plan knows even
// for resources it creates), lower-cased as the collector stores them.

// azBuilder turns one side's azurerm resources into one Azure inventory.
type azBuilder struct {
	opts        Options
	refs        map[string][]string
	planned     bool
	sub, tenant string
	byAddr      map[string]map[string]any // address -> ARM resource
	order       []string
	principal   map[string]string // address -> principal (object) id of its identity
	assigns     []azinv.RoleAssignment
	owners      map[string]string
	via         map[string][]string
	assumptions []string
	resources   []resource
}

func newAzBuilder(opts Options, refs map[string][]string, planned bool, sub, tenant string) *azBuilder {
	return &azBuilder{opts: opts, refs: refs, planned: planned, sub: sub, tenant: tenant, byAddr: map[string]map[string]any{},
		principal: map[string]string{}, owners: map[string]string{}, via: map[string][]string{}}
}

func (b *azBuilder) assume(format string, args ...any) {
	if b.planned {
		b.assumptions = append(b.assumptions, fmt.Sprintf(format, args...))
	}
}

// armID returns the resource's id: known, else built from its names.
func (b *azBuilder) armID(r resource, provider, typ string) string {
	if id := r.obj.str("id"); id != "" && !r.obj.isUnknown("id") {
		return strings.ToLower(id)
	}
	rg, name := r.obj.str("resource_group_name"), r.obj.str("name")
	if rg == "" || name == "" {
		return strings.ToLower("/subscriptions/" + b.sub + "/resourcegroups/tf/providers/" + provider + "/" + typ + "/tf-" + sanitize(r.addr))
	}
	return strings.ToLower("/subscriptions/" + b.sub + "/resourceGroups/" + rg + "/providers/" + provider + "/" + typ + "/" + name)
}

// idRef resolves a reference attribute to an ARM id: its known value, else
// the id of the planned resource its configuration references.
func (b *azBuilder) idRef(r resource, attr string) string {
	if v := r.obj.str(attr); v != "" && !r.obj.isUnknown(attr) {
		return strings.ToLower(v)
	}
	for _, a := range b.refAddrs(r, attr) {
		if res := b.byAddr[a]; res != nil {
			return res["id"].(string)
		}
	}
	return ""
}

// refAddrs lists the planned addresses an attribute's expression references.
func (b *azBuilder) refAddrs(r resource, attr string) []string {
	var out []string
	keys := []string{r.addr + "\x00" + attr}
	if i := strings.IndexByte(r.addr, '['); i > 0 {
		keys = append(keys, r.addr[:i]+"\x00"+attr)
	}
	for _, k := range keys {
		for _, ref := range b.refs[k] {
			if _, ok := b.byAddr[ref]; ok {
				out = append(out, ref)
			}
		}
	}
	return out
}

// idRefs resolves a list of ids, through the configuration when unknown.
func (b *azBuilder) idRefs(r resource, attr string) []string {
	var out []string
	for _, v := range r.obj.strings(attr) {
		out = append(out, strings.ToLower(v))
	}
	if r.obj.isUnknown(attr) || len(out) == 0 {
		for _, a := range b.refAddrs(r, attr) {
			out = append(out, b.byAddr[a]["id"].(string))
		}
	}
	return dedupe(out)
}

func (b *azBuilder) add(r resource, id, typ string, props map[string]any) map[string]any {
	res := map[string]any{"id": id, "type": typ, "name": lastSegment(id), "location": r.obj.str("location"), "properties": props}
	if t := r.obj.tags(); len(t) > 0 {
		res["tags"] = t
	}
	b.byAddr[r.addr] = res
	b.order = append(b.order, r.addr)
	b.owners[id] = r.addr
	return res
}

func (b *azBuilder) causes(id, addr string) { b.owners[id+"#by/"+addr] = addr }

// principalOf returns the principal id of an identity-bearing resource's
// identity: known, else a placeholder the role assignments that reference
// the resource resolve to as well.
func (b *azBuilder) principalOf(r resource, known string) string {
	if known != "" {
		return strings.ToLower(known)
	}
	return "tf-" + strings.ToLower(sanitize(r.addr))
}

func (b *azBuilder) primary(r resource) {
	o := r.obj
	switch r.typ {
	case "azurerm_network_security_group":
		id := b.armID(r, "Microsoft.Network", "networkSecurityGroups")
		var rules []any
		for i, rule := range o.blocks("security_rule") {
			rules = append(rules, b.nsgRule(r.addr+fmt.Sprintf(" security_rule[%d]", i), rule))
		}
		b.add(r, id, azinv.TypeNSG, map[string]any{"securityRules": rules})
	case "azurerm_public_ip":
		id := b.armID(r, "Microsoft.Network", "publicIPAddresses")
		ip := o.str("ip_address")
		if ip == "" {
			ip = "198.51.100.2" // allocated at apply: an address exists
		}
		res := b.add(r, id, azinv.TypePublicIP, map[string]any{"ipAddress": ip})
		sku := o.str("sku")
		if sku == "" {
			sku = "Standard"
		}
		res["sku"] = map[string]any{"name": sku}
	case "azurerm_network_interface":
		id := b.armID(r, "Microsoft.Network", "networkInterfaces")
		b.add(r, id, azinv.TypeNIC, map[string]any{})
	case "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine":
		id := b.armID(r, "Microsoft.Compute", "virtualMachines")
		props := map[string]any{}
		if r.typ == "azurerm_linux_virtual_machine" {
			dis, known := o.boolean("disable_password_authentication")
			props["osProfile"] = map[string]any{"linuxConfiguration": map[string]any{"disablePasswordAuthentication": dis || !known}}
			props["storageProfile"] = map[string]any{"osDisk": map[string]any{"osType": "Linux"}}
		} else {
			props["osProfile"] = map[string]any{"windowsConfiguration": map[string]any{}}
			props["storageProfile"] = map[string]any{"osDisk": map[string]any{"osType": "Windows"}}
		}
		// the system identity's principal is known before any attachment
		// (a role assignment, an access policy) resolves it
		for _, ident := range o.blocks("identity") {
			if strings.Contains(ident.str("type"), "SystemAssigned") {
				b.principal[r.addr] = b.principalOf(r, knownStr(ident, "principal_id"))
			}
		}
		b.add(r, id, azinv.TypeVM, props)
	case "azurerm_user_assigned_identity":
		id := b.armID(r, "Microsoft.ManagedIdentity", "userAssignedIdentities")
		pid := b.principalOf(r, knownStr(o, "principal_id"))
		b.principal[r.addr] = pid
		b.add(r, id, azinv.TypeUserAssignedID, map[string]any{"principalId": pid, "clientId": knownStr(o, "client_id")})
	case "azurerm_storage_account":
		id := b.armID(r, "Microsoft.Storage", "storageAccounts")
		props := map[string]any{}
		if v, known := o.boolean("allow_nested_items_to_be_public"); known {
			props["allowBlobPublicAccess"] = v
		} else if o.isUnknown("allow_nested_items_to_be_public") {
			b.assume("%s allow_nested_items_to_be_public is unknown until apply: assumed true", r.addr)
		}
		if v, known := o.boolean("shared_access_key_enabled"); known {
			props["allowSharedKeyAccess"] = v
		}
		if v, known := o.boolean("public_network_access_enabled"); known && !v {
			props["publicNetworkAccess"] = "Disabled"
		} else {
			props["publicNetworkAccess"] = "Enabled"
		}
		for _, nr := range o.blocks("network_rules") {
			props["networkAcls"] = map[string]any{"defaultAction": nr.str("default_action")}
		}
		b.add(r, id, azinv.TypeStorageAccount, props)
	case "azurerm_key_vault":
		id := b.armID(r, "Microsoft.KeyVault", "vaults")
		rbacMode, _ := o.boolean("enable_rbac_authorization")
		var pols []any
		for _, ap := range o.blocks("access_policy") {
			pols = append(pols, b.accessPolicy(r, ap))
		}
		props := map[string]any{"enableRbacAuthorization": rbacMode, "accessPolicies": pols}
		if v, known := o.boolean("public_network_access_enabled"); known && !v {
			props["publicNetworkAccess"] = "Disabled"
		}
		b.add(r, id, azinv.TypeKeyVault, props)
	case "azurerm_role_definition":
		scope := b.idRef(r, "scope")
		guid := strings.ToLower(knownStr(o, "role_definition_id"))
		if guid == "" {
			guid = "tf-" + strings.ToLower(sanitize(r.addr))
		}
		id := scope + "/providers/microsoft.authorization/roledefinitions/" + guid
		var perms []any
		for _, p := range o.blocks("permissions") {
			perms = append(perms, map[string]any{"actions": p.strings("actions"), "notActions": p.strings("not_actions"),
				"dataActions": p.strings("data_actions"), "notDataActions": p.strings("not_data_actions")})
		}
		scopes := b.idRefs(r, "assignable_scopes")
		if len(scopes) == 0 {
			scopes = []string{scope}
		}
		res := b.add(r, id, azinv.TypeRoleDefinition, map[string]any{"roleName": o.str("name"), "type": "CustomRole", "permissions": perms, "assignableScopes": scopes})
		res["name"] = guid
	}
}

func knownStr(o object, attr string) string {
	if o.isUnknown(attr) {
		return ""
	}
	return o.str(attr)
}

// nsgRule maps one azurerm security rule (a block or a resource) to ARM.
func (b *azBuilder) nsgRule(where string, o object) map[string]any {
	p := map[string]any{"priority": int(o.integer("priority")), "direction": o.str("direction"), "access": o.str("access"), "protocol": o.str("protocol"),
		"sourceAddressPrefix": o.str("source_address_prefix"), "sourceAddressPrefixes": o.strings("source_address_prefixes"),
		"destinationPortRange": o.str("destination_port_range"), "destinationPortRanges": o.strings("destination_port_ranges"),
		"destinationAddressPrefix": o.str("destination_address_prefix"), "destinationAddressPrefixes": o.strings("destination_address_prefixes")}
	if o.isUnknown("source_address_prefix") || o.isUnknown("source_address_prefixes") {
		b.assume("%s source is unknown until apply: assumed any (*)", where)
		p["sourceAddressPrefix"], p["sourceAddressPrefixes"] = "*", nil
	}
	if o.isUnknown("destination_port_range") || o.isUnknown("destination_port_ranges") {
		b.assume("%s port range is unknown until apply: assumed every port", where)
		p["destinationPortRange"], p["destinationPortRanges"] = "*", nil
	}
	if p["destinationAddressPrefix"] == "" && len(o.strings("destination_address_prefixes")) == 0 {
		p["destinationAddressPrefix"] = "*"
	}
	return map[string]any{"name": o.str("name"), "properties": p}
}

func (b *azBuilder) accessPolicy(r resource, o object) map[string]any {
	oid := b.principalRef(r, o, "object_id")
	return map[string]any{"tenantId": b.tenant, "objectId": strings.ToLower(oid), "permissions": map[string]any{
		"secrets": o.strings("secret_permissions"), "keys": o.strings("key_permissions"), "certificates": o.strings("certificate_permissions")}}
}

// principalRef resolves a principal (object) id: known, else the identity
// of the planned resource the configuration references, else a principal
// of its own (said).
func (b *azBuilder) principalRef(r resource, o object, attr string) string {
	pid := strings.ToLower(knownStr(o, attr))
	if pid == "" {
		for _, a := range b.refAddrs(r, attr) {
			pid = b.principal[a]
		}
	}
	if pid == "" {
		b.assume("%s %s is unknown until apply: assumed a principal of its own", r.addr, attr)
		pid = "tf-" + strings.ToLower(sanitize(r.addr))
	}
	return pid
}

func (b *azBuilder) propsOf(id string) map[string]any {
	for _, res := range b.byAddr {
		if res["id"] == id {
			return res["properties"].(map[string]any)
		}
	}
	return nil
}

func (b *azBuilder) attach(r resource) {
	o := r.obj
	switch r.typ {
	case "azurerm_network_security_rule":
		nsg := b.idRef(r, "network_security_group_name")
		if nsg == "" || !strings.HasPrefix(nsg, "/") {
			nsg = strings.ToLower("/subscriptions/" + b.sub + "/resourceGroups/" + o.str("resource_group_name") + "/providers/Microsoft.Network/networkSecurityGroups/" + o.str("network_security_group_name"))
		}
		p := b.propsOf(nsg)
		if p == nil {
			// an NSG outside the plan: modelled from what the plan says
			res := map[string]any{"id": nsg, "type": azinv.TypeNSG, "properties": map[string]any{}}
			b.byAddr["\x00"+nsg] = res
			b.order = append(b.order, "\x00"+nsg)
			p = res["properties"].(map[string]any)
		}
		rules, _ := p["securityRules"].([]any)
		p["securityRules"] = append(rules, b.nsgRule(r.addr, o))
		b.causes(nsg, r.addr)
	case "azurerm_network_interface":
		p := b.byAddr[r.addr]["properties"].(map[string]any)
		var ipcs []any
		for i, c := range o.blocks("ip_configuration") {
			cp := map[string]any{"privateIPAddress": c.str("private_ip_address")}
			if s := c.str("subnet_id"); s != "" {
				cp["subnet"] = map[string]any{"id": strings.ToLower(s)}
			}
			pip := strings.ToLower(knownStr(c, "public_ip_address_id"))
			if pip == "" {
				for _, a := range b.refAddrs(r, "ip_configuration") {
					if res := b.byAddr[a]; res["type"] == azinv.TypePublicIP {
						pip = res["id"].(string)
					}
				}
			}
			if pip != "" {
				cp["publicIPAddress"] = map[string]any{"id": pip}
			}
			nic := b.byAddr[r.addr]["id"].(string)
			ipcs = append(ipcs, map[string]any{"id": fmt.Sprintf("%s/ipconfigurations/%s", nic, strings.ToLower(firstOf(c.str("name"), fmt.Sprint(i)))), "name": c.str("name"), "properties": cp})
		}
		p["ipConfigurations"] = ipcs
	case "azurerm_network_interface_security_group_association":
		nic, nsg := b.idRef(r, "network_interface_id"), b.idRef(r, "network_security_group_id")
		if p := b.propsOf(nic); p != nil && nsg != "" {
			p["networkSecurityGroup"] = map[string]any{"id": nsg}
			b.causes(nic, r.addr)
		}
	case "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine":
		res := b.byAddr[r.addr]
		p := res["properties"].(map[string]any)
		var nics []any
		for _, n := range b.idRefs(r, "network_interface_ids") {
			nics = append(nics, map[string]any{"id": n})
			if np := b.propsOf(n); np != nil {
				np["virtualMachine"] = map[string]any{"id": res["id"]}
			}
		}
		p["networkProfile"] = map[string]any{"networkInterfaces": nics}
		for _, ident := range o.blocks("identity") {
			typ := ident.str("type")
			id := map[string]any{"type": typ}
			if strings.Contains(typ, "SystemAssigned") {
				id["principalId"] = b.principal[r.addr]
			}
			if strings.Contains(typ, "UserAssigned") {
				users := map[string]any{}
				for _, uid := range b.idRefs(r, "identity") {
					users[uid] = map[string]any{"principalId": b.principalByID(uid)}
				}
				for _, uid := range ident.strings("identity_ids") {
					uid = strings.ToLower(uid)
					users[uid] = map[string]any{"principalId": b.principalByID(uid)}
				}
				delete(users, "")
				id["userAssignedIdentities"] = users
			}
			res["identity"] = id
		}
	case "azurerm_storage_container":
		acct := b.idRef(r, "storage_account_id")
		if acct == "" {
			acct = b.idRef(r, "storage_account_name")
		}
		if acct == "" || !strings.HasPrefix(acct, "/") {
			name := o.str("storage_account_name")
			for _, res := range b.byAddr {
				if res["type"] == azinv.TypeStorageAccount && res["name"] == strings.ToLower(name) {
					acct = res["id"].(string)
				}
			}
		}
		if acct == "" {
			return
		}
		access := map[string]string{"private": "None", "blob": "Blob", "container": "Container"}[o.str("container_access_type")]
		if o.isUnknown("container_access_type") {
			b.assume("%s container_access_type is unknown until apply: assumed container (anonymous list and read)", r.addr)
			access = "Container"
		}
		if access == "" {
			access = "None"
		}
		id := acct + "/blobservices/default/containers/" + strings.ToLower(o.str("name"))
		b.add(r, id, azinv.TypeBlobContainer, map[string]any{"publicAccess": access})
		b.causes(acct, r.addr)
	case "azurerm_key_vault_access_policy":
		vault := b.idRef(r, "key_vault_id")
		if p := b.propsOf(vault); p != nil {
			pols, _ := p["accessPolicies"].([]any)
			p["accessPolicies"] = append(pols, b.accessPolicy(r, o))
			b.causes(vault, r.addr)
		}
	case "azurerm_key_vault_secret":
		vault := b.idRef(r, "key_vault_id")
		if vault == "" {
			return
		}
		b.add(r, vault+"/secrets/"+strings.ToLower(o.str("name")), azinv.TypeKeyVaultSecret, map[string]any{"attributes": map[string]any{"enabled": true}})
	case "azurerm_role_assignment":
		b.roleAssignment(r)
	}
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (b *azBuilder) principalByID(id string) string {
	for addr, res := range b.byAddr {
		if res["id"] == id {
			if p := b.principal[addr]; p != "" {
				return p
			}
		}
	}
	return ""
}

// builtinByName indexes the built-in roles by display name.
func builtinByName() map[string]string {
	bi, err := rbac.Builtin()
	if err != nil {
		return nil
	}
	out := make(map[string]string, len(bi))
	for guid, d := range bi {
		out[strings.ToLower(d.RoleName)] = guid
	}
	return out
}

func (b *azBuilder) roleAssignment(r resource) {
	o := r.obj
	scope := b.idRef(r, "scope")
	if scope == "" {
		b.assume("%s scope is unknown until apply: assumed the subscription", r.addr)
		scope = "/subscriptions/" + b.sub
	}
	guid := ""
	if d := knownStr(o, "role_definition_id"); d != "" {
		guid = strings.ToLower(lastSegment(d))
	} else if n := o.str("role_definition_name"); n != "" {
		guid = builtinByName()[strings.ToLower(n)]
	} else {
		for _, a := range b.refAddrs(r, "role_definition_id") {
			if res := b.byAddr[a]; res["type"] == azinv.TypeRoleDefinition {
				guid = res["name"].(string)
			}
		}
	}
	if guid == "" {
		b.assume("%s role is unknown until apply: assumed Owner", r.addr)
		guid = rbac.RoleOwner
	}
	pid := b.principalRef(r, o, "principal_id")
	name := knownStr(o, "name")
	if name == "" {
		name = "tf-" + sanitize(r.addr)
	}
	id := strings.ToLower(scope + "/providers/Microsoft.Authorization/roleAssignments/" + name)
	ptype := o.str("principal_type")
	if ptype == "" {
		ptype = "ServicePrincipal"
	}
	b.assigns = append(b.assigns, azinv.RoleAssignment{ID: id, Scope: scope, RoleDefinitionID: "/providers/microsoft.authorization/roledefinitions/" + guid,
		PrincipalID: pid, PrincipalType: ptype})
	// the grant changes the moves of the principal's identity onto the scope
	for addr, p := range b.principal {
		if p == pid {
			b.via[b.byAddr[addr]["id"].(string)] = appendUnique(b.via[b.byAddr[addr]["id"].(string)], r.addr)
		}
	}
	b.via[scope] = appendUnique(b.via[scope], r.addr)
}

// build returns the side's inventory.
func (b *azBuilder) build(rs []resource) (*azinv.Inventory, error) {
	for _, r := range rs {
		b.primary(r)
	}
	for _, r := range rs {
		b.attach(r)
	}
	inv := azinv.New(b.tenant, time.Time{})
	inv.AddSubscription(azinv.Subscription{ID: b.sub, TenantID: b.tenant})
	for _, a := range azinv.Areas {
		if a != azinv.AreaEntra {
			inv.MarkRead(b.sub, a)
		}
	}
	sort.Strings(b.order)
	for _, addr := range b.order {
		raw, err := json.Marshal(b.byAddr[addr])
		if err != nil {
			return nil, fmt.Errorf("azurerm %s: %w", addr, err)
		}
		if err := inv.Add(raw); err != nil {
			return nil, fmt.Errorf("azurerm %s: %w", addr, err)
		}
	}
	inv.RoleAssignments = append(inv.RoleAssignments, b.assigns...)
	return inv, nil
}
