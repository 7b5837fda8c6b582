package gcptest

import (
	"slices"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Rhino Security Labs' GCP IAM privilege-escalation catalogue
// (github.com/RhinoSecurityLabs/GCP-IAM-Privilege-Escalation, its README,
// its scanner's method/permission table, and the blog posts "Privilege
// Escalation in Google Cloud Platform" parts 1 and 2), rebuilt as one lab
// project per method: one vulnerable service account per method, holding a
// custom role with exactly the permissions the catalogue lists for it, and
// one privileged service account (privesc-target) that may read the
// restricted flag bucket. Each method's route runs from the vulnerable
// account to the flag. No code of the catalogue is copied.

// Ids of the Rhino lab project.
const (
	RhinoProjectID     = "rhino-privesc-lab"
	RhinoProjectNumber = "300000000010"
)

// Names of the Rhino lab's shared resources.
var (
	RhinoTargetSA   = "privesc-target@" + RhinoProjectID + ".iam.gserviceaccount.com"
	RhinoTarget     = "//iam.googleapis.com/projects/" + RhinoProjectID + "/serviceAccounts/" + RhinoTargetSA
	RhinoFlag       = "//storage.googleapis.com/rhino-flag-7c2d"
	RhinoCloudBuild = "//iam.googleapis.com/projects/" + RhinoProjectID + "/serviceAccounts/" + RhinoProjectNumber + "@cloudbuild.gserviceaccount.com"
	RhinoAPIsAgent  = "//iam.googleapis.com/projects/" + RhinoProjectID + "/serviceAccounts/" + RhinoProjectNumber + "@cloudservices.gserviceaccount.com"
	RhinoOwner      = "//cloudresourcemanager.googleapis.com/projects/" + RhinoProjectNumber + "/owner"
	// RhinoTargetStorage is the target's storage-only credential (HMAC key).
	RhinoTargetStorage = RhinoTarget + "/scopes/devstorage.full_control"
)

// rhinoMethod is one catalogue method: the vulnerable account's
// permissions, where its custom role is bound, and the documented route.
type rhinoMethod struct {
	name   string   // the catalogue's name of the method
	perms  []string // the custom role's permissions (the scanner's list)
	on     string   // "project", "target" (the privileged account), "delegate", "vm", "swap-vm"
	route  func(attacker string) []Hop
	change string
	// apply makes the one change (the permission removed, a deny policy,
	// an org policy); nil removes perms[0] from the role.
	apply func(e *Estate, attackerEmail string)
	// setup adds what the method needs beyond the shared resources.
	setup func(e *Estate)
}

func toFlag(via string, kind graph.EdgeKind, technique string) []Hop {
	return []Hop{{via, kind, technique}, {RhinoFlag, graph.EdgeReads, "gcp.storage.object-get"}}
}

func toTarget(kind graph.EdgeKind, technique string) func(string) []Hop {
	return func(string) []Hop { return toFlag(RhinoTarget, kind, technique) }
}

func viaOwner(technique string) func(string) []Hop {
	return func(string) []Hop {
		return []Hop{{RhinoOwner, graph.EdgeEscalatesTo, technique},
			{RhinoFlag, graph.EdgeAdministers, "gcp.resourcemanager.owner-controls"}}
	}
}

var rhinoVM = "//compute.googleapis.com/projects/" + RhinoProjectID + "/zones/us-central1-a/instances/privesc-vm"

var rhinoMethods = []rhinoMethod{
	{name: "cloudbuild.builds.create", perms: []string{"cloudbuild.builds.create"}, on: "project",
		route: func(string) []Hop {
			return toFlag(RhinoCloudBuild, graph.EdgeEscalatesTo, "gcp.cloudbuild.builds-create")
		}},
	{name: "deploymentmanager.deployments.create", perms: []string{"deploymentmanager.deployments.create"}, on: "project",
		// The agent (Editor by default) deploys, say, an instance running as
		// the privileged account.
		route: func(string) []Hop {
			return append([]Hop{{RhinoAPIsAgent, graph.EdgeEscalatesTo, "gcp.deploymentmanager.create-deployment"}},
				toFlag(RhinoTarget, graph.EdgeEscalatesTo, "gcp.compute.actas-create-instance")...)
		}},
	{name: "iam.roles.update", perms: []string{"iam.roles.update", "iam.roles.get"}, on: "project", route: viaOwner("gcp.iam.roles-update"),
		change: "a deny policy on the project denies iam.googleapis.com/roles.update to the account",
		apply: func(e *Estate, email string) {
			e.DenyPermissions("no-role-updates", []string{DenySA(email)}, "iam.googleapis.com/roles.update")
		}},
	{name: "iam.serviceAccounts.getAccessToken", perms: []string{"iam.serviceAccounts.getAccessToken"}, on: "target",
		route:  toTarget(graph.EdgeAssumes, "gcp.iam.get-access-token"),
		change: "a deny policy on the project denies iam.googleapis.com/serviceAccounts.getAccessToken to the account",
		apply: func(e *Estate, email string) {
			e.DenyPermissions("no-tokens", []string{DenySA(email)}, "iam.googleapis.com/serviceAccounts.getAccessToken")
		}},
	{name: "iam.serviceAccountKeys.create", perms: []string{"iam.serviceAccountKeys.create"}, on: "target",
		route:  toTarget(graph.EdgeEscalatesTo, "gcp.iam.service-account-key-create"),
		change: "constraints/iam.disableServiceAccountKeyCreation enforced on the project",
		apply: func(e *Estate, _ string) {
			e.OrgPolicy("constraints/iam.disableServiceAccountKeyCreation", true)
		}},
	{name: "iam.serviceAccounts.implicitDelegation", perms: []string{"iam.serviceAccounts.implicitDelegation"}, on: "delegate",
		route: toTarget(graph.EdgeAssumes, "gcp.iam.implicit-delegation")},
	{name: "iam.serviceAccounts.signBlob", perms: []string{"iam.serviceAccounts.signBlob"}, on: "target",
		route: toTarget(graph.EdgeAssumes, "gcp.iam.sign-blob")},
	{name: "iam.serviceAccounts.signJwt", perms: []string{"iam.serviceAccounts.signJwt"}, on: "target",
		route: toTarget(graph.EdgeAssumes, "gcp.iam.sign-jwt")},
	{name: "cloudfunctions.functions.create", perms: []string{"iam.serviceAccounts.actAs", "cloudfunctions.functions.create",
		"cloudfunctions.functions.sourceCodeSet", "cloudfunctions.functions.call"}, on: "project",
		route: toTarget(graph.EdgeEscalatesTo, "gcp.cloudfunctions.actas-deploy-function")},
	{name: "cloudfunctions.functions.update", perms: []string{"cloudfunctions.functions.update", "cloudfunctions.functions.sourceCodeSet",
		"iam.serviceAccounts.actAs"}, on: "project",
		route:  toTarget(graph.EdgeEscalatesTo, "gcp.cloudfunctions.actas-deploy-function"),
		change: "a deny policy on the project denies cloudfunctions.googleapis.com/functions.update to the account",
		apply: func(e *Estate, email string) {
			e.DenyPermissions("no-function-updates", []string{DenySA(email)}, "cloudfunctions.googleapis.com/functions.update")
		}},
	{name: "compute.instances.create", perms: []string{"compute.instances.create", "iam.serviceAccounts.actAs", "compute.disks.create",
		"compute.instances.setMetadata", "compute.instances.setServiceAccount", "compute.subnetworks.use",
		"compute.subnetworks.useExternalIp"}, on: "project",
		route: toTarget(graph.EdgeEscalatesTo, "gcp.compute.actas-create-instance")},
	{name: "run.services.create", perms: []string{"run.services.create", "iam.serviceAccounts.actAs", "run.routes.invoke"}, on: "project",
		route: toTarget(graph.EdgeEscalatesTo, "gcp.run.actas-deploy-service")},
	{name: "cloudscheduler.jobs.create", perms: []string{"cloudscheduler.jobs.create", "cloudscheduler.locations.list",
		"iam.serviceAccounts.actAs"}, on: "project",
		route: toTarget(graph.EdgeEscalatesTo, "gcp.cloudscheduler.actas-create-job")},
	{name: "orgpolicy.policy.set", perms: []string{"orgpolicy.policy.set", "iam.serviceAccountKeys.create"}, on: "project",
		route:  toTarget(graph.EdgeEscalatesTo, "gcp.orgpolicy.lift-key-creation-constraint"),
		change: "orgpolicy.policy.set removed from the role (the key-creation constraint then holds)",
		setup: func(e *Estate) {
			e.OrgPolicy("constraints/iam.disableServiceAccountKeyCreation", true)
		}},
	{name: "storage.hmacKeys.create", perms: []string{"storage.hmacKeys.create"}, on: "project",
		route: func(string) []Hop {
			return []Hop{{RhinoTargetStorage, graph.EdgeEscalatesTo, "gcp.storage.hmac-key-create"},
				{RhinoFlag, graph.EdgeReads, "gcp.storage.object-get"}}
		}},
	{name: "resourcemanager.projects.setIamPolicy", perms: []string{"resourcemanager.projects.setIamPolicy"}, on: "project",
		route: viaOwner("gcp.resourcemanager.set-iam-policy")},
	{name: "iam.serviceAccounts.setIamPolicy", perms: []string{"iam.serviceAccounts.setIamPolicy"}, on: "target",
		route: toTarget(graph.EdgeEscalatesTo, "gcp.iam.service-account-set-iam-policy")},
	// Part 2 (non-IAM services) and the brief's additions: an instance
	// running as the privileged account, OS Login off.
	// Compute Engine takes a metadata change on an instance running as an
	// account only from a caller that may act as that account.
	{name: "compute.instances.setMetadata", perms: []string{"compute.instances.setMetadata", "compute.instances.get"}, on: "vm",
		route: func(string) []Hop {
			return []Hop{{rhinoVM, graph.EdgeAdministers, "gcp.compute.set-metadata-ssh"},
				{RhinoTarget, graph.EdgeUsesIdentity, "gcp.compute.metadata-token"}, {RhinoFlag, graph.EdgeReads, "gcp.storage.object-get"}}
		},
		change: "no actAs on the account the instance runs as",
		setup: func(e *Estate) {
			e.Pol(RhinoTarget, inventory.TypeServiceAccount, Bind("roles/iam.serviceAccountUser",
				"serviceAccount:"+rhinoAccount("compute.instances.setMetadata")+"@"+RhinoProjectID+".iam.gserviceaccount.com"))
		},
		apply: func(e *Estate, _ string) {
			e.Policies = slices.DeleteFunc(e.Policies, func(a *inventory.Asset) bool { return a.Name == RhinoTarget })
		}},
	{name: "compute.instances.setServiceAccount", perms: []string{"compute.instances.setServiceAccount", "compute.instances.stop",
		"compute.instances.start", "compute.instances.setMetadata"}, on: "swap-vm",
		route:  toTarget(graph.EdgeEscalatesTo, "gcp.compute.actas-set-service-account"),
		change: "compute.instances.setServiceAccount removed from the role",
		setup: func(e *Estate) {
			// actAs on the privileged account, granted on the account only.
			e.Pol(RhinoTarget, inventory.TypeServiceAccount, Bind("roles/iam.serviceAccountUser",
				"serviceAccount:"+rhinoAccount("compute.instances.setServiceAccount")+"@"+RhinoProjectID+".iam.gserviceaccount.com"))
		}},
	{name: "dataproc.clusters.create", perms: []string{"dataproc.clusters.create", "iam.serviceAccounts.actAs"}, on: "project",
		route: toTarget(graph.EdgeEscalatesTo, "gcp.dataproc.actas-create-cluster")},
}

// rhinoAccount is the vulnerable account's id for a method
// ("privesc-<method without dots>").
func rhinoAccount(method string) string {
	out := []byte("privesc-")
	for _, c := range []byte(method) {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			out = append(out, c)
		}
	}
	if len(out) > 30 {
		out = out[:30] // account ids are at most 30 characters
	}
	return string(out)
}

