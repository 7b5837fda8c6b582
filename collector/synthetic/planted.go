package synthetic

import (
	"context"
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// pattern is one kind of planted attack path. plant builds it in the given
// scope(s) and records the paths (one, or two sharing a prefix).
type pattern struct {
	name   string
	cloud  graph.Cloud
	scopes int // AWS accounts the pattern needs
	plant  func(g *gen, s *scope)
}

// patterns interleaves the clouds so that small estates still cover all
// three; AWS has more patterns, matching its larger share of resources.
var patterns = []pattern{
	{"aws-ssh-imds-s3-fanout", graph.CloudAWS, 1, plantSSHImdsS3},
	{"azure-rdp-identity-keyvault-fanout", graph.CloudAzure, 1, plantRDPKeyVault},
	{"gcp-ssh-sa-key-bigquery", graph.CloudGCP, 1, plantGCPSAKey},
	{"aws-lambda-url-privesc", graph.CloudAWS, 1, plantLambdaURL},
	{"azure-anonymous-blob", graph.CloudAzure, 1, plantAnonymous},
	{"gcp-allusers-bucket", graph.CloudGCP, 1, plantAnonymous},
	{"aws-alb-lateral-rds", graph.CloudAWS, 1, plantALBLateral},
	{"azure-function-identity-sql", graph.CloudAzure, 1, plantAzureFunctionSQL},
	{"gcp-cloudrun-secret", graph.CloudGCP, 1, plantCloudRunSecret},
	{"aws-anonymous-s3", graph.CloudAWS, 1, plantAnonymous},
	{"azure-ssh-identity-operator-blob", graph.CloudAzure, 1, plantAzureOperator},
	{"gcp-rdp-lateral-cloudsql", graph.CloudGCP, 1, plantGCPLateralSQL},
	{"aws-external-assume-secret", graph.CloudAWS, 1, plantExternalAssume},
	{"aws-cross-account-dynamodb", graph.CloudAWS, 2, plantCrossAccount},
	{"aws-ci-chain-snapshot", graph.CloudAWS, 1, plantCIChain},
}

// Patterns lists the names of the planted-path patterns, for coverage checks
// and documentation.
func Patterns() []string {
	out := make([]string, len(patterns))
	for i, p := range patterns {
		out[i] = p.name
	}
	return out
}

// pathRec accumulates one planted path while it is built.
type pathRec struct {
	nodes, edges, findings []string
}

func from(src string) *pathRec { return &pathRec{nodes: []string{src}} }

func (p *pathRec) last() string { return p.nodes[len(p.nodes)-1] }

// hop adds the move last -> to in scope s.
func (p *pathRec) hop(s *scope, to string, m mv) *pathRec {
	s.move(p.last(), to, m)
	p.edges = append(p.edges, s.snap.Edges[len(s.snap.Edges)-1].Key().String())
	p.nodes = append(p.nodes, to)
	p.findings = append(p.findings, m.findings...)
	return p
}

// fork copies the path so that two paths can share its prefix.
func (p *pathRec) fork() *pathRec {
	return &pathRec{nodes: clone(p.nodes), edges: clone(p.edges), findings: clone(p.findings)}
}

func clone(s []string) []string { return append([]string(nil), s...) }

// current is the pattern being planted; record uses it for ids.
func (g *gen) record(p *pathRec, pattern string, cloud graph.Cloud, desc string) {
	seen := map[string]bool{}
	var fs []string
	for _, f := range p.findings {
		if !seen[f] {
			seen[f] = true
			fs = append(fs, f)
		}
	}
	g.truth.Planted = append(g.truth.Planted, PlantedPath{
		ID:          fmt.Sprintf("planted-%04d", len(g.truth.Planted)+1),
		Pattern:     pattern,
		Cloud:       cloud,
		Description: desc,
		Nodes:       p.nodes,
		Edges:       p.edges,
		Findings:    fs,
		Target:      p.last(),
	})
	g.reach[p.last()] = len(p.edges)
}

// plantAll plants opts.PlantedPaths paths, cycling through the patterns the
// estate's clouds and account counts allow.
func (g *gen) plantAll(ctx context.Context) error {
	var usable []pattern
	for _, p := range patterns {
		if len(g.byCloud[p.cloud]) >= p.scopes {
			usable = append(usable, p)
		}
	}
	for i := 0; len(g.truth.Planted) < g.opts.PlantedPaths; i++ {
		if i%64 == 0 && ctx.Err() != nil {
			return fmt.Errorf("synthetic plant: %w", ctx.Err())
		}
		p := usable[i%len(usable)]
		g.current = p.name
		p.plant(g, g.scopeOf(p.cloud))
	}
	return nil
}

// scopeOf returns the next scope of the cloud, round robin.
func (g *gen) scopeOf(c graph.Cloud) *scope {
	list := g.byCloud[c]
	s := list[g.next[c]%len(list)]
	g.next[c]++
	return s
}

// internet adds the Internet stub to the scope and returns its id.
func (g *gen) internet(s *scope) string {
	s.stub(graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Region: "global", Service: "internet"})
	g.globals[graph.InternetID] = true
	return graph.InternetID
}

