package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Native types of the nodes this package creates.
const (
	NativeUser            = "AWS::IAM::User"
	NativeGroup           = "AWS::IAM::Group"
	NativeRole            = "AWS::IAM::Role"
	NativeManagedPolicy   = "AWS::IAM::ManagedPolicy"
	NativeInlinePolicy    = "AWS::IAM::InlinePolicy"
	NativeInstanceProfile = "AWS::IAM::InstanceProfile"
	NativeRoot            = "AWS::IAM::RootUser"
	NativeAccountAdmin    = "breachpath::AWS::AccountAdministrator"
	NativeExternalAccount = "AWS::Account"
	NativeFederated       = "AWS::IAM::FederatedPrincipal"
	NativeAnonymous       = "AWS::Anonymous"
	NativeAnyAWSPrincipal = "AWS::AnyAuthenticatedPrincipal"
)

// credState is a user's merged credential facts (user record and credential report).
type credState struct {
	console bool
	mfa     bool
	// keysKnown / consoleKnown: the keys / the console password were read (live collection or
	// credential report); otherwise "none" means unknown.
	keysKnown    bool
	consoleKnown bool
	passwordUsed time.Time
	keys         []keyState
}

type keyState struct {
	id       string // may be "" when only the credential report knows the key
	slot     int    // 1 or 2 in the credential report, 0 when unknown
	active   bool
	created  time.Time
	lastUsed time.Time
}

func (b *builder) credentials(u *inventory.User, row *inventory.CredentialReportRow) credState {
	c := credState{console: u.LoginProfile, mfa: len(u.MFADevices) > 0, passwordUsed: u.PasswordLastUsed,
		keysKnown: u.AccessKeysRead, consoleKnown: u.LoginProfileRead || u.LoginProfile}
	for _, k := range u.AccessKeys {
		c.keys = append(c.keys, keyState{id: k.ID, active: k.Status == "Active", created: k.CreateDate, lastUsed: k.LastUsedDate})
	}
	if row != nil {
		c.keysKnown, c.consoleKnown = true, true
		c.console = c.console || row.PasswordEnabled
		c.mfa = c.mfa || row.MFAActive
		if c.passwordUsed.IsZero() {
			c.passwordUsed = row.PasswordLastUsed
		}
		if len(u.AccessKeys) == 0 {
			// Only the report knows the keys: two slots, no ids.
			if row.AccessKey1Active || !row.AccessKey1LastRotated.IsZero() {
				c.keys = append(c.keys, keyState{slot: 1, active: row.AccessKey1Active, created: row.AccessKey1LastRotated, lastUsed: row.AccessKey1LastUsedDate})
			}
			if row.AccessKey2Active || !row.AccessKey2LastRotated.IsZero() {
				c.keys = append(c.keys, keyState{slot: 2, active: row.AccessKey2Active, created: row.AccessKey2LastRotated, lastUsed: row.AccessKey2LastUsedDate})
			}
		}
	}
	return c
}

func (k keyState) label() string {
	if k.id != "" {
		return MaskKey(k.id)
	}
	return fmt.Sprintf("key%d", k.slot)
}

func (b *builder) days(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return int64(b.now.Sub(t) / (24 * time.Hour))
}

func dateProp(p graph.Props, key string, t time.Time) {
	if !t.IsZero() {
		p[key] = t.UTC().Format(time.RFC3339)
	}
}

