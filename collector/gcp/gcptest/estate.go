package gcptest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Estate is one lab project of the published-lab corpus (labs.go) as Cloud
// Asset Inventory holds it, plus the IAM deny policies the IAM v2 API
// returns for it. Every lab project sits in the GCPGoat organisation and
// folder, so the same servers and export writer serve all of them.
type Estate struct {
	ProjectID, ProjectNumber string
	Resources, Policies      []*inventory.Asset
	Deny                     []inventory.DenyPolicy
}

// NewEstate returns a lab project with its project asset.
func NewEstate(id, number string) *Estate {
	e := &Estate{ProjectID: id, ProjectNumber: number}
	e.Res(e.Project(), inventory.TypeProject, "global", map[string]any{"projectNumber": number, "projectId": id,
		"lifecycleState": "ACTIVE", "name": id})
	return e
}

// Project is the project's full name.
func (e *Estate) Project() string {
	return "//cloudresourcemanager.googleapis.com/projects/" + e.ProjectNumber
}

// OwnerNode is the id of the project's synthetic owner-equivalent node.
func (e *Estate) OwnerNode() string { return e.Project() + "/owner" }

func (e *Estate) ancestors() []string {
	return []string{"projects/" + e.ProjectNumber, "folders/" + FolderNumber, "organizations/" + OrgNumber}
}

// Res adds a resource record.
func (e *Estate) Res(name, typ, loc string, data any) {
	b, _ := json.Marshal(data) // maps of strings, lists and numbers always encode
	e.Resources = append(e.Resources, &inventory.Asset{Name: name, AssetType: typ, Ancestors: e.ancestors(),
		Resource: &inventory.Resource{Location: loc, Data: b}})
}

// Pol adds an IAM-policy record.
func (e *Estate) Pol(name, typ string, bindings ...inventory.Binding) {
	e.Policies = append(e.Policies, &inventory.Asset{Name: name, AssetType: typ, Ancestors: e.ancestors(),
		IAMPolicy: &inventory.Policy{Bindings: bindings}})
}

// OrgPolicy sets a boolean organisation policy on the project.
func (e *Estate) OrgPolicy(constraint string, enforced bool) {
	for _, a := range e.Resources {
		if a.Name == e.Project() {
			a.OrgPolicy = append(a.OrgPolicy, inventory.OrgPolicy{Constraint: constraint,
				BooleanPolicy: &inventory.BooleanPolicy{Enforced: enforced}})
		}
	}
}

// SA adds a user-managed service account and returns its email and full name.
func (e *Estate) SA(name string) (email, full string) {
	email = name + "@" + e.ProjectID + ".iam.gserviceaccount.com"
	full = "//iam.googleapis.com/projects/" + e.ProjectID + "/serviceAccounts/" + email
	e.Res(full, inventory.TypeServiceAccount, "global", map[string]any{"email": email, "projectId": e.ProjectID,
		"name": "projects/" + e.ProjectID + "/serviceAccounts/" + email})
	return email, full
}

// CustomRole adds a project custom role and returns its name.
func (e *Estate) CustomRole(id string, perms ...string) string {
	name := "projects/" + e.ProjectID + "/roles/" + id
	e.Res("//iam.googleapis.com/"+name, inventory.TypeRole, "global", map[string]any{"name": name, "title": id,
		"includedPermissions": perms, "stage": "GA"})
	return name
}

// Bucket adds a bucket labelled with a data classification and returns
// its full name.
func (e *Estate) Bucket(name, classification string, uniform bool, pap string) string {
	return e.FineGrainedBucket(name, classification, uniform, pap, nil)
}

// FineGrainedBucket adds a bucket with a default object ACL (as the
// Storage JSON API's projection full and the asset inventory spell it).
func (e *Estate) FineGrainedBucket(name, classification string, uniform bool, pap string, defaultACL []inventory.ACLEntry) string {
	full := "//storage.googleapis.com/" + name
	d := map[string]any{"name": name, "location": "US",
		"labels": map[string]string{"data-classification": classification},
		"iamConfiguration": map[string]any{"uniformBucketLevelAccess": map[string]any{"enabled": uniform},
			"publicAccessPrevention": pap}}
	if len(defaultACL) > 0 {
		d["defaultObjectAcl"] = defaultACL
	}
	e.Res(full, inventory.TypeBucket, "us", d)
	return full
}

// Instance adds a running instance on the project's default network and
// returns its full name. metadata maps keys to values; external gives it
// an ephemeral external address.
func (e *Estate) Instance(name, zone, sa string, scopes, tags []string, metadata map[string]string, external bool) string {
	link := "https://www.googleapis.com/compute/v1/projects/" + e.ProjectID
	nic := map[string]any{"network": link + "/global/networks/default", "networkIP": "10.128.0.10",
		"subnetwork": link + "/regions/" + zone[:len(zone)-2] + "/subnetworks/default"}
	if external {
		nic["accessConfigs"] = []map[string]any{{"type": "ONE_TO_ONE_NAT", "natIP": "203.0.113.50"}}
	}
	var urls []string
	for _, s := range scopes {
		urls = append(urls, scopeURL+s)
	}
	var items []map[string]any
	for k, v := range metadata {
		items = append(items, map[string]any{"key": k, "value": v})
	}
	full := "//compute.googleapis.com/projects/" + e.ProjectID + "/zones/" + zone + "/instances/" + name
	e.Res(full, inventory.TypeInstance, zone, map[string]any{"name": name, "zone": link + "/zones/" + zone, "status": "RUNNING",
		"tags": map[string]any{"items": tags}, "networkInterfaces": []map[string]any{nic},
		"serviceAccounts": []map[string]any{{"email": sa, "scopes": urls}}, "metadata": map[string]any{"items": items}})
	return full
}

