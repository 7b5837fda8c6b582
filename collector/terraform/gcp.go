package terraform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	gcpinv "github.com/breachpath/breachpath/collector/gcp/inventory"
)

// The google provider's resources as Cloud Asset Inventory assets (what
// the GCP collector reads), so that the unchanged GCP transform decides
// what they mean. Full resource names are built from the project and the
// resource's name, which the plan knows even for resources it creates.

const computeAPI = "https://www.googleapis.com/compute/v1/"

type gcpBuilder struct {
	opts        Options
	refs        map[string][]string
	planned     bool
	project     string
	assets      map[string]*gcpinv.Asset // by full name
	byAddr      map[string]string        // address -> full name
	sas         map[string]string        // address -> service account email
	owners      map[string]string
	via         map[string][]string
	assumptions []string
	// assumedUnder lists folders and organisations the plan grants roles
	// on: the project is assumed to sit under them
	assumedUnder []string
}

func newGCPBuilder(opts Options, refs map[string][]string, planned bool, project string) *gcpBuilder {
	return &gcpBuilder{opts: opts, refs: refs, planned: planned, project: project, assets: map[string]*gcpinv.Asset{},
		byAddr: map[string]string{}, sas: map[string]string{}, owners: map[string]string{}, via: map[string][]string{}}
}

func (b *gcpBuilder) assume(format string, args ...any) {
	if b.planned {
		b.assumptions = append(b.assumptions, fmt.Sprintf(format, args...))
	}
}

// gcpProject returns the project google resources are placed in: the
// options', else the first `project` a resource names, else a placeholder.
func gcpProject(plan *tfjson.Plan, opts Options, c *Conversion) string {
	if opts.GCPProject != "" {
		return opts.GCPProject
	}
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Change == nil || !strings.HasPrefix(rc.Type, "google_") {
			continue
		}
		for _, side := range []any{rc.Change.Before, rc.Change.After} {
			m, _ := side.(map[string]any)
			if p, _ := m["project"].(string); p != "" {
				return p
			}
		}
	}
	if p := providerConstant(plan, "google", "project"); p != "" {
		return p
	}
	c.Assumptions = append(c.Assumptions, "no project in the plan or --gcp-project: google resources placed in project tf-project")
	return "tf-project"
}

func (b *gcpBuilder) projectOf(o object) string {
	if p := knownStr(o, "project"); p != "" {
		return p
	}
	return b.project
}

func (b *gcpBuilder) ancestors() []string {
	return append([]string{"projects/" + b.project}, b.assumedUnder...)
}

// put adds (or merges into) an asset with resource data.
func (b *gcpBuilder) put(addr, name, typ, location string, data map[string]any) *gcpinv.Asset {
	raw, _ := json.Marshal(data) // maps of strings, lists, numbers and bools always encode
	a := b.assets[name]
	if a == nil {
		a = &gcpinv.Asset{Name: name, AssetType: typ}
		b.assets[name] = a
	}
	a.AssetType = typ
	a.Resource = &gcpinv.Resource{Location: location, Data: raw}
	if addr != "" {
		b.byAddr[addr] = name
		b.owners[gcpNodeID(name)] = addr
	}
	return a
}

// gcpNodeID is the graph id the GCP transform gives an asset: its full
// resource name.
func gcpNodeID(name string) string { return name }

// bind adds role bindings to an asset's IAM policy, creating a policy-only
// asset for a resource outside the plan.
func (b *gcpBuilder) bind(addr, name, typ, role string, members []string) {
	a := b.assets[name]
	if a == nil {
		a = &gcpinv.Asset{Name: name, AssetType: typ}
		b.assets[name] = a
	}
	if a.IAMPolicy == nil {
		a.IAMPolicy = &gcpinv.Policy{}
	}
	a.IAMPolicy.Bindings = append(a.IAMPolicy.Bindings, gcpinv.Binding{Role: role, Members: members})
	b.owners[gcpNodeID(name)+"#by/"+addr] = addr
}

// nameRef resolves an attribute naming another resource (a bucket, a
// network, a service account): its known value, else the name of the
// planned resource its configuration references.
func (b *gcpBuilder) nameRef(r resource, attr string) string {
	if v := knownStr(r.obj, attr); v != "" {
		return v
	}
	for _, a := range b.refs[r.addr+"\x00"+attr] {
		if full, ok := b.byAddr[a]; ok {
			if email := b.sas[a]; email != "" {
				return email
			}
			return gcpinv.LastSegment(full)
		}
	}
	return ""
}

