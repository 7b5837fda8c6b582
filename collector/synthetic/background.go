package synthetic

import (
	"github.com/breachpath/breachpath/graph"
)

// Background resources make up the bulk of the estate: workloads, data,
// identities and network plumbing of an ordinary organisation, with fact
// edges, hygiene findings and internal move edges. Moves only ever leave
// background principals and workloads, which no exposure source reaches, so
// none of them lies on an attack path.

var workloadWords = []string{"api", "worker", "ingest", "billing", "search", "auth", "catalog", "checkout", "notify", "report", "etl", "scheduler", "gateway", "ledger", "profile"}
var dataWords = []string{"orders", "customers", "invoices", "events", "logs", "sessions", "audit", "metrics", "exports", "backups", "documents", "payments", "inventory", "telemetry", "profiles"}

// unit is one background building block and the most nodes it may create.
type unit struct {
	size   int
	weight int
	build  func(s *scope)
}

var units = []unit{
	{7, 24, (*scope).bgApp},
	{3, 30, (*scope).bgData},
	{2, 12, (*scope).bgUser},
	{4, 10, (*scope).bgServerless},
	{6, 5, (*scope).bgContainers},
	{1, 5, (*scope).bgLB},
	{2, 8, (*scope).bgRole},
	{2, 4, (*scope).bgImage},
	{3, 2, (*scope).bgSubnet},
}

var unitWeight = func() int {
	t := 0
	for _, u := range units {
		t += u.weight
	}
	return t
}()

// fill adds exactly n background nodes.
func (s *scope) fill(n int) {
	target := s.owned + n
	for s.owned < target {
		left := target - s.owned
		if left < 8 {
			s.bgSingle()
			continue
		}
		r := s.rng.IntN(unitWeight)
		for _, u := range units {
			if r < u.weight {
				u.build(s)
				break
			}
			r -= u.weight
		}
	}
}

// classification draws a data classification: mostly internal, a good share
// confidential or restricted.
func (s *scope) classification() graph.Sensitivity {
	switch r := s.rng.IntN(100); {
	case r < 10:
		return graph.SensitivityPublic
	case r < 50:
		return graph.SensitivityInternal
	case r < 80:
		return graph.SensitivityConfidential
	}
	return graph.SensitivityRestricted
}

var storeTypes = []rtype{tBucket, tBucket, tBucket, tDatabase, tTable, tTable, tQueue, tTopic, tSecret, tSecret}

// bgStore creates one background data store.
func (s *scope) bgStore() string {
	t := storeTypes[s.rng.IntN(len(storeTypes))]
	n := s.net()
	class := s.classification()
	crown := t == tSecret && class >= graph.SensitivityConfidential && s.env == "prod"
	id := s.store(t, n, s.label+"-"+dataWords[s.rng.IntN(len(dataWords))], class, crown)
	s.bgStores = append(s.bgStores, storeRef{id, t})
	if s.rng.IntN(4) == 0 {
		s.hygiene(t, id)
	}
	// internal principals already read it: realistic, and harmless because
	// no exposure source reaches them
	if np := len(s.bgPrincipals); np > 0 {
		k := s.rng.IntN(np)
		for i := range min(np, 2+s.rng.IntN(4)) {
			s.access(s.bgPrincipals[(k+i)%np], id, t, false)
		}
	}
	return id
}

// hygiene adds a low-severity finding typical for the type.
func (s *scope) hygiene(t rtype, id string) {
	var rule string
	switch s.cloud {
	case graph.CloudAWS:
		switch t {
		case tBucket:
			rule = "aws.s3.bucket-versioning-disabled"
		case tSecret:
			rule = "aws.secretsmanager.rotation-disabled"
		case tKey:
			rule = "aws.kms.key-rotation-disabled"
		}
	case graph.CloudAzure:
		if t == tSecret {
			rule = "azure.keyvault.secret-no-expiry"
		}
	case graph.CloudGCP:
		if t == tTable {
			rule = "gcp.bigquery.dataset-no-cmek"
		}
	}
	if rule != "" {
		s.finding(rule, id, "configuration read at collection time")
	}
}