// rhinoEstate builds the lab project for one method.
func rhinoEstate(m rhinoMethod, changed bool) *Estate {
	e := NewEstate(RhinoProjectID, RhinoProjectNumber)
	e.Pol(e.Project(), inventory.TypeProject,
		Bind("roles/owner", "user:owner@"+Domain),
		// Google's default grants to the project's service agents.
		Bind("roles/cloudbuild.builds.builder", "serviceAccount:"+RhinoProjectNumber+"@cloudbuild.gserviceaccount.com"),
		Bind("roles/editor", "serviceAccount:"+RhinoProjectNumber+"@cloudservices.gserviceaccount.com"))
	e.SA("privesc-target")
	flag := e.Bucket("rhino-flag-7c2d", "restricted", true, "enforced")
	e.Pol(flag, inventory.TypeBucket, Bind("roles/storage.objectViewer", "serviceAccount:"+RhinoTargetSA))
	email, _ := e.SA(rhinoAccount(m.name))
	member := "serviceAccount:" + email
	perms := slices.Clone(m.perms)
	if changed && m.apply == nil {
		perms = slices.Delete(perms, 0, 1)
	}
	role := e.CustomRole(rhinoAccount(m.name), perms...)
	switch m.on {
	case "project":
		e.Policies[0].IAMPolicy.Bindings = append(e.Policies[0].IAMPolicy.Bindings, Bind(role, member))
	case "target":
		e.Pol(RhinoTarget, inventory.TypeServiceAccount, Bind(role, member))
	case "delegate":
		dEmail, dFull := e.SA("privesc-delegate")
		e.Pol(dFull, inventory.TypeServiceAccount, Bind(role, member))
		e.Pol(RhinoTarget, inventory.TypeServiceAccount, Bind("roles/iam.serviceAccountTokenCreator", "serviceAccount:"+dEmail))
	case "vm":
		vm := e.Instance("privesc-vm", "us-central1-a", RhinoTargetSA, []string{"cloud-platform"}, nil, nil, false)
		e.Pol(vm, inventory.TypeInstance, Bind(role, member))
	case "swap-vm":
		runner, _ := e.SA("swap-runner")
		vm := e.Instance("swap-vm", "us-central1-a", runner, []string{"cloud-platform"}, nil, nil, false)
		e.Pol(vm, inventory.TypeInstance, Bind(role, member))
	}
	if m.setup != nil {
		m.setup(e)
	}
	if changed && m.apply != nil {
		m.apply(e, email)
	}
	return e
}