func (b *gcpBuilder) networkLink(project, v string) string {
	switch {
	case v == "":
		return computeAPI + "projects/" + project + "/global/networks/default"
	case strings.HasPrefix(v, "https://"):
		return v
	case strings.HasPrefix(v, "projects/"):
		return computeAPI + v
	}
	return computeAPI + "projects/" + project + "/global/networks/" + v
}

func (b *gcpBuilder) primary(r resource) {
	o := r.obj
	p := b.projectOf(o)
	switch r.typ {
	case "google_service_account":
		id := o.str("account_id")
		email := knownStr(o, "email")
		if email == "" {
			email = id + "@" + p + ".iam.gserviceaccount.com"
		}
		name := "//iam.googleapis.com/projects/" + p + "/serviceAccounts/" + email
		b.put(r.addr, name, gcpinv.TypeServiceAccount, "global", map[string]any{"email": email, "projectId": p, "name": "projects/" + p + "/serviceAccounts/" + email})
		b.sas[r.addr] = email
	case "google_compute_network":
		n := o.str("name")
		auto, known := o.boolean("auto_create_subnetworks")
		b.put(r.addr, "//compute.googleapis.com/projects/"+p+"/global/networks/"+n, gcpinv.TypeNetwork, "global",
			map[string]any{"name": n, "autoCreateSubnetworks": auto || !known})
	case "google_storage_bucket":
		n := o.str("name")
		ubla, _ := o.boolean("uniform_bucket_level_access")
		b.put(r.addr, "//storage.googleapis.com/"+n, gcpinv.TypeBucket, strings.ToLower(o.str("location")), map[string]any{"name": n, "location": o.str("location"),
			"labels": labels(o), "iamConfiguration": map[string]any{"uniformBucketLevelAccess": map[string]any{"enabled": ubla},
				"publicAccessPrevention": firstOf(o.str("public_access_prevention"), "inherited")}})
	case "google_secret_manager_secret":
		id := o.str("secret_id")
		b.put(r.addr, "//secretmanager.googleapis.com/projects/"+p+"/secrets/"+id, gcpinv.TypeSecret, "global",
			map[string]any{"name": "projects/" + p + "/secrets/" + id, "labels": labels(o)})
	}
}

