package transform

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/credscan"
	"github.com/breachpath/breachpath/graph"
)

// Credentials found in blobs by the opt-in object scan
// (fetch.Options.ScanConfigObjects; docs/azure-collector.md, "Credentials
// in blobs"). Each credential becomes a Secret node inside its container,
// holding only where it is, its kind and what identifies it (an SSH key's
// public fingerprint, a certificate's thumbprint, a client id, a salted
// fingerprint). Whoever reads the container's blobs reads it; it opens what
// it belongs to:
//   - an SSH private key logs in to the VMs that accept it, when the
//     Internet reaches their SSH port: unconditionally when a VM's admin
//     public keys hold its public half, conditionally when only an SSH
//     client configuration in the same container names the VM's address
//     for that key file;
//   - a private key whose certificate (same container) an application
//     registered authenticates as its service principal: by thumbprint;
//     conditionally by the blob's name when the directory export holds no
//     thumbprints;
//   - a client secret written next to an application id authenticates as
//     that application's service principal, conditionally (Graph never
//     returns secret values, so whether it is still valid is not known).

// Techniques of credentials in blobs.
const (
	// TechBlobCredential is reading a credential in a blob of a container
	// one may read.
	TechBlobCredential = "azure.storage.blob-credential"
	// TechSSHKeyLogin is logging in over SSH to a VM with a private key.
	TechSSHKeyLogin = "azure.compute.ssh-key-login"
	// TechCertificateCredential is authenticating as a service principal
	// with a certificate's private key.
	TechCertificateCredential = "azure.entra.certificate-credential"
	// TechClientSecretCredential is authenticating as a service principal
	// with its client secret.
	TechClientSecretCredential = "azure.entra.client-secret-credential"
)

// RuleBlobCredential is the finding of a credential kept in a blob.
const RuleBlobCredential = "azure.storage.credential-in-blob"

// objectCredentials draws the credentials the object scan found.
func (b *builder) objectCredentials() {
	containers := b.inv.OfType(inventory.TypeBlobContainer)
	var scanned []*inventory.Resource
	for _, r := range containers {
		if r.ObjectScan != nil && len(r.ObjectScan.Objects) > 0 && b.nodes[strings.ToLower(r.ID)] != nil {
			scanned = append(scanned, r)
		}
	}
	if len(scanned) == 0 {
		return
	}
	hosts := b.sshHosts()
	sps := b.credentialPrincipals()
	for _, r := range scanned {
		b.containerCredentials(r, hosts, sps)
	}
}

// sshHost is a VM as an SSH client sees it.
type sshHost struct {
	vm        string
	addresses []string          // public IPs and DNS names, lower-case
	keys      map[string]string // authorized public keys: fingerprint -> path
	exposed   *graph.Edge       // Internet -> VM on 22/tcp, nil when not
}

// sshHosts lists every VM with its public addresses, admin public keys
// and its Internet exposure on the SSH port.
func (b *builder) sshHosts() []sshHost {
	var out []sshHost
	for _, r := range b.inv.OfType(inventory.TypeVM) {
		id := strings.ToLower(r.ID)
		var p inventory.VMProps
		if r.Decode(&p) != nil {
			continue
		}
		h := sshHost{vm: id, keys: map[string]string{}}
		if lc := p.OSProfile.LinuxConfiguration; lc != nil && lc.SSH != nil {
			for _, k := range lc.SSH.PublicKeys {
				if fp := credscan.SSHPublicKeyFingerprint(k.KeyData); fp != "" {
					h.keys[fp] = k.Path
				}
			}
		}
		for _, nic := range b.vmNICs[r.ID] {
			ni := b.nics[nic]
			if ni == nil {
				continue
			}
			for _, pip := range ni.publicIPs {
				pr := b.pips[pip]
				if pr == nil {
					continue
				}
				var pp inventory.PublicIPProps
				_ = pr.Decode(&pp)
				if pp.IPAddress != "" {
					h.addresses = append(h.addresses, strings.ToLower(pp.IPAddress))
				}
				if pp.DNSSettings != nil && pp.DNSSettings.FQDN != "" {
					h.addresses = append(h.addresses, strings.ToLower(pp.DNSSettings.FQDN))
				}
			}
		}
		h.exposed = b.sshExposure(id)
		out = append(out, h)
	}
	return out
}

// sshExposure returns the Internet's exposure edge of a VM when it admits
// 22/tcp, nil otherwise.
func (b *builder) sshExposure(vm string) *graph.Edge {
	p := b.parts[b.keyFor(graph.InternetID, vm)]
	if p == nil {
		return nil
	}
	k := (&graph.Edge{From: graph.InternetID, To: vm, Kind: graph.EdgeExposedTo, Technique: TechInternetExposed}).Key()
	e := p.edges[k]
	if e == nil {
		return nil
	}
	ports, _ := e.Props["ports"].([]string)
	if !admitsPort(ports, 22) {
		return nil
	}
	return e
}

