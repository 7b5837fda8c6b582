package transform

import "github.com/breachpath/breachpath/graph"

// Technique describes one GCP attacker technique the transform draws.
type Technique struct {
	ID          string
	Edge        graph.EdgeKind
	Permissions string // what the attacker needs, and on what
	Description string
}

// Techniques lists every GCP technique; docs/techniques.md is written from
// it (TestTechniquesDocumented keeps them in sync).
var Techniques = []Technique{
	{"gcp.compute.internet-exposed", graph.EdgeExposedTo, "instance with an external IP; an INGRESS allow rule from 0.0.0.0/0 (or ::/0) on its network matching its tags / service account, not overridden by a deny of equal or higher priority", "Internet -> instance, ports in props"},
	{"gcp.compute.external-load-balancer", graph.EdgeExposedTo, "EXTERNAL forwarding rule", "Internet -> load balancer"},
	{"gcp.compute.load-balancer-forward", graph.EdgeReaches, "target pool listing the instance, or target proxy -> URL map -> backend service -> instance group with the instance as a member (instanceGroups.listInstances), and a firewall rule admitting the Google Front End ranges (proxied) or 0.0.0.0/0 (passthrough) on the backend port", "load balancer -> instance, backend port in props"},
	{TechFirewallSource, graph.EdgeReaches, "an INGRESS allow rule whose sources match the instance: internal address in a source range (also from an ACTIVE peered network), a source tag, or a source service account", "instance -> firewall rule (the rule is the hub of lateral reach)"},
	{TechVPCLateral, graph.EdgeReaches, "the rule applies to the target instance (network, target tags / service accounts); ports minus those a broad deny of equal or higher priority blocks", "firewall rule -> instance, ports in props"},
	{"gcp.cloudfunctions.public-invoker", graph.EdgeExposedTo, "allUsers / allAuthenticatedUsers hold cloudfunctions.functions.invoke (or run.routes.invoke for 2nd gen) and ingress ALLOW_ALL", "Internet -> function"},
	{"gcp.run.public-invoker", graph.EdgeExposedTo, "allUsers / allAuthenticatedUsers hold run.routes.invoke and ingress all", "Internet -> Cloud Run service"},
	{"gcp.cloudfunctions.authenticated-invoker", graph.EdgeReaches, "cloudfunctions.functions.invoke (2nd gen: run.routes.invoke) held by a principal; conditional unless ingress ALLOW_ALL", "principal -> function: call it (as from the Internet for a public one, its code is reached)"},
	{"gcp.run.authenticated-invoker", graph.EdgeReaches, "run.routes.invoke held by a principal; conditional unless ingress all", "principal -> Cloud Run service"},
	{"gcp.sql.public-authorized-network", graph.EdgeExposedTo, "public IP with 0.0.0.0/0 in the authorized networks", "Internet -> Cloud SQL instance"},
	{"gcp.container.public-endpoint", graph.EdgeExposedTo, "public control plane without master authorized networks (or with 0.0.0.0/0)", "Internet -> GKE cluster"},
	{"gcp.compute.metadata-token", graph.EdgeUsesIdentity, "code on the instance (the metadata server hands out the attached account's token)", "instance -> service account (cloud-platform scope) or -> the account's scoped token (narrower scopes: only the APIs the scopes allow)"},
	{"gcp.cloudfunctions.runtime-identity", graph.EdgeUsesIdentity, "code in the function", "function -> runtime service account (1st gen default: the App Engine default account)"},
	{"gcp.run.service-identity-token", graph.EdgeUsesIdentity, "code in the service", "Cloud Run service -> its service account (default: the Compute Engine default account)"},
	{"gcp.container.node-service-account", graph.EdgeUsesIdentity, "a pod, when Workload Identity is off", "cluster -> node pool service account (scoped like an instance)"},
	{"gcp.iam.get-access-token", graph.EdgeAssumes, "iam.serviceAccounts.getAccessToken on the account (or inherited)", "mint an OAuth token for the account"},
	{"gcp.iam.sign-jwt", graph.EdgeAssumes, "iam.serviceAccounts.signJwt on the account", "sign a self-issued JWT as the account and use it as a credential"},
	{"gcp.iam.sign-blob", graph.EdgeAssumes, "iam.serviceAccounts.signBlob on the account", "sign a JWT assertion as the account and exchange it for a token"},
	{"gcp.iam.implicit-delegation", graph.EdgeAssumes, "iam.serviceAccounts.implicitDelegation on account B, where B holds getAccessToken on C", "mint C's token through B's delegation (one level)"},
	{"gcp.iam.service-account-key-create", graph.EdgeEscalatesTo, "iam.serviceAccountKeys.create on the account; not drawn when constraints/iam.disableServiceAccountKeyCreation is enforced above it", "create a long-lived key for the account"},
	{"gcp.iam.service-account-set-iam-policy", graph.EdgeEscalatesTo, "iam.serviceAccounts.setIamPolicy on the account", "grant yourself Token Creator on the account"},
	{"gcp.compute.actas-create-instance", graph.EdgeEscalatesTo, "iam.serviceAccounts.actAs on the account + compute.instances.create in its project", "start an instance running as the account and read its token"},
	{"gcp.cloudfunctions.actas-deploy-function", graph.EdgeEscalatesTo, "actAs on the account + cloudfunctions.functions.create or .update in its project", "deploy code that runs as the account"},
	{"gcp.run.actas-deploy-service", graph.EdgeEscalatesTo, "actAs on the account + run.services.create or .update in its project", "deploy a service that runs as the account"},
	{"gcp.cloudbuild.actas-create-build", graph.EdgeEscalatesTo, "actAs on the account + cloudbuild.builds.create in its project", "run a build step as the account"},
	{"gcp.dataflow.actas-create-job", graph.EdgeEscalatesTo, "actAs on the account + dataflow.jobs.create in its project", "launch workers that run as the account"},
	{"gcp.composer.actas-create-environment", graph.EdgeEscalatesTo, "actAs on the account + composer.environments.create in its project", "create an environment whose DAGs run as the account"},
	{"gcp.cloudscheduler.actas-create-job", graph.EdgeEscalatesTo, "actAs on the account + cloudscheduler.jobs.create in its project", "create a job whose HTTP calls carry the account's OAuth token (any Google API, as the account)"},
	{"gcp.dataproc.actas-create-cluster", graph.EdgeEscalatesTo, "actAs on the account + dataproc.clusters.create in its project", "create a cluster whose nodes run as the account (initialization actions, jobs)"},
	{"gcp.compute.actas-set-service-account", graph.EdgeEscalatesTo, "actAs on the account + compute.instances.setServiceAccount, stop, start and setMetadata on an instance of its project", "stop the instance, attach the account, add a startup script, start it"},
	{"gcp.iam.roles-update", graph.EdgeEscalatesTo, "iam.roles.update where a custom role is defined (project or organisation) + a binding of that role to the attacker", "add any permission to the role: owner-equivalent of the projects at or below the binding (ESCALATES_TO the owner node), or the account / data store it is bound on (ADMINISTERS for data)"},
	{"gcp.storage.hmac-key-create", graph.EdgeEscalatesTo, "storage.hmacKeys.create in the account's project", "create an HMAC key for the account: its Cloud Storage access (node: the account's devstorage.full_control credential)"},
	{"gcp.orgpolicy.lift-key-creation-constraint", graph.EdgeEscalatesTo, "orgpolicy.policy.set on the account's project + iam.serviceAccountKeys.create on the account, where constraints/iam.disableServiceAccountKeyCreation is enforced", "set a project policy that does not enforce the constraint, then create a key"},
	{"gcp.cloudbuild.builds-create", graph.EdgeEscalatesTo, "cloudbuild.builds.create in a project whose Cloud Build account (<number>@cloudbuild.gserviceaccount.com) holds a grant", "run a build as the Cloud Build service account, no actAs needed"},
	{"gcp.deploymentmanager.create-deployment", graph.EdgeEscalatesTo, "deploymentmanager.deployments.create in a project whose Google APIs service agent (<number>@cloudservices.gserviceaccount.com) holds a grant (Editor by default)", "deploy resources as the service agent"},
	{"gcp.resourcemanager.set-iam-policy", graph.EdgeEscalatesTo, "resourcemanager.projects.setIamPolicy on the project, or folders/organizations.setIamPolicy on an ancestor (Owner has it)", "principal -> the project's owner node: grant yourself any role"},
	{"gcp.resourcemanager.owner-controls", graph.EdgeAdministers, "(held by the project's owner node)", "owner node -> every service account (ESCALATES_TO), data store (ADMINISTERS; keys: DECRYPTS) of the project"},
	{"gcp.compute.set-metadata-ssh", graph.EdgeAdministers, "compute.instances.setMetadata on the instance, OS Login off, and iam.serviceAccounts.actAs on the account it runs as (if it runs as one)", "add an SSH key to the instance metadata and log in with sudo"},
	{"gcp.compute.set-common-metadata-ssh", graph.EdgeAdministers, "compute.projects.setCommonInstanceMetadata in the project, OS Login off, block-project-ssh-keys off", "add a project-wide SSH key"},
	{"gcp.compute.os-login", graph.EdgeAdministers, "compute.instances.osAdminLogin or osLogin on the instance, OS Login on, and actAs on the account it runs as (if any)", "log in through OS Login (any login reaches the metadata server)"},
	{"gcp.storage.object-get", graph.EdgeReads, "storage.objects.get", "read objects of the bucket"},
	{"gcp.storage.object-create", graph.EdgeWrites, "storage.objects.create or .delete", "write objects"},
	{"gcp.storage.set-iam-policy", graph.EdgeAdministers, "storage.buckets.setIamPolicy", "rewrite the bucket's IAM policy"},
	{"gcp.bigquery.read", graph.EdgeReads, "bigquery.tables.getData (dataset IAM and legacy dataset ACLs)", "read tables"},
	{"gcp.bigquery.write", graph.EdgeWrites, "bigquery.tables.updateData", "modify tables"},
	{"gcp.bigquery.set-iam-policy", graph.EdgeAdministers, "bigquery.datasets.setIamPolicy or bigquery.datasets.update", "rewrite the dataset's access"},
	{"gcp.secretmanager.access-secret-version", graph.EdgeReads, "secretmanager.versions.access", "read the secret's payload"},
	{"gcp.secretmanager.add-version", graph.EdgeWrites, "secretmanager.versions.add", "replace the secret's value"},
	{"gcp.secretmanager.set-iam-policy", graph.EdgeAdministers, "secretmanager.secrets.setIamPolicy", "rewrite the secret's IAM policy"},
	{"gcp.kms.decrypt", graph.EdgeDecrypts, "cloudkms.cryptoKeyVersions.useToDecrypt (key or key ring)", "decrypt with the key"},
	{"gcp.kms.set-iam-policy", graph.EdgeAdministers, "cloudkms.cryptoKeys.setIamPolicy", "rewrite the key's IAM policy"},
	{"gcp.sql.export", graph.EdgeReads, "cloudsql.instances.export", "export the databases to a bucket"},
	{"gcp.sql.users-update", graph.EdgeAdministers, "cloudsql.users.update", "reset a database user's password"},
	{"gcp.pubsub.pull", graph.EdgeReads, "pubsub.subscriptions.consume", "pull messages"},
	{"gcp.pubsub.publish", graph.EdgeWrites, "pubsub.topics.publish", "publish messages"},
	{"gcp.pubsub.set-iam-policy", graph.EdgeAdministers, "pubsub.topics/subscriptions.setIamPolicy", "rewrite the IAM policy"},
}