// readTech names the technique of reading or writing a store type.
var readTech = map[graph.Cloud]map[rtype][2]string{
	graph.CloudAWS: {
		tBucket: {"aws.s3.get-object", "aws.s3.put-object"}, tDatabase: {"aws.rds.connect", "aws.rds.connect"},
		tTable: {"aws.dynamodb.read", "aws.dynamodb.write"}, tQueue: {"aws.sqs.receive-message", "aws.sqs.send-message"},
		tTopic: {"aws.sns.subscribe", "aws.sns.publish"}, tSecret: {"aws.secretsmanager.get-secret-value", "aws.secretsmanager.put-secret-value"},
		tSnapshot: {"aws.ec2.create-volume-from-snapshot", "aws.ec2.modify-snapshot-attribute"}, tRegistry: {"aws.ecr.pull", "aws.ecr.push"},
		tImage: {"aws.ec2.describe-image", "aws.ec2.modify-image-attribute"},
	},
	graph.CloudAzure: {
		tBucket: {"azure.storage.blob-read", "azure.storage.blob-write"}, tDatabase: {"azure.sql.query", "azure.sql.write"},
		tTable: {"azure.cosmosdb.read", "azure.cosmosdb.write"}, tQueue: {"azure.servicebus.receive", "azure.servicebus.send"},
		tTopic: {"azure.servicebus.subscribe", "azure.servicebus.send"}, tSecret: {"azure.keyvault.secret-get", "azure.keyvault.secret-set"},
		tSnapshot: {"azure.compute.snapshot-export", "azure.compute.snapshot-write"}, tRegistry: {"azure.acr.pull", "azure.acr.push"},
		tImage: {"azure.compute.image-read", "azure.compute.image-write"},
	},
	graph.CloudGCP: {
		tBucket: {"gcp.storage.object-get", "gcp.storage.object-create"}, tDatabase: {"gcp.sql.connect", "gcp.sql.connect"},
		tTable: {"gcp.bigquery.read", "gcp.bigquery.write"}, tQueue: {"gcp.pubsub.pull", "gcp.pubsub.publish"},
		tTopic: {"gcp.pubsub.subscribe", "gcp.pubsub.publish"}, tSecret: {"gcp.secretmanager.access-secret-version", "gcp.secretmanager.add-version"},
		tSnapshot: {"gcp.compute.snapshot-use", "gcp.compute.snapshot-set-iam"}, tRegistry: {"gcp.artifactregistry.read", "gcp.artifactregistry.write"},
		tImage: {"gcp.compute.image-use", "gcp.compute.image-set-iam"},
	},
}

// access adds a READS (or WRITES) move from a background principal.
func (s *scope) access(principal, store string, t rtype, write bool) {
	tech := readTech[s.cloud][t]
	kind, name := graph.EdgeReads, tech[0]
	if write {
		kind, name = graph.EdgeWrites, tech[1]
	}
	if name == "" {
		return
	}
	s.move(principal, store, mv{kind: kind, technique: name, likelihood: 0.9,
		evidence: []string{"identity policy grants " + name + " on " + short(store)}})
}

// grantSome lets a principal read and write a few existing stores.
func (s *scope) grantSome(principal string, reads int) {
	seen := map[int]bool{}
	for i := 0; i < reads && len(s.bgStores) > 0; i++ {
		k := s.rng.IntN(len(s.bgStores))
		if seen[k] {
			continue
		}
		seen[k] = true
		st := s.bgStores[k]
		s.access(principal, st.id, st.t, i == 0 && s.rng.IntN(2) == 0)
	}
	// most principals also hold a couple of the scope's shared policies
	k := s.rng.IntN(len(s.policies))
	for i := range 1 + s.rng.IntN(min(3, len(s.policies))) {
		s.fact(principal, graph.EdgePolicyAttached, s.policies[(k+i)%len(s.policies)])
	}
	s.bgPrincipals = append(s.bgPrincipals, principal)
}

func (s *scope) workloadTech() string {
	switch s.cloud {
	case graph.CloudAzure:
		return "azure.compute.imds-managed-identity-token"
	case graph.CloudGCP:
		return "gcp.compute.metadata-token"
	}
	return "aws.ec2.instance-profile-credentials"
}

// bgApp: a VM with its interface, identity, policy and sometimes a disk
// snapshot; the identity reads a few stores.
func (s *scope) bgApp() {
	n := s.net()
	w := workloadWords[s.rng.IntN(len(workloadWords))]
	var props graph.Props
	if s.cloud == graph.CloudAWS {
		props = graph.Props{"metadata_http_tokens": "required", "imds_v1": false}
	}
	vm := s.vm(n, s.name(w, s.env), false, n.sgApp, props)
	s.fact(vm, graph.EdgeProtectedBy, n.sgMgmt)
	id, _ := s.identity(vm, s.name(s.label, w), n.region, runProfile)
	s.move(vm, id, mv{kind: graph.EdgeUsesIdentity, technique: s.workloadTech(), likelihood: 0.9,
		evidence: []string{"workload runs as " + short(id)}})
	if s.rng.IntN(2) == 0 {
		s.bgStore()
	}
	s.grantSome(id, 3+s.rng.IntN(5))
	s.move(id, s.keys[s.rng.IntN(len(s.keys))], mv{kind: graph.EdgeDecrypts, technique: string(s.cloud) + ".kms.decrypt", likelihood: 0.9,
		evidence: []string{"key policy grants decrypt to " + short(id)}})
	s.bgVMs = append(s.bgVMs, vm)
}