// DefaultNetwork adds the project's auto-mode default network with its
// subnetwork in region (10.128.0.0/20 in us-central1, as Google numbers
// them; one range is enough for a lab).
func (e *Estate) DefaultNetwork(region string) {
	link := "https://www.googleapis.com/compute/v1/projects/" + e.ProjectID
	e.Res("//compute.googleapis.com/projects/"+e.ProjectID+"/global/networks/default", inventory.TypeNetwork, "global",
		map[string]any{"name": "default", "autoCreateSubnetworks": true})
	e.Res("//compute.googleapis.com/projects/"+e.ProjectID+"/regions/"+region+"/subnetworks/default", inventory.TypeSubnetwork, region,
		map[string]any{"name": "default", "network": link + "/global/networks/default", "region": link + "/regions/" + region,
			"ipCidrRange": "10.128.0.0/20"})
}

// Firewall adds an INGRESS allow rule on the default network from
// 0.0.0.0/0 to the instances tagged tag, on one TCP port.
func (e *Estate) Firewall(name, tag, port string) {
	e.Res("//compute.googleapis.com/projects/"+e.ProjectID+"/global/firewalls/"+name, inventory.TypeFirewall, "global",
		map[string]any{"name": name, "network": "https://www.googleapis.com/compute/v1/projects/" + e.ProjectID + "/global/networks/default",
			"priority": 1000, "direction": "INGRESS", "allowed": []map[string]any{{"IPProtocol": "tcp", "ports": []string{port}}},
			"sourceRanges": []string{"0.0.0.0/0"}, "targetTags": []string{tag}})
}

// Function adds a 1st gen HTTP function running as sa and returns its full
// name.
func (e *Estate) Function(name, region, sa string, env map[string]string) string {
	rel := "projects/" + e.ProjectID + "/locations/" + region + "/functions/" + name
	full := "//cloudfunctions.googleapis.com/" + rel
	e.Res(full, inventory.TypeFunctionV1, region, map[string]any{"name": rel, "runtime": "python312",
		"httpsTrigger":    map[string]any{"url": "https://" + region + "-" + e.ProjectID + ".cloudfunctions.net/" + name},
		"ingressSettings": "ALLOW_ALL", "serviceAccountEmail": sa, "environmentVariables": env})
	return full
}

// DenyPermissions attaches to the project a deny policy denying perms (IAM
// v2 spelling, "iam.googleapis.com/roles.update") to the principals
// (v2 spelling, "principal://iam.googleapis.com/projects/-/serviceAccounts/<email>").
func (e *Estate) DenyPermissions(id string, principals []string, perms ...string) {
	p := inventory.DenyPolicy{Name: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F" + e.ProjectNumber + "/denypolicies/" + id,
		Kind: "DenyPolicy", DisplayName: id}
	p.Rules = append(p.Rules, struct {
		Description string              `json:"description"`
		DenyRule    *inventory.DenyRule `json:"denyRule"`
	}{Description: id, DenyRule: &inventory.DenyRule{DeniedPrincipals: principals, DeniedPermissions: perms}})
	e.Deny = append(e.Deny, p)
}

// DenySA is the deny-policy spelling of a service account.
func DenySA(email string) string {
	return "principal://iam.googleapis.com/projects/-/serviceAccounts/" + email
}

// Bind is a binding.
func Bind(role string, members ...string) inventory.Binding {
	return inventory.Binding{Role: role, Members: members}
}

// WriteEstate writes an estate as `gcloud asset export` files (resource and
// iam-policy content, org policies inside the resource records as the
// export of both content types merged holds them) plus the deny policies,
// and returns their paths.
func WriteEstate(dir string, e *Estate) ([]string, error) {
	var paths []string
	for name, assets := range map[string][]*inventory.Asset{"resource.json": e.Resources, "iam-policy.json": e.Policies} {
		b, err := ExportNDJSON(assets)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		paths = append(paths, p)
	}
	if len(e.Deny) > 0 {
		b, err := json.Marshal(e.Deny)
		if err != nil {
			return nil, fmt.Errorf("render deny policies: %w", err)
		}
		p := filepath.Join(dir, "deny-policies.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, fmt.Errorf("write deny policies: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Hop is one expected step of a documented route.
type Hop struct {
	To        string
	Kind      graph.EdgeKind
	Technique string
}

// LabScenario is one documented route of a published lab: the estate as
// designed, the foothold, the route hop by hop, and the one change that
// must remove it.
type LabScenario struct {
	Lab    string // the published lab and level / method
	Source string // the attacker's foothold: a principal's node id, or graph.InternetID
	Route  []Hop
	// Build returns the estate as designed (changed=false) or with the one
	// change applied.
	Build  func(changed bool) *Estate
	Change string // what the one change is
}