func labels(o object) map[string]string {
	m, _ := o.vals["labels"].(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (b *gcpBuilder) attach(r resource) {
	o := r.obj
	p := b.projectOf(o)
	switch r.typ {
	case "google_compute_instance":
		b.instance(r, p)
	case "google_compute_firewall":
		b.firewall(r, p)
	case "google_project_iam_member", "google_project_iam_binding", "google_project_iam_policy":
		b.bindAll(r, "//cloudresourcemanager.googleapis.com/projects/"+p, gcpinv.TypeProject)
	case "google_folder_iam_member", "google_folder_iam_binding", "google_organization_iam_member", "google_organization_iam_binding":
		typ, prefix, attr := gcpinv.TypeFolder, "folders/", "folder"
		if strings.HasPrefix(r.typ, "google_organization") {
			typ, prefix, attr = gcpinv.TypeOrganization, "organizations/", "org_id"
		}
		id := strings.TrimPrefix(o.str(attr), prefix)
		anc := prefix + id
		b.assumedUnder = appendUnique(b.assumedUnder, anc)
		b.assume("%s: the plan does not say where project %s sits; it is assumed under %s", r.addr, b.project, anc)
		b.bindAll(r, "//cloudresourcemanager.googleapis.com/"+anc, typ)
		b.assets["//cloudresourcemanager.googleapis.com/"+anc].Ancestors = []string{anc}
	case "google_service_account_iam_member", "google_service_account_iam_binding":
		sa := b.nameRef(r, "service_account_id")
		if !strings.HasPrefix(sa, "projects/") {
			sa = "projects/" + p + "/serviceAccounts/" + sa
		}
		b.bindAll(r, "//iam.googleapis.com/"+sa, gcpinv.TypeServiceAccount)
		b.via["//iam.googleapis.com/"+sa] = appendUnique(b.via["//iam.googleapis.com/"+sa], r.addr)
	case "google_storage_bucket_iam_member", "google_storage_bucket_iam_binding":
		bucket := strings.TrimPrefix(b.nameRef(r, "bucket"), "b/")
		b.bindAll(r, "//storage.googleapis.com/"+bucket, gcpinv.TypeBucket)
	case "google_secret_manager_secret_iam_member", "google_secret_manager_secret_iam_binding":
		secret := b.nameRef(r, "secret_id")
		if !strings.HasPrefix(secret, "projects/") {
			secret = "projects/" + p + "/secrets/" + secret
		}
		b.bindAll(r, "//secretmanager.googleapis.com/"+secret, gcpinv.TypeSecret)
	}
}

// bindAll adds every binding r makes to the asset name, in a stable order.
func (b *gcpBuilder) bindAll(r resource, name, typ string) {
	bs := b.bindings(r)
	roles := make([]string, 0, len(bs))
	for role := range bs {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	for _, role := range roles {
		b.bind(r.addr, name, typ, role, bs[role])
	}
}

// bindings reads the role and members of an *_iam_member, *_iam_binding or
// *_iam_policy resource; unknown members are assumed allUsers.
func (b *gcpBuilder) bindings(r resource) map[string][]string {
	o := r.obj
	out := map[string][]string{}
	if strings.HasSuffix(r.typ, "_iam_policy") {
		var pol gcpinv.Policy
		if o.isUnknown("policy_data") {
			b.assume("%s policy_data is unknown until apply: assumed roles/owner for allUsers", r.addr)
			out["roles/owner"] = []string{"allUsers"}
			return out
		}
		if err := json.Unmarshal([]byte(o.str("policy_data")), &pol); err == nil {
			for _, bd := range pol.Bindings {
				out[bd.Role] = append(out[bd.Role], bd.Members...)
			}
		}
		return out
	}
	role := o.str("role")
	if o.isUnknown("role") {
		b.assume("%s role is unknown until apply: assumed roles/owner", r.addr)
		role = "roles/owner"
	}
	var members []string
	if strings.HasSuffix(r.typ, "_iam_member") {
		members = []string{o.str("member")}
		if o.isUnknown("member") {
			members = nil
			for _, a := range b.refs[r.addr+"\x00member"] {
				if email := b.sas[a]; email != "" {
					members = append(members, "serviceAccount:"+email)
				}
			}
			if len(members) == 0 {
				b.assume("%s member is unknown until apply: assumed allUsers", r.addr)
				members = []string{"allUsers"}
			}
		}
	} else {
		members = o.strings("members")
		if o.isUnknown("members") {
			for _, a := range b.refs[r.addr+"\x00members"] {
				if email := b.sas[a]; email != "" {
					members = append(members, "serviceAccount:"+email)
				}
			}
		}
	}
	out[role] = members
	return out
}

func (b *gcpBuilder) instance(r resource, p string) {
	o := r.obj
	n, zone := o.str("name"), o.str("zone")
	region := zone
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		region = zone[:i]
	}
	var nics []any
	for _, ni := range o.blocks("network_interface") {
		var acs []any
		for _, ac := range ni.blocks("access_config") {
			ip := knownStr(ac, "nat_ip")
			if ip == "" {
				ip = "198.51.100.3" // an ephemeral external address, allocated at apply
			}
			acs = append(acs, map[string]any{"type": "ONE_TO_ONE_NAT", "natIP": ip})
		}
		nic := map[string]any{"network": b.networkLink(p, firstOf(knownStr(ni, "network"), b.refName(r, "network_interface", gcpinv.TypeNetwork))),
			"networkIP": knownStr(ni, "network_ip"), "accessConfigs": acs}
		if s := knownStr(ni, "subnetwork"); s != "" {
			if !strings.Contains(s, "/") {
				s = computeAPI + "projects/" + p + "/regions/" + region + "/subnetworks/" + s
			}
			nic["subnetwork"] = s
		}
		nics = append(nics, nic)
	}
	var sas []any
	for _, sa := range o.blocks("service_account") {
		email := knownStr(sa, "email")
		if email == "" {
			for _, a := range b.refs[r.addr+"\x00service_account"] {
				if e := b.sas[a]; e != "" {
					email = e
				}
			}
		}
		if email == "" {
			b.assume("%s service account is unknown until apply: assumed the Compute Engine default service account", r.addr)
			email = "default"
		}
		var scopes []string
		for _, s := range sa.strings("scopes") {
			if !strings.HasPrefix(s, "https://") {
				s = "https://www.googleapis.com/auth/" + s
			}
			scopes = append(scopes, s)
		}
		sas = append(sas, map[string]any{"email": email, "scopes": scopes})
	}
	var meta []any
	if m, ok := o.vals["metadata"].(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			// only keys the transform reads for moves; values are never kept
			if k == "enable-oslogin" || k == "block-project-ssh-keys" {
				meta = append(meta, map[string]any{"key": k, "value": fmt.Sprint(m[k])})
			}
		}
	}
	b.put(r.addr, "//compute.googleapis.com/projects/"+p+"/zones/"+zone+"/instances/"+n, gcpinv.TypeInstance, zone, map[string]any{
		"name": n, "zone": computeAPI + "projects/" + p + "/zones/" + zone, "status": "RUNNING", "labels": labels(o),
		"tags": map[string]any{"items": o.strings("tags")}, "networkInterfaces": nics, "serviceAccounts": sas,
		"metadata": map[string]any{"items": meta}})
}

// refName returns the name of the planned resource of a type that an
// attribute (or block) of r references.
func (b *gcpBuilder) refName(r resource, attr, typ string) string {
	for _, a := range b.refs[r.addr+"\x00"+attr] {
		if full, ok := b.byAddr[a]; ok && b.assets[full].AssetType == typ {
			return gcpinv.LastSegment(full)
		}
	}
	return ""
}

func (b *gcpBuilder) firewall(r resource, p string) {
	o := r.obj
	n := o.str("name")
	spec := func(block string) []any {
		var out []any
		for _, a := range o.blocks(block) {
			out = append(out, map[string]any{"IPProtocol": a.str("protocol"), "ports": a.strings("ports")})
		}
		return out
	}
	src := o.strings("source_ranges")
	if o.isUnknown("source_ranges") {
		b.assume("%s source_ranges is unknown until apply: assumed 0.0.0.0/0", r.addr)
		src = []string{"0.0.0.0/0"}
	}
	dir := firstOf(o.str("direction"), "INGRESS")
	data := map[string]any{"name": n, "network": b.networkLink(p, firstOf(knownStr(o, "network"), b.refName(r, "network", gcpinv.TypeNetwork))),
		"direction": dir, "sourceRanges": src, "sourceTags": o.strings("source_tags"), "targetTags": o.strings("target_tags"),
		"targetServiceAccounts": o.strings("target_service_accounts"), "allowed": spec("allow"), "denied": spec("deny")}
	if v, known := o.boolean("disabled"); known {
		data["disabled"] = v
	}
	if pr := o.integer("priority"); pr != 0 || o.vals["priority"] != nil {
		data["priority"] = pr
	}
	b.put(r.addr, "//compute.googleapis.com/projects/"+p+"/global/firewalls/"+n, gcpinv.TypeFirewall, "global", data)
}

// build returns the side's inventory: the project, then every resource.
func (b *gcpBuilder) build(rs []resource) *gcpinv.Inventory {
	for _, r := range rs {
		b.primary(r)
	}
	for _, r := range rs {
		b.attach(r)
	}
	inv := gcpinv.New(time.Time{})
	projectName := "//cloudresourcemanager.googleapis.com/projects/" + b.project
	if b.assets[projectName] == nil || b.assets[projectName].Resource == nil {
		raw, _ := json.Marshal(map[string]any{"projectId": b.project, "projectNumber": b.project, "lifecycleState": "ACTIVE", "name": b.project})
		a := b.assets[projectName]
		if a == nil {
			a = &gcpinv.Asset{Name: projectName, AssetType: gcpinv.TypeProject}
			b.assets[projectName] = a
		}
		a.Resource = &gcpinv.Resource{Location: "global", Data: raw}
	}
	names := make([]string, 0, len(b.assets))
	for n := range b.assets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := b.assets[n]
		if len(a.Ancestors) == 0 {
			a.Ancestors = b.ancestors()
		}
		_ = inv.Add(a) // every name is a full resource name
	}
	return inv
}
