package gcptest

import (
	"encoding/json"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// Full names of the extension's resources.
var (
	WebVM        = "//compute.googleapis.com/projects/" + ProjectID + "/zones/" + Zone + "/instances/web-vm"
	WebGroup     = "//compute.googleapis.com/projects/" + ProjectID + "/zones/" + Zone + "/instanceGroups/web-ig"
	WebBackend   = "//compute.googleapis.com/projects/" + ProjectID + "/global/backendServices/web-backend"
	WebURLMap    = "//compute.googleapis.com/projects/" + ProjectID + "/global/urlMaps/web-map"
	WebProxy     = "//compute.googleapis.com/projects/" + ProjectID + "/global/targetHttpProxies/web-proxy"
	WebLB        = "//compute.googleapis.com/projects/" + ProjectID + "/global/forwardingRules/web-lb"
	WebSA        = "web-runtime@" + ProjectID + ".iam.gserviceaccount.com"
	WebSAID      = "//iam.googleapis.com/projects/" + ProjectID + "/serviceAccounts/" + WebSA
	ReportsDS    = "//bigquery.googleapis.com/projects/" + ProjectID + "/datasets/reports"
	OrdersDB     = "//cloudsql.googleapis.com/projects/" + ProjectID + "/instances/orders-db"
	APIService   = "//run.googleapis.com/projects/" + ProjectID + "/locations/" + Region + "/services/api"
	BlogCluster  = "//container.googleapis.com/projects/" + ProjectID + "/locations/" + Region + "/clusters/blog-gke"
	BlogKeyRing  = "//cloudkms.googleapis.com/projects/" + ProjectID + "/locations/" + Region + "/keyRings/blog"
	BlogKey      = BlogKeyRing + "/cryptoKeys/blog-data"
	lbSourceNets = []string{"130.211.0.0/22", "35.191.0.0/16"}
)

// Extension adds to the lab what GCPGoat's module 1 does not have but the
// service-detail reads must be proven on: an external HTTP load balancer
// (global forwarding rule -> target HTTP proxy -> URL map -> backend
// service -> unmanaged instance group) in front of web-vm, which has no
// external address and runs as web-runtime, allowed to read the reports
// dataset; a Cloud SQL instance, a Cloud Run service, a GKE cluster and a
// KMS key. The instance group's members come only from the Compute Engine
// API (the asset inventory does not list them). members maps the group to
// its instances' self links, as instanceGroups.listInstances returns them.
func Extension(inGroup bool) (resources, policies []*inventory.Asset, members map[string][]string) {
	res := func(name, typ, loc string, d any) {
		b, _ := json.Marshal(d) // maps of strings, lists and numbers always encode
		resources = append(resources, &inventory.Asset{Name: name, AssetType: typ, Ancestors: projectAnc,
			Resource: &inventory.Resource{Location: loc, Data: b}})
	}
	pol := func(name, typ string, bindings ...inventory.Binding) {
		policies = append(policies, &inventory.Asset{Name: name, AssetType: typ, Ancestors: projectAnc,
			IAMPolicy: &inventory.Policy{Bindings: bindings}})
	}
	res(WebSAID, inventory.TypeServiceAccount, "global", map[string]any{"email": WebSA, "projectId": ProjectID,
		"name": "projects/" + ProjectID + "/serviceAccounts/" + WebSA})
	res(WebVM, inventory.TypeInstance, Zone, map[string]any{"name": "web-vm", "zone": computeLink + "/zones/" + Zone, "status": "RUNNING",
		"tags": map[string]any{"items": []string{"web"}},
		"networkInterfaces": []map[string]any{{"network": computeLink + "/global/networks/vm-vpc",
			"subnetwork": computeLink + "/regions/" + Region + "/subnetworks/vm-vpc", "networkIP": "10.138.0.5"}},
		"serviceAccounts": []map[string]any{{"email": WebSA, "scopes": []string{scopeURL + "cloud-platform"}}},
		"metadata":        map[string]any{"items": []map[string]any{{"key": "enable-oslogin", "value": "TRUE"}}}})
	res("//compute.googleapis.com/projects/"+ProjectID+"/global/firewalls/allow-lb-web", inventory.TypeFirewall, "global",
		map[string]any{"name": "allow-lb-web", "network": computeLink + "/global/networks/vm-vpc", "priority": 1000, "direction": "INGRESS",
			"allowed": []map[string]any{{"IPProtocol": "tcp", "ports": []string{"80"}}}, "sourceRanges": lbSourceNets,
			"targetTags": []string{"web"}})
	res(WebGroup, inventory.TypeInstanceGroup, Zone, map[string]any{"name": "web-ig", "zone": computeLink + "/zones/" + Zone,
		"network": computeLink + "/global/networks/vm-vpc", "namedPorts": []map[string]any{{"name": "http", "port": 80}}, "size": 1})
	res(WebBackend, inventory.TypeBackendService, "global", map[string]any{"name": "web-backend", "protocol": "HTTP", "portName": "http",
		"loadBalancingScheme": "EXTERNAL_MANAGED", "backends": []map[string]any{{"group": computeLink + "/zones/" + Zone + "/instanceGroups/web-ig"}}})
	res(WebURLMap, inventory.TypeURLMap, "global", map[string]any{"name": "web-map", "defaultService": computeLink + "/global/backendServices/web-backend"})
	res(WebProxy, inventory.TypeTargetHTTPProxy, "global", map[string]any{"name": "web-proxy", "urlMap": computeLink + "/global/urlMaps/web-map"})
	res(WebLB, inventory.TypeGlobalFwdRule, "global", map[string]any{"name": "web-lb", "IPAddress": "198.51.100.20", "IPProtocol": "TCP",
		"portRange": "80-80", "loadBalancingScheme": "EXTERNAL_MANAGED", "target": computeLink + "/global/targetHttpProxies/web-proxy"})

	res(ReportsDS, inventory.TypeDataset, "us", map[string]any{"datasetReference": map[string]any{"datasetId": "reports", "projectId": ProjectID},
		"location": "US", "labels": map[string]string{"data-classification": "confidential"},
		"access": []map[string]any{{"role": "OWNER", "userByEmail": "owner@" + Domain}, {"role": "READER", "userByEmail": WebSA}}})
	res(OrdersDB, inventory.TypeSQLInstance, Region, map[string]any{"name": "orders-db", "region": Region, "databaseVersion": "POSTGRES_15",
		"settings": map[string]any{"ipConfiguration": map[string]any{"ipv4Enabled": true,
			"authorizedNetworks": []map[string]any{{"value": "0.0.0.0/0", "name": "anywhere"}}}},
		"ipAddresses": []map[string]any{{"type": "PRIMARY", "ipAddress": "198.51.100.30"}}})
	res(APIService, inventory.TypeRunService, Region, map[string]any{"name": "projects/" + ProjectID + "/locations/" + Region + "/services/api",
		"ingress": "INGRESS_TRAFFIC_ALL", "uri": "https://api-5e1f.a.run.app", "template": map[string]any{"serviceAccount": WebSA}})
	pol(APIService, inventory.TypeRunService, inventory.Binding{Role: "roles/run.invoker", Members: []string{"allUsers"}})
	res(BlogCluster, inventory.TypeCluster, Region, map[string]any{"name": "blog-gke", "location": Region, "endpoint": "198.51.100.40",
		"workloadIdentityConfig": map[string]any{"workloadPool": ProjectID + ".svc.id.goog"},
		"nodePools":              []map[string]any{{"name": "default-pool", "config": map[string]any{"serviceAccount": DefaultSA}}}})
	res(BlogKeyRing, inventory.TypeKeyRing, Region, map[string]any{"name": "projects/" + ProjectID + "/locations/" + Region + "/keyRings/blog"})
	res(BlogKey, inventory.TypeCryptoKey, Region, map[string]any{"name": "projects/" + ProjectID + "/locations/" + Region + "/keyRings/blog/cryptoKeys/blog-data",
		"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7776000s"})
	pol(BlogKey, inventory.TypeCryptoKey, inventory.Binding{Role: "roles/cloudkms.cryptoKeyDecrypter", Members: []string{"serviceAccount:" + WebSA}})

	members = map[string][]string{}
	if inGroup {
		members[WebGroup] = []string{computeLink + "/zones/" + Zone + "/instances/web-vm"}
	}
	return resources, policies, members
}
