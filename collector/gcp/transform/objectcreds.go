package transform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/credscan"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Credentials found in bucket objects by the opt-in object scan
// (fetch.Options.ScanConfigObjects; docs/gcp-collector.md, "Credentials in
// objects"). Each credential becomes a Secret node inside its bucket,
// holding only where it is, its kind and what identifies it. Whoever reads
// (or administers) the bucket reads it; it opens what it belongs to:
//   - a service-account key file authenticates as its account
//     (client_email), unconditionally when its private_key_id is an
//     enabled key of the account the collection read;
//   - an SSH private key logs in to the instances the Internet reaches on
//     22/tcp that accept it: unconditionally when the instance's (or, not
//     blocked, the project's) ssh-keys metadata holds its public half and
//     OS Login is off; conditionally when only an SSH client configuration
//     in the same bucket names the instance's external address for that
//     key file (the lab installs the key with a startup script, which the
//     collector does not run).

// Technique ids of credentials in objects.
const (
	TechObjectCredential = "gcp.storage.object-credential"
	TechSAKeyFile        = "gcp.iam.service-account-key-file"
	TechSSHKeyLogin      = "gcp.compute.ssh-key-login"
)

// RuleObjectCredential is the finding of a credential kept in an object.
const RuleObjectCredential = "gcp.storage.credential-in-object"

func init() {
	Techniques = append(Techniques,
		Technique{TechObjectCredential, graph.EdgeReads, "storage.objects.get on the bucket (or control of it); drawn from the bucket node, so every reader of the bucket gets it", "bucket -> credential found in one of its objects by collect gcp --scan-config-objects"},
		Technique{TechSAKeyFile, graph.EdgeUsesIdentity, "the key file (client_email, private_key_id); conditional when the key id is not among the account's enabled keys the collection read", "credential -> service account"},
		Technique{TechSSHKeyLogin, graph.EdgeAdministers, "the Internet reaches the instance on 22/tcp; its ssh-keys metadata holds the key's public half with OS Login off, or (conditional) an SSH config in the same bucket names its external IP for the key file", "credential -> instance"},
	)
	Rules[RuleObjectCredential] = Rule{graph.SeverityHigh, "Credential kept in a Cloud Storage object",
		"Remove the key or secret from the bucket (keep it in Secret Manager), rotate it, and restrict who can read the bucket.", nil, 2}
}

// objectCredentials draws the credentials the object scan found.
func (b *builder) objectCredentials() error {
	if len(b.inv.ObjectScans) == 0 {
		return nil
	}
	exposed := map[string]*graph.Edge{}
	for i := range b.edges {
		e := &b.edges[i]
		if e.From == graph.InternetID && e.Kind == graph.EdgeExposedTo && e.Technique == "gcp.compute.internet-exposed" {
			if ports, _ := e.Props["ports"].([]string); slices.Contains(ports, "tcp/22") || slices.Contains(ports, "all/22") {
				exposed[e.To] = e
			}
		}
	}
	names := make([]string, 0, len(b.inv.ObjectScans))
	for n := range b.inv.ObjectScans {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		a := b.inv.Assets[name]
		if a == nil || b.nodes[name] == nil {
			continue
		}
		b.curScope = b.scopeOf(a)
		b.bucketCredentials(a, b.inv.ObjectScans[name], exposed)
	}
	b.curScope = ""
	return nil
}

func (b *builder) bucketCredentials(a *inventory.Asset, scan *credscan.Scan, exposed map[string]*graph.Edge) {
	bucket := strings.TrimPrefix(a.Name, "//storage.googleapis.com/")
	for _, o := range scan.Objects {
		for i, c := range o.Credentials {
			if c.Identifier {
				continue
			}
			id := a.Name + "/objects/" + o.Name + "/credentials/" + strconv.Itoa(i)
			loc := o.Name
			if c.Line > 1 {
				loc = fmt.Sprintf("%s:line %d", o.Name, c.Line)
			}
			n := b.addNode(graph.Node{ID: id, Kind: graph.KindSecret, NativeType: "storage.googleapis.com/Object.Credential", Name: bucket + "/" + loc,
				Account: b.nodes[a.Name].Account, Region: b.nodes[a.Name].Region, Service: "storage", Sensitivity: graph.SensitivityConfidential, CrownJewel: true}, b.scopeOf(a))
			n.Props = graph.Props{"location": loc, "credential_kind": c.Kind, "object": o.Name}
			var ids []string
			for k, v := range map[string]string{"ssh_fingerprint": c.SSHFingerprint, "client_email": c.ClientEmail, "private_key_id": c.PrivateKeyID,
				"fingerprint": c.Fingerprint, "key": c.Key} {
				if v != "" {
					n.Props[k] = v
				}
			}
			for _, v := range []string{c.SSHFingerprint, c.ClientEmail, c.PrivateKeyID} {
				if v != "" {
					ids = append(ids, v)
				}
			}
			if len(ids) > 0 {
				n.Props[graph.PropIdentifiers] = ids
			}
			b.fact(a.Name, graph.EdgeContains, id)
			ev := fmt.Sprintf("%s in gs://%s/%s", c.Kind, bucket, o.Name)
			if c.Fingerprint != "" {
				ev += ", fingerprint " + c.Fingerprint
			}
			f := b.finding(RuleObjectCredential, a.Name, ev)
			b.move(graph.Edge{From: a.Name, To: id, Kind: graph.EdgeReads, Technique: TechObjectCredential, Likelihood: 0.95, Findings: compact([]string{f}),
				Evidence: []string{ev, "whoever reads the objects of gs://" + bucket + " reads it (" + scan.Reason + ")"}})
			if c.Kind == credscan.KindGCPServiceAccountKey {
				b.saKeyFile(id, c, f, ev)
			}
			if c.SSHFingerprint != "" {
				b.objectSSHLogins(id, o.Name, c, scan, exposed, f, ev)
			}
		}
	}
}