// admitsPort reports whether "tcp/22", "tcp/0-1024", "tcp/*" (or any
// protocol, "*/...") strings admit the TCP port.
func admitsPort(ports []string, port int) bool {
	for _, s := range ports {
		proto, r, ok := strings.Cut(s, "/")
		if !ok || (proto != "tcp" && proto != "*" && proto != "any") {
			continue
		}
		if r == "*" {
			return true
		}
		lo, hi, isRange := strings.Cut(r, "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && l <= port && port <= h {
			return true
		}
	}
	return false
}

// credPrincipals indexes the directory's service principals for the
// credentials found: certificate thumbprints, application ids and names.
type credPrincipals struct {
	byThumbprint map[string][]string
	byAppID      map[string]string
	byName       map[string][]string
	thumbprints  bool // the directory holds certificate thumbprints at all
}

func (b *builder) credentialPrincipals() credPrincipals {
	e := &b.inv.Entra
	c := credPrincipals{byThumbprint: map[string][]string{}, byAppID: map[string]string{}, byName: map[string][]string{}}
	now := b.opts.Now
	live := func(cr inventory.Credential) bool { return cr.End.IsZero() || now.IsZero() || cr.End.After(now) }
	for _, sp := range e.ServicePrincipals {
		if sp.ManagedIdentityResource() != "" {
			continue
		}
		node := b.principal(sp.ID, "ServicePrincipal")
		c.byAppID[strings.ToLower(sp.AppID)] = node
		if n := strings.ToLower(sp.DisplayName); len(n) >= 3 {
			c.byName[n] = union(c.byName[n], []string{node})
		}
		for _, cr := range sp.Credentials {
			if cr.Thumbprint != "" {
				c.thumbprints = true
				if live(cr) {
					c.byThumbprint[cr.Thumbprint] = union(c.byThumbprint[cr.Thumbprint], []string{node})
				}
			}
		}
	}
	for _, app := range e.Applications {
		node, ok := c.byAppID[strings.ToLower(app.AppID)]
		if !ok {
			continue
		}
		if n := strings.ToLower(app.DisplayName); len(n) >= 3 {
			c.byName[n] = union(c.byName[n], []string{node})
		}
		for _, cr := range app.Credentials {
			if cr.Thumbprint != "" {
				c.thumbprints = true
				if live(cr) {
					c.byThumbprint[cr.Thumbprint] = union(c.byThumbprint[cr.Thumbprint], []string{node})
				}
			}
		}
	}
	return c
}

// keyFileAffixes are the words labs put around an application's name in
// its key and certificate file names (<app>-private-key.key,
// <app>-certificate.pem).
var keyFileAffixes = []string{"private-key", "privatekey", "certificate", "cert", "key"}

// keyFileOwner strips the extension and one affix from a blob's base name.
func keyFileOwner(name string) string {
	n := strings.ToLower(path.Base(name))
	n = strings.TrimSuffix(n, path.Ext(n))
	for _, a := range keyFileAffixes {
		for _, sep := range []string{"-", "_", "."} {
			if s, ok := strings.CutSuffix(n, sep+a); ok && s != "" {
				return s
			}
		}
	}
	return n
}

