package resources

import (
	"fmt"
	"net"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/secrets"
)

// Credentials left in configuration (docs/aws-transform.md, "Credentials in
// configuration"). Each credential the collector found becomes a Secret
// node of its own, owned by the area that read its holder, carrying only
// where it is, its kind, its key id or endpoint and a salted fingerprint.
// The holder's own code reads it (holder READS credential); the identity
// part adds the principals that can read the configuration; the credential
// opens what it belongs to: the IAM user that owns the access key
// (USES_IDENTITY) or the database its connection string names (READS).

// Techniques of the credential moves.
const (
	TechCredentialAccessKey = "aws.credential.access-key"
	TechCredentialDatabase  = "aws.credential.database-password"
	// TechCredentialInstanceLogin is logging in over SSH to the instance
	// whose own user data sets a local account's password.
	TechCredentialInstanceLogin = "aws.credential.instance-login"
)

// Credential finding rule ids.
const (
	RuleLambdaEnvCredential    = "aws.lambda.credential-in-environment"
	RuleEC2UserDataCredential  = "aws.ec2.credential-in-user-data"
	RuleECSEnvCredential       = "aws.ecs.credential-in-environment"
	RuleSSMPlainCredential     = "aws.ssm.credential-in-plaintext-parameter"
	RuleCodeBuildEnvCredential = "aws.codebuild.credential-in-environment"
	RuleBeanstalkEnvCredential = "aws.elasticbeanstalk.credential-in-environment"
	RuleS3ObjectCredential     = "aws.s3.credential-in-object"
)

func init() {
	add := func(id, title, remediation string, controls ...string) {
		rules[id] = rule{title: title, severity: graph.SeverityHigh, remediation: remediation, controls: controls, fixEffort: 2}
	}
	add(RuleLambdaEnvCredential, "Credential in a Lambda environment variable",
		"Move the credential to Secrets Manager (or use the execution role instead of keys) and rotate it.")
	add(RuleEC2UserDataCredential, "Credential in EC2 user data",
		"Remove the credential from the user data (use the instance profile, Secrets Manager or Parameter Store SecureString) and rotate it.")
	add(RuleECSEnvCredential, "Credential in an ECS container environment variable",
		"Inject the credential as a secret (secrets with valueFrom) instead of a plain environment variable, and rotate it.", "AWS-FSBP:ECS.8")
	add(RuleSSMPlainCredential, "Credential in a plain-text (String) SSM parameter",
		"Store the credential as a SecureString parameter (or in Secrets Manager) and rotate it.")
	add(RuleCodeBuildEnvCredential, "Credential in a CodeBuild PLAINTEXT environment variable",
		"Use PARAMETER_STORE or SECRETS_MANAGER variables for credentials, and rotate the exposed one.", "AWS-FSBP:CodeBuild.2")
	add(RuleBeanstalkEnvCredential, "Credential in Elastic Beanstalk environment properties",
		"Read the credential from Secrets Manager at run time instead of an environment property, and rotate it.")
	add(RuleS3ObjectCredential, "Credential in an S3 object",
		"Remove the credential file from the bucket (keep credentials in Secrets Manager or Parameter Store SecureString), rotate it, and restrict who can read the bucket.")
}

// credHolder is one resource whose configuration exposes credentials.
type credHolder struct {
	id, native, service, region, name string
	rule, technique, where            string
	creds                             []inventory.ConfigCredential
	// object, for a credential in a bucket object, is the object's ARN and
	// bucket the bucket it is in (anonymous readers are decided here).
	object string
	bucket *inventory.Bucket
	// objectACL is the object's ACL (nil: not read).
	objectACL []inventory.Grant
}