// saKeyFile adds key file -USES_IDENTITY-> its service account.
func (b *builder) saKeyFile(id string, c credscan.Credential, f, ev string) {
	sa, ok := b.saByEmail[c.ClientEmail]
	if !ok || b.nodes[sa] == nil {
		return
	}
	enabled, known := false, false
	for _, k := range b.saKeys[sa] {
		known = true
		if k.ID == c.PrivateKeyID && !k.Disabled {
			enabled = true
		}
	}
	e := graph.Edge{From: id, To: sa, Kind: graph.EdgeUsesIdentity, Technique: TechSAKeyFile, Likelihood: 0.95, Findings: compact([]string{f}),
		Evidence: []string{ev, "the key file names " + c.ClientEmail + ", key id " + c.PrivateKeyID}}
	switch {
	case enabled:
		e.Evidence = append(e.Evidence, "key "+c.PrivateKeyID+" is an enabled user-managed key of the account")
	case known:
		// The account's keys were read and this one is not among the
		// enabled ones: deleted or disabled, the file opens nothing.
		return
	default:
		e.Conditional, e.Likelihood = true, 0.6
		e.Evidence = append(e.Evidence, "conditional: the account's keys were not read, so whether key "+c.PrivateKeyID+" is still valid is not known")
	}
	b.move(e)
}

// objectSSHLogins adds key -ADMINISTERS-> instance for the instances that
// accept the key and whose SSH port the Internet reaches.
func (b *builder) objectSSHLogins(id, object string, c credscan.Credential, scan *credscan.Scan, exposed map[string]*graph.Edge, f, ev string) {
	for _, in := range b.instances {
		ex := exposed[in.asset.Name]
		if ex == nil {
			continue
		}
		fs := compact(append([]string{f}, ex.Findings...))
		reach := "the Internet reaches " + in.d.Name + " on 22/tcp (SSH)"
		if !in.osLogin && b.metadataHoldsKey(in, c.SSHFingerprint) {
			b.move(graph.Edge{From: id, To: in.asset.Name, Kind: graph.EdgeAdministers, Technique: TechSSHKeyLogin, Likelihood: 0.95, Findings: fs,
				Evidence: []string{ev, "the key's public half (" + c.SSHFingerprint + ") is in the ssh-keys metadata " + in.d.Name + " honours; OS Login is off", reach}})
			continue
		}
		var addrs []string
		for _, ni := range in.d.NetworkInterfaces {
			for _, ac := range ni.AccessConfigs {
				if ac.NatIP != "" {
					addrs = append(addrs, strings.ToLower(ac.NatIP))
				}
			}
		}
		named := scan.HostsNaming(object, addrs)
		if len(named) > 0 {
			b.move(graph.Edge{From: id, To: in.asset.Name, Kind: graph.EdgeAdministers, Technique: TechSSHKeyLogin, Likelihood: 0.7, Conditional: true, Findings: fs,
				Evidence: append(append([]string{ev}, named...), reach,
					"conditional: the instance's metadata does not hold the key; whether its user's authorized_keys does is the host's configuration, not collected")})
		}
	}
}

// metadataHoldsKey reports whether the instance's ssh-keys metadata (or
// the project's, unless blocked) holds a public key with the fingerprint.
func (b *builder) metadataHoldsKey(in instanceInfo, fp string) bool {
	sets := []inventory.Metadata{in.d.Metadata}
	if !in.blockPrj {
		sets = append(sets, b.projectMetadata(in.project))
	}
	for _, m := range sets {
		for _, k := range []string{"ssh-keys", "sshKeys"} {
			v, _ := m.Get(k)
			for _, line := range strings.Split(v, "\n") {
				// "user:ssh-rsa AAAA... comment"
				if _, key, ok := strings.Cut(line, ":"); ok && credscan.SSHPublicKeyFingerprint(key) == fp {
					return true
				}
			}
		}
	}
	return false
}