// containerCredentials adds the credential nodes of one container and the
// moves they open.
func (b *builder) containerCredentials(r *inventory.Resource, hosts []sshHost, sps credPrincipals) {
	cid := strings.ToLower(r.ID)
	acct := cid[:max(0, strings.Index(cid, "/blobservices/"))]
	// Certificates of the container, by their public key's hash.
	certs := map[string][]string{}
	for _, o := range r.ObjectScan.Objects {
		for _, c := range o.Credentials {
			if c.Kind == credscan.KindCertificate && c.PublicKeySHA256 != "" {
				certs[c.PublicKeySHA256] = union(certs[c.PublicKeySHA256], []string{c.Thumbprint})
			}
		}
	}
	for _, o := range r.ObjectScan.Objects {
		for i, c := range o.Credentials {
			if c.Identifier {
				continue
			}
			id := cid + "/blobs/" + strings.ToLower(o.Name) + "/credentials/" + strconv.Itoa(i)
			where := "blob " + o.Name + " of container " + r.Name
			loc := o.Name
			if c.Line > 1 {
				loc = fmt.Sprintf("%s:line %d", o.Name, c.Line)
			}
			n := b.own(b.scopeKey(r.ID), graph.Node{ID: id, Kind: graph.KindSecret, NativeType: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs.Credential",
				Name: r.Name + "/" + loc, Account: b.scopeKey(r.ID), Region: firstNonEmpty(r.Location, "global"), Service: inventory.AreaStorage,
				Sensitivity: graph.SensitivityConfidential, CrownJewel: true})
			n.Props = graph.Props{"location": loc, "credential_kind": c.Kind, "blob": o.Name, "container": cid}
			var ids []string
			for k, v := range map[string]string{"ssh_fingerprint": c.SSHFingerprint, "client_id": c.ClientID, "fingerprint": c.Fingerprint, "key": c.Key} {
				if v != "" {
					n.Props[k] = v
				}
			}
			thumbs := certs[c.PublicKeySHA256]
			if c.PublicKeySHA256 == "" {
				thumbs = nil
			}
			if len(thumbs) > 0 {
				n.Props["certificate_thumbprints"] = thumbs
				ids = append(ids, thumbs...)
			}
			if c.SSHFingerprint != "" {
				ids = append(ids, c.SSHFingerprint)
			}
			if c.ClientID != "" {
				ids = append(ids, c.ClientID)
			}
			if len(ids) > 0 {
				n.Props[graph.PropIdentifiers] = ids
			}
			b.fact(cid, graph.EdgeContains, id)
			ev := fmt.Sprintf("%s in %s", c.Kind, where)
			if c.Fingerprint != "" {
				ev += ", fingerprint " + c.Fingerprint
			}
			f := b.finding(RuleBlobCredential, r.ID, ev)
			b.move(graph.Edge{From: cid, To: id, Kind: graph.EdgeReads, Technique: TechBlobCredential, Likelihood: 0.95, Findings: []string{f},
				Evidence: []string{ev, "whoever reads the blobs of " + r.Name + " (account " + short(acct) + ") reads it"}})
			if c.SSHFingerprint != "" {
				b.sshLogins(id, o.Name, c, r.ObjectScan, hosts, f, ev)
			}
			if c.Kind == credscan.KindPrivateKey || c.Kind == credscan.KindSSHPrivateKey {
				b.certificateLogins(id, o.Name, thumbs, sps, f, ev)
			}
			if c.Kind == credscan.KindClientSecret {
				if sp := sps.byAppID[c.ClientID]; sp != "" {
					b.move(graph.Edge{From: id, To: sp, Kind: graph.EdgeUsesIdentity, Technique: TechClientSecretCredential, Likelihood: 0.7, Conditional: true,
						Findings: []string{f}, Evidence: []string{ev, "the secret is written under " + c.Key + " next to application id " + c.ClientID + ", the application of " + short(sp),
							"conditional: Microsoft Graph never returns secret values, so whether this one is still a valid secret of the application is not known"}})
				}
			}
		}
	}
}

// sshLogins adds key -ADMINISTERS-> VM for the VMs that accept the key and
// whose SSH port the Internet reaches.
func (b *builder) sshLogins(id, blob string, c credscan.Credential, scan *credscan.Scan, hosts []sshHost, f, ev string) {
	for _, h := range hosts {
		if h.exposed == nil {
			continue
		}
		fs := append([]string{f}, h.exposed.Findings...)
		reach := "the Internet reaches " + short(h.vm) + " on 22/tcp (SSH)"
		if p, ok := h.keys[c.SSHFingerprint]; ok {
			b.move(graph.Edge{From: id, To: h.vm, Kind: graph.EdgeAdministers, Technique: TechSSHKeyLogin, Likelihood: 0.95, Findings: fs,
				Evidence: []string{ev, "the key's public half (" + c.SSHFingerprint + ") is an authorized key of " + short(h.vm) + " (" + p + ")", reach}})
			continue
		}
		// An SSH client configuration in the same container naming the VM's
		// address for this key file.
		named := scan.HostsNaming(blob, h.addresses)
		if len(named) > 0 {
			b.move(graph.Edge{From: id, To: h.vm, Kind: graph.EdgeAdministers, Technique: TechSSHKeyLogin, Likelihood: 0.7, Conditional: true, Findings: fs,
				Evidence: append(append([]string{ev}, named...), reach,
					"conditional: the VM's profile does not list the key; whether its user's authorized_keys holds it is the host's configuration, not collected")})
		}
	}
}

// certificateLogins adds key -USES_IDENTITY-> service principal for the
// applications that registered the key's certificate.
func (b *builder) certificateLogins(id, blob string, thumbs []string, sps credPrincipals, f, ev string) {
	done := false
	for _, t := range thumbs {
		for _, sp := range sps.byThumbprint[t] {
			done = true
			b.move(graph.Edge{From: id, To: sp, Kind: graph.EdgeUsesIdentity, Technique: TechCertificateCredential, Likelihood: 0.9, Findings: []string{f},
				Evidence: []string{ev, "the key is the private key of certificate " + t + " (same container), a certificate credential of " + short(sp)}})
		}
	}
	if done || sps.thumbprints || len(thumbs) == 0 {
		return
	}
	// The directory export holds no thumbprints: the blob's name is all
	// that ties the key to an application.
	who := sps.byName[keyFileOwner(blob)]
	if len(who) != 1 {
		return
	}
	b.move(graph.Edge{From: id, To: who[0], Kind: graph.EdgeUsesIdentity, Technique: TechCertificateCredential, Likelihood: 0.6, Conditional: true,
		Findings: []string{f}, Evidence: []string{ev, "the key and its certificate " + strings.Join(thumbs, ", ") + " are named after " + short(who[0]),
			"conditional: the directory read holds no certificate thumbprints, so the match is by name"}})
}