// anonymous adds the cloud's everybody principal ("*", anonymous blob
// access, allUsers) to the scope and returns its id.
func (g *gen) anonymous(s *scope) string {
	id := "anonymous:" + string(s.cloud)
	name := map[graph.Cloud]string{graph.CloudAWS: "*", graph.CloudAzure: "anonymous", graph.CloudGCP: "allUsers"}[s.cloud]
	s.stub(graph.Node{ID: id, Kind: graph.KindExternalPrincipal, Cloud: s.cloud, Name: name, Region: "global",
		Service: "external", Props: graph.Props{graph.PropAnonymous: true}})
	g.globals[id] = true
	return id
}

// vendors are third-party AWS accounts our roles trust.
var vendors = []struct{ name, acct string }{
	{"log-analytics-vendor", "903245617788"},
	{"ci-saas-vendor", "918273645501"},
	{"backup-vendor", "927364518299"},
}

// vendor adds an external AWS account root and returns its id.
func (g *gen) vendor(s *scope) (string, string) {
	v := vendors[g.rng.IntN(len(vendors))]
	id := "arn:aws:iam::" + v.acct + ":root"
	s.stub(graph.Node{ID: id, Kind: graph.KindExternalPrincipal, Cloud: graph.CloudAWS, Name: v.name,
		Account: v.acct, Region: "global", Service: "iam"})
	g.globals[id] = true
	return id, v.name
}

// lk jitters a base likelihood a little, staying in (0,1].
func (g *gen) lk(base float64) float64 {
	v := base - g.rng.Float64()*0.08
	return float64(int(v*1000)) / 1000
}

func ev(parts ...string) []string { return parts }

func fids(ids ...string) []string { return ids }

// short returns the last path segment of an id, for evidence text.
func short(id string) string {
	if i := strings.LastIndexAny(id, "/:"); i >= 0 {
		return id[i+1:]
	}
	return id
}