// facts creates the identity nodes and the configuration edges between them.
func (b *builder) facts(ctx context.Context) error {
	iam := &b.inv.IAM
	rows := map[string]*inventory.CredentialReportRow{}
	for i := range iam.CredentialReport {
		r := &iam.CredentialReport[i]
		rows[r.ARN] = r
	}
	b.rootNode()
	b.addNode(graph.Node{
		ID: b.adminID(b.account), Kind: graph.KindRole, NativeType: NativeAccountAdmin,
		Name: b.account + " administrator", Account: b.account, Service: "iam", CrownJewel: true,
		Props: graph.Props{"synthetic": true, "admin": true},
	})
	b.addEdge(graph.Edge{From: b.rootID(b.account), To: b.adminID(b.account), Kind: graph.EdgeAdministers, Technique: TechAdminEquivalent,
		Likelihood: 1, Evidence: []string{"the root user has every permission in its account"}})
	for i := range iam.Policies {
		p := &iam.Policies[i]
		props := graph.Props{"path": p.Path, "aws_managed": p.AWSManaged, "default_version": p.DefaultVersionID,
			"attachment_count": int64(p.AttachmentCount), "boundary_usage_count": int64(p.PermissionsBoundaryUsageCount)}
		dateProp(props, "create_date", p.CreateDate)
		dateProp(props, "update_date", p.UpdateDate)
		b.addNode(graph.Node{ID: p.ARN, Kind: graph.KindPolicy, NativeType: NativeManagedPolicy, Name: p.Name,
			Account: b.account, Service: "iam", Tags: p.Tags, Props: props})
	}
	for i := range iam.Groups {
		g := &iam.Groups[i]
		props := graph.Props{"path": g.Path}
		dateProp(props, "create_date", g.CreateDate)
		b.addNode(graph.Node{ID: g.ARN, Kind: graph.KindGroup, NativeType: NativeGroup, Name: g.Name, Account: b.account, Service: "iam", Props: props})
		b.attachments(g.ARN, g.AttachedPolicies, g.InlinePolicies)
	}
	groupARN := map[string]string{}
	for i := range iam.Groups {
		groupARN[iam.Groups[i].Name] = iam.Groups[i].ARN
	}
	for i := range iam.Users {
		if i%512 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		u := &iam.Users[i]
		c := b.credentials(u, rows[u.ARN])
		props := graph.Props{"path": u.Path, "mfa": c.mfa, "console_access": c.console}
		dateProp(props, "create_date", u.CreateDate)
		dateProp(props, "password_last_used", c.passwordUsed)
		var keys []string
		active := int64(0)
		for _, k := range c.keys {
			status := "inactive"
			if k.active {
				status = "active"
				active++
			}
			s := k.label() + " " + status
			if d := b.days(k.created); d >= 0 {
				s += fmt.Sprintf(" age=%dd", d)
			}
			if !k.lastUsed.IsZero() {
				s += " last_used=" + k.lastUsed.UTC().Format("2006-01-02")
			} else {
				s += " never_used"
			}
			keys = append(keys, s)
		}
		if len(keys) > 0 {
			props["access_keys"] = keys
		}
		// Access key ids are identifiers, not secrets (ListAccessKeys returns
		// them): "paths --source AKIA..." finds the user by them.
		var ids []string
		for _, k := range u.AccessKeys {
			if k.ID != "" {
				ids = append(ids, k.ID)
			}
		}
		if len(ids) > 0 {
			props[graph.PropIdentifiers] = ids
		}
		props["active_access_keys"] = active
		if u.PermissionBoundary != "" {
			props["boundary"] = u.PermissionBoundary
		}
		b.addNode(graph.Node{ID: u.ARN, Kind: graph.KindUser, NativeType: NativeUser, Name: u.Name, Account: b.account,
			Service: "iam", Tags: u.Tags, Props: props})
		b.attachments(u.ARN, u.AttachedPolicies, u.InlinePolicies)
		if u.PermissionBoundary != "" {
			b.policyRef(u.PermissionBoundary)
			b.fact(u.ARN, u.PermissionBoundary, graph.EdgeBoundedBy, nil)
		}
		for _, gname := range u.Groups {
			if ga, ok := groupARN[gname]; ok {
				b.fact(u.ARN, ga, graph.EdgeMemberOf, nil)
			} else {
				b.warn("user names a group missing from the inventory", "user", u.ARN, "group", gname)
			}
		}
	}
	for i := range iam.Roles {
		r := &iam.Roles[i]
		props := graph.Props{"path": r.Path, "service_linked": r.ServiceLinked}
		dateProp(props, "create_date", r.CreateDate)
		dateProp(props, "last_used", r.LastUsedDate)
		if r.MaxSessionDuration > 0 {
			props["max_session_duration"] = int64(r.MaxSessionDuration)
		}
		if r.PermissionBoundary != "" {
			props["boundary"] = r.PermissionBoundary
		}
		b.addNode(graph.Node{ID: r.ARN, Kind: graph.KindRole, NativeType: NativeRole, Name: r.Name, Account: b.account,
			Service: "iam", Tags: r.Tags, Props: props})
		b.attachments(r.ARN, r.AttachedPolicies, r.InlinePolicies)
		if r.PermissionBoundary != "" {
			b.policyRef(r.PermissionBoundary)
			b.fact(r.ARN, r.PermissionBoundary, graph.EdgeBoundedBy, nil)
		}
	}
	roleSet := map[string]bool{}
	for i := range iam.Roles {
		roleSet[iam.Roles[i].ARN] = true
	}
	for i := range iam.InstanceProfiles {
		ip := &iam.InstanceProfiles[i]
		props := graph.Props{"path": ip.Path}
		dateProp(props, "create_date", ip.CreateDate)
		b.addNode(graph.Node{ID: ip.ARN, Kind: graph.KindInstanceProfile, NativeType: NativeInstanceProfile, Name: ip.Name,
			Account: b.account, Service: "iam", Tags: ip.Tags, Props: props})
		for _, ra := range ip.Roles {
			if !roleSet[ra] {
				b.warn("instance profile holds a role missing from the inventory", "profile", ip.ARN, "role", ra)
				continue
			}
			b.fact(ip.ARN, ra, graph.EdgeProfileContains, nil)
			b.profiles[ra] = append(b.profiles[ra], ip.ARN)
		}
	}
	b.indexLaunchTemplates()
	return nil
}

