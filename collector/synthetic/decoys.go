package synthetic

import (
	"context"
	"fmt"

	"github.com/breachpath/breachpath/graph"
)

// decoyKind is a misconfiguration that looks alarming but leads nowhere: it
// carries a finding and must lie on no source -> target path.
type decoyKind struct {
	name  string
	cloud graph.Cloud
	plant func(g *gen, s *scope) Decoy
}

var decoyKinds = []decoyKind{
	{"aws-open-sg-no-identity", graph.CloudAWS, decoyOpenNoIdentity},
	{"azure-open-ssh-no-identity", graph.CloudAzure, decoyOpenNoIdentity},
	{"gcp-open-ssh-no-identity", graph.CloudGCP, decoyOpenNoIdentity},
	{"aws-public-bucket-public-data", graph.CloudAWS, decoyPublicData},
	{"azure-public-container-public-data", graph.CloudAzure, decoyPublicData},
	{"gcp-public-bucket-public-data", graph.CloudGCP, decoyPublicData},
	{"aws-imdsv1-private-instance", graph.CloudAWS, decoyPrivateIMDS},
	{"azure-sql-tde-disabled-unreachable", graph.CloudAzure, decoyUnreachableDB},
	{"gcp-sa-user-keys-unused", graph.CloudGCP, decoyUnusedSAKeys},
	{"aws-admin-role-unreachable", graph.CloudAWS, decoyAdminRole},
	{"aws-unencrypted-rds-unreachable", graph.CloudAWS, decoyUnreachableDB},
	{"gcp-bigquery-no-cmek-unreachable", graph.CloudGCP, decoyUnreachableDB},
	{"aws-wildcard-policy-unused-role", graph.CloudAWS, decoyWildcardPolicy},
	{"aws-external-trust-powerless-role", graph.CloudAWS, decoyExternalPowerless},
}

// DecoyKinds lists the names of the decoy kinds.
func DecoyKinds() []string {
	out := make([]string, len(decoyKinds))
	for i, d := range decoyKinds {
		out[i] = d.name
	}
	return out
}

func (g *gen) decoyAll(ctx context.Context) error {
	var usable []decoyKind
	for _, d := range decoyKinds {
		if len(g.byCloud[d.cloud]) > 0 {
			usable = append(usable, d)
		}
	}
	for i := 0; len(g.truth.Decoys) < g.opts.Decoys; i++ {
		if i%64 == 0 && ctx.Err() != nil {
			return fmt.Errorf("synthetic decoys: %w", ctx.Err())
		}
		d := usable[i%len(usable)]
		dec := d.plant(g, g.scopeOf(d.cloud))
		dec.Kind = d.name
		g.truth.Decoys = append(g.truth.Decoys, dec)
	}
	return nil
}

// decoyOpenNoIdentity: an instance open to the Internet on an admin port,
// with no identity and no network path onward. The Internet reaches it; it
// reaches nothing.
func decoyOpenNoIdentity(g *gen, s *scope) Decoy {
	n := s.net()
	fw := s.firewall(n, map[graph.Cloud]string{graph.CloudAWS: "launch-wizard", graph.CloudAzure: "nsg-test", graph.CloudGCP: "allow-ssh-test"}[s.cloud])
	rule := map[graph.Cloud]string{graph.CloudAWS: "aws.ec2.sg-open-admin-port", graph.CloudAzure: "azure.network.nsg-open-ssh", graph.CloudGCP: "gcp.compute.firewall-open-ssh"}[s.cloud]
	f := s.finding(rule, fw, "ingress tcp/22 from 0.0.0.0/0")
	var props graph.Props
	if s.cloud == graph.CloudAWS {
		props = graph.Props{"metadata_http_tokens": "required", "imds_v1": false}
	}
	vm := s.vm(n, s.name("sandbox", s.label), true, fw, props)
	s.move(g.internet(s), vm, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.95), props: port(22),
		evidence: ev("rule set " + short(fw) + " allows tcp/22 from 0.0.0.0/0"), findings: fids(f)})
	return Decoy{FindingID: f, Resource: fw, Why: "the exposed instance has no identity and no network path to anything sensitive"}
}

// decoyPublicData: publicly readable storage that holds public data only.
func decoyPublicData(g *gen, s *scope) Decoy {
	n := s.net()
	rule := map[graph.Cloud]string{graph.CloudAWS: "aws.s3.bucket-public", graph.CloudAzure: "azure.storage.container-public-access", graph.CloudGCP: "gcp.storage.bucket-public"}[s.cloud]
	tech := map[graph.Cloud]string{graph.CloudAWS: "aws.s3.public-read", graph.CloudAzure: "azure.storage.anonymous-blob-read", graph.CloudGCP: "gcp.storage.all-users-read"}[s.cloud]
	b := s.store(tBucket, n, s.label+"-static-assets", graph.SensitivityPublic, false)
	f := s.finding(rule, b, "public read access on a bucket tagged data-classification=public")
	s.move(g.anonymous(s), b, mv{kind: graph.EdgeReads, technique: tech, likelihood: 1, evidence: ev("public read access"), findings: fids(f)})
	g.reached(b, 1)
	return Decoy{FindingID: f, Resource: b, Why: "the storage is public by design and holds only public data"}
}