func plantSSHImdsS3(g *gen, s *scope) {
	n := s.net()
	sg := s.firewall(n, "launch-wizard")
	fSG := s.finding("aws.ec2.sg-open-admin-port", sg, "ingress tcp/22 from 0.0.0.0/0 on "+short(sg))
	inst := s.vm(n, s.name("bastion", s.label), true, sg, graph.Props{"metadata_http_tokens": "optional", "imds_v1": true})
	fIMDS := s.finding("aws.ec2.imdsv1-enabled", inst, "MetadataOptions.HttpTokens=optional on "+short(inst))
	role, _ := s.identity(inst, s.name(s.label, "bastion-role"), n.region, runProfile)
	p := from(g.internet(s)).
		hop(s, inst, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.95), props: port(22),
			evidence: ev("public IP on "+short(inst), "security group "+short(sg)+" allows tcp/22 from 0.0.0.0/0", "subnet routes 0.0.0.0/0 to an internet gateway"), findings: fids(fSG)}).
		hop(s, role, mv{kind: graph.EdgeUsesIdentity, technique: "aws.ec2.imds-credential-theft", likelihood: g.lk(0.8),
			evidence: ev("instance profile holds role "+short(role), "IMDSv1 answers unauthenticated GET /latest/meta-data/iam/security-credentials/"), findings: fids(fIMDS)})
	for i, c := range []graph.Sensitivity{graph.SensitivityRestricted, graph.SensitivityConfidential} {
		b := s.store(tBucket, n, s.label+[]string{"-customer-exports", "-payroll-archive"}[i], c, false)
		q := p
		if i == 0 {
			q = p.fork()
		}
		q.hop(s, b, mv{kind: graph.EdgeReads, technique: "aws.s3.get-object", likelihood: g.lk(0.97),
			evidence: ev("policy of " + short(role) + " allows s3:GetObject on " + short(b) + "/*")})
		g.record(q, g.current, s.cloud, "Internet -> SSH-exposed EC2 with IMDSv1 -> instance role -> "+c.String()+" S3 bucket (shares the exposure with a sibling path)")
	}
}

func plantLambdaURL(g *gen, s *scope) {
	n := s.net()
	fn := s.add(tFunction, s.name(s.label, "webhook"), o().in(n.region).with(graph.Props{"function_url_auth_type": "NONE"}))
	url := s.add(tPublicEndpoint(s), s.name(s.label, "webhook-url"), o().in(n.region))
	s.fact(fn, graph.EdgeHasEndpoint, url)
	fURL := s.finding("aws.lambda.function-url-auth-none", fn, "FunctionUrlConfig.AuthType=NONE on "+short(fn))
	role, polID := s.identity(fn, s.name(s.label, "webhook-exec"), n.region, runDirect)
	fEsc := s.finding("aws.iam.policy-allows-privilege-escalation", polID, "allows iam:CreatePolicyVersion on arn:aws:iam::"+s.acct+":policy/*")
	admin := s.add(tRole, s.name("OrganizationAccountAccessRole", s.label), o().jewel())
	s.finding("aws.iam.admin-policy-attached", admin, "arn:aws:iam::aws:policy/AdministratorAccess attached")
	p := from(g.internet(s)).
		hop(s, fn, mv{kind: graph.EdgeExposedTo, technique: "net.function-url-public", likelihood: g.lk(0.95), props: port(443),
			evidence: ev("function URL " + short(url) + " with AuthType NONE"), findings: fids(fURL)}).
		hop(s, role, mv{kind: graph.EdgeUsesIdentity, technique: "aws.lambda.execution-role", likelihood: g.lk(0.7),
			evidence: ev("function code runs with execution role " + short(role))}).
		hop(s, admin, mv{kind: graph.EdgeEscalatesTo, technique: "aws.iam.create-policy-version", likelihood: g.lk(0.6),
			evidence: ev("iam:CreatePolicyVersion + iam:SetDefaultPolicyVersion on a policy attached to "+short(role), short(admin)+" is assumable by principals of the account"), findings: fids(fEsc)})
	g.record(p, g.current, s.cloud, "Internet -> Lambda function URL without auth -> execution role -> privilege escalation to an admin role")
}

func tPublicEndpoint(*scope) rtype { return tPublicIP }