func (b *builder) rootNode() {
	props := graph.Props{"admin": true}
	if s := b.inv.IAM.Summary; s != nil {
		props["mfa"] = s.RootMFAEnabled
		props["access_keys_present"] = s.RootAccessKeysPresent
	}
	b.addNode(graph.Node{ID: b.rootID(b.account), Kind: graph.KindUser, NativeType: NativeRoot, Name: b.account + " root user",
		Account: b.account, Service: "iam", CrownJewel: true, Props: props})
}

// attachments adds POLICY_ATTACHED edges and inline policy nodes for one principal.
func (b *builder) attachments(principalARN string, attached []inventory.AttachedPolicy, inline []inventory.InlinePolicy) {
	for _, a := range attached {
		b.policyRef(a.ARN)
		b.fact(principalARN, a.ARN, graph.EdgePolicyAttached, graph.Props{"type": "managed"})
	}
	for _, p := range inline {
		id := InlinePolicyID(principalARN, p.Name)
		b.addNode(graph.Node{ID: id, Kind: graph.KindPolicy, NativeType: NativeInlinePolicy, Name: p.Name, Account: b.account,
			Service: "iam", Props: graph.Props{"principal": principalARN}})
		b.fact(principalARN, id, graph.EdgePolicyAttached, graph.Props{"type": "inline"})
	}
}

// policyRef makes sure a referenced managed policy has a node: AWS-managed policies are often
// missing from a customer-policy listing, and the graph must not have dangling attachments.
func (b *builder) policyRef(arn string) {
	if b.node(arn) != nil {
		return
	}
	acct := arnAccount(arn)
	n := graph.Node{ID: arn, Kind: graph.KindPolicy, NativeType: NativeManagedPolicy, Name: lastName(arn), Service: "iam",
		Props: graph.Props{"aws_managed": acct == "aws"}}
	if acct == b.account {
		n.Account = b.account
	} else if acct != "aws" {
		n.Stub = true // another account's policy cannot be attached, but keep the reference honest
	}
	b.addNode(n)
}

// isAWSManagedARN reports whether arn names an AWS-managed policy.
func isAWSManagedARN(arn string) bool { return strings.Contains(arn, ":iam::aws:policy/") }
