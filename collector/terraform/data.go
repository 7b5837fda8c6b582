package terraform

import (
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// Data stores: RDS, Secrets Manager, KMS, SQS and SNS, with their
// resource policies.

// regionalARN returns the planned ARN, else one built from the name as
// the service builds it, else a placeholder.
func (b *builder) regionalARN(r resource, service, prefix, name string) string {
	if a := r.obj.str("arn"); a != "" && !r.obj.isUnknown("arn") {
		return a
	}
	if name == "" {
		return placeholder(r.addr)
	}
	return b.arn(service, b.opts.Region, prefix+name)
}

func (b *builder) primaryData(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_db_instance", "aws_rds_cluster_instance":
		id := o.str("identifier")
		db := &inventory.DBInstance{ID: id, Engine: o.str("engine"), StorageEncrypted: b.flag(r, "storage_encrypted", false, "storage encryption"),
			KMSKeyID: o.str("kms_key_id"), EndpointPort: o.integer("port"), IAMAuth: b.flag(r, "iam_database_authentication_enabled", true, "IAM authentication"),
			Tags: o.tags(), ClusterID: o.str("cluster_identifier")}
		if id == "" {
			db.ID = sanitize(r.addr)
		}
		db.ARN = b.regionalARN(r, "rds", "db:", id)
		db.PubliclyAccessible = b.flag(r, "publicly_accessible", true, "public accessibility")
		b.dbPlaced = append(b.dbPlaced, dbPlacement{db: db, r: r})
		db.SecurityGroupIDs = b.sgRefs(r, "vpc_security_group_ids")
		put(b.dbs, db, r.addr, []string{id, db.ARN})
		b.own(db.ARN, r.addr)
	case "aws_rds_cluster":
		id := o.str("cluster_identifier")
		c := &inventory.DBCluster{ID: id, Engine: o.str("engine"), StorageEncrypted: b.flag(r, "storage_encrypted", false, "storage encryption"),
			KMSKeyID: o.str("kms_key_id"), Port: o.integer("port"), IAMAuth: b.flag(r, "iam_database_authentication_enabled", true, "IAM authentication"),
			Tags: o.tags(), SubnetGroup: o.str("db_subnet_group_name")}
		if id == "" {
			c.ID = sanitize(r.addr)
		}
		c.ARN = b.regionalARN(r, "rds", "cluster:", id)
		c.SecurityGroupIDs = b.sgRefs(r, "vpc_security_group_ids")
		put(b.clusters, c, r.addr, []string{id, c.ARN})
		b.own(c.ARN, r.addr)
	case "aws_db_subnet_group":
		name := o.str("name")
		put(b.subnetGroups, &subnetGroup{name: name, r: r}, r.addr, []string{name})
	case "aws_db_snapshot", "aws_db_cluster_snapshot":
		cluster := r.typ == "aws_db_cluster_snapshot"
		idAttr, arnAttr, srcAttr, encAttr, kind := "db_snapshot_identifier", "db_snapshot_arn", "db_instance_identifier", "encrypted", "snapshot:"
		if cluster {
			idAttr, arnAttr, srcAttr, encAttr, kind = "db_cluster_snapshot_identifier", "db_cluster_snapshot_arn", "db_cluster_identifier", "storage_encrypted", "cluster-snapshot:"
		}
		s := &inventory.DBSnapshot{ID: o.str(idAttr), Cluster: cluster, Tags: o.tags()}
		s.Encrypted, _ = o.boolean(encAttr)
		if a := o.str(arnAttr); a != "" && !o.isUnknown(arnAttr) {
			s.ARN = a
		} else if s.ID != "" {
			s.ARN = b.arn("rds", b.opts.Region, kind+s.ID)
		} else {
			s.ARN = placeholder(r.addr)
		}
		src, addrs := b.ref(r, srcAttr)
		if db := lookup(b.dbs, src, addrs); db != nil && !cluster {
			src = db.ID
		} else if c := lookup(b.clusters, src, addrs); c != nil && cluster {
			src = c.ID
		}
		s.Source = src
		if o.isUnknown("shared_accounts") {
			b.assume("%s shared_accounts is unknown until apply: assumed shared with every AWS account", r.addr)
			s.Public = true
		}
		for _, a := range o.strings("shared_accounts") {
			if a == "all" {
				s.Public = true
			} else {
				s.SharedWith = append(s.SharedWith, a)
			}
		}
		b.inv.Region(b.opts.Region).DBSnapshots = append(b.inv.Region(b.opts.Region).DBSnapshots, *s)
		b.own(s.ARN, r.addr)
	case "aws_secretsmanager_secret":
		name := o.str("name")
		s := &inventory.Secret{Name: name, KMSKeyID: o.str("kms_key_id"), Tags: o.tags(), Description: o.str("description")}
		s.ARN = b.regionalARN(r, "secretsmanager", "secret:", name)
		s.Policy = b.policy(r, "policy", "secret policy", openResourcePolicy(s.ARN))
		if s.Name == "" {
			s.Name = r.addr
		}
		put(b.secrets, s, r.addr, []string{name, s.ARN})
		b.own(s.ARN, r.addr)
	case "aws_kms_key":
		id := o.str("key_id")
		if id == "" || o.isUnknown("key_id") {
			id = ""
		}
		k := &inventory.KMSKey{ID: id, Description: o.str("description"), KeyManager: "CUSTOMER", KeyState: "Enabled", Enabled: true,
			KeyUsage: o.str("key_usage"), Tags: o.tags()}
		if on, known := o.boolean("is_enabled"); known && !on {
			k.Enabled, k.KeyState = false, "Disabled"
		}
		if rot, known := o.boolean("enable_key_rotation"); known {
			k.RotationEnabled = &rot
		}
		k.ARN = b.regionalARN(r, "kms", "key/", id)
		if k.ID == "" {
			k.ID = k.ARN
		}
		// An absent policy is KMS's default (the account's IAM policies
		// decide), which the transform applies.
		k.Policy = b.policy(r, "policy", "key policy", openResourcePolicy(k.ARN))
		put(b.keys, k, r.addr, []string{id, k.ARN})
		b.own(k.ARN, r.addr)
	case "aws_sqs_queue":
		name := o.str("name")
		q := &inventory.Queue{Name: name, URL: o.str("url"), KMSMasterKeyID: o.str("kms_master_key_id"), Tags: o.tags()}
		q.SQSManagedSSE, _ = o.boolean("sqs_managed_sse_enabled")
		q.ARN = b.regionalARN(r, "sqs", "", name)
		q.Policy = b.policy(r, "policy", "queue policy", openResourcePolicy(q.ARN))
		put(b.queues, q, r.addr, []string{name, q.ARN, q.URL, o.str("id")})
		b.own(q.ARN, r.addr)
	case "aws_sns_topic":
		name := o.str("name")
		t := &inventory.Topic{Name: name, KMSMasterKeyID: o.str("kms_master_key_id"), Tags: o.tags()}
		t.ARN = b.regionalARN(r, "sns", "", name)
		t.Policy = b.policy(r, "policy", "topic policy", openResourcePolicy(t.ARN))
		put(b.topics, t, r.addr, []string{name, t.ARN})
		b.own(t.ARN, r.addr)
	}
}