func plantALBLateral(g *gen, s *scope) {
	n := s.net()
	lb := s.add(tLB, s.name("alb", s.label), o().in(n.region))
	s.fact(lb, graph.EdgeInSubnet, n.public[0])
	s.fact(lb, graph.EdgeProtectedBy, n.sgWeb)
	app := s.vm(n, s.name("app", s.label), false, n.sgApp, nil)
	s.fact(lb, graph.EdgeTargets, app)
	dbsg := s.firewall(n, "rds-"+s.label)
	fDB := s.finding("aws.ec2.sg-db-port-open-to-vpc", dbsg, "ingress tcp/5432 from 10.0.0.0/16 on "+short(dbsg))
	db := s.store(tDatabase, n, s.label+"-orders", graph.SensitivityConfidential, false)
	s.fact(db, graph.EdgeProtectedBy, dbsg)
	p := from(g.internet(s)).
		hop(s, lb, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(1), props: port(443),
			evidence: ev("internet-facing load balancer " + short(lb) + " listens on tcp/443")}).
		hop(s, app, mv{kind: graph.EdgeReaches, technique: "net.lb-forward", likelihood: g.lk(0.6), props: port(8080),
			evidence: ev("target group forwards to " + short(app) + " on tcp/8080")}).
		hop(s, db, mv{kind: graph.EdgeReaches, technique: "net.lateral", likelihood: g.lk(0.5), props: port(5432),
			evidence: ev(short(dbsg)+" allows tcp/5432 from the VPC CIDR", "database password found in the application's environment"), findings: fids(fDB)})
	g.record(p, g.current, s.cloud, "Internet -> load balancer -> application VM -> lateral movement to a confidential RDS database")
}

func plantAnonymous(g *gen, s *scope) {
	n := s.net()
	var rule, tech, what string
	switch s.cloud {
	case graph.CloudAWS:
		rule, tech, what = "aws.s3.bucket-public", "aws.s3.public-read", "bucket ACL grants READ to AllUsers"
	case graph.CloudAzure:
		rule, tech, what = "azure.storage.container-public-access", "azure.storage.anonymous-blob-read", "container public access level is 'container'"
	default:
		rule, tech, what = "gcp.storage.bucket-public", "gcp.storage.all-users-read", "IAM binding roles/storage.objectViewer for allUsers"
	}
	b := s.store(tBucket, n, s.label+"-marketing-uploads", graph.SensitivityConfidential, false)
	f := s.finding(rule, b, what)
	p := from(g.anonymous(s)).
		hop(s, b, mv{kind: graph.EdgeReads, technique: tech, likelihood: g.lk(1), evidence: ev(what), findings: fids(f)})
	g.record(p, g.current, s.cloud, "anonymous principal -> publicly readable storage holding confidential data")
}

func plantExternalAssume(g *gen, s *scope) {
	n := s.net()
	ext, vname := g.vendor(s)
	role := s.add(tRole, s.name(vname, "integration"), o())
	s.fact(role, graph.EdgeTrusts, ext)
	f := s.finding("aws.iam.role-trusts-external-without-external-id", role, "trust policy allows sts:AssumeRole for "+ext+" with no sts:ExternalId condition")
	secret := s.store(tSecret, n, s.label+"/prod/db-master", graph.SensitivityRestricted, true)
	p := from(ext).
		hop(s, role, mv{kind: graph.EdgeAssumes, technique: "aws.sts.assume-role-no-external-id", likelihood: g.lk(0.5),
			evidence: ev("trust policy of " + short(role) + " names " + ext + " without sts:ExternalId"), findings: fids(f)}).
		hop(s, secret, mv{kind: graph.EdgeReads, technique: "aws.secretsmanager.get-secret-value", likelihood: g.lk(0.95),
			evidence: ev("role policy allows secretsmanager:GetSecretValue on " + short(secret))})
	g.record(p, g.current, s.cloud, "external vendor account -> role trusted without external id -> database master secret")
}

