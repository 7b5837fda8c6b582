package transform

import (
	"slices"
	"strings"

	gcpiam "github.com/breachpath/breachpath/collector/gcp/iam"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/secrets"
)

// scopedToken is the credential a workload's metadata server hands out
// when its OAuth scopes are narrower than cloud-platform: the service
// account's permissions, cut to the APIs the scopes allow.
type scopedToken struct {
	sa     string // service account node id
	member string // "serviceAccount:<email>"
	mask   gcpiam.Set
	scopes []string
}

const scopePrefix = "https://www.googleapis.com/auth/"

// shortScope turns a scope URL or gcloud alias into its short name.
func shortScope(s string) string {
	s = strings.TrimPrefix(s, scopePrefix)
	switch s {
	case "compute-rw":
		return "compute"
	case "compute-ro":
		return "compute.readonly"
	case "storage-ro":
		return "devstorage.read_only"
	case "storage-rw":
		return "devstorage.read_write"
	case "storage-full":
		return "devstorage.full_control"
	case "sql-admin":
		return "sqlservice.admin"
	}
	return s
}

// readOnlyVerb reports whether a permission only reads.
func readOnlyVerb(perm string) bool {
	i := strings.LastIndexByte(perm, '.')
	verb := perm[i+1:]
	return verb == "get" || verb == "list" || verb == "getData" || verb == "access" || verb == "consume"
}

// scopeAllows reports whether an access token with the scope can be used
// for the permission's API.
func scopeAllows(scope, perm string) bool {
	svc, _, _ := strings.Cut(perm, ".")
	switch scope {
	case "cloud-platform":
		return true
	case "cloud-platform.read-only":
		return readOnlyVerb(perm)
	case "compute":
		return svc == "compute"
	case "compute.readonly":
		return svc == "compute" && readOnlyVerb(perm)
	case "devstorage.full_control":
		return svc == "storage"
	case "devstorage.read_write":
		return svc == "storage" && !strings.Contains(perm, "IamPolicy")
	case "devstorage.read_only":
		return svc == "storage" && readOnlyVerb(perm)
	case "bigquery":
		return svc == "bigquery"
	case "bigquery.readonly":
		return svc == "bigquery" && readOnlyVerb(perm)
	case "sqlservice.admin":
		return svc == "cloudsql"
	case "pubsub":
		return svc == "pubsub"
	case "iam":
		return svc == "iam"
	case "cloudkms":
		return svc == "cloudkms"
	case "datastore":
		return svc == "datastore"
	}
	return false
}

// identityFor returns the node a workload with the service account and
// scopes uses: the service account itself under cloud-platform, else a
// scoped-token node (nil scopes mean a serverless runtime: full access).
func (b *builder) identityFor(email string, scopes []string, owner string, region string, scoped bool) (id string, short []string) {
	sa := b.principal("serviceAccount:" + email)
	if sa == "" {
		return "", nil
	}
	if !scoped {
		return sa, nil
	}
	for _, s := range scopes {
		short = append(short, shortScope(s))
	}
	slices.Sort(short)
	short = slices.Compact(short)
	if slices.Contains(short, "cloud-platform") {
		return sa, short
	}
	id = sa + "/scopes/" + strings.Join(short, ",")
	if _, ok := b.scopedNodes[id]; !ok {
		var mask gcpiam.Set
		for _, s := range short {
			mask |= b.eval.Filter(func(p string) bool { return scopeAllows(s, p) })
		}
		b.scopedNodes[id] = scopedToken{sa: sa, member: "serviceAccount:" + strings.ToLower(email), mask: mask, scopes: short}
		b.addNode(graph.Node{ID: id, Kind: graph.KindServiceAccount, NativeType: "iam.googleapis.com/ServiceAccount#scopedToken",
			Name: email + " (scopes: " + strings.Join(short, ", ") + ")", Account: b.nodes[sa].Account, Region: "global",
			Service: "compute", Props: graph.Props{"service_account": email, "scopes": short, "synthetic": true}}, owner)
	}
	return id, short
}