// RhinoAccountID returns the node id of a method's vulnerable account.
func RhinoAccountID(method string) string {
	return "//iam.googleapis.com/projects/" + RhinoProjectID + "/serviceAccounts/" + rhinoAccount(method) + "@" + RhinoProjectID + ".iam.gserviceaccount.com"
}

// RhinoScenarios returns one scenario per catalogue method with a route.
func RhinoScenarios() []LabScenario {
	var out []LabScenario
	for _, m := range rhinoMethods {
		change := m.change
		if change == "" {
			change = m.perms[0] + " removed from the role"
		}
		out = append(out, LabScenario{Lab: "Rhino GCP privesc: " + m.name, Source: RhinoAccountID(m.name),
			Route: m.route(RhinoAccountID(m.name)), Change: change,
			Build: func(changed bool) *Estate { return rhinoEstate(m, changed) }})
	}
	return out
}

// RhinoAPIKeyEstate is the catalogue's two API-key methods
// (serviceusage.apiKeys.create, serviceusage.apiKeys.list) on one account
// each; they have no route (an API key carries no identity).
func RhinoAPIKeyEstate() (*Estate, []string) {
	e := NewEstate(RhinoProjectID, RhinoProjectNumber)
	var ids []string
	var bs []inventory.Binding
	for _, perm := range []string{"serviceusage.apiKeys.create", "serviceusage.apiKeys.list"} {
		email, full := e.SA(rhinoAccount(perm))
		bs = append(bs, Bind(e.CustomRole(rhinoAccount(perm), perm), "serviceAccount:"+email))
		ids = append(ids, full)
	}
	e.Pol(e.Project(), inventory.TypeProject, bs...)
	return e, ids
}
