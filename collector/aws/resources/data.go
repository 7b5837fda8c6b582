package resources

import (
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// AnonymousID is the id of the stub standing for anyone at all (anonymous
// callers, every AWS account). It must equal identity.AnonymousID so both
// parts meet at one node; the transform's tests check that.
const AnonymousID = "aws:anonymous"

// Techniques of public-sharing moves.
const (
	TechPublicEBSSnapshot = "aws.ec2.public-ebs-snapshot"
	TechPublicAMI         = "aws.ec2.public-ami"
	TechPublicRDSSnapshot = "aws.rds.public-snapshot"
)

func (b *builder) anonymousNode() {
	b.node(graph.Node{ID: AnonymousID, Kind: graph.KindExternalPrincipal, Name: "Anyone (anonymous)", Stub: true,
		Props: graph.Props{graph.PropAnonymous: true}})
}

// data adds databases, secrets, keys, snapshots, images, queues, topics and
// registries.
func (b *builder) data() {
	for _, x := range b.regions {
		r := x.name
		for i := range x.d.KMSKeys {
			k := &x.d.KMSKeys[i]
			id := orARN(k.ARN, "arn:"+b.partition+":kms:"+r+":"+b.account+":key/"+k.ID)
			name := k.ID
			if len(k.Aliases) > 0 {
				name = k.Aliases[0]
			}
			n := b.resource(id, graph.KindKey, "AWS::KMS::Key", "kms", r, name, k.Tags)
			n.Props["key_manager"] = k.KeyManager
			n.Props["key_state"] = k.KeyState
			n.Props["enabled"] = k.Enabled
			if k.RotationEnabled != nil {
				n.Props["rotation_enabled"] = *k.RotationEnabled
			}
		}
		for i := range x.d.DBInstances {
			b.dbInstance(x, &x.d.DBInstances[i])
		}
		for i := range x.d.DBClusters {
			c := &x.d.DBClusters[i]
			n := b.resource(c.ARN, graph.KindDatabase, "AWS::RDS::DBCluster", "rds", r, c.ID, c.Tags)
			n.Props["engine"] = c.Engine
			n.Props["publicly_accessible"] = c.PubliclyAccessible
			n.Props["encrypted"] = c.StorageEncrypted
			b.encryptedBy(c.ARN, r, c.KMSKeyID)
			if !c.StorageEncrypted {
				b.flag(RuleRDSUnencrypted, c.ARN, defaultSeverity, fmt.Sprintf("DB cluster %s has StorageEncrypted=false", c.ID))
			}
			for _, m := range c.Members {
				if db := x.dbInstances[m]; db != nil {
					b.edge(graph.Edge{From: c.ARN, To: db.ARN, Kind: graph.EdgeContains})
				}
			}
		}
		for i := range x.d.DBSnapshots {
			b.dbSnapshot(x, &x.d.DBSnapshots[i])
		}
		for _, t := range x.d.Tables {
			n := b.resource(t.ARN, graph.KindDatabase, "AWS::DynamoDB::Table", "dynamodb", r, t.Name, t.Tags)
			n.Props["item_count"] = t.ItemCount
			n.Props["sse_type"] = t.SSEType
			b.encryptedBy(t.ARN, r, t.KMSKeyARN)
		}
		for _, s := range x.d.Secrets {
			// Metadata only: the inventory never holds a secret value.
			n := b.resource(s.ARN, graph.KindSecret, "AWS::SecretsManager::Secret", "secretsmanager", r, s.Name, s.Tags)
			n.Props["rotation_enabled"] = s.RotationEnabled
			n.CrownJewel = true
			n.Sensitivity = max(n.Sensitivity, graph.SensitivityConfidential)
			b.encryptedBy(s.ARN, r, s.KMSKeyID)
		}
		for _, s := range x.d.Snapshots {
			b.ebsSnapshot(x, s)
		}
		for _, img := range x.d.Images {
			id := orARN(img.ARN, "arn:"+b.partition+":ec2:"+r+"::image/"+img.ID)
			n := b.resource(id, graph.KindImage, "AWS::EC2::Image", "ec2", r, nameOr(img.Name, img.ID), img.Tags)
			n.Props["public"] = img.Public
			n.Props["shared_with"] = img.SharedWith
			if img.Public {
				fid := b.flag(RuleAMIPublic, id, defaultSeverity, fmt.Sprintf("image %s grants launch permission to group all", img.ID))
				b.publicMove(id, graph.EdgeReads, TechPublicAMI, fid, fmt.Sprintf("image %s launchPermission includes group all", img.ID))
			}
		}
		for _, q := range x.d.Queues {
			n := b.resource(q.ARN, graph.KindQueue, "AWS::SQS::Queue", "sqs", r, q.Name, q.Tags)
			n.Props["sqs_managed_sse"] = q.SQSManagedSSE
			b.encryptedBy(q.ARN, r, q.KMSMasterKeyID)
		}
		for _, t := range x.d.Topics {
			b.resource(t.ARN, graph.KindTopic, "AWS::SNS::Topic", "sns", r, t.Name, t.Tags)
			b.encryptedBy(t.ARN, r, t.KMSMasterKeyID)
		}
		for i := range x.d.FileSystems {
			b.fileSystem(x, &x.d.FileSystems[i])
		}
		for _, repo := range x.d.Repositories {
			n := b.resource(repo.ARN, graph.KindRegistry, "AWS::ECR::Repository", "ecr", r, repo.Name, repo.Tags)
			n.Props["scan_on_push"] = repo.ScanOnPush
			n.Props["image_tag_mutability"] = repo.ImageTagMutability
		}
	}
	b.linkInjectedSecrets()
}

func nameOr(name, fallback string) string {
	if name != "" {
		return name
	}
	return fallback
}

func (b *builder) encryptedBy(id, region, keyRef string) {
	if k := b.keys.resolve(region, keyRef); k != "" && b.nodes[k] != nil {
		b.edge(graph.Edge{From: id, To: k, Kind: graph.EdgeEncryptedBy})
	}
}

// publicMove adds the anonymous principal's move onto a publicly shared resource.
func (b *builder) publicMove(target string, kind graph.EdgeKind, technique, finding string, evidence ...string) {
	b.anonymousNode()
	e := graph.Edge{From: AnonymousID, To: target, Kind: kind, Technique: technique, Evidence: evidence}
	if finding != "" {
		e.Findings = []string{finding}
	}
	b.edge(e)
}

func (b *builder) dbInstance(x *regionIndex, db *inventory.DBInstance) {
	r := x.name
	n := b.resource(db.ARN, graph.KindDatabase, "AWS::RDS::DBInstance", "rds", r, db.ID, db.Tags)
	n.Props["engine"] = db.Engine
	n.Props["publicly_accessible"] = db.PubliclyAccessible
	n.Props["encrypted"] = db.StorageEncrypted
	n.Props["port"] = int64(db.EndpointPort)
	n.Props["iam_auth"] = db.IAMAuth
	b.encryptedBy(db.ARN, r, db.KMSKeyID)
	if !db.StorageEncrypted {
		b.flag(RuleRDSUnencrypted, db.ARN, defaultSeverity, fmt.Sprintf("DB instance %s has StorageEncrypted=false", db.ID))
	}
	if db.PubliclyAccessible {
		b.flag(RuleRDSPublic, db.ARN, defaultSeverity, fmt.Sprintf("DB instance %s has PubliclyAccessible=true", db.ID))
	}
	for _, s := range db.SubnetIDs {
		if sid := b.subnetID(x, s); sid != "" {
			b.edge(graph.Edge{From: db.ARN, To: sid, Kind: graph.EdgeInSubnet})
		}
	}
	for _, sg := range db.SecurityGroupIDs {
		if sgID := b.sgID(x, sg); sgID != "" {
			b.edge(graph.Edge{From: db.ARN, To: sgID, Kind: graph.EdgeProtectedBy})
		}
	}
	m := member{id: db.ARN, region: x, vpc: db.VPCID, sgs: db.SecurityGroupIDs, subnets: db.SubnetIDs, v4: db.PubliclyAccessible}
	for _, s := range db.SubnetIDs {
		if sub := x.subnets[s]; sub != nil {
			m.blocks = appendPrefix(m.blocks, sub.CIDRBlock)
		}
	}
	b.addMember(m)
}

func (b *builder) dbSnapshot(x *regionIndex, s *inventory.DBSnapshot) {
	r := x.name
	native := "AWS::RDS::DBSnapshot"
	if s.Cluster {
		native = "AWS::RDS::DBClusterSnapshot"
	}
	n := b.resource(s.ARN, graph.KindSnapshot, native, "rds", r, s.ID, s.Tags)
	n.Props["encrypted"] = s.Encrypted
	n.Props["public"] = s.Public
	n.Props["shared_with"] = s.SharedWith
	var src string
	if s.Cluster {
		if c := x.dbClusters[s.Source]; c != nil {
			src = c.ARN
		}
	} else if db := x.dbInstances[s.Source]; db != nil {
		src = db.ARN
	}
	if src != "" {
		b.edge(graph.Edge{From: s.ARN, To: src, Kind: graph.EdgeSnapshotOf})
	}
	if s.Public {
		fid := b.flag(RuleRDSSnapshotPublic, s.ARN, defaultSeverity, fmt.Sprintf("snapshot %s restore attribute includes all", s.ID))
		b.publicMove(s.ARN, graph.EdgeReads, TechPublicRDSSnapshot, fid, fmt.Sprintf("snapshot %s can be restored by any AWS account", s.ID))
	}
}

func (b *builder) ebsSnapshot(x *regionIndex, s inventory.EBSSnapshot) {
	r := x.name
	id := orARN(s.ARN, "arn:"+b.partition+":ec2:"+r+"::snapshot/"+s.ID)
	n := b.resource(id, graph.KindSnapshot, "AWS::EC2::Snapshot", "ec2", r, s.ID, s.Tags)
	n.Props["encrypted"] = s.Encrypted
	n.Props["public"] = s.Public
	n.Props["volume_id"] = s.VolumeID
	n.Props["shared_with"] = s.SharedWith
	b.encryptedBy(id, r, s.KMSKeyID)
	if s.Public {
		fid := b.flag(RuleEBSSnapshotPublic, id, defaultSeverity, fmt.Sprintf("snapshot %s createVolumePermission includes group all", s.ID))
		b.publicMove(id, graph.EdgeReads, TechPublicEBSSnapshot, fid, fmt.Sprintf("snapshot %s can be copied into any AWS account", s.ID))
	}
}

// linkInjectedSecrets adds container -READS-> secret for every secret a task
// definition injects: the value lands in the container's environment.
func (b *builder) linkInjectedSecrets() {
	for _, ref := range b.pendingSecretRefs {
		for _, c := range ref.td.Containers {
			for _, s := range c.SecretRefs {
				secret := b.secretFor(s)
				if secret == "" {
					continue
				}
				b.edge(graph.Edge{
					From: ref.from, To: secret, Kind: graph.EdgeReads, Technique: TechECSInjectSecret,
					Evidence: []string{fmt.Sprintf("container %s receives secret %s in its environment", c.Name, secret)},
				})
			}
		}
	}
}

// secretFor maps a valueFrom reference (a secret ARN, possibly with a
// ":json-key:version-stage:version-id" suffix) to a secret node id.
func (b *builder) secretFor(ref string) string {
	if !strings.Contains(ref, ":secretsmanager:") {
		return ""
	}
	if n := b.nodes[ref]; n != nil && n.Kind == graph.KindSecret {
		return ref
	}
	for id, n := range b.nodes {
		if n.Kind == graph.KindSecret && strings.HasPrefix(ref, id+":") {
			return id
		}
	}
	return ""
}