// credentials adds the credential nodes, the holders' reads, the moves the
// credentials open and a finding per credential.
func (b *builder) credentials() {
	keyOwner := map[string]*inventory.User{}
	keyStatus := map[string]string{}
	for i := range b.inv.IAM.Users {
		u := &b.inv.IAM.Users[i]
		for _, k := range u.AccessKeys {
			keyOwner[k.ID], keyStatus[k.ID] = u, k.Status
		}
	}
	dbByHost := map[string]string{}
	for _, x := range b.regions {
		for i := range x.d.DBInstances {
			db := &x.d.DBInstances[i]
			if db.EndpointAddress != "" {
				dbByHost[strings.ToLower(db.EndpointAddress)] = db.ARN
			}
		}
		for i := range x.d.DBClusters {
			db := &x.d.DBClusters[i]
			if db.Endpoint != "" {
				dbByHost[strings.ToLower(db.Endpoint)] = db.ARN
			}
		}
	}
	for _, x := range b.regions {
		var holders []credHolder
		for i := range x.d.Functions {
			f := &x.d.Functions[i]
			holders = append(holders, credHolder{id: f.ARN, native: "AWS::Lambda::Function", service: "lambda", region: x.name, name: f.Name,
				rule: RuleLambdaEnvCredential, technique: "aws.lambda.environment-credential", where: "environment of function " + f.Name, creds: f.Credentials})
		}
		for i := range x.d.Instances {
			in := &x.d.Instances[i]
			if in.State == "terminated" {
				continue
			}
			holders = append(holders, credHolder{id: b.instanceID(x, in.ID), native: "AWS::EC2::Instance", service: "ec2", region: x.name, name: in.ID,
				rule: RuleEC2UserDataCredential, technique: "aws.ec2.user-data-credential", where: "user data of instance " + in.ID, creds: in.Credentials})
		}
		for i := range x.d.TaskDefinitions {
			td := &x.d.TaskDefinitions[i]
			var creds []inventory.ConfigCredential
			for _, c := range td.Containers {
				creds = append(creds, c.Credentials...)
			}
			holders = append(holders, credHolder{id: td.ARN, native: "AWS::ECS::TaskDefinition", service: "ecs", region: x.name,
				name: fmt.Sprintf("%s:%d", td.Family, td.Revision), rule: RuleECSEnvCredential, technique: "aws.ecs.environment-credential",
				where: fmt.Sprintf("container environment of task definition %s:%d", td.Family, td.Revision), creds: creds})
		}
		for i := range x.d.SSMParameters {
			p := &x.d.SSMParameters[i]
			n := b.resource(p.ARN, graph.KindSecret, "AWS::SSM::Parameter", "ssm", x.name, p.Name, p.Tags)
			n.Props["type"] = p.Type
			if k := b.keys.resolve(x.name, p.KMSKeyID); k != "" && p.Type == "SecureString" {
				b.edge(graph.Edge{From: p.ARN, To: k, Kind: graph.EdgeEncryptedBy})
			}
			// The parameter is what a reader gets: no holder move (a
			// parameter runs no code), the credential hangs off it.
			holders = append(holders, credHolder{id: p.ARN, native: "AWS::SSM::Parameter", service: "ssm", region: x.name, name: p.Name,
				rule: RuleSSMPlainCredential, where: "String parameter " + p.Name, creds: p.Credentials})
		}
		for i := range x.d.CodeBuildProjects {
			p := &x.d.CodeBuildProjects[i]
			b.resource(p.ARN, graph.KindFunction, "AWS::CodeBuild::Project", "codebuild", x.name, p.Name, p.Tags)
			if p.ServiceRole != "" {
				b.roleStub(p.ServiceRole)
				b.edge(graph.Edge{From: p.ARN, To: p.ServiceRole, Kind: graph.EdgeRunsAs})
				b.edge(graph.Edge{From: p.ARN, To: p.ServiceRole, Kind: graph.EdgeUsesIdentity, Technique: "aws.codebuild.service-role", Likelihood: 0.8,
					Evidence: []string{fmt.Sprintf("project %s builds as %s; build commands read the role's credentials", p.Name, p.ServiceRole)}})
			}
			holders = append(holders, credHolder{id: p.ARN, native: "AWS::CodeBuild::Project", service: "codebuild", region: x.name, name: p.Name,
				rule: RuleCodeBuildEnvCredential, technique: "aws.codebuild.environment-credential", where: "environment of project " + p.Name, creds: p.Credentials})
		}
		for i := range x.d.BeanstalkEnvironments {
			e := &x.d.BeanstalkEnvironments[i]
			n := b.resource(e.ARN, graph.KindCompute, "AWS::ElasticBeanstalk::Environment", "elasticbeanstalk", x.name, e.Name, nil)
			n.Props["application"] = e.Application
			holders = append(holders, credHolder{id: e.ARN, native: "AWS::ElasticBeanstalk::Environment", service: "elasticbeanstalk", region: x.name, name: e.Name,
				rule: RuleBeanstalkEnvCredential, technique: "aws.elasticbeanstalk.environment-credential", where: "environment properties of " + e.Name, creds: e.Credentials})
		}
		for _, h := range holders {
			for _, c := range h.creds {
				b.credential(h, c, keyOwner, keyStatus, dbByHost)
			}
		}
	}
	// Objects of configuration buckets (collect aws --scan-config-objects).
	for i := range b.inv.S3 {
		bk := &b.inv.S3[i]
		if bk.ConfigScan == nil {
			continue
		}
		id := orARN(bk.ARN, b.bucketARN(bk.Name))
		for _, o := range bk.ConfigScan.Objects {
			h := credHolder{id: id, native: "AWS::S3::Object", service: "s3", region: bk.Region, name: bk.Name,
				rule: RuleS3ObjectCredential, where: "object s3://" + bk.Name + "/" + o.Key, creds: o.Credentials, object: id + "/" + o.Key, bucket: bk, objectACL: o.ACL}
			for _, c := range o.Credentials {
				b.credential(h, c, keyOwner, keyStatus, dbByHost)
			}
		}
	}
}