func plantCrossAccount(g *gen, a *scope) {
	b := g.scopeOf(graph.CloudAWS)
	if b == a {
		b = g.scopeOf(graph.CloudAWS)
	}
	n := a.net()
	sg := a.firewall(n, "launch-wizard")
	fSG := a.finding("aws.ec2.sg-open-admin-port", sg, "ingress tcp/22 from 0.0.0.0/0 on "+short(sg))
	inst := a.vm(n, a.name("jenkins", a.label), true, sg, graph.Props{"metadata_http_tokens": "optional", "imds_v1": true})
	fIMDS := a.finding("aws.ec2.imdsv1-enabled", inst, "MetadataOptions.HttpTokens=optional on "+short(inst))
	roleA, _ := a.identity(inst, a.name(a.label, "jenkins-role"), n.region, runProfile)
	roleANode := a.nodeCopy(roleA)
	nb := b.net()
	roleB := b.add(tRole, b.name("cross-account-deployer", a.label), o())
	b.stub(roleANode)
	b.fact(roleB, graph.EdgeTrusts, roleA)
	fTrust := b.finding("aws.iam.role-trusts-account-root", roleB, "trust policy names arn:aws:iam::"+a.acct+":root")
	table := b.store(tTable, nb, b.label+"-ledger", graph.SensitivityRestricted, false)
	p := from(g.internet(a)).
		hop(a, inst, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.95), props: port(22),
			evidence: ev("security group " + short(sg) + " allows tcp/22 from 0.0.0.0/0"), findings: fids(fSG)}).
		hop(a, roleA, mv{kind: graph.EdgeUsesIdentity, technique: "aws.ec2.imds-credential-theft", likelihood: g.lk(0.8),
			evidence: ev("IMDSv1 enabled on " + short(inst)), findings: fids(fIMDS)}).
		hop(b, roleB, mv{kind: graph.EdgeAssumes, technique: "aws.sts.assume-role", likelihood: g.lk(0.9),
			evidence: ev("trust policy of "+short(roleB)+" allows account "+a.acct, "policy of "+short(roleA)+" allows sts:AssumeRole on "+roleB), findings: fids(fTrust)}).
		hop(b, table, mv{kind: graph.EdgeReads, technique: "aws.dynamodb.read", likelihood: g.lk(0.95),
			evidence: ev("role policy allows dynamodb:Scan on " + short(table))})
	g.record(p, g.current, a.cloud, "Internet -> exposed Jenkins EC2 (IMDSv1) in one account -> cross-account role in another -> restricted DynamoDB table")
}

func plantCIChain(g *gen, s *scope) {
	n := s.net()
	sg := s.firewall(n, "jump-"+s.label)
	fSG := s.finding("aws.ec2.sg-open-app-port", sg, "ingress tcp/8080 from 0.0.0.0/0 on "+short(sg))
	jump := s.vm(n, s.name("jump", s.label), true, sg, nil)
	bsg := s.firewall(n, "build-"+s.label)
	fSSH := s.finding("aws.ec2.sg-ssh-open-to-vpc", bsg, "ingress tcp/22 from 10.0.0.0/16 on "+short(bsg))
	build := s.vm(n, s.name("build", s.label), false, bsg, graph.Props{"metadata_http_tokens": "optional", "imds_v1": true})
	fIMDS := s.finding("aws.ec2.imdsv1-enabled", build, "MetadataOptions.HttpTokens=optional on "+short(build))
	ci, _ := s.identity(build, s.name(s.label, "ci"), n.region, runProfile)
	deploy := s.add(tRole, s.name(s.label, "deployer"), o())
	s.fact(deploy, graph.EdgeTrusts, ci)
	dpol := s.add(tPolicy, s.name(s.label, "deployer-policy"), o())
	s.fact(deploy, graph.EdgePolicyAttached, dpol)
	fEsc := s.finding("aws.iam.policy-allows-privilege-escalation", dpol, "allows iam:AttachRolePolicy on arn:aws:iam::"+s.acct+":role/*")
	data := s.add(tRole, s.name(s.label, "data-migration"), o())
	snap := s.store(tSnapshot, n, "snap-"+s.label+"-customers", graph.SensitivityRestricted, false)
	p := from(g.internet(s)).
		hop(s, jump, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.9), props: port(8080),
			evidence: ev("security group " + short(sg) + " allows tcp/8080 from 0.0.0.0/0"), findings: fids(fSG)}).
		hop(s, build, mv{kind: graph.EdgeReaches, technique: "net.lateral", likelihood: g.lk(0.5), props: port(22),
			evidence: ev(short(bsg) + " allows tcp/22 from the VPC CIDR"), findings: fids(fSSH)}).
		hop(s, ci, mv{kind: graph.EdgeUsesIdentity, technique: "aws.ec2.imds-credential-theft", likelihood: g.lk(0.8),
			evidence: ev("IMDSv1 enabled on " + short(build)), findings: fids(fIMDS)}).
		hop(s, deploy, mv{kind: graph.EdgeAssumes, technique: "aws.sts.assume-role", likelihood: g.lk(0.9),
			evidence: ev("trust policy of " + short(deploy) + " names " + short(ci))}).
		hop(s, data, mv{kind: graph.EdgeEscalatesTo, technique: "aws.iam.attach-role-policy", likelihood: g.lk(0.6),
			evidence: ev("iam:AttachRolePolicy on " + short(data) + " and sts:AssumeRole on it"), findings: fids(fEsc)}).
		hop(s, snap, mv{kind: graph.EdgeReads, technique: "aws.ec2.create-volume-from-snapshot", likelihood: g.lk(0.85),
			evidence: ev("role policy allows ec2:CreateVolume from " + short(snap))})
	g.record(p, g.current, s.cloud, "Internet -> jump host -> build server (IMDSv1) -> CI role -> deployer role -> escalation to a data role -> restricted EBS snapshot")
}