func (s *scope) bgData() {
	if s.rng.IntN(6) == 0 {
		n := s.net()
		key := s.add(tKey, s.name("cmk", s.label, dataWords[s.rng.IntN(len(dataWords))]), o().in(n.region).under(s.azParent(tKey, n.region)))
		s.keys = append(s.keys, key)
		if s.cloud == graph.CloudAWS && s.rng.IntN(3) == 0 {
			s.hygiene(tKey, key)
		}
	}
	for range 1 + s.rng.IntN(2) {
		s.bgStore()
	}
}

// bgUser: a human user in groups, with a policy and some direct access.
func (s *scope) bgUser() {
	first := []string{"ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kemal", "lena", "mo", "nia", "omar", "pia"}
	name := first[s.rng.IntN(len(first))]
	u := s.add(tUser, s.globalName(name), o())
	for _, gi := range s.rng.Perm(len(s.groups))[:1+s.rng.IntN(min(3, len(s.groups)))] {
		s.fact(u, graph.EdgeMemberOf, s.groups[gi])
	}
	pol := s.add(tPolicy, s.name(name, "inline"), o())
	s.fact(u, graph.EdgePolicyAttached, pol)
	if s.cloud == graph.CloudAWS && s.rng.IntN(6) == 0 {
		s.finding("aws.iam.user-no-mfa", u, "console password set, no MFA device")
	}
	if nr := len(s.bgRoles); nr > 0 {
		k := s.rng.IntN(nr)
		for i := range min(nr, s.rng.IntN(3)) {
			r := s.bgRoles[(k+i)%nr]
			s.fact(r, graph.EdgeTrusts, u)
			s.move(u, r, mv{kind: graph.EdgeAssumes, technique: string(s.cloud) + ".iam.assume-role", likelihood: 0.9,
				evidence: []string{"trust policy names " + short(u)}})
		}
	}
	s.grantSome(u, 2+s.rng.IntN(4))
	s.bgUsers = append(s.bgUsers, u)
}

// bgServerless: a function with its identity and a trigger queue.
func (s *scope) bgServerless() {
	n := s.net()
	w := workloadWords[s.rng.IntN(len(workloadWords))]
	fn := s.add(tFunction, s.name(w, "fn"), o().in(n.region))
	if s.rng.IntN(2) == 0 {
		s.fact(fn, graph.EdgeInSubnet, n.private[s.rng.IntN(len(n.private))])
		s.fact(fn, graph.EdgeProtectedBy, n.sgApp)
	}
	id, _ := s.identity(fn, s.name(s.label, w, "fn"), n.region, runDirect)
	s.move(fn, id, mv{kind: graph.EdgeUsesIdentity, technique: string(s.cloud) + ".function.identity", likelihood: 0.7,
		evidence: []string{"function runs as " + short(id)}})
	s.grantSome(id, 2+s.rng.IntN(4))
	s.move(id, s.keys[s.rng.IntN(len(s.keys))], mv{kind: graph.EdgeDecrypts, technique: string(s.cloud) + ".kms.decrypt", likelihood: 0.9,
		evidence: []string{"key policy grants decrypt to " + short(id)}})
	q := s.store(tQueue, n, s.label+"-"+w+"-events", graph.SensitivityInternal, false)
	s.bgStores = append(s.bgStores, storeRef{q, tQueue})
	s.access(id, q, tQueue, false)
}

// bgContainers: a cluster, its node identity, a registry and workloads.
func (s *scope) bgContainers() {
	n := s.net()
	cl := s.add(tCluster, s.name("k8s", s.label), o().in(n.region))
	s.fact(cl, graph.EdgeInSubnet, n.private[0])
	s.fact(cl, graph.EdgeProtectedBy, n.sgApp)
	id, _ := s.identity(cl, s.name(s.label, "nodes"), n.region, runDirect)
	s.move(cl, id, mv{kind: graph.EdgeUsesIdentity, technique: string(s.cloud) + ".cluster.node-identity", likelihood: 0.8,
		evidence: []string{"cluster nodes run as " + short(id)}})
	reg := s.add(tRegistry, s.name(s.label, "images"), o().in(n.region))
	s.access(id, reg, tRegistry, false)
	for range 1 + s.rng.IntN(2) {
		w := workloadWords[s.rng.IntN(len(workloadWords))]
		c := s.add(tContainer, s.name(w, "svc"), o().in(n.region))
		s.fact(c, graph.EdgeRunsAs, id)
		s.fact(cl, graph.EdgeContains, c)
		s.move(c, id, mv{kind: graph.EdgeUsesIdentity, technique: string(s.cloud) + ".container.identity", likelihood: 0.8,
			evidence: []string{"container runs as " + short(id)}})
	}
	s.grantSome(id, 3+s.rng.IntN(4))
}