// flag reads a boolean attribute; unknown until apply takes the value that
// opens (open), and says so.
func (b *builder) flag(r resource, attr string, open bool, what string) bool {
	v, known := r.obj.boolean(attr)
	if known {
		return v
	}
	if r.obj.isUnknown(attr) {
		b.assume("%s %s is unknown until apply: assumed %t", r.addr, what, open)
		return open
	}
	return false
}

// sgRefs resolves a list of security group ids, through the configuration
// when unknown.
func (b *builder) sgRefs(r resource, attr string) []string {
	return b.refList(r, attr, func(a string) string {
		if g := b.groups[a]; g != nil {
			return g.ID
		}
		return ""
	})
}

// refList resolves a list attribute: its known values, else the ids of the
// planned resources its configuration references (id maps an address to
// one, "" when the address is not of the wanted kind).
func (b *builder) refList(r resource, attr string, id func(addr string) string) []string {
	out := r.obj.strings(attr)
	if r.obj.isUnknown(attr) || len(out) == 0 {
		for _, a := range b.refs[r.addr+"\x00"+attr] {
			if v := id(a); v != "" {
				out = append(out, v)
			}
		}
	}
	return dedupe(out)
}

// subnetGroup is an aws_db_subnet_group, resolved once subnets are known.
type subnetGroup struct {
	name string
	r    resource
}

// dbPlacement is a planned database instance to place in its subnets once
// every subnet is known.
type dbPlacement struct {
	db *inventory.DBInstance
	r  resource
}