func plantRDPKeyVault(g *gen, s *scope) {
	n := s.net()
	nsg := s.firewall(n, "nsg-"+s.label+"-rdp")
	fNSG := s.finding("azure.network.nsg-open-rdp", nsg, "inbound rule allow-rdp: Any -> 3389/tcp from Internet")
	vm := s.vm(n, s.name("vm-win", s.label), true, nsg, graph.Props{"os": "windows"})
	mi, _ := s.identity(vm, s.name("id", s.label, "app"), n.region, runDirect)
	p := from(g.internet(s)).
		hop(s, vm, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.9), props: port(3389),
			evidence: ev("public IP on " + short(vm) + ", NSG " + short(nsg) + " allows 3389 from Internet"), findings: fids(fNSG)}).
		hop(s, mi, mv{kind: graph.EdgeUsesIdentity, technique: "azure.compute.imds-managed-identity-token", likelihood: g.lk(0.85),
			evidence: ev("user-assigned identity " + short(mi) + " attached to the VM; token from 169.254.169.254/metadata/identity")})
	for i, name := range []string{"sql-admin-password", "storage-connection-string"} {
		sec := s.store(tSecret, n, name, graph.SensitivityRestricted, true)
		f := s.finding("azure.keyvault.access-policy-broad", sec, "access policy grants "+short(mi)+" secrets get,list")
		q := p
		if i == 0 {
			q = p.fork()
		}
		q.hop(s, sec, mv{kind: graph.EdgeReads, technique: "azure.keyvault.secret-get", likelihood: g.lk(0.95),
			evidence: ev("vault access policy: " + short(mi) + " secrets/get"), findings: fids(f)})
		g.record(q, g.current, s.cloud, "Internet -> VM with RDP open -> managed identity -> Key Vault secret (shares the exposure with a sibling path)")
	}
}