func (b *builder) credential(h credHolder, c inventory.ConfigCredential, keyOwner map[string]*inventory.User, keyStatus, dbByHost map[string]string) {
	if h.id == "" {
		return
	}
	id := inventory.CredentialNodeID(h.id, c.Location)
	n := b.node(graph.Node{ID: id, Kind: graph.KindSecret, NativeType: h.native + ".Credential", Service: h.service, Region: h.region,
		Name: h.name + " " + c.Location})
	n.Sensitivity = max(n.Sensitivity, graph.SensitivityConfidential)
	n.CrownJewel = true
	n.Props["location"] = c.Location
	n.Props["credential_kind"] = c.Kind
	n.Props["holder"] = h.id
	if c.Key != "" {
		n.Props["key"] = c.Key
	}
	if c.KeyID != "" {
		n.Props["key_id"] = c.KeyID
		n.Props[graph.PropIdentifiers] = []string{c.KeyID}
	}
	if c.Endpoint != "" {
		n.Props["endpoint"] = c.Endpoint
	}
	if c.Fingerprint != "" {
		n.Props["fingerprint"] = c.Fingerprint
	}
	b.edge(graph.Edge{From: b.accountID(), To: id, Kind: graph.EdgeContains})
	b.edge(graph.Edge{From: h.id, To: id, Kind: graph.EdgeContains})

	what := c.Kind
	if c.KeyID != "" {
		what += " for access key " + c.KeyID
	}
	if c.Endpoint != "" {
		what += " for " + c.Endpoint
	}
	ev := fmt.Sprintf("%s in %s (%s)", what, h.where, c.Location)
	if c.Fingerprint != "" {
		ev += ", fingerprint " + c.Fingerprint
	}
	fid := b.flag(h.rule, h.id, defaultSeverity, ev)
	if h.technique != "" {
		b.edge(graph.Edge{From: h.id, To: id, Kind: graph.EdgeReads, Technique: h.technique, Likelihood: 0.9,
			Evidence: []string{ev, "code running as " + h.name + " reads its own configuration"}, Findings: []string{fid}})
	}
	if h.object != "" {
		n.Props["object"] = h.object
		b.publicObjectRead(h, id, fid, ev)
		b.publicObjectACL(h, id, fid, ev)
	}
	if u := keyOwner[c.KeyID]; u != nil && c.Kind != "aws-access-token" {
		if !strings.EqualFold(keyStatus[c.KeyID], "Active") {
			return
		}
		b.stub(u.ARN, graph.KindUser, "AWS::IAM::User", "iam")
		b.edge(graph.Edge{From: id, To: u.ARN, Kind: graph.EdgeUsesIdentity, Technique: TechCredentialAccessKey, Likelihood: 0.95,
			Evidence: []string{ev, fmt.Sprintf("access key %s is an active key of %s", c.KeyID, u.ARN)}, Findings: []string{fid}})
	}
	if c.Kind == string(secrets.KindLoginPassword) && h.native == "AWS::EC2::Instance" {
		if b.logins == nil {
			b.logins = map[string][]loginCredential{}
		}
		b.logins[h.id] = append(b.logins[h.id], loginCredential{id: id, account: c.Key, finding: fid, evidence: ev})
	}
	if db := matchDB(c.Endpoint, dbByHost); db != "" {
		b.edge(graph.Edge{From: id, To: db, Kind: graph.EdgeReads, Technique: TechCredentialDatabase, Likelihood: 0.8,
			Evidence: []string{ev, fmt.Sprintf("%s is the endpoint of %s", c.Endpoint, db)}, Findings: []string{fid}})
	}
}

// matchDB finds the database whose endpoint a connection string names
// (host, or host:port).
func matchDB(endpoint string, dbByHost map[string]string) string {
	if endpoint == "" {
		return ""
	}
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	return dbByHost[strings.ToLower(host)]
}