func (b *builder) attachData(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_secretsmanager_secret_policy":
		v, addrs := b.ref(r, "secret_arn")
		s := lookup(b.secrets, v, addrs)
		if s == nil {
			s = b.contextSecret(v, r.addr)
		}
		s.Policy = b.policy(r, "policy", "secret policy", openResourcePolicy(s.ARN))
		b.causes(s.ARN, r.addr)
	case "aws_kms_key_policy":
		k := b.keyFor(r)
		k.Policy = b.policy(r, "policy", "key policy", openResourcePolicy(k.ARN))
		b.causes(k.ARN, r.addr)
	case "aws_kms_grant":
		// A grant allows its grantee the listed operations on the key: the
		// inventory has no grants, so it becomes a key-policy statement
		// with the same effect (constraints are not modelled: broader).
		k := b.keyFor(r)
		grantee := o.str("grantee_principal")
		if grantee == "" || o.isUnknown("grantee_principal") {
			gv, gaddrs := b.ref(r, "grantee_principal")
			if role := lookup(b.roles, gv, gaddrs); role != nil {
				grantee = role.ARN
			} else if u := lookup(b.users, gv, gaddrs); u != nil {
				grantee = u.ARN
			} else {
				b.assume("%s grantee is unknown until apply: assumed anyone", r.addr)
				grantee = "*"
			}
		}
		ops := o.strings("operations")
		if len(ops) == 0 || o.isUnknown("operations") {
			ops = []string{"Decrypt", "Encrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo", "CreateGrant"}
		}
		actions := make([]string, len(ops))
		for i, op := range ops {
			actions[i] = `"kms:` + op + `"`
		}
		principal := `{"AWS":"` + grantee + `"}`
		if grantee == "*" {
			principal = `"*"`
		}
		stmt := `{"Sid":"` + sanitize(r.addr) + `","Effect":"Allow","Principal":` + principal + `,"Action":[` + strings.Join(actions, ",") + `],"Resource":"*"}`
		if k.Policy == "" {
			k.Policy = fmt.Sprintf(defaultKeyPolicy, b.opts.Partition, b.opts.AccountID)
		}
		k.Policy = appendStatement(k.Policy, stmt)
		b.causes(k.ARN, r.addr)
	case "aws_sqs_queue_policy":
		v, addrs := b.ref(r, "queue_url")
		q := lookup(b.queues, v, addrs)
		if q == nil {
			name := lastSegment(v)
			if name == "" {
				name = sanitize(r.addr)
			}
			q = &inventory.Queue{Name: name, URL: v, ARN: b.arn("sqs", b.opts.Region, name)}
			put(b.queues, q, "", []string{v, q.ARN})
		}
		q.Policy = b.policy(r, "policy", "queue policy", openResourcePolicy(q.ARN))
		b.causes(q.ARN, r.addr)
	case "aws_sns_topic_policy":
		v, addrs := b.ref(r, "arn")
		t := lookup(b.topics, v, addrs)
		if t == nil {
			if v == "" {
				v = placeholder(r.addr)
			}
			t = &inventory.Topic{ARN: v, Name: lastColon(v)}
			put(b.topics, t, "", []string{v})
		}
		t.Policy = b.policy(r, "policy", "topic policy", openResourcePolicy(t.ARN))
		b.causes(t.ARN, r.addr)
	}
}

// defaultKeyPolicy is KMS's default key policy: the account's IAM policies decide.
const defaultKeyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"kms:*","Resource":"*"}]}`

func (b *builder) contextSecret(ref, addr string) *inventory.Secret {
	arn := ref
	if !strings.HasPrefix(arn, "arn:") {
		if arn == "" {
			arn = placeholder(addr)
		} else {
			arn = b.arn("secretsmanager", b.opts.Region, "secret:"+ref)
		}
	}
	s := &inventory.Secret{ARN: arn, Name: lastColon(arn)}
	put(b.secrets, s, "", []string{ref, arn})
	return s
}

// keyFor returns the key an attachment names: planned, else outside the plan.
func (b *builder) keyFor(r resource) *inventory.KMSKey {
	v, addrs := b.ref(r, "key_id")
	if k := lookup(b.keys, v, addrs); k != nil {
		return k
	}
	return b.contextKey(v, r.addr)
}

func (b *builder) contextKey(ref, addr string) *inventory.KMSKey {
	arn := ref
	if !strings.HasPrefix(arn, "arn:") {
		if arn == "" {
			arn = placeholder(addr)
		} else {
			arn = b.arn("kms", b.opts.Region, "key/"+ref)
		}
	}
	k := &inventory.KMSKey{ID: lastSegment(arn), ARN: arn, KeyManager: "CUSTOMER", KeyState: "Enabled", Enabled: true}
	put(b.keys, k, "", []string{ref, arn})
	return k
}

func lastColon(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