func plantAzureFunctionSQL(g *gen, s *scope) {
	n := s.net()
	fn := s.add(tFunction, s.name("func", s.label, "api"), o().in(n.region).with(graph.Props{"auth_enabled": false}))
	fAuth := s.finding("azure.appservice.auth-disabled", fn, "siteConfig: authentication disabled, HTTP trigger authLevel anonymous")
	mi, ra := s.identity(fn, s.name("id", s.label, "func"), n.region, runDirect)
	fRole := s.finding("azure.authorization.identity-broad-role", ra, "Contributor assigned to "+short(mi)+" at /subscriptions/"+s.acct)
	db := s.store(tDatabase, n, "sqldb-"+s.label+"-customers", graph.SensitivityConfidential, false)
	p := from(g.internet(s)).
		hop(s, fn, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.95), props: port(443),
			evidence: ev(short(fn) + ".azurewebsites.net answers anonymous HTTP triggers"), findings: fids(fAuth)}).
		hop(s, mi, mv{kind: graph.EdgeUsesIdentity, technique: "azure.appservice.managed-identity-token", likelihood: g.lk(0.7),
			evidence: ev("IDENTITY_ENDPOINT issues tokens for " + short(mi))}).
		hop(s, db, mv{kind: graph.EdgeAdministers, technique: "azure.authorization.contributor-data-access", likelihood: g.lk(0.6),
			evidence: ev("Contributor at subscription scope can reset the SQL server admin password"), findings: fids(fRole)})
	g.record(p, g.current, s.cloud, "Internet -> anonymous Function App -> managed identity with Contributor -> confidential SQL database")
}

func plantAzureOperator(g *gen, s *scope) {
	n := s.net()
	nsg := s.firewall(n, "nsg-"+s.label+"-ssh")
	fNSG := s.finding("azure.network.nsg-open-ssh", nsg, "inbound rule allow-ssh: Any -> 22/tcp from Internet")
	vm := s.vm(n, s.name("vm-ops", s.label), true, nsg, graph.Props{"os": "linux"})
	mi, ra := s.identity(vm, s.name("id", s.label, "ops"), n.region, runDirect)
	fOp := s.finding("azure.authorization.identity-broad-role", ra, "Managed Identity Operator assigned to "+short(mi)+" at subscription scope")
	mi2, _ := s.identity("", s.name("id", s.label, "backup"), n.region, noRun)
	blob := s.store(tBucket, n, "backups", graph.SensitivityRestricted, false)
	p := from(g.internet(s)).
		hop(s, vm, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.9), props: port(22),
			evidence: ev("NSG " + short(nsg) + " allows 22 from Internet"), findings: fids(fNSG)}).
		hop(s, mi, mv{kind: graph.EdgeUsesIdentity, technique: "azure.compute.imds-managed-identity-token", likelihood: g.lk(0.85),
			evidence: ev("identity " + short(mi) + " attached to " + short(vm))}).
		hop(s, mi2, mv{kind: graph.EdgeEscalatesTo, technique: "azure.managedidentity.operator-assign", likelihood: g.lk(0.55),
			evidence: ev("Managed Identity Operator lets " + short(mi) + " attach " + short(mi2) + " to a VM it controls"), findings: fids(fOp)}).
		hop(s, blob, mv{kind: graph.EdgeReads, technique: "azure.storage.blob-read", likelihood: g.lk(0.95),
			evidence: ev("Storage Blob Data Reader for " + short(mi2) + " on the container")})
	g.record(p, g.current, s.cloud, "Internet -> VM with SSH open -> managed identity -> Managed Identity Operator escalation -> restricted backup container")
}

