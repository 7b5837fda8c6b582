// Package gcptest holds what the GCP collector's tests share: a small
// organisation modelled on the published design of GCPGoat (INE's
// vulnerable-by-design GCP lab, github.com/ine-labs/GCPGoat, module 1),
// writers for Cloud Asset Inventory export files, and a local server
// answering the Cloud Asset API's documented REST shapes
// (v1 ListAssets) with failure injection.
//
// The lab is rebuilt here from the lab's public README, attack manual and
// Terraform design (which resources exist, how they are configured, which
// IAM grants they carry); no code is copied.
package gcptest

import (
	"encoding/json"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// Ids of the lab organisation.
const (
	OrgNumber     = "100000000001"
	FolderNumber  = "200000000002"
	ProjectNumber = "300000000003"
	ProjectID     = "gcp-goat-5e1f"
	Domain        = "goat.example"
	Zone          = "us-west1-c"
	Region        = "us-west1"
)

// Full names of the lab's resources that tests assert on.
var (
	Org         = "//cloudresourcemanager.googleapis.com/organizations/" + OrgNumber
	Folder      = "//cloudresourcemanager.googleapis.com/folders/" + FolderNumber
	Project     = "//cloudresourcemanager.googleapis.com/projects/" + ProjectNumber
	Network     = "//compute.googleapis.com/projects/" + ProjectID + "/global/networks/vm-vpc"
	Firewall    = "//compute.googleapis.com/projects/" + ProjectID + "/global/firewalls/vm-fw-allow-ssh"
	DeveloperVM = "//compute.googleapis.com/projects/" + ProjectID + "/zones/" + Zone + "/instances/developer-vm"
	AdminVM     = "//compute.googleapis.com/projects/" + ProjectID + "/zones/" + Zone + "/instances/admin-vm"
	DefaultSA   = ProjectNumber + "-compute@developer.gserviceaccount.com"
	AdminSA     = "admin-service-account@" + ProjectID + ".iam.gserviceaccount.com"
	AppspotSA   = ProjectID + "@appspot.gserviceaccount.com"
	DefaultSAID = "//iam.googleapis.com/projects/" + ProjectID + "/serviceAccounts/" + DefaultSA
	AdminSAID   = "//iam.googleapis.com/projects/" + ProjectID + "/serviceAccounts/" + AdminSA
	AppspotSAID = "//iam.googleapis.com/projects/" + ProjectID + "/serviceAccounts/" + AppspotSA
	Backend     = "//cloudfunctions.googleapis.com/projects/" + ProjectID + "/locations/" + Region + "/functions/backend-function"
	ProdBucket  = "//storage.googleapis.com/prod-blogapp-5e1f"
	DevBucket   = "//storage.googleapis.com/dev-blogapp-5e1f"
	JWTSecret   = "//secretmanager.googleapis.com/projects/" + ProjectNumber + "/secrets/blog-jwt-secret"
	OwnerNode   = Project + "/owner"
	scopesDevVM = []string{"compute", "devstorage.read_only", "logging.write", "monitoring.write", "pubsub", "service.management.readonly", "servicecontrol", "trace.append"}
	scopesAdmin = []string{"cloud-platform"}
	projectAnc  = []string{"projects/" + ProjectNumber, "folders/" + FolderNumber, "organizations/" + OrgNumber}
	computeLink = "https://www.googleapis.com/compute/v1/projects/" + ProjectID
	scopeURL    = "https://www.googleapis.com/auth/"
	customProd  = "projects/" + ProjectID + "/roles/prodbucket"
	customDev   = "projects/" + ProjectID + "/roles/development"
)

// labKey is a user-managed service-account key of the lab.
type labKey struct {
	name, created, lastUsed string // lastUsed "" = never authenticated
}

var labKeys = []labKey{
	{AdminSAKey, "2025-01-10T00:00:00Z", "2025-02-01T00:00:00Z"},
	{DefaultSAKey, "2025-06-01T00:00:00Z", ""},
}

// Keys of the lab.
var (
	AdminSAKey   = AdminSAID + "/keys/6f1c2a9e0b3d4c5e6f708192a3b4c5d6e7f80912"
	DefaultSAKey = DefaultSAID + "/keys/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
)

// KeyActivities returns the lab's Policy Analyzer
// serviceAccountKeyLastAuthentication records, as activities:query and
// `gcloud policy-intelligence query-activity` return them.
func KeyActivities() []map[string]any {
	var out []map[string]any
	for _, k := range labKeys {
		if k.lastUsed == "" {
			continue
		}
		out = append(out, map[string]any{"activityType": "serviceAccountKeyLastAuthentication", "fullResourceName": k.name,
			"observationPeriod": map[string]any{"startTime": "2024-12-01T00:00:00Z", "endTime": "2026-12-05T00:00:00Z"},
			"activity": map[string]any{"lastAuthenticatedTime": k.lastUsed,
				"serviceAccountKey": map[string]any{"serviceAccountKeyId": LastSegmentOf(k.name), "projectNumber": ProjectNumber}}})
	}
	return out
}

// LastSegmentOf returns what follows the last "/".
func LastSegmentOf(s string) string { return inventory.LastSegment(s) }

// Variant changes the lab before it is written out.
type Variant int

// Variants of the lab.
const (
	// Published is the lab as designed.
	Published Variant = iota
	// DevVMWithoutComputeScope is the one-change fix: developer-vm's
	// access scopes no longer include compute, so its token cannot add an
	// SSH key to admin-vm's metadata.
	DevVMWithoutComputeScope
	// DenyKeyCreation is the lab as designed plus one IAM deny policy on
	// the project: nobody may create service-account keys
	// (iam.googleapis.com/serviceAccountKeys.create), which cuts the
	// function route's key-minting hop.
	DenyKeyCreation
	// DevBucketWithoutSetIAM is the one-change fix of the attack manual's
	// "Misconfigured Storage Bucket Policies": the custom role allUsers
	// holds on the dev bucket no longer includes
	// storage.buckets.setIamPolicy.
	DevBucketWithoutSetIAM
)

// LabDenyPolicies returns the lab's IAM deny policies (none as designed).
func LabDenyPolicies(v Variant) []inventory.DenyPolicy {
	if v != DenyKeyCreation {
		return nil
	}
	p := inventory.DenyPolicy{Name: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F" + ProjectNumber + "/denypolicies/no-sa-keys",
		Kind: "DenyPolicy", DisplayName: "No service account keys"}
	p.Rules = append(p.Rules, struct {
		Description string              `json:"description"`
		DenyRule    *inventory.DenyRule `json:"denyRule"`
	}{Description: "keys are created by the platform team only", DenyRule: &inventory.DenyRule{
		DeniedPrincipals:    []string{"principalSet://goog/public:all"},
		ExceptionPrincipals: []string{"principal://goog/subject/owner@" + Domain},
		DeniedPermissions:   []string{"iam.googleapis.com/serviceAccountKeys.create"}}})
	return []inventory.DenyPolicy{p}
}

// Lab returns the lab organisation as Cloud Asset Inventory assets:
// resource records and IAM-policy records, as the two export content
// types hold them.
func Lab(v Variant) (resources, policies []*inventory.Asset) {
	res := func(name, typ string, anc []string, loc string, data any) {
		b, _ := json.Marshal(data) // maps of strings, lists and numbers always encode
		resources = append(resources, &inventory.Asset{Name: name, AssetType: typ, Ancestors: anc,
			Resource: &inventory.Resource{Location: loc, Data: b}})
	}
	pol := func(name, typ string, anc []string, bindings ...inventory.Binding) {
		policies = append(policies, &inventory.Asset{Name: name, AssetType: typ, Ancestors: anc,
			IAMPolicy: &inventory.Policy{Bindings: bindings}})
	}
	bind := func(role string, members ...string) inventory.Binding {
		return inventory.Binding{Role: role, Members: members}
	}
	orgAnc := []string{"organizations/" + OrgNumber}
	folderAnc := []string{"folders/" + FolderNumber, "organizations/" + OrgNumber}

	// Hierarchy.
	res(Org, inventory.TypeOrganization, orgAnc, "global", map[string]any{"name": "organizations/" + OrgNumber, "displayName": Domain})
	res(Folder, inventory.TypeFolder, folderAnc, "global", map[string]any{"name": "folders/" + FolderNumber, "displayName": "labs",
		"parent": "organizations/" + OrgNumber})
	res(Project, inventory.TypeProject, projectAnc, "global", map[string]any{"projectNumber": ProjectNumber, "projectId": ProjectID,
		"lifecycleState": "ACTIVE", "name": "Gcp-Goat"})
	pol(Org, inventory.TypeOrganization, orgAnc, bind("roles/resourcemanager.organizationAdmin", "group:cloud-admins@"+Domain))
	pol(Project, inventory.TypeProject, projectAnc,
		bind("roles/owner", "user:owner@"+Domain, "serviceAccount:"+AdminSA),
		bind("roles/editor", "serviceAccount:"+DefaultSA, "serviceAccount:"+AppspotSA))

	// Identities and custom roles.
	for _, sa := range []string{DefaultSA, AdminSA, AppspotSA} {
		res("//iam.googleapis.com/projects/"+ProjectID+"/serviceAccounts/"+sa, inventory.TypeServiceAccount, projectAnc, "global",
			map[string]any{"email": sa, "projectId": ProjectID, "name": "projects/" + ProjectID + "/serviceAccounts/" + sa})
	}
	// User-managed keys (metadata only): the admin account's key last
	// authenticated long ago, the default account's never.
	for _, k := range labKeys {
		res(k.name, inventory.TypeSAKey, projectAnc, "global", map[string]any{"name": strings.TrimPrefix(k.name, "//iam.googleapis.com/"),
			"keyType": "USER_MANAGED", "validAfterTime": k.created})
	}
	res("//iam.googleapis.com/"+customProd, inventory.TypeRole, projectAnc, "global",
		map[string]any{"name": customProd, "title": "Prod role", "includedPermissions": []string{"storage.objects.get"}})
	devPerms := []string{"storage.objects.get", "storage.buckets.setIamPolicy", "storage.buckets.getIamPolicy"}
	if v == DevBucketWithoutSetIAM {
		devPerms = []string{"storage.objects.get", "storage.buckets.getIamPolicy"}
	}
	res("//iam.googleapis.com/"+customDev, inventory.TypeRole, projectAnc, "global",
		map[string]any{"name": customDev, "title": "Dev role", "includedPermissions": devPerms})

	// Network.
	res(Network, inventory.TypeNetwork, projectAnc, "global", map[string]any{"name": "vm-vpc", "autoCreateSubnetworks": true})
	subnet := "//compute.googleapis.com/projects/" + ProjectID + "/regions/" + Region + "/subnetworks/vm-vpc"
	res(subnet, inventory.TypeSubnetwork, projectAnc, Region, map[string]any{"name": "vm-vpc", "network": computeLink + "/global/networks/vm-vpc",
		"region": computeLink + "/regions/" + Region, "ipCidrRange": "10.138.0.0/20"})
	res(Firewall, inventory.TypeFirewall, projectAnc, "global", map[string]any{"name": "vm-fw-allow-ssh",
		"network": computeLink + "/global/networks/vm-vpc", "priority": 1000, "direction": "INGRESS",
		"allowed": []map[string]any{{"IPProtocol": "tcp", "ports": []string{"22"}}}, "sourceRanges": []string{"0.0.0.0/0"},
		"targetTags": []string{"ssh"}})

	// Instances.
	vm := func(name, ip, sa string, scopes []string) {
		var urls []string
		for _, s := range scopes {
			urls = append(urls, scopeURL+s)
		}
		res("//compute.googleapis.com/projects/"+ProjectID+"/zones/"+Zone+"/instances/"+name, inventory.TypeInstance, projectAnc, Zone,
			map[string]any{"name": name, "zone": computeLink + "/zones/" + Zone, "status": "RUNNING",
				"tags": map[string]any{"items": []string{"ssh"}},
				"networkInterfaces": []map[string]any{{"network": computeLink + "/global/networks/vm-vpc",
					"subnetwork": computeLink + "/regions/" + Region + "/subnetworks/vm-vpc", "networkIP": "10.138.0.2",
					"accessConfigs": []map[string]any{{"type": "ONE_TO_ONE_NAT", "natIP": ip}}}},
				"serviceAccounts": []map[string]any{{"email": sa, "scopes": urls}}})
	}
	devScopes := scopesDevVM
	if v == DevVMWithoutComputeScope {
		devScopes = devScopes[1:]
	}
	vm("developer-vm", "203.0.113.10", DefaultSA, devScopes)
	vm("admin-vm", "203.0.113.11", AdminSA, scopesAdmin)

	// Buckets: public by custom and legacy roles, as designed.
	bucket := func(name string, labels map[string]string, ubla bool) string {
		full := "//storage.googleapis.com/" + name
		res(full, inventory.TypeBucket, projectAnc, "us", map[string]any{"name": name, "location": "US", "labels": labels,
			"iamConfiguration": map[string]any{"uniformBucketLevelAccess": map[string]any{"enabled": ubla},
				"publicAccessPrevention": "inherited"}})
		return full
	}
	bucket("prod-blogapp-5e1f", nil, false)
	bucket("dev-blogapp-5e1f", map[string]string{"data-classification": "internal"}, false)
	fb := bucket("function-bucket-5e1f", nil, false)
	bb := bucket("blog-bucket-5e1f", nil, false)
	bucket("blog-frontend-5e1f", nil, true)
	pol(ProdBucket, inventory.TypeBucket, projectAnc, bind(customProd, "allUsers"),
		bind("roles/storage.legacyBucketOwner", "projectOwner:"+ProjectID, "projectEditor:"+ProjectID))
	pol(DevBucket, inventory.TypeBucket, projectAnc, bind(customDev, "allUsers"))
	pol(fb, inventory.TypeBucket, projectAnc, bind("roles/storage.legacyObjectReader", "allUsers"))
	pol(bb, inventory.TypeBucket, projectAnc, bind("roles/storage.objectViewer", "allUsers"))

	// Cloud Functions (1st gen, default App Engine runtime account).
	fn := func(name string, env map[string]string) string {
		full := "//cloudfunctions.googleapis.com/projects/" + ProjectID + "/locations/" + Region + "/functions/" + name
		res(full, inventory.TypeFunctionV1, projectAnc, Region, map[string]any{"name": "projects/" + ProjectID + "/locations/" + Region + "/functions/" + name,
			"runtime": "python37", "httpsTrigger": map[string]any{"url": "https://" + Region + "-" + ProjectID + ".cloudfunctions.net/" + name},
			"ingressSettings": "ALLOW_ALL", "serviceAccountEmail": AppspotSA, "environmentVariables": env})
		pol(full, inventory.TypeFunctionV1, projectAnc, bind("roles/cloudfunctions.invoker", "allUsers"))
		return full
	}
	// The backend keeps its JWT signing key in a plaintext variable, as the
	// lab's design does; the value here is a stand-in.
	fn("backend-function", map[string]string{"BUCKET_NAME": "function-bucket-5e1f", "JWT_SECRET": "lab-stand-in-not-a-real-key"})
	fn("blogapp-5e1f", map[string]string{"BUCKET_NAME": "prod-blogapp-5e1f/webfiles"})

	// The blog's JWT signing secret: the lab keeps it in the backend
	// function's environment; here it is the Secret Manager secret the
	// route ends at, labelled restricted.
	res(JWTSecret, inventory.TypeSecret, projectAnc, "global", map[string]any{"name": "projects/" + ProjectNumber + "/secrets/blog-jwt-secret",
		"labels": map[string]string{"data-classification": "restricted"}})
	return resources, policies
}

// LabAssets returns resources and policies in one list.
func LabAssets(v Variant) []*inventory.Asset {
	r, p := Lab(v)
	return append(r, p...)
}

// LabInsights returns IAM recommender policy insights for the lab's project
// bindings, in the documented shape: the admin account used two of
// Owner's permissions in 90 days; the App Engine account, an Editor,
// only read its functions and wrote logs.
func LabInsights() map[string][]map[string]any {
	insight := func(id, role, member string, used ...string) map[string]any {
		var ex []map[string]any
		for _, p := range used {
			ex = append(ex, map[string]any{"permission": p})
		}
		return map[string]any{"name": "projects/" + ProjectNumber + "/locations/global/insightTypes/google.iam.policy.Insight/insights/" + id,
			"insightSubtype": "PERMISSIONS_USAGE", "category": "SECURITY", "observationPeriod": "7776000s",
			"lastRefreshTime": "2026-12-05T00:00:00Z", "targetResources": []string{Project},
			"content": map[string]any{"role": role, "member": member, "exercisedPermissions": ex, "inferredPermissions": []any{},
				"currentTotalPermissionsCount": "9000"}}
	}
	return map[string][]map[string]any{ProjectID: {
		insight("i-admin", "roles/owner", "serviceAccount:"+AdminSA, "resourcemanager.projects.setIamPolicy", "secretmanager.versions.access"),
		insight("i-appspot", "roles/editor", "serviceAccount:"+AppspotSA, "cloudfunctions.functions.get", "logging.logEntries.create"),
	}}
}
