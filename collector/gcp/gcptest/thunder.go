package gcptest

import (
	"slices"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Thunder CTF (github.com/NicholasSpringer/thunder-ctf, the attacker
// levels under core/levels/thunder: each level's Deployment Manager
// configuration, its setup script and its hints), rebuilt one level per
// lab project. Each level hands the player a key of a service account
// (aN-access) or, for a6, only the Internet; the objective is the level's
// secret (a private bucket's object, or a file on an instance). The
// levels name their resources with a random nonce; one fixed nonce stands
// in for it. No code of the levels is copied.

// Ids of the Thunder CTF lab project (every level is built in it).
const (
	ThunderProjectID     = "thunder-ctf-lab"
	ThunderProjectNumber = "300000000020"
	thunderNonce         = "123456789012"
	thunderRegion        = "us-central1"
	thunderZone          = "us-west1-b"
)

func thunderSA(name string) (email, id string) {
	email = name + "@" + ThunderProjectID + ".iam.gserviceaccount.com"
	return email, "//iam.googleapis.com/projects/" + ThunderProjectID + "/serviceAccounts/" + email
}

func thunderInstance(name string) string {
	return "//compute.googleapis.com/projects/" + ThunderProjectID + "/zones/" + thunderZone + "/instances/" + name
}

func thunderFunction(name string) string {
	return "//cloudfunctions.googleapis.com/projects/" + ThunderProjectID + "/locations/" + thunderRegion + "/functions/" + name
}

func thunderBucket(prefix string) string {
	return "//storage.googleapis.com/" + prefix + "-bucket-" + thunderNonce
}

// thunderLevel starts a level's project: the player's own project, owned
// by the player, with the level's access account.
func thunderLevel(prefix string) (e *Estate, accessEmail string) {
	e = NewEstate(ThunderProjectID, ThunderProjectNumber)
	e.Pol(e.Project(), inventory.TypeProject, Bind("roles/owner", "user:player@"+Domain))
	accessEmail, _ = e.SA(prefix + "-access")
	return e, accessEmail
}

// grantProject adds bindings to the project's policy (the first policy).
func (e *Estate) grantProject(bs ...inventory.Binding) {
	e.Policies[0].IAMPolicy.Bindings = append(e.Policies[0].IAMPolicy.Bindings, bs...)
}

// thunderA3 is level a3password: a3-access may read a3-func's settings and
// source (its plaintext XOR_PASSWORD included) and invoke it; the function
// returns the secret file of a3-bucket to a caller with the password. The
// bucket (public access prevention enforced, fine-grained) gives the
// function's account READER in its ACL (mirrored as legacyBucketReader in
// its IAM policy: list only) and in its default object ACL (read of the
// objects written after it, the secret included).
func thunderA3(changed bool) *Estate {
	e, access := thunderLevel("a3")
	fnName := "a3-func-" + thunderNonce
	fnEmail, _ := e.SA(fnName + "-sa")
	e.grantProject(Bind(e.CustomRole("a3_access_"+thunderNonce, "cloudfunctions.functions.get", "cloudfunctions.functions.list",
		"cloudfunctions.locations.list", "cloudfunctions.functions.sourceCodeGet"), "serviceAccount:"+access))
	fn := e.Function(fnName, thunderRegion, fnEmail, map[string]string{"XOR_PASSWORD": "stand-in-not-the-level-password"})
	e.Pol(fn, inventory.TypeFunctionV1, Bind("roles/cloudfunctions.invoker", "serviceAccount:"+access))
	var acl []inventory.ACLEntry
	if !changed {
		acl = []inventory.ACLEntry{{Entity: "user-" + fnEmail, Role: "READER"}}
	}
	bucket := e.FineGrainedBucket("a3-bucket-"+thunderNonce, "restricted", false, "enforced", acl)
	e.Pol(bucket, inventory.TypeBucket, Bind("roles/storage.legacyBucketReader", "serviceAccount:"+fnEmail))
	return e
}

// thunderA4 is level a4error: a4-access may list functions and instances
// and read logs, and invoke a4-func; the function logs its own access
// token on an error; its account may set instance metadata (custom role)
// and act as service accounts; a4-instance (OS Login off) holds the
// secret file of "secretuser".
func thunderA4(changed bool) *Estate {
	e, access := thunderLevel("a4")
	e.DefaultNetwork("us-west1")
	fnName := "a4-func-" + thunderNonce
	fnEmail, _ := e.SA(fnName + "-sa")
	instEmail, _ := e.SA("a4-instance-sa")
	e.grantProject(
		Bind(e.CustomRole("a4_access_"+thunderNonce, "cloudfunctions.functions.list", "cloudfunctions.locations.list",
			"compute.instances.list", "compute.instances.get", "compute.zones.list"), "serviceAccount:"+access),
		Bind("roles/logging.viewer", "serviceAccount:"+access),
		Bind(e.CustomRole("a4_func_"+thunderNonce, "compute.instances.setMetadata"), "serviceAccount:"+fnEmail),
		Bind("roles/iam.serviceAccountUser", "serviceAccount:"+fnEmail),
		Bind("roles/logging.logWriter", "serviceAccount:"+instEmail))
	fn := e.Function(fnName, thunderRegion, fnEmail, nil)
	e.Pol(fn, inventory.TypeFunctionV1, Bind("roles/cloudfunctions.invoker", "serviceAccount:"+access))
	md := map[string]string{}
	if changed {
		md["enable-oslogin"] = "TRUE"
	}
	e.Instance("a4-instance", thunderZone, instEmail, []string{"cloud-platform"}, nil, md, true)
	bucket := e.Bucket("a4-bucket-"+thunderNonce, "internal", false, "inherited")
	e.Pol(bucket, inventory.TypeBucket, Bind("roles/storage.legacyBucketReader", "serviceAccount:"+fnEmail))
	return e
}

// thunderA5 is level a5power: a5-access may update a5-func's code
// (sourceCodeSet, update) and act as its account; the function's account
// may update the project's custom roles, including the one it is bound
// to; the secret is in a private bucket nobody is granted.
func thunderA5(changed bool) *Estate {
	e, access := thunderLevel("a5")
	fnName := "a5-func-" + thunderNonce
	fnEmail, fnID := e.SA(fnName + "-sa")
	fnPerms := []string{"iam.roles.get", "iam.roles.list", "iam.roles.update", "resourcemanager.projects.get",
		"resourcemanager.projects.getIamPolicy"}
	if changed {
		fnPerms = slices.DeleteFunc(fnPerms, func(p string) bool { return p == "iam.roles.update" })
	}
	e.grantProject(
		Bind(e.CustomRole("a5_access_"+thunderNonce, "cloudfunctions.functions.get", "cloudfunctions.functions.list",
			"cloudfunctions.locations.list", "cloudfunctions.functions.sourceCodeSet", "cloudfunctions.functions.update",
			"cloudfunctions.operations.get", "serviceusage.services.get"), "serviceAccount:"+access),
		Bind("roles/iam.serviceAccountUser", "serviceAccount:"+access),
		Bind(e.CustomRole("a5_func_"+thunderNonce, fnPerms...), "serviceAccount:"+fnEmail))
	e.Pol(fnID, inventory.TypeServiceAccount, Bind("roles/iam.serviceAccountUser", "serviceAccount:"+access))
	fn := e.Function(fnName, thunderRegion, fnEmail, nil)
	e.Pol(fn, inventory.TypeFunctionV1, Bind("roles/cloudfunctions.invoker", "serviceAccount:"+access))
	e.Bucket("a5-bucket-"+thunderNonce, "restricted", false, "enforced")
	return e
}

// thunderA6 is level a6container: a container VM (Container-Optimized OS)
// with an external address and the http-server tag serves an SSRF-prone
// proxy on port 80; its account may read objects of the project; the
// secret is in a private bucket. The tag admits port 80 through the
// default-allow-http rule the Cloud console creates for it (the level
// relies on it: "accepts traffic on port 80").
func thunderA6(changed bool) *Estate {
	e, access := thunderLevel("a6")
	e.DefaultNetwork("us-west1")
	e.Firewall("default-allow-http", "http-server", "80")
	vmEmail, _ := e.SA("a6-container-vm-sa")
	vmPerms := []string{"storage.objects.get"}
	if changed {
		vmPerms = []string{"storage.objects.list"}
	}
	e.grantProject(
		Bind(e.CustomRole("a6_access_"+thunderNonce, "compute.instances.list", "compute.instances.get", "compute.zones.list",
			"storage.buckets.list", "storage.objects.list"), "serviceAccount:"+access),
		Bind(e.CustomRole("a6_vm_"+thunderNonce, vmPerms...), "serviceAccount:"+vmEmail))
	e.Instance("a6-container-vm", thunderZone, vmEmail, []string{"cloud-platform"}, []string{"http-server"},
		map[string]string{"gce-container-declaration": "spec:\n  containers:\n    - name: a6\n      image: docker.io/example/ssrf-proxy"}, true)
	e.Bucket("a6-bucket-"+thunderNonce, "restricted", false, "enforced")
	return e
}

// throughFunction is the route of a level whose access account invokes
// the level's function and takes its runtime account, then last.
func throughFunction(level string, last Hop) []Hop {
	_, fnSA := thunderSA(level + "-func-" + thunderNonce + "-sa")
	return []Hop{
		{thunderFunction(level + "-func-" + thunderNonce), graph.EdgeReaches, "gcp.cloudfunctions.authenticated-invoker"},
		{fnSA, graph.EdgeUsesIdentity, "gcp.cloudfunctions.runtime-identity"},
		last,
	}
}

// ThunderScenarios returns the Thunder CTF levels whose documented route
// the model finds.
func ThunderScenarios() []LabScenario {
	_, a4Access := thunderSA("a4-access")
	_, a5Access := thunderSA("a5-access")
	_, a5Fn := thunderSA("a5-func-" + thunderNonce + "-sa")
	_, a6VM := thunderSA("a6-container-vm-sa")
	owner := "//cloudresourcemanager.googleapis.com/projects/" + ThunderProjectNumber + "/owner"
	_, a3Access := thunderSA("a3-access")
	return []LabScenario{
		{Lab: "Thunder CTF a3password", Source: a3Access, Build: thunderA3,
			Change: "no default object ACL entry for the function's account (its bucket READER lists only)",
			Route:  throughFunction("a3", Hop{thunderBucket("a3"), graph.EdgeReads, "gcp.storage.object-get"})},
		{Lab: "Thunder CTF a4error", Source: a4Access, Build: thunderA4,
			Change: "OS Login enabled on a4-instance (metadata SSH keys ignored)",
			Route:  throughFunction("a4", Hop{thunderInstance("a4-instance"), graph.EdgeAdministers, "gcp.compute.set-metadata-ssh"})},
		{Lab: "Thunder CTF a5power", Source: a5Access, Build: thunderA5,
			Change: "iam.roles.update removed from the function account's custom role",
			Route: []Hop{
				{a5Fn, graph.EdgeEscalatesTo, "gcp.cloudfunctions.actas-deploy-function"},
				{owner, graph.EdgeEscalatesTo, "gcp.iam.roles-update"},
				{thunderBucket("a5"), graph.EdgeAdministers, "gcp.resourcemanager.owner-controls"},
			}},
		{Lab: "Thunder CTF a6container", Source: graph.InternetID, Build: thunderA6,
			Change: "the container VM's account may list objects but not read them",
			Route: []Hop{
				{thunderInstance("a6-container-vm"), graph.EdgeExposedTo, "gcp.compute.internet-exposed"},
				{a6VM, graph.EdgeUsesIdentity, "gcp.compute.metadata-token"},
				{thunderBucket("a6"), graph.EdgeReads, "gcp.storage.object-get"},
			}},
	}
}