// workloads draws workload -> identity (instances, functions, Cloud Run,
// GKE node pools) and the Internet exposure of serverless services, Cloud
// SQL and GKE control planes.
func (b *builder) workloads() error {
	for i := range b.instances {
		in := &b.instances[i]
		if in.sa == "" {
			continue
		}
		owner := b.owner[in.asset.Name]
		id, short := b.identityFor(in.sa, in.scopes, owner, "", true)
		if id == "" {
			continue
		}
		sa := b.saID(in.sa)
		b.fact(in.asset.Name, graph.EdgeRunsAs, sa)
		if len(short) == 0 {
			continue // no scopes: the metadata server issues no usable token
		}
		ev := []string{"the instance runs as " + in.sa + " with scopes " + strings.Join(short, ", "),
			"the metadata server issues its access token to any process on the instance"}
		var fs []string
		if isDefaultComputeSA(in.sa) && slices.Contains(short, "cloud-platform") {
			fs = append(fs, b.finding("gcp.compute.default-sa-full-scopes", in.asset.Name, "runs as the default compute service account with the cloud-platform scope"))
		} else if isDefaultComputeSA(in.sa) {
			fs = append(fs, b.finding("gcp.compute.default-sa", in.asset.Name, "runs as the default compute service account "+in.sa))
		}
		b.move(graph.Edge{From: in.asset.Name, To: id, Kind: graph.EdgeUsesIdentity, Technique: "gcp.compute.metadata-token",
			Evidence: ev, Findings: compact(fs)})
	}
	for _, a := range sortedAssets(b.inv) {
		if !a.HasData() {
			continue
		}
		switch a.AssetType {
		case inventory.TypeFunctionV1, inventory.TypeFunctionV2:
			var d inventory.Function
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
				continue
			}
			n := b.resourceNode(a, graph.KindFunction, "cloudfunctions", inventory.LastSegment(a.Name), d.Labels)
			sa, ingress := d.Identity()
			if sa == "" && a.AssetType == inventory.TypeFunctionV1 {
				if p := b.h.projectOf(a); p != nil {
					sa = p.ID + "@appspot.gserviceaccount.com" // the 1st gen default runtime account
				}
			}
			n.Props["ingress"] = ingress
			b.plaintextSecrets(a.Name, "gcp.cloudfunctions.env-secret", "environment variable", d.Env())
			b.serverless(a, sa, strings.EqualFold(ingress, "ALLOW_ALL"), "cloudfunctions.functions.invoke", "run.routes.invoke",
				"gcp.cloudfunctions.runtime-identity", "gcp.cloudfunctions.public-invoker", "gcp.cloudfunctions.allow-unauthenticated")
		case inventory.TypeRunService:
			var d inventory.RunService
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
				continue
			}
			n := b.resourceNode(a, graph.KindFunction, "run", inventory.LastSegment(a.Name), d.AllLabels())
			sa, ingress := d.Identity()
			if sa == "" {
				if p := b.h.projectOf(a); p != nil {
					sa = p.Number + "-compute@developer.gserviceaccount.com" // Cloud Run's default
				}
			}
			n.Props["ingress"] = ingress
			b.serverless(a, sa, ingress == "all", "run.routes.invoke", "",
				"gcp.run.service-identity-token", "gcp.run.public-invoker", "gcp.run.allow-unauthenticated")
		case inventory.TypeSQLInstance:
			b.sqlExposure(a)
		case inventory.TypeCluster:
			b.cluster(a)
		}
	}
	return nil
}

// serverless draws the runtime identity and the unauthenticated exposure
// of a function or Cloud Run service.
func (b *builder) serverless(a *inventory.Asset, sa string, allIngress bool, invokePerm, altPerm, idTech, pubTech, rule string) {
	if p := b.h.projectOf(a); p != nil {
		b.fact(p.Name, graph.EdgeContains, a.Name)
	}
	if sa != "" {
		id := b.principal("serviceAccount:" + sa)
		if id != "" {
			b.fact(a.Name, graph.EdgeRunsAs, id)
			b.move(graph.Edge{From: a.Name, To: id, Kind: graph.EdgeUsesIdentity, Technique: idTech,
				Evidence: []string{"runs as " + sa + "; code in it gets the account's token from the metadata server"}})
		}
	}
	grants := b.eval.Grants(b.h.chain(a))
	need := b.eval.Mask(invokePerm, altPerm)
	for _, who := range []string{"allUsers", "allAuthenticatedUsers"} {
		g := grants[who]
		if g == nil || g.All()&need == 0 {
			continue
		}
		if !allIngress {
			continue
		}
		f := b.finding(rule, a.Name, who+" may invoke it ("+strings.Join(b.eval.Evidence(g, need), "; ")+")")
		b.internetNode()
		b.move(graph.Edge{From: graph.InternetID, To: a.Name, Kind: graph.EdgeExposedTo, Technique: pubTech,
			Evidence: append([]string{"ingress allows all traffic"}, b.eval.Evidence(g, need)...), Findings: compact([]string{f}),
			Conditional: g.Perms&need == 0, Props: graph.Props{"ports": []string{"tcp/443"}}})
	}
}

