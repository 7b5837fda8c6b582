package transform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/roles"
	"github.com/breachpath/breachpath/graph"
)

// Rule is one finding rule: severity, title, remediation, framework
// controls (CIS Google Cloud Platform Foundation Benchmark v2.0 ids as
// "CIS-GCP-2.0:<id>") and the relative fix effort.
type Rule struct {
	Severity    graph.Severity
	Title       string
	Remediation string
	Controls    []string
	Effort      float64
}

// Rules lists every GCP finding rule. docs/gcp-collector.md is written
// from it (TestRulesDocumented keeps them in sync).
var Rules = map[string]Rule{
	"gcp.compute.firewall-open-ssh": {graph.SeverityHigh, "Firewall rule allows SSH (22) from 0.0.0.0/0",
		"Restrict the source ranges or use Identity-Aware Proxy TCP forwarding (35.235.240.0/20).", []string{"CIS-GCP-2.0:3.6"}, 1},
	"gcp.compute.firewall-open-rdp": {graph.SeverityHigh, "Firewall rule allows RDP (3389) from 0.0.0.0/0",
		"Restrict the source ranges or use Identity-Aware Proxy TCP forwarding.", []string{"CIS-GCP-2.0:3.7"}, 1},
	"gcp.compute.firewall-open-any": {graph.SeverityMedium, "Firewall rule allows traffic from 0.0.0.0/0 to an exposed instance",
		"Restrict the source ranges to the clients that need the service.", []string{"NIST-800-53:SC-7"}, 1},
	"gcp.compute.default-network": {graph.SeverityMedium, "The default VPC network exists",
		"Delete the default network and create custom-mode networks with explicit firewall rules.", []string{"CIS-GCP-2.0:3.1"}, 3},
	"gcp.compute.default-sa": {graph.SeverityMedium, "Instance runs as the default Compute Engine service account",
		"Create a dedicated least-privilege service account for the workload.", []string{"CIS-GCP-2.0:4.1"}, 3},
	"gcp.compute.default-sa-full-scopes": {graph.SeverityHigh, "Instance uses the default service account with the cloud-platform (all APIs) scope",
		"Use a dedicated service account with least-privilege roles and narrow access scopes.", []string{"CIS-GCP-2.0:4.1", "CIS-GCP-2.0:4.2"}, 3},
	"gcp.compute.project-ssh-keys-allowed": {graph.SeverityMedium, "Instance honours project-wide SSH keys",
		"Set metadata block-project-ssh-keys=TRUE on the instance, or enable OS Login.", []string{"CIS-GCP-2.0:4.3"}, 1},
	"gcp.compute.os-login-disabled": {graph.SeverityMedium, "OS Login is not enabled: SSH keys in metadata grant shells",
		"Set enable-oslogin=TRUE in project metadata or enforce constraints/compute.requireOsLogin.", []string{"CIS-GCP-2.0:4.4"}, 2},
	"gcp.compute.serial-port-enabled": {graph.SeverityMedium, "Interactive serial port access is enabled",
		"Remove serial-port-enable from the instance metadata or enforce constraints/compute.disableSerialPortAccess.", []string{"CIS-GCP-2.0:4.5"}, 1},
	"gcp.compute.ip-forwarding": {graph.SeverityLow, "Instance has IP forwarding enabled",
		"Disable canIpForward unless the instance is a network appliance.", []string{"CIS-GCP-2.0:4.6"}, 3},
	"gcp.compute.public-ip": {graph.SeverityLow, "Instance has an external IP address and is reachable from the Internet",
		"Remove the access config; reach the instance through IAP or a load balancer.", []string{"CIS-GCP-2.0:4.9"}, 3},
	"gcp.iam.primitive-role": {graph.SeverityHigh, "Service account holds a basic role (roles/owner or roles/editor)",
		"Replace the basic role with predefined roles that cover what the workload uses.", []string{"CIS-GCP-2.0:1.5"}, 5},
	"gcp.iam.user-managed-sa-keys": {graph.SeverityMedium, "Service account has user-managed keys",
		"Delete user-managed keys; use attached service accounts or workload identity federation.", []string{"CIS-GCP-2.0:1.4"}, 3},
	"gcp.iam.sa-key-old": {graph.SeverityMedium, "Service account key older than 90 days",
		"Rotate or delete the key.", []string{"CIS-GCP-2.0:1.7"}, 2},
	"gcp.iam.sa-user-project-level": {graph.SeverityMedium, "Service Account User or Token Creator granted on a whole project or above",
		"Grant roles/iam.serviceAccountUser and roles/iam.serviceAccountTokenCreator on individual service accounts.", []string{"CIS-GCP-2.0:1.6"}, 2},
	"gcp.iam.sa-key-creation": {graph.SeverityCritical, "Principal may create keys for another service account (iam.serviceAccountKeys.create)",
		"Remove the grant and enforce constraints/iam.disableServiceAccountKeyCreation.", []string{"NIST-800-53:AC-6"}, 4},
	"gcp.iam.privesc-get-access-token": {graph.SeverityHigh, "Principal may mint access tokens for a service account (getAccessToken)",
		"Grant roles/iam.serviceAccountTokenCreator only where impersonation is intended.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-sign-jwt": {graph.SeverityHigh, "Principal may sign JWTs as a service account (signJwt)",
		"Grant roles/iam.serviceAccountTokenCreator only where impersonation is intended.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-sign-blob": {graph.SeverityHigh, "Principal may sign blobs as a service account (signBlob)",
		"Grant roles/iam.serviceAccountTokenCreator only where impersonation is intended.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-sa-set-iam-policy": {graph.SeverityHigh, "Principal may change a service account's IAM policy",
		"Remove iam.serviceAccounts.setIamPolicy from principals that do not administer the account.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-actas": {graph.SeverityHigh, "Principal may act as a service account and deploy a workload that runs as it",
		"Grant roles/iam.serviceAccountUser on the specific accounts a deployer needs, not on the project.", []string{"NIST-800-53:AC-6"}, 3},
	"gcp.iam.privesc-set-iam-policy": {graph.SeverityCritical, "Principal may set the IAM policy of a project or an ancestor",
		"Reserve setIamPolicy on projects, folders and the organisation for administrators.", []string{"NIST-800-53:AC-6"}, 4},
	"gcp.iam.privesc-implicit-delegation": {graph.SeverityHigh, "Principal may mint tokens through a service account's delegation (implicitDelegation)",
		"Remove roles/iam.serviceAccountTokenCreator (or the implicitDelegation permission) on the intermediate account.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-roles-update": {graph.SeverityHigh, "Principal may update a custom role it is bound to (iam.roles.update)",
		"Grant roles/iam.roleAdmin only to administrators; keep role authors apart from the principals bound to the roles.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-hmac-key-create": {graph.SeverityHigh, "Principal may create HMAC keys for service accounts (storage.hmacKeys.create)",
		"Remove roles/storage.hmacKeyAdmin (or the permission) from principals that do not administer interoperability access.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-org-policy-set": {graph.SeverityHigh, "Principal may set organisation policies and so lift a constraint that blocks an escalation",
		"Grant roles/orgpolicy.policyAdmin only at the organisation, to administrators; enforce the constraint with a deny policy on the escalation too.", []string{"NIST-800-53:AC-6"}, 2},
	"gcp.iam.privesc-api-keys": {graph.SeverityLow, "Principal may create API keys or read their key strings",
		"Remove apikeys.keys.create / getKeyString (roles/serviceusage.apiKeysAdmin) where not needed; restrict every key to its APIs and callers.", []string{"NIST-800-53:AC-6"}, 1},
	"gcp.iam.privesc-service-agent": {graph.SeverityHigh, "Principal may run code as a privileged Google service agent (Cloud Build, Deployment Manager)",
		"Remove basic roles from the service agent and limit who may create builds or deployments.", []string{"NIST-800-53:AC-6"}, 3},
	"gcp.iam.default-sa-editor": {graph.SeverityHigh, "The default compute service account holds roles/editor",
		"Remove roles/editor from the default compute service account (or enforce constraints/iam.automaticIamGrantsForDefaultServiceAccounts).", []string{"CIS-GCP-2.0:1.5"}, 3},
	"gcp.storage.bucket-public": {graph.SeverityCritical, "Cloud Storage bucket grants allUsers or allAuthenticatedUsers access",
		"Remove allUsers/allAuthenticatedUsers bindings and enforce public access prevention.", []string{"CIS-GCP-2.0:5.1"}, 1},
	"gcp.storage.uniform-access-disabled": {graph.SeverityLow, "Bucket does not use uniform bucket-level access",
		"Enable uniform bucket-level access so that only IAM decides access.", []string{"CIS-GCP-2.0:5.2"}, 2},
	"gcp.bigquery.dataset-public": {graph.SeverityCritical, "BigQuery dataset is readable by allUsers or allAuthenticatedUsers",
		"Remove the public grant from the dataset.", []string{"CIS-GCP-2.0:7.1"}, 1},
	"gcp.bigquery.dataset-no-cmek": {graph.SeverityLow, "BigQuery dataset is not encrypted with a customer-managed key",
		"Set a default CMEK on the dataset.", []string{"CIS-GCP-2.0:7.3"}, 2},
	"gcp.kms.key-public": {graph.SeverityCritical, "Cloud KMS key is usable by allUsers or allAuthenticatedUsers",
		"Remove the public grant from the key.", []string{"CIS-GCP-2.0:1.9"}, 1},
	"gcp.kms.no-rotation": {graph.SeverityLow, "Cloud KMS key has no rotation period",
		"Set a rotation period of at most 90 days.", []string{"CIS-GCP-2.0:1.10"}, 1},
	"gcp.secretmanager.secret-public": {graph.SeverityCritical, "Secret is accessible by allUsers or allAuthenticatedUsers",
		"Remove the public grant from the secret.", []string{"NIST-800-53:AC-3"}, 1},
	"gcp.pubsub.public": {graph.SeverityHigh, "Pub/Sub topic or subscription grants allUsers or allAuthenticatedUsers",
		"Remove the public grant.", []string{"NIST-800-53:AC-3"}, 1},
	"gcp.sql.public-iam": {graph.SeverityCritical, "Cloud SQL instance grants allUsers or allAuthenticatedUsers",
		"Remove the public grant.", []string{"NIST-800-53:AC-3"}, 1},
	"gcp.sql.public-ip": {graph.SeverityMedium, "Cloud SQL instance has a public IP address",
		"Use private IP only and connect through the Cloud SQL Auth Proxy.", []string{"CIS-GCP-2.0:6.6"}, 5},
	"gcp.sql.open-authorized-network": {graph.SeverityCritical, "Cloud SQL instance authorizes 0.0.0.0/0",
		"Remove 0.0.0.0/0 from the authorized networks.", []string{"CIS-GCP-2.0:6.5"}, 1},
	"gcp.cloudfunctions.allow-unauthenticated": {graph.SeverityMedium, "Cloud Function allows unauthenticated invocations (allUsers invoker)",
		"Remove the allUsers invoker binding or restrict ingress; authenticate callers.", []string{"NIST-800-53:AC-3"}, 3},
	"gcp.run.allow-unauthenticated": {graph.SeverityMedium, "Cloud Run service allows unauthenticated invocations (allUsers run.invoker)",
		"Remove the allUsers roles/run.invoker binding and put IAP or an API gateway in front.", []string{"NIST-800-53:AC-3"}, 3},
	"gcp.cloudfunctions.env-secret": {graph.SeverityHigh, "Cloud Function stores a secret in a plaintext environment variable",
		"Move the value to Secret Manager and reference it as a secret environment variable.", []string{"CIS-GCP-2.0:1.18", "NIST-800-53:IA-5"}, 2},
	"gcp.compute.metadata-secret": {graph.SeverityHigh, "Instance metadata (startup script or custom key) contains a secret",
		"Move the value to Secret Manager and fetch it at boot with the instance's service account.", []string{"NIST-800-53:IA-5"}, 2},
	"gcp.container.public-endpoint": {graph.SeverityHigh, "GKE control plane is reachable from any address",
		"Enable a private endpoint or master authorized networks.", []string{"NIST-800-53:SC-7"}, 3},
}

// finding records a finding of a rule on a resource and returns its id,
// or "" when the resource has no node or the rule is unknown.
func (b *builder) finding(rule, resource, evidence string) string {
	r, ok := Rules[rule]
	n := b.nodes[resource]
	if !ok || n == nil {
		return ""
	}
	id := graph.FindingID(rule, resource)
	if f, ok := b.findings[id]; ok {
		if !strings.Contains(f.Evidence, evidence) && len(f.Evidence) < 2000 {
			f.Evidence += "; " + evidence
		}
		return id
	}
	b.findings[id] = &graph.Finding{ID: id, RuleID: rule, Resource: resource, Severity: r.Severity, Title: r.Title,
		Evidence: evidence, Remediation: r.Remediation, Controls: slices.Clone(r.Controls), FixEffort: r.Effort}
	return id
}

// firewallFindings returns the findings of a public allow rule.
func (b *builder) firewallFindings(fw *firewallInfo) []string {
	var out []string
	for _, r := range ranges(fw.d.Allowed) {
		if r.covers("tcp", 22) {
			out = append(out, b.finding("gcp.compute.firewall-open-ssh", fw.asset.Name, fw.d.Name+" allows tcp:22 from "+strings.Join(fw.d.SourceRanges, ",")))
		}
		if r.covers("tcp", 3389) {
			out = append(out, b.finding("gcp.compute.firewall-open-rdp", fw.asset.Name, fw.d.Name+" allows tcp:3389 from "+strings.Join(fw.d.SourceRanges, ",")))
		}
	}
	if len(out) == 0 {
		out = append(out, b.finding("gcp.compute.firewall-open-any", fw.asset.Name, fw.d.Name+" allows "+strings.Join(portSpecs(fw.d.Allowed), ",")+" from "+strings.Join(fw.d.SourceRanges, ",")))
	}
	return compact(out)
}

// rules adds the configuration findings that no move cites.
func (b *builder) rules() error {
	for _, a := range sortedAssets(b.inv) {
		n := b.nodes[a.Name]
		switch a.AssetType {
		case inventory.TypeNetwork:
			if inventory.LastSegment(a.Name) == "default" && n != nil {
				b.finding("gcp.compute.default-network", a.Name, "network \"default\" exists")
			}
		case inventory.TypeBucket:
			if n != nil && n.Props["uniform_bucket_level_access"] == false {
				b.finding("gcp.storage.uniform-access-disabled", a.Name, "iamConfiguration.uniformBucketLevelAccess.enabled = false")
			}
		case inventory.TypeDataset:
			if n != nil && n.Props["cmek"] == false {
				b.finding("gcp.bigquery.dataset-no-cmek", a.Name, "no defaultEncryptionConfiguration.kmsKeyName")
			}
		case inventory.TypeCryptoKey:
			if n != nil && n.Props["rotation_period"] == "" && n.Props["purpose"] == "ENCRYPT_DECRYPT" {
				b.finding("gcp.kms.no-rotation", a.Name, "no rotationPeriod")
			}
		case inventory.TypeInstance:
			if n != nil && n.Props["serial_port_enabled"] == true {
				b.finding("gcp.compute.serial-port-enabled", a.Name, "metadata serial-port-enable = true")
			}
			if n != nil && n.Props["can_ip_forward"] == true {
				b.finding("gcp.compute.ip-forwarding", a.Name, "canIpForward = true")
			}
		}
	}
	for _, sa := range b.sas {
		n := b.nodes[sa.Name]
		if k, _ := n.Props["user_managed_keys"].(int64); k > 0 {
			b.finding("gcp.iam.user-managed-sa-keys", sa.Name, fmt.Sprintf("%d user-managed keys", k))
		}
		if age, _ := n.Props["oldest_key_age_days"].(int64); age > 90 {
			b.finding("gcp.iam.sa-key-old", sa.Name, fmt.Sprintf("oldest user-managed key is %d days old", age))
		}
	}
	// Bindings: basic roles on service accounts, project-wide SA user.
	for _, p := range b.projects() {
		for _, res := range b.h.projectChain(p) {
			for _, bd := range b.eval.Bindings(res) {
				for _, m := range bd.Members {
					if !strings.HasPrefix(m, "serviceAccount:") && !(bd.Role == "roles/iam.serviceAccountUser" || bd.Role == "roles/iam.serviceAccountTokenCreator") {
						continue
					}
					id := b.principal(m)
					if id == "" || b.nodes[id] == nil {
						continue
					}
					if strings.HasPrefix(m, "serviceAccount:") && (bd.Role == roles.Owner || bd.Role == roles.Editor) {
						b.finding("gcp.iam.primitive-role", id, bd.Role+" on "+res)
						if isDefaultComputeSA(strings.TrimPrefix(m, "serviceAccount:")) && bd.Role == roles.Editor {
							b.finding("gcp.iam.default-sa-editor", id, "roles/editor on "+res)
						}
					}
					if bd.Role == "roles/iam.serviceAccountUser" || bd.Role == "roles/iam.serviceAccountTokenCreator" {
						b.finding("gcp.iam.sa-user-project-level", id, bd.Role+" on "+res)
					}
				}
			}
		}
	}
	return nil
}