func plantGCPSAKey(g *gen, s *scope) {
	n := s.net()
	fw := s.firewall(n, "allow-ssh-"+s.label)
	fFW := s.finding("gcp.compute.firewall-open-ssh", fw, "INGRESS allow tcp:22 from 0.0.0.0/0")
	inst := s.vm(n, s.name("etl", s.label), true, fw, graph.Props{"scopes": []string{"https://www.googleapis.com/auth/cloud-platform"}})
	fScope := s.finding("gcp.compute.default-sa-full-scopes", inst, "serviceAccounts[0].scopes = cloud-platform")
	sa, _ := s.identity(inst, s.name("etl", "runner"), n.region, runDirect)
	fKey := s.finding("gcp.iam.sa-key-creation", sa, "roles/iam.serviceAccountKeyAdmin granted to "+short(sa)+" on the project")
	sa2, _ := s.identity("", s.name("bq", "exporter"), n.region, noRun)
	ds := s.store(tTable, n, strings.ReplaceAll(s.label, "-", "_")+"_customer_pii", graph.SensitivityRestricted, false)
	p := from(g.internet(s)).
		hop(s, inst, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.9), props: port(22),
			evidence: ev("firewall " + short(fw) + " allows tcp:22 from 0.0.0.0/0 to the instance's network"), findings: fids(fFW)}).
		hop(s, sa, mv{kind: graph.EdgeUsesIdentity, technique: "gcp.compute.metadata-token", likelihood: g.lk(0.85),
			evidence: ev("metadata server issues cloud-platform tokens for " + short(sa)), findings: fids(fScope)}).
		hop(s, sa2, mv{kind: graph.EdgeEscalatesTo, technique: "gcp.iam.service-account-key-create", likelihood: g.lk(0.7),
			evidence: ev("iam.serviceAccountKeys.create on " + short(sa2)), findings: fids(fKey)}).
		hop(s, ds, mv{kind: graph.EdgeReads, technique: "gcp.bigquery.read", likelihood: g.lk(0.95),
			evidence: ev("roles/bigquery.dataViewer for " + short(sa2) + " on the dataset")})
	g.record(p, g.current, s.cloud, "Internet -> SSH-exposed instance -> service account -> key creation for another service account -> restricted BigQuery dataset")
}

func plantCloudRunSecret(g *gen, s *scope) {
	n := s.net()
	svc := s.add(tContainer, s.name("api", s.label), o().in(n.region).with(graph.Props{"ingress": "all"}))
	fRun := s.finding("gcp.run.allow-unauthenticated", svc, "roles/run.invoker granted to allUsers")
	sa, _ := s.identity(svc, s.name("run", "api"), n.region, runDirect)
	fPrim := s.finding("gcp.iam.primitive-role", sa, "roles/editor granted to "+short(sa))
	sec := s.store(tSecret, n, "stripe-api-key", graph.SensitivityRestricted, true)
	p := from(g.internet(s)).
		hop(s, svc, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.95), props: port(443),
			evidence: ev("run.app URL accepts unauthenticated requests"), findings: fids(fRun)}).
		hop(s, sa, mv{kind: graph.EdgeUsesIdentity, technique: "gcp.run.service-identity-token", likelihood: g.lk(0.6),
			evidence: ev("service runs as " + short(sa))}).
		hop(s, sec, mv{kind: graph.EdgeReads, technique: "gcp.secretmanager.access-secret-version", likelihood: g.lk(0.95),
			evidence: ev("roles/editor includes secretmanager.versions.access"), findings: fids(fPrim)})
	g.record(p, g.current, s.cloud, "Internet -> unauthenticated Cloud Run service -> editor service account -> Secret Manager secret")
}

func plantGCPLateralSQL(g *gen, s *scope) {
	n := s.net()
	fw := s.firewall(n, "allow-rdp-"+s.label)
	fFW := s.finding("gcp.compute.firewall-open-rdp", fw, "INGRESS allow tcp:3389 from 0.0.0.0/0")
	inst := s.vm(n, s.name("win-report", s.label), true, fw, graph.Props{"os": "windows"})
	db := s.store(tDatabase, n, "sql-"+s.label+"-billing", graph.SensitivityConfidential, false)
	p := from(g.internet(s)).
		hop(s, inst, mv{kind: graph.EdgeExposedTo, technique: "net.internet-exposure", likelihood: g.lk(0.9), props: port(3389),
			evidence: ev("firewall " + short(fw) + " allows tcp:3389 from 0.0.0.0/0"), findings: fids(fFW)}).
		hop(s, db, mv{kind: graph.EdgeReaches, technique: "net.lateral", likelihood: g.lk(0.45), props: port(5432),
			evidence: ev("instance and Cloud SQL private IP share the VPC network", "saved connection profile on the reporting host")})
	g.record(p, g.current, s.cloud, "Internet -> RDP-exposed reporting instance -> lateral movement to a confidential Cloud SQL instance")
}