// sqlExposure draws Internet -> Cloud SQL for a public IP whose
// authorized networks include 0.0.0.0/0.
func (b *builder) sqlExposure(a *inventory.Asset) {
	var d inventory.SQLInstance
	if err := a.Decode(&d); err != nil {
		return
	}
	ipc := d.Settings.IPConfiguration
	if !ipc.IPv4Enabled {
		return
	}
	b.finding("gcp.sql.public-ip", a.Name, "ipConfiguration.ipv4Enabled = true")
	for _, an := range ipc.AuthorizedNetworks {
		if isInternet(an.Value) {
			f := b.finding("gcp.sql.open-authorized-network", a.Name, "authorized network "+an.Value)
			b.internetNode()
			port := "tcp/5432"
			if strings.HasPrefix(d.DatabaseVersion, "MYSQL") {
				port = "tcp/3306"
			} else if strings.HasPrefix(d.DatabaseVersion, "SQLSERVER") {
				port = "tcp/1433"
			}
			b.move(graph.Edge{From: graph.InternetID, To: a.Name, Kind: graph.EdgeExposedTo, Technique: "gcp.sql.public-authorized-network",
				Evidence: []string{"public IP with authorized network " + an.Value}, Findings: []string{f}, Props: graph.Props{"ports": []string{port}}})
			return
		}
	}
}

// cluster adds a GKE cluster, its node identity and control-plane exposure.
func (b *builder) cluster(a *inventory.Asset) {
	var d inventory.Cluster
	if err := a.Decode(&d); err != nil {
		b.warn("%v", err)
		return
	}
	n := b.resourceNode(a, graph.KindCluster, "container", d.Name, d.ResourceLabels)
	wi := d.WorkloadIdentityConfig != nil && d.WorkloadIdentityConfig.WorkloadPool != ""
	n.Props["workload_identity"] = wi
	if p := b.h.projectOf(a); p != nil {
		b.fact(p.Name, graph.EdgeContains, a.Name)
	}
	private := d.PrivateClusterConfig != nil && d.PrivateClusterConfig.EnablePrivateEndpoint
	open := true
	if m := d.MasterAuthorizedNetworksConfig; m != nil && m.Enabled {
		open = false
		for _, c := range m.CidrBlocks {
			if isInternet(c.CidrBlock) {
				open = true
			}
		}
	}
	n.Props["public_endpoint"] = !private
	if !private && open && d.Endpoint != "" {
		f := b.finding("gcp.container.public-endpoint", a.Name, "control plane "+d.Endpoint+" reachable from any address")
		b.internetNode()
		b.move(graph.Edge{From: graph.InternetID, To: a.Name, Kind: graph.EdgeExposedTo, Technique: "gcp.container.public-endpoint",
			Evidence: []string{"public endpoint without master authorized networks"}, Findings: []string{f}, Props: graph.Props{"ports": []string{"tcp/443"}}})
	}
	// Without Workload Identity, pods reach the node's service account
	// through the metadata server.
	var pools []*inventory.NodeConfig
	if d.NodeConfig != nil {
		pools = append(pools, d.NodeConfig)
	}
	for _, np := range d.NodePools {
		if np.Config != nil {
			pools = append(pools, np.Config)
		}
	}
	for _, nc := range pools {
		sa := nc.ServiceAccount
		if sa == "" || sa == "default" {
			if p := b.h.projectOf(a); p != nil {
				sa = p.Number + "-compute@developer.gserviceaccount.com"
			}
		}
		if sa == "" {
			continue
		}
		id, short := b.identityFor(sa, nc.OAuthScopes, b.owner[a.Name], "", true)
		if id == "" {
			continue
		}
		b.fact(a.Name, graph.EdgeRunsAs, b.saID(sa))
		if wi || len(short) == 0 {
			continue
		}
		b.move(graph.Edge{From: a.Name, To: id, Kind: graph.EdgeUsesIdentity, Technique: "gcp.container.node-service-account",
			Evidence: []string{"node pool runs as " + sa + " and Workload Identity is off: every pod can fetch its token"}})
	}
}

func compact(s []string) []string {
	return slices.DeleteFunc(s, func(v string) bool { return v == "" })
}

// plaintextSecrets records a finding when configuration values the
// inventory holds (function environment variables, instance metadata)
// contain secrets (graph/secrets: key names and gitleaks value shapes).
// Only the keys and kinds go into the evidence, never a value; anyone who
// can read the resource's configuration reads the secret, and the resource
// becomes a crown jewel.
func (b *builder) plaintextSecrets(resource, rule, what string, values map[string]string) {
	var hits []string
	for _, k := range sortedKeys(values) {
		if kind, ok := secrets.Classify(k, values[k]); ok {
			hits = append(hits, what+" "+k+" holds a "+string(kind))
		}
	}
	if len(hits) == 0 {
		return
	}
	if n := b.nodes[resource]; n != nil {
		n.CrownJewel = true
		n.Props["plaintext_secrets"] = int64(len(hits))
	}
	b.finding(rule, resource, strings.Join(hits, "; ")+" (values not stored)")
}