// publicObjectRead adds the anonymous read of a credential in a bucket
// object when the bucket policy lets anyone get that object (a grant on the
// key, a prefix or the whole bucket), unless Block Public Access
// (RestrictPublicBuckets) neutralises it. Named principals' reads are the
// identity part's (technique aws.s3.read-object).
func (b *builder) publicObjectRead(h credHolder, id, fid, ev string) {
	bk := h.bucket
	if bk == nil || bk.Policy == "" || effectivePAB(bk.PublicAccessBlock, b.inv.S3AccountPublicAccessBlock).RestrictPublicBuckets {
		return
	}
	pol, err := policy.Parse([]byte(bk.Policy))
	if err != nil {
		return // the bucket part logs an unparsable policy
	}
	res, resource := anonymousDecision(b.account, pol, "s3:GetObject", []string{h.object})
	if res.Decision != policy.Allowed && res.Decision != policy.Conditional {
		return
	}
	why := fmt.Sprintf("bucket policy allows anonymous s3:GetObject on %s", resource)
	if res.Decision == policy.Conditional {
		why += " if " + strings.Join(res.UnresolvedKeys, ", ") + " match"
	}
	b.edge(graph.Edge{From: AnonymousID, To: id, Kind: graph.EdgeReads, Technique: TechS3ReadObject, Likelihood: 0.95,
		Conditional: res.Decision == policy.Conditional, Evidence: []string{ev, why}, Findings: []string{fid}})
	b.anonymousNode()
}

// TechS3PublicObjectACL is reading a credential in a bucket object whose
// own ACL grants READ (or FULL_CONTROL) to AllUsers or AuthenticatedUsers.
const TechS3PublicObjectACL = "aws.s3.public-object-acl"

// publicObjectACL adds the anonymous read of a credential in a bucket object
// whose ACL grants it to everyone (AllUsers) or to any AWS account
// (AuthenticatedUsers, as good as anyone), unless the bucket's ACLs are
// disabled (BucketOwnerEnforced: ACLs no longer grant anything) or Block
// Public Access ignores public ACLs (IgnorePublicAcls at either level).
func (b *builder) publicObjectACL(h credHolder, id, fid, ev string) {
	bk := h.bucket
	if bk == nil || bk.ObjectOwnership == "BucketOwnerEnforced" || effectivePAB(bk.PublicAccessBlock, b.inv.S3AccountPublicAccessBlock).IgnorePublicACLs {
		return
	}
	for _, g := range h.objectACL {
		if (g.GranteeURI != granteeAllUsers && g.GranteeURI != granteeAuthUsers) || (g.Permission != "READ" && g.Permission != "FULL_CONTROL") {
			continue
		}
		why := fmt.Sprintf("object ACL of %s grants %s to %s", h.object, g.Permission, g.GranteeURI)
		own := b.flag(RuleS3ObjectPublicACL, h.id, defaultSeverity, why)
		b.edge(graph.Edge{From: AnonymousID, To: id, Kind: graph.EdgeReads, Technique: TechS3PublicObjectACL, Likelihood: 0.95,
			Evidence: []string{ev, why, "object ownership " + orDefault(bk.ObjectOwnership, "not set (ACLs enabled)") + "; IgnorePublicAcls off"},
			Findings: []string{fid, own}})
		b.anonymousNode()
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// TechS3ReadObject is the technique of reading a credential from a bucket
// object (s3:GetObject on its key); the identity part uses the same id.
const TechS3ReadObject = "aws.s3.read-object"

// loginCredential is a local account's password found in an instance's
// own user data.
type loginCredential struct {
	id, account, finding, evidence string
}

// sshPort is the port a password login to an instance uses.
const sshPort = 22

// instanceLogins adds credential -ADMINISTERS-> instance for each password
// the instance's user data sets, when the Internet reaches its SSH port
// (exposure ex, drawn as exposed): whoever holds the password logs in as
// that account (CloudGoat data_secrets: "echo ec2-user:... | chpasswd",
// then ssh to the public address). Conditional: whether sshd accepts
// passwords is the host's configuration, which the collector does not see.
func (b *builder) instanceLogins(instance string, ex *exposure, exposed *graph.Edge) {
	if !ex.ports[protoTCP].Has(sshPort) {
		return
	}
	for _, l := range b.logins[instance] {
		b.edge(graph.Edge{From: l.id, To: instance, Kind: graph.EdgeAdministers, Technique: TechCredentialInstanceLogin, Likelihood: 0.6,
			Conditional: true, Findings: append([]string{l.finding}, exposed.Findings...),
			Evidence: []string{l.evidence, fmt.Sprintf("the password is the local account %s's on %s", l.account, instance),
				fmt.Sprintf("the Internet reaches %s on %d/tcp (SSH)", instance, sshPort),
				"conditional: sshd must accept password logins (the host's configuration, not collected)"}})
	}
}