// bgLB: an internal load balancer in front of existing VMs.
func (s *scope) bgLB() {
	n := s.net()
	lb := s.add(tLB, s.name("internal", s.label), o().in(n.region).with(graph.Props{"scheme": "internal"}))
	s.fact(lb, graph.EdgeInSubnet, n.private[0])
	s.fact(lb, graph.EdgeProtectedBy, n.sgApp)
	if nv := len(s.bgVMs); nv > 0 {
		k := s.rng.IntN(nv)
		for i := range min(nv, 2+s.rng.IntN(3)) {
			s.fact(lb, graph.EdgeTargets, s.bgVMs[(k+i)%nv])
		}
	}
}

// bgRole: an operations role that users assume; some are admin-equivalent
// crown jewels.
func (s *scope) bgRole() {
	admin := s.rng.IntN(5) == 0
	opts := o()
	if admin {
		opts = opts.jewel()
	}
	role := s.add(tRole, s.name(s.label, []string{"ops", "readonly", "support", "admin"}[s.rng.IntN(4)]), opts)
	pol := s.add(tPolicy, s.name(s.label, "role-policy"), o())
	s.fact(role, graph.EdgePolicyAttached, pol)
	if admin && s.cloud == graph.CloudAWS && s.rng.IntN(2) == 0 {
		s.finding("aws.iam.admin-policy-attached", role, "arn:aws:iam::aws:policy/AdministratorAccess attached")
	}
	if len(s.bgUsers) > 0 {
		u := s.bgUsers[s.rng.IntN(len(s.bgUsers))]
		s.fact(role, graph.EdgeTrusts, u)
		s.move(u, role, mv{kind: graph.EdgeAssumes, technique: string(s.cloud) + ".iam.assume-role", likelihood: 0.9,
			evidence: []string{"trust policy names " + short(u)}})
	}
	if !admin {
		s.grantSome(role, 3+s.rng.IntN(4))
	}
	s.bgRoles = append(s.bgRoles, role)
}

// bgImage: a machine image and a disk snapshot of an existing VM.
func (s *scope) bgImage() {
	n := s.net()
	img := s.add(tImage, s.name("golden", s.env), o().in(n.region))
	s.bgStores = append(s.bgStores, storeRef{img, tImage})
	if len(s.bgVMs) > 0 {
		vm := s.bgVMs[s.rng.IntN(len(s.bgVMs))]
		snap := s.store(tSnapshot, n, "snap-"+short(vm), s.classification(), false)
		s.fact(snap, graph.EdgeSnapshotOf, vm)
		s.bgStores = append(s.bgStores, storeRef{snap, tSnapshot})
	}
}

// bgSubnet: one more subnet with its route table and firewall rules.
func (s *scope) bgSubnet() {
	n := s.net()
	parent := ""
	if s.cloud == graph.CloudAzure {
		parent = "vpc-" + s.label + "-" + n.region + "/subnets/"
	}
	sub := s.add(tSubnet, s.name(s.label, "extra"), o().in(n.region).under(parent))
	s.fact(sub, graph.EdgeInNetwork, n.network)
	rt := s.add(tRouteTable, s.name("rt", s.label, "extra"), o().in(n.region))
	s.fact(rt, graph.EdgeInNetwork, n.network)
	s.fact(sub, graph.EdgeRoutesTo, n.nat)
	s.fact(rt, graph.EdgeRoutesTo, n.nat)
	fw := s.firewall(n, s.fwPrefix()+"-extra")
	s.fact(sub, graph.EdgeProtectedBy, fw)
}

// bgSingle adds exactly one node: the tail of the budget.
func (s *scope) bgSingle() {
	if s.rng.IntN(2) == 0 {
		s.add(tPolicy, s.name(s.label, "unused-policy"), o())
		return
	}
	n := s.net()
	id := s.store(tBucket, n, s.label+"-"+dataWords[s.rng.IntN(len(dataWords))], s.classification(), false)
	s.bgStores = append(s.bgStores, storeRef{id, tBucket})
}
