package transform

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// TechSecretCredential is a Key Vault secret named after a directory
// principal: whoever reads it is taken to hold that principal's password
// or client secret.
const TechSecretCredential = "azure.keyvault.secret-principal-credential"

// credentialAffixes are the words labs and estates put around a
// principal's name when they store its credential (client-secret-<app>,
// <user>-password, ...). Longest first, so that the longest is removed.
var credentialAffixes = []string{"client-secret", "clientsecret", "credentials", "credential", "password", "secret", "creds", "cred", "pwd", "key"}

// credentialName strips one credential affix (with its separator) from
// either end of a secret's name, lower-cased.
func credentialName(name string) string {
	n := strings.ToLower(name)
	for _, a := range credentialAffixes {
		for _, sep := range []string{"-", "_", "."} {
			if s, ok := strings.CutPrefix(n, a+sep); ok && s != "" {
				return s
			}
			if s, ok := strings.CutSuffix(n, sep+a); ok && s != "" {
				return s
			}
		}
	}
	return n
}

// secretCredentials links each Key Vault secret whose name, less a
// credential affix, is a directory principal's name (a user's display
// name, user principal name or its local part; an application's or service
// principal's display name or application id) to that principal. The
// collector never reads secret values, so the link is an inference from
// the name: the move is conditional and says so. Names shorter than three
// characters and names more than one principal share are left alone.
func (b *builder) secretCredentials(d *directory) {
	byName := map[string][]string{}
	add := func(node string, names ...string) {
		for _, n := range names {
			n = strings.ToLower(strings.TrimSpace(n))
			if len(n) < 3 {
				continue
			}
			byName[n] = union(byName[n], []string{node})
		}
	}
	for _, u := range d.e.Users {
		local, _, _ := strings.Cut(u.UserPrincipalName, "@")
		add(b.principal(u.ID, "User"), u.DisplayName, u.UserPrincipalName, local)
	}
	spByApp := map[string]string{}
	for _, sp := range d.e.ServicePrincipals {
		if sp.ManagedIdentityResource() != "" {
			continue
		}
		node := b.principal(sp.ID, "ServicePrincipal")
		spByApp[strings.ToLower(sp.AppID)] = node
		add(node, sp.DisplayName, sp.AppID)
	}
	for _, app := range d.e.Applications {
		if node, ok := spByApp[strings.ToLower(app.AppID)]; ok {
			add(node, app.DisplayName)
		}
	}
	for _, vault := range sortedKeys(b.vaults) {
		for _, s := range b.vaults[vault].secrets {
			name := s[strings.LastIndex(s, "/")+1:]
			who := byName[credentialName(name)]
			if len(who) != 1 {
				continue
			}
			whom := short(who[0])
			if n := b.nodes[who[0]]; n != nil && n.Name != "" {
				whom = n.Name
			}
			var fs []string
			if d.privileged[who[0]] {
				fs = nonEmpty(b.finding("azure.keyvault.secret-holds-principal-credential", s, "secret "+name+" is named after "+whom))
			}
			b.move(graph.Edge{From: s, To: who[0], Kind: graph.EdgeUsesIdentity, Technique: TechSecretCredential, Likelihood: 0.6, Conditional: true,
				Evidence: []string{"secret " + name + " of vault " + short(vault) + " is named after " + whom +
					": taken to hold its password or client secret (the value is never read; inferred from the name)"}, Findings: fs})
		}
	}
}

// kindHas reports whether the resource's kind contains sub (any case).
func (b *builder) kindHas(id, sub string) bool {
	r := b.inv.Get(id)
	return r != nil && strings.Contains(strings.ToLower(r.Kind), sub)
}

// identityPrivileged reports whether a managed identity (its node) holds
// Azure role assignments, directory roles or Microsoft Graph application
// permissions.
func (b *builder) identityPrivileged(node string) bool {
	if b.privilegedIDs == nil {
		b.privilegedIDs = map[string]bool{}
		for _, a := range b.inv.RoleAssignments {
			b.privilegedIDs[b.principal(a.PrincipalID, a.PrincipalType)] = true
		}
		for _, a := range b.inv.Entra.RoleAssignments {
			b.privilegedIDs[b.principal(a.PrincipalID, "")] = true
		}
		for _, a := range b.inv.Entra.AppRoleAssignments {
			b.privilegedIDs[b.principal(a.PrincipalID, "")] = true
		}
	}
	return b.privilegedIDs[node]
}
