package transform

import (
	"cmp"
	"slices"
	"strings"

	gcpiam "github.com/breachpath/breachpath/collector/gcp/iam"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Permissions the techniques and data moves read.
const (
	pGetAccessToken     = "iam.serviceAccounts.getAccessToken"
	pSignBlob           = "iam.serviceAccounts.signBlob"
	pSignJwt            = "iam.serviceAccounts.signJwt"
	pImplicitDelegation = "iam.serviceAccounts.implicitDelegation"
	pKeyCreate          = "iam.serviceAccountKeys.create"
	pActAs              = "iam.serviceAccounts.actAs"
	pSASetIAM           = "iam.serviceAccounts.setIamPolicy"
	pProjectSetIAM      = "resourcemanager.projects.setIamPolicy"
	pFolderSetIAM       = "resourcemanager.folders.setIamPolicy"
	pOrgSetIAM          = "resourcemanager.organizations.setIamPolicy"
	pInstanceCreate     = "compute.instances.create"
	pFunctionCreate     = "cloudfunctions.functions.create"
	pFunctionUpdate     = "cloudfunctions.functions.update"
	pRunCreate          = "run.services.create"
	pRunUpdate          = "run.services.update"
	pBuildCreate        = "cloudbuild.builds.create"
	pDataflowCreate     = "dataflow.jobs.create"
	pComposerCreate     = "composer.environments.create"
	pDMCreate           = "deploymentmanager.deployments.create"
	pSetMetadata        = "compute.instances.setMetadata"
	pSetCommonMetadata  = "compute.projects.setCommonInstanceMetadata"
	pOSAdminLogin       = "compute.instances.osAdminLogin"
	pOSLogin            = "compute.instances.osLogin"
	pObjGet             = "storage.objects.get"
	pObjCreate          = "storage.objects.create"
	pObjDelete          = "storage.objects.delete"
	pBucketSetIAM       = "storage.buckets.setIamPolicy"
	pBQGetData          = "bigquery.tables.getData"
	pBQUpdateData       = "bigquery.tables.updateData"
	pBQDatasetSetIAM    = "bigquery.datasets.setIamPolicy"
	pBQDatasetUpdate    = "bigquery.datasets.update"
	pSecretAccess       = "secretmanager.versions.access"
	pSecretAdd          = "secretmanager.versions.add"
	pSecretSetIAM       = "secretmanager.secrets.setIamPolicy"
	pKMSDecrypt         = "cloudkms.cryptoKeyVersions.useToDecrypt"
	pKMSSetIAM          = "cloudkms.cryptoKeys.setIamPolicy"
	pSQLUsersUpdate     = "cloudsql.users.update"
	pSQLExport          = "cloudsql.instances.export"
	pSubConsume         = "pubsub.subscriptions.consume"
	pTopicPublish       = "pubsub.topics.publish"
	pTopicSetIAM        = "pubsub.topics.setIamPolicy"
	pSubSetIAM          = "pubsub.subscriptions.setIamPolicy"
	pFunctionInvoke     = "cloudfunctions.functions.invoke"
	pRunInvoke          = "run.routes.invoke"
	pRolesUpdate        = "iam.roles.update"
	pSchedulerCreate    = "cloudscheduler.jobs.create"
	pDataprocCreate     = "dataproc.clusters.create"
	pSetServiceAccount  = "compute.instances.setServiceAccount"
	pInstanceStop       = "compute.instances.stop"
	pInstanceStart      = "compute.instances.start"
	pHMACCreate         = "storage.hmacKeys.create"
	pOrgPolicySet       = "orgpolicy.policy.set"
	// API keys: the current permission names and the ones Rhino Security
	// Labs' catalogue (and older custom roles) spell.
	pAPIKeysCreate       = "apikeys.keys.create"
	pAPIKeysGetString    = "apikeys.keys.getKeyString"
	pAPIKeysCreateLegacy = "serviceusage.apiKeys.create"
	pAPIKeysListLegacy   = "serviceusage.apiKeys.list"
)

var trackedPerms = []string{
	pGetAccessToken, pSignBlob, pSignJwt, pImplicitDelegation, pKeyCreate, pActAs, pSASetIAM,
	pProjectSetIAM, pFolderSetIAM, pOrgSetIAM, pInstanceCreate, pFunctionCreate, pFunctionUpdate, pRunCreate, pRunUpdate,
	pBuildCreate, pDataflowCreate, pComposerCreate, pDMCreate, pSetMetadata, pSetCommonMetadata, pOSAdminLogin, pOSLogin,
	pObjGet, pObjCreate, pObjDelete, pBucketSetIAM, pBQGetData, pBQUpdateData, pBQDatasetSetIAM, pBQDatasetUpdate,
	pSecretAccess, pSecretAdd, pSecretSetIAM, pKMSDecrypt, pKMSSetIAM, pSQLUsersUpdate, pSQLExport,
	pSubConsume, pTopicPublish, pTopicSetIAM, pSubSetIAM, pFunctionInvoke, pRunInvoke,
	pRolesUpdate, pSchedulerCreate, pDataprocCreate, pSetServiceAccount, pInstanceStop, pInstanceStart, pHMACCreate,
	pOrgPolicySet, pAPIKeysCreate, pAPIKeysGetString, pAPIKeysCreateLegacy, pAPIKeysListLegacy,
}

// TrackedPermissions lists the permissions the GCP techniques read, for
// documentation and CIEM.
func TrackedPermissions() []string { return slices.Clone(trackedPerms) }

// dataMove is one data permission family of a data-store type.
type dataMove struct {
	kind      graph.EdgeKind
	perms     []string
	technique string
}

var dataMoves = map[string][]dataMove{
	inventory.TypeBucket: {
		{graph.EdgeReads, []string{pObjGet}, "gcp.storage.object-get"},
		{graph.EdgeWrites, []string{pObjCreate, pObjDelete}, "gcp.storage.object-create"},
		{graph.EdgeAdministers, []string{pBucketSetIAM}, "gcp.storage.set-iam-policy"},
	},
	inventory.TypeDataset: {
		{graph.EdgeReads, []string{pBQGetData}, "gcp.bigquery.read"},
		{graph.EdgeWrites, []string{pBQUpdateData}, "gcp.bigquery.write"},
		{graph.EdgeAdministers, []string{pBQDatasetSetIAM, pBQDatasetUpdate}, "gcp.bigquery.set-iam-policy"},
	},
	inventory.TypeSecret: {
		{graph.EdgeReads, []string{pSecretAccess}, "gcp.secretmanager.access-secret-version"},
		{graph.EdgeWrites, []string{pSecretAdd}, "gcp.secretmanager.add-version"},
		{graph.EdgeAdministers, []string{pSecretSetIAM}, "gcp.secretmanager.set-iam-policy"},
	},
	inventory.TypeCryptoKey: {
		{graph.EdgeDecrypts, []string{pKMSDecrypt}, "gcp.kms.decrypt"},
		{graph.EdgeAdministers, []string{pKMSSetIAM}, "gcp.kms.set-iam-policy"},
	},
	inventory.TypeSQLInstance: {
		{graph.EdgeReads, []string{pSQLExport}, "gcp.sql.export"},
		{graph.EdgeAdministers, []string{pSQLUsersUpdate}, "gcp.sql.users-update"},
	},
	inventory.TypeSubscription: {
		{graph.EdgeReads, []string{pSubConsume}, "gcp.pubsub.pull"},
		{graph.EdgeAdministers, []string{pSubSetIAM}, "gcp.pubsub.set-iam-policy"},
	},
	inventory.TypeTopic: {
		{graph.EdgeWrites, []string{pTopicPublish}, "gcp.pubsub.publish"},
		{graph.EdgeAdministers, []string{pTopicSetIAM}, "gcp.pubsub.set-iam-policy"},
	},
}

// saMove is a technique that gains a service account's identity from a
// permission on that account.
type saMove struct {
	kind      graph.EdgeKind
	perm      string
	technique string
	rule      string
}

var saMoves = []saMove{
	{graph.EdgeAssumes, pGetAccessToken, "gcp.iam.get-access-token", "gcp.iam.privesc-get-access-token"},
	{graph.EdgeAssumes, pSignJwt, "gcp.iam.sign-jwt", "gcp.iam.privesc-sign-jwt"},
	{graph.EdgeAssumes, pSignBlob, "gcp.iam.sign-blob", "gcp.iam.privesc-sign-blob"},
	{graph.EdgeEscalatesTo, pKeyCreate, "gcp.iam.service-account-key-create", "gcp.iam.sa-key-creation"},
	{graph.EdgeEscalatesTo, pSASetIAM, "gcp.iam.service-account-set-iam-policy", "gcp.iam.privesc-sa-set-iam-policy"},
}

// actAsMove is a technique that runs code as a service account the
// attacker may act as, by creating or updating a workload in its project.
type actAsMove struct {
	perms     []string // any one suffices
	technique string
}

var actAsMoves = []actAsMove{
	{[]string{pInstanceCreate}, "gcp.compute.actas-create-instance"},
	{[]string{pFunctionCreate, pFunctionUpdate}, "gcp.cloudfunctions.actas-deploy-function"},
	{[]string{pRunCreate, pRunUpdate}, "gcp.run.actas-deploy-service"},
	{[]string{pBuildCreate}, "gcp.cloudbuild.actas-create-build"},
	{[]string{pDataflowCreate}, "gcp.dataflow.actas-create-job"},
	{[]string{pComposerCreate}, "gcp.composer.actas-create-environment"},
	{[]string{pSchedulerCreate}, "gcp.cloudscheduler.actas-create-job"},
	{[]string{pDataprocCreate}, "gcp.dataproc.actas-create-cluster"},
}

// attacker is one principal that can act: an IAM member, or a workload's
// scoped token standing for its service account.
type attacker struct {
	id   string     // node id
	mask gcpiam.Set // permissions its credential may use (all for members)
	src  string     // the member whose grants apply
}

// attackers returns who holds a grant among g: every member with a node,
// plus the scoped tokens of service-account members.
func (b *builder) attackers(grants map[string]*gcpiam.Grant) []attacker {
	var out []attacker
	members := make([]string, 0, len(grants))
	for m := range grants {
		members = append(members, m)
	}
	slices.Sort(members)
	for _, m := range members {
		if id := b.principal(m); id != "" {
			out = append(out, attacker{id: id, mask: ^gcpiam.Set(0), src: m})
		}
	}
	toks := make([]string, 0, len(b.scopedNodes))
	for id := range b.scopedNodes {
		toks = append(toks, id)
	}
	slices.Sort(toks)
	for _, id := range toks {
		t := b.scopedNodes[id]
		if _, ok := grants[t.member]; ok {
			out = append(out, attacker{id: id, mask: t.mask, src: t.member})
		}
	}
	return out
}

// held returns what an attacker may use of a grant: unconditional and
// conditional permission sets.
func held(g *gcpiam.Grant, a attacker) (gcpiam.Set, gcpiam.Set) {
	if g == nil {
		return 0, 0
	}
	return g.Perms & a.mask, g.Cond & a.mask
}

// ownerNode returns the id of a project's synthetic owner-equivalent node.
func (b *builder) ownerNode(p *project) string {
	if id, ok := b.ownerNodes[p.ID]; ok {
		return id
	}
	id := p.Name + "/owner"
	b.addNode(graph.Node{ID: id, Kind: graph.KindRole, NativeType: "iam.googleapis.com/Role#projectOwner",
		Name: p.ID + " owner (can grant itself any role)", Account: p.ID, Region: "global", Service: "cloudresourcemanager",
		CrownJewel: true, Props: graph.Props{"admin": true, "synthetic": true}}, p.ID)
	b.ownerNodes[p.ID] = id
	return id
}

// moves draws the IAM attacker moves of every project.
func (b *builder) moves() error {
	byProject := map[string][]*inventory.Asset{}
	for _, a := range sortedAssets(b.inv) {
		if p := b.h.projectOf(a); p != nil {
			byProject[p.ID] = append(byProject[p.ID], a)
		}
	}
	// Every project's grants, for cross-project actAs (a deployer in one
	// project attaching another project's account to its workload).
	b.projGrants = map[string]map[string]*gcpiam.Grant{}
	for _, p := range b.projects() {
		b.projGrants[p.ID] = b.eval.Grants(b.h.projectChain(p))
	}
	b.hmacTokens(byProject)
	for _, p := range b.projects() {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		b.curScope = p.ID
		b.projectMoves(p, byProject[p.ID])
	}
	b.curScope = ""
	b.orgRoleUpdates()
	return nil
}

func (b *builder) projectMoves(p *project, assets []*inventory.Asset) {
	pgrants := b.projGrants[p.ID]
	setIAM := b.eval.Mask(pProjectSetIAM, pFolderSetIAM, pOrgSetIAM)
	// Owner-equivalent attackers reach everything through the owner node
	// and get no direct edges in this project.
	ownerEq := map[string]bool{}
	for _, a := range b.attackers(pgrants) {
		g := pgrants[a.src]
		perms, cond := held(g, a)
		if (perms|cond)&setIAM == 0 {
			continue
		}
		owner := b.ownerNode(p)
		f := b.finding("gcp.iam.privesc-set-iam-policy", a.id, "may set the IAM policy of "+p.ID+" or an ancestor ("+
			strings.Join(b.eval.Evidence(g, setIAM), "; ")+")")
		b.move(graph.Edge{From: a.id, To: owner, Kind: graph.EdgeEscalatesTo, Technique: "gcp.resourcemanager.set-iam-policy",
			Evidence: b.eval.Evidence(g, setIAM), Findings: compact([]string{f}), Conditional: perms&setIAM == 0})
		if perms&setIAM != 0 {
			ownerEq[a.id] = true
		}
	}
	has := func(a attacker, g *gcpiam.Grant, perms ...string) (ok, conditional bool) {
		u, c := held(g, a)
		m := b.eval.Mask(perms...)
		return (u|c)&m != 0, u&m == 0
	}
	var sasHere []*inventory.Asset
	for _, a := range assets {
		switch {
		case a.AssetType == inventory.TypeServiceAccount:
			sasHere = append(sasHere, a)
		}
	}
	// Owner node: controls every service account and data store of the project.
	if owner, ok := b.ownerNodes[p.ID]; ok {
		for _, a := range assets {
			n := b.nodes[a.Name]
			if n == nil || n.Stub {
				continue
			}
			switch {
			case a.AssetType == inventory.TypeServiceAccount:
				b.move(graph.Edge{From: owner, To: a.Name, Kind: graph.EdgeEscalatesTo, Technique: "gcp.resourcemanager.owner-controls",
					Evidence: []string{"the owner can grant itself roles/iam.serviceAccountTokenCreator on the account"}})
			case dataMoves[a.AssetType] != nil:
				kind := graph.EdgeAdministers
				if a.AssetType == inventory.TypeCryptoKey {
					kind = graph.EdgeDecrypts
				}
				b.move(graph.Edge{From: owner, To: a.Name, Kind: kind, Technique: "gcp.resourcemanager.owner-controls",
					Evidence: []string{"the owner can grant itself any role on resources of " + p.ID}})
			}
		}
	}
	// Instances whose account an attacker may swap (and then run code as).
	insts := b.projectInstances(p)
	swaps := b.instanceSwaps(insts)
	// Service accounts: impersonation, keys, policy changes, actAs.
	for _, sa := range sasHere {
		g := b.eval.Grants(b.h.chain(sa))
		keyBlocked, where := b.orgPolicy.Enforced(b.h.chain(sa), ConstraintDisableKeyCreation)
		crossBlocked, _ := b.orgPolicy.Enforced(b.h.chain(sa), ConstraintDisableCrossProjectSA)
		for _, a := range b.attackers(g) {
			if ownerEq[a.id] || a.id == sa.Name {
				continue
			}
			for _, m := range saMoves {
				ok, cond := has(a, g[a.src], m.perm)
				if !ok {
					continue
				}
				ev := b.eval.Evidence(g[a.src], b.eval.Mask(m.perm))
				if m.perm == pKeyCreate && keyBlocked {
					b.liftKeyConstraint(p, a, sa, g[a.src], pgrants[a.src], where, cond)
					continue
				}
				f := b.finding(m.rule, a.id, m.perm+" on "+inventory.LastSegment(sa.Name)+" ("+strings.Join(ev, "; ")+")")
				b.move(graph.Edge{From: a.id, To: sa.Name, Kind: m.kind, Technique: m.technique, Evidence: ev,
					Findings: compact([]string{f}), Conditional: cond})
			}
			ok, cond := has(a, g[a.src], pActAs)
			if !ok {
				continue
			}
			for _, m := range actAsMoves {
				where, wgrants := p.ID, pgrants
				ok2, cond2 := has(a, pgrants[a.src], m.perms...)
				if !ok2 && !crossBlocked {
					// Cross-project: the deployer creates the workload in a
					// project of its own and attaches this account to it.
					where, wgrants, ok2, cond2 = b.crossProjectDeploy(p, a, m.perms, has)
				}
				if !ok2 {
					continue
				}
				ev := append(b.eval.Evidence(g[a.src], b.eval.Mask(pActAs)), b.eval.Evidence(wgrants[a.src], b.eval.Mask(m.perms...))...)
				if where != p.ID {
					ev = append(ev, "cross-project: the workload is created in "+where+" and runs as the account of "+p.ID+
						" ("+ConstraintDisableCrossProjectSA+" not enforced on "+p.ID+")")
				}
				f := b.finding("gcp.iam.privesc-actas", a.id, "iam.serviceAccounts.actAs on "+inventory.LastSegment(sa.Name)+
					" with "+strings.Join(m.perms, " or ")+" in "+where)
				b.move(graph.Edge{From: a.id, To: sa.Name, Kind: graph.EdgeEscalatesTo, Technique: m.technique, Evidence: ev,
					Findings: compact([]string{f}), Conditional: cond || cond2})
			}
			if sw, ok := swaps[a.id]; ok {
				f := b.finding("gcp.iam.privesc-actas", a.id, "iam.serviceAccounts.actAs on "+inventory.LastSegment(sa.Name)+
					" with compute.instances.setServiceAccount on "+inventory.LastSegment(sw.instance))
				b.move(graph.Edge{From: a.id, To: sa.Name, Kind: graph.EdgeEscalatesTo, Technique: "gcp.compute.actas-set-service-account",
					Evidence: append(append(b.eval.Evidence(g[a.src], b.eval.Mask(pActAs)), sw.evidence...),
						"stop "+inventory.LastSegment(sw.instance)+", attach the account, add a startup script, start it"),
					Findings: compact([]string{f}), Conditional: cond || sw.cond})
			}
		}
	}
	b.hmacMoves(p, pgrants, sasHere, ownerEq)
	b.roleUpdates("projects/"+p.ID, pgrants, ownerEq)
	b.apiKeyFindings(p, pgrants, ownerEq)
	b.invokerMoves(assets, ownerEq)
	// Implicit delegation: holding implicitDelegation on B lets the caller
	// mint tokens for every account B may mint tokens for.
	b.implicitDelegation(sasHere)
	// Cloud Build and Deployment Manager run as project service agents
	// without actAs.
	b.serviceAgentMoves(p, pgrants, ownerEq)
	// Instances: a shell through metadata SSH keys or OS Login.
	for _, pi := range insts {
		in, g := pi.in, pi.g
		for _, a := range pi.attackers {
			if ownerEq[a.id] {
				continue
			}
			// An instance running as an account takes metadata changes
			// and OS Login sessions only from callers who may act as it.
			actOK, actCond, actEv := b.instanceActAs(in, a)
			if in.osLogin {
				if ok, cond := has(a, g[a.src], pOSAdminLogin, pOSLogin); ok && actOK {
					b.move(graph.Edge{From: a.id, To: in.asset.Name, Kind: graph.EdgeAdministers, Technique: "gcp.compute.os-login",
						Evidence: append(append(b.eval.Evidence(g[a.src], b.eval.Mask(pOSAdminLogin, pOSLogin)), actEv...),
							"OS Login is enabled; SSH needs network reach (external IP or IAP)"),
						Conditional: cond || actCond})
				}
				continue
			}
			if ok, cond := has(a, g[a.src], pSetMetadata); ok && actOK {
				f := b.finding("gcp.compute.os-login-disabled", in.asset.Name, "enable-oslogin is not TRUE: SSH keys in metadata are honoured")
				b.move(graph.Edge{From: a.id, To: in.asset.Name, Kind: graph.EdgeAdministers, Technique: "gcp.compute.set-metadata-ssh",
					Evidence: append(append(b.eval.Evidence(g[a.src], b.eval.Mask(pSetMetadata)), actEv...),
						"OS Login is off: an SSH key added to the instance metadata grants a sudo shell"),
					Findings: compact([]string{f}), Conditional: cond || actCond})
			}
			if !in.blockPrj {
				if ok, cond := has(a, pgrants[a.src], pSetCommonMetadata); ok {
					f := b.finding("gcp.compute.project-ssh-keys-allowed", in.asset.Name, "block-project-ssh-keys is not TRUE")
					b.move(graph.Edge{From: a.id, To: in.asset.Name, Kind: graph.EdgeAdministers, Technique: "gcp.compute.set-common-metadata-ssh",
						Evidence: append(b.eval.Evidence(pgrants[a.src], b.eval.Mask(pSetCommonMetadata)), "project-wide SSH keys are honoured by the instance"),
						Findings: compact([]string{f}), Conditional: cond})
				}
			}
		}
	}
	// Data stores.
	for _, a := range assets {
		dm := dataMoves[a.AssetType]
		if dm == nil || b.nodes[a.Name] == nil || b.nodes[a.Name].Stub {
			continue
		}
		g := b.eval.Grants(b.h.chain(a))
		pap := false
		if a.AssetType == inventory.TypeBucket {
			pap = b.bucketPAP(a)
		}
		for _, at := range b.attackers(g) {
			if ownerEq[at.id] {
				continue
			}
			public := at.id == AllUsersID || at.id == AllAuthenticatedUsersID
			if public && pap {
				continue // public access prevention voids public grants
			}
			for _, m := range dm {
				ok, cond := has(at, g[at.src], m.perms...)
				if !ok {
					continue
				}
				ev := b.eval.Evidence(g[at.src], b.eval.Mask(m.perms...))
				var fs []string
				if public {
					fs = append(fs, b.publicFinding(a, at.id, ev))
				}
				if a.AssetType == inventory.TypeBucket {
					fs = append(fs, b.aclFinding(a.Name, g[at.src], b.eval.Mask(m.perms...)))
				}
				b.move(graph.Edge{From: at.id, To: a.Name, Kind: m.kind, Technique: m.technique, Evidence: ev,
					Findings: compact(fs), Conditional: cond})
			}
		}
	}
}

// bucketPAP reports whether public access prevention applies to a bucket
// (its own setting, or the org policy on an ancestor).
func (b *builder) bucketPAP(a *inventory.Asset) bool {
	if n := b.nodes[a.Name]; n != nil && n.Props["public_access_prevention"] == "enforced" {
		return true
	}
	enf, _ := b.orgPolicy.Enforced(b.h.chain(a), ConstraintPublicAccessPrevention)
	return enf
}

func (b *builder) publicFinding(a *inventory.Asset, who string, ev []string) string {
	rule := map[string]string{inventory.TypeBucket: "gcp.storage.bucket-public", inventory.TypeDataset: "gcp.bigquery.dataset-public",
		inventory.TypeCryptoKey: "gcp.kms.key-public", inventory.TypeSecret: "gcp.secretmanager.secret-public",
		inventory.TypeTopic: "gcp.pubsub.public", inventory.TypeSubscription: "gcp.pubsub.public", inventory.TypeSQLInstance: "gcp.sql.public-iam"}[a.AssetType]
	name := b.nodes[who].Name
	return b.finding(rule, a.Name, name+" is granted: "+strings.Join(ev, "; "))
}

// implicitDelegation draws A -> C when A holds implicitDelegation on B
// and B holds getAccessToken on C (one level; longer chains compose
// through the graph only when each account's own edges exist).
func (b *builder) implicitDelegation(sas []*inventory.Asset) {
	if b.tokenOn == nil {
		// Which accounts each account may mint tokens for, computed once
		// for the whole inventory.
		b.tokenOn = map[string][]string{} // B member -> C ids
		for _, c := range b.sas {
			g := b.eval.Grants(b.h.chain(c))
			for m, gr := range g {
				if gr.Perms.Has(b.eval.Bit(pGetAccessToken)) && strings.HasPrefix(m, "serviceAccount:") {
					b.tokenOn[strings.ToLower(m)] = append(b.tokenOn[strings.ToLower(m)], c.Name)
				}
			}
		}
	}
	tokenOn := b.tokenOn
	for _, bsa := range sas {
		var d inventory.ServiceAccount
		_ = bsa.Decode(&d)
		targets := tokenOn["serviceaccount:"+strings.ToLower(d.Email)]
		if len(targets) == 0 {
			continue
		}
		g := b.eval.Grants(b.h.chain(bsa))
		for _, a := range b.attackers(g) {
			u, c := held(g[a.src], a)
			bit := b.eval.Mask(pImplicitDelegation)
			if (u|c)&bit == 0 {
				continue
			}
			for _, t := range targets {
				if t == a.id {
					continue
				}
				f := b.finding("gcp.iam.privesc-implicit-delegation", a.id, "iam.serviceAccounts.implicitDelegation on "+d.Email+
					", which may mint tokens for "+inventory.LastSegment(t))
				b.move(graph.Edge{From: a.id, To: t, Kind: graph.EdgeAssumes, Technique: "gcp.iam.implicit-delegation",
					Evidence:    append(b.eval.Evidence(g[a.src], bit), d.Email+" holds iam.serviceAccounts.getAccessToken on "+inventory.LastSegment(t)),
					Findings:    compact([]string{f}),
					Conditional: u&bit == 0})
			}
		}
	}
}

// serviceAgentMoves: cloudbuild.builds.create runs a build as the Cloud
// Build service account, deploymentmanager.deployments.create as the
// Google APIs service agent (Editor by default) — no actAs needed.
func (b *builder) serviceAgentMoves(p *project, pgrants map[string]*gcpiam.Grant, ownerEq map[string]bool) {
	agents := []struct {
		perm, email, technique string
	}{
		{pBuildCreate, p.Number + "@cloudbuild.gserviceaccount.com", "gcp.cloudbuild.builds-create"},
		{pDMCreate, p.Number + "@cloudservices.gserviceaccount.com", "gcp.deploymentmanager.create-deployment"},
	}
	for _, ag := range agents {
		// Only when the agent holds something: a grant on the project.
		if _, ok := pgrants["serviceAccount:"+ag.email]; !ok {
			continue
		}
		agent := b.principal("serviceAccount:" + ag.email)
		for _, a := range b.attackers(pgrants) {
			if ownerEq[a.id] || a.id == agent {
				continue
			}
			u, c := held(pgrants[a.src], a)
			bit := b.eval.Mask(ag.perm)
			if (u|c)&bit == 0 {
				continue
			}
			f := b.finding("gcp.iam.privesc-service-agent", a.id, ag.perm+" in "+p.ID+" runs code as "+ag.email)
			b.move(graph.Edge{From: a.id, To: agent, Kind: graph.EdgeEscalatesTo, Technique: ag.technique,
				Evidence: append(b.eval.Evidence(pgrants[a.src], bit), "runs as "+ag.email+" without iam.serviceAccounts.actAs"),
				Findings: compact([]string{f}), Conditional: u&bit == 0})
		}
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}

// crossProjectDeploy finds another project where the attacker may create
// the workload (the first by project id, for a stable edge): one edge per
// attacker, account and technique is enough, whichever project it runs in.
func (b *builder) crossProjectDeploy(home *project, a attacker, perms []string,
	has func(attacker, *gcpiam.Grant, ...string) (bool, bool)) (string, map[string]*gcpiam.Grant, bool, bool) {
	// The answer does not depend on home: it is only asked when the
	// attacker cannot deploy in home, so home is never the answer. Memoised
	// per attacker and move, it costs one scan of the projects each.
	key := a.id + "|" + strings.Join(perms, ",")
	if where, ok := b.crossMemo[key]; ok {
		if where == "" {
			return "", nil, false, false
		}
		ok, cond := has(a, b.projGrants[where][a.src], perms...)
		return where, b.projGrants[where], ok, cond
	}
	if b.crossMemo == nil {
		b.crossMemo = map[string]string{}
	}
	for _, q := range b.projects() {
		if q == home {
			continue
		}
		qg := b.projGrants[q.ID]
		if ok, cond := has(a, qg[a.src], perms...); ok {
			b.crossMemo[key] = q.ID
			return q.ID, qg, true, cond
		}
	}
	b.crossMemo[key] = ""
	return "", nil, false, false
}