// decoyPrivateIMDS: IMDSv1 on an instance nobody outside can reach.
func decoyPrivateIMDS(g *gen, s *scope) Decoy {
	n := s.net()
	vm := s.vm(n, s.name("worker", s.label), false, n.sgApp, graph.Props{"metadata_http_tokens": "optional", "imds_v1": true})
	f := s.finding("aws.ec2.imdsv1-enabled", vm, "MetadataOptions.HttpTokens=optional on "+short(vm))
	role, _ := s.identity(vm, s.name(s.label, "worker-role"), n.region, runProfile)
	s.move(vm, role, mv{kind: graph.EdgeUsesIdentity, technique: "aws.ec2.imds-credential-theft", likelihood: 0.8,
		evidence: ev("IMDSv1 enabled"), findings: fids(f)})
	return Decoy{FindingID: f, Resource: vm, Why: "the instance sits in a private subnet that no exposed resource reaches"}
}

// decoyUnreachableDB: an unencrypted (or non-CMEK) sensitive database that
// no exposed resource or external principal can reach.
func decoyUnreachableDB(g *gen, s *scope) Decoy {
	n := s.net()
	t, rule := tDatabase, map[graph.Cloud]string{graph.CloudAWS: "aws.rds.storage-not-encrypted", graph.CloudAzure: "azure.sql.tde-disabled"}[s.cloud]
	if s.cloud == graph.CloudGCP {
		t, rule = tTable, "gcp.bigquery.dataset-no-cmek"
	}
	db := s.storeEnc(t, n, s.label+"-reporting", graph.SensitivityConfidential, false, false)
	f := s.finding(rule, db, "storage encryption at rest not configured as required")
	return Decoy{FindingID: f, Resource: db, Why: "the database is sensitive but nothing reachable from outside can reach it"}
}

// decoyAdminRole: an administrator role that nothing outside can assume.
func decoyAdminRole(g *gen, s *scope) Decoy {
	role := s.add(tRole, s.name("break-glass-admin", s.label), o().jewel())
	f := s.finding("aws.iam.admin-policy-attached", role, "arn:aws:iam::aws:policy/AdministratorAccess attached")
	if len(s.bgUsers) > 0 {
		u := s.bgUsers[s.rng.IntN(len(s.bgUsers))]
		s.fact(role, graph.EdgeTrusts, u)
	}
	return Decoy{FindingID: f, Resource: role, Why: "an admin-equivalent role, but no exposed workload or external principal can assume it"}
}

// decoyWildcardPolicy: service:* on a role nothing uses.
func decoyWildcardPolicy(g *gen, s *scope) Decoy {
	role := s.add(tRole, s.name(s.label, "legacy-etl"), o())
	pol := s.add(tPolicy, s.name(s.label, "legacy-etl-s3-all"), o())
	s.fact(role, graph.EdgePolicyAttached, pol)
	f := s.finding("aws.iam.wildcard-policy", pol, "Action s3:* on Resource *")
	return Decoy{FindingID: f, Resource: pol, Why: "the role carrying the wildcard policy is assumed by nobody"}
}

// decoyExternalPowerless: a vendor account may assume a role that can do
// nothing of consequence.
func decoyExternalPowerless(g *gen, s *scope) Decoy {
	ext, vname := g.vendor(s)
	role := s.add(tRole, s.name(vname, "readonly-billing"), o())
	s.fact(role, graph.EdgeTrusts, ext)
	f := s.finding("aws.iam.role-trusts-external-without-external-id", role, "trust policy allows sts:AssumeRole for "+ext+" with no sts:ExternalId condition")
	s.move(ext, role, mv{kind: graph.EdgeAssumes, technique: "aws.sts.assume-role-no-external-id", likelihood: 0.5,
		evidence: ev("trust policy names " + ext + " without sts:ExternalId"), findings: fids(f)})
	return Decoy{FindingID: f, Resource: role, Why: "the vendor can assume the role, but the role reads only billing metadata of no sensitivity"}
}

// decoyUnusedSAKeys: user-managed keys on a service account nothing reaches.
func decoyUnusedSAKeys(g *gen, s *scope) Decoy {
	n := s.net()
	sa, _ := s.identity("", s.name("legacy", "sync"), n.region, noRun)
	f := s.finding("gcp.iam.user-managed-sa-keys", sa, "2 user-managed keys older than 90 days")
	return Decoy{FindingID: f, Resource: sa, Why: "the keys are a hygiene issue; no exposed resource can use or create them"}
}
